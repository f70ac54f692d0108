package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/dataset"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = runMain(args, &o, &e)
	return code, o.String(), e.String()
}

func TestGenerateAndInspect(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "hh")
	for i := 0; i < 2; i++ {
		code, out, errs := runCLI("generate", "--cell", "hh", "--traces", "6", "--duration", "50", "--out", dir,
			"--shard", []string{"0/2", "1/2"}[i], "--quiet", "--workers", "2")
		if code != 0 || !strings.Contains(out, "wrote "+filepath.Join(dir, dataset.ShardFileName(i, 2))) {
			t.Fatalf("generate shard %d: exit %d\n%s%s", i, code, out, errs)
		}
	}
	code, out, errs := runCLI("inspect", dir)
	if code != 0 {
		t.Fatalf("inspect: exit %d\n%s", code, errs)
	}
	for _, want := range []string{"2 shard file(s), all present", "every shard's checksum verified", "6 x 50 ms: 100 samples every 0.5 ms", "exc (exc ExpSyn",
		"columns    trace, t_ms, v_soma, exc, inh, spike, params", "% of traces silent", "by regime", `"seed": 1`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
}

func TestGenerateBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	base := []string{"generate", "--cell", "hh", "--traces", "2", "--duration", "10", "--quiet"}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", dir, "--shard", "0/0"}, 2, "--shard"},
		{[]string{"--out", dir, "--shard", "5/4"}, 2, "0 <= i < n"},
		{[]string{"--out", dir, "--shard", "text"}, 2, "want i/n"},
		{[]string{"--out", dir, "--sample-dt", "0.03"}, 2, "not a multiple of dt"},
		{[]string{"--out", dir, "--traces", "0"}, 2, "traces 0"},
		{[]string{"--out", dir, "--duration", "-5"}, 2, "duration -5"},
		{[]string{"--out", dir, "--dt", "0"}, 2, "dt 0"},
		{[]string{"--out", dir, "--workers", "0"}, 2, "--workers 0"},
		{[]string{"--out", dir, "--exc-rate", "10:1"}, 2, "--exc-rate"},
		{[]string{"--out", dir, "--mix", "core=0.2"}, 2, "--mix"},
		{[]string{}, 2, "--out is required"},
		{[]string{"--out", filepath.Join(file, "sub")}, 1, "cannot create the output folder"},
		{[]string{"--out", dir, "--cell", "nosuchcell"}, 1, "unknown cell"},
	}
	for _, tc := range tests {
		code, _, errs := runCLI(append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("failed runs left files in %s", dir)
	}
}

func TestInspectBadInput(t *testing.T) {
	dir := t.TempDir()
	code, out, _ := runCLI("generate", "--cell", "hh", "--traces", "2", "--duration", "10", "--quiet", "--out", dir)
	if code != 0 {
		t.Fatal(out)
	}
	shard := filepath.Join(dir, dataset.ShardFileName(0, 1))
	b, _ := os.ReadFile(shard)
	os.WriteFile(shard, b[:len(b)-20], 0o644)
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"inspect", dir}, 1, shard},
		{[]string{"inspect", t.TempDir()}, 1, "no shard files"},
		{[]string{"inspect"}, 2, "want the dataset folder"},
		{[]string{"inspect", "a", "b"}, 2, "unexpected argument"},
	}
	for _, tc := range tests {
		code, _, errs := runCLI(tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// TestInspectFlippedByte: a bit flipped in a trace's data, leaving a
// plausible value (Vm -65 mV becomes -65.0000076 mV), is found by inspect,
// even without statistics, and by train's loader, both naming the shard.
func TestInspectFlippedByte(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runCLI("generate", "--cell", "hh", "--traces", "10", "--duration", "10", "--quiet", "--out", dir); code != 0 {
		t.Fatal(out, errs)
	}
	shard := filepath.Join(dir, dataset.ShardFileName(0, 1))
	b, err := os.ReadFile(shard)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte{0, 0, 0x82, 0xc2}) // float32 -65, every trace's first Vm
	if at < 0 {
		t.Fatal("no Vm of -65 mV in the shard")
	}
	b[at] ^= 1
	if err := os.WriteFile(shard, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"inspect", dir}, {"inspect", "--no-stats", dir},
		{"train", "--data", dir, "--out", filepath.Join(t.TempDir(), "m.safetensors"), "--epochs", "1", "--hidden", "4", "--seq", "8"}} {
		code, _, errs := runCLI(args...)
		if code != 1 || !strings.Contains(errs, shard) || !strings.Contains(errs, "checksum mismatch") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 and a checksum mismatch naming %s", args, code, errs, shard)
		}
	}
}

// TestGenerateTiming: --timing adds a timing column per synapse, and train
// --timing refuses data made without it (exit 1, naming the flag to use).
func TestGenerateTiming(t *testing.T) {
	dir := t.TempDir()
	timed, plain := filepath.Join(dir, "timed"), filepath.Join(dir, "plain")
	for _, g := range []struct {
		out   string
		extra []string
	}{{timed, []string{"--timing"}}, {plain, nil}} {
		args := append([]string{"generate", "--cell", "hh", "--traces", "4", "--duration", "20", "--quiet", "--out", g.out}, g.extra...)
		if code, out, errs := runCLI(args...); code != 0 {
			t.Fatalf("generate %v: exit %d\n%s%s", g.extra, code, out, errs)
		}
	}
	code, out, errs := runCLI("inspect", timed)
	if code != 0 || !strings.Contains(out, "columns    trace, t_ms, v_soma, exc, inh, exc.timing, inh.timing, spike, params") ||
		!strings.Contains(out, "exc.timing (timing, uS*bin)") {
		t.Fatalf("inspect: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = runCLI("train", "--data", plain, "--timing", "--out", filepath.Join(dir, "m.safetensors"))
	if code != 1 || !strings.Contains(errs, "generate --timing") {
		t.Errorf("train --timing on data without timing: exit %d, %s", code, errs)
	}
}
