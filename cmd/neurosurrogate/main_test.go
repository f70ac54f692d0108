package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the command line in-process and returns exit code, stdout
// and stderr.
func runT(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	// Commands print progress on os.Stderr; silence it for the test.
	old := os.Stderr
	devnull, _ := os.Open(os.DevNull)
	os.Stderr = devnull
	code := runMain(args, &out, &errb)
	os.Stderr = old
	devnull.Close()
	return code, out.String(), errb.String()
}

func lastJSON(t *testing.T, stdout string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line is not JSON: %q", lines[len(lines)-1])
	}
	return m
}

func TestSimulateJSON(t *testing.T) {
	code, out, errs := runT(t, "simulate", "--cell", "hh", "--events", "testdata/good.csv", "--tstop", "50", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"spikes", "total_spikes", "cells", "wall_s", "cell_ms_per_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	code, out, errs = runT(t, "simulate", "--cell", "hh", "--cells", "20", "--tstop", "100", "--rate-exc", "1500", "--rate-inh", "300",
		"--w-exc", "0.002", "--w-inh", "0.003", "--seed", "2", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if m := lastJSON(t, out); m["cells"].(float64) != 20 || m["total_spikes"].(float64) <= 0 {
		t.Errorf("population run: %v", m)
	}
}

func TestSimulateTraceAndIClamp(t *testing.T) {
	trace := filepath.Join(t.TempDir(), "v.csv")
	code, out, errs := runT(t, "simulate", "--cell", "ballstick", "--iclamp", "0.5,10,50", "--tstop", "80", "--trace", trace, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := len(lastJSON(t, out)["spikes"].([]any)); n == 0 {
		t.Error("no spikes under a 0.5 nA step")
	}
	b, err := os.ReadFile(trace)
	if err != nil || !strings.HasPrefix(string(b), "t_ms,v_mV\n0.0000,-65.00000\n") || strings.Count(string(b), "\n") != 3202 {
		t.Errorf("trace file: %d lines, starts %q", strings.Count(string(b), "\n"), string(b[:min(40, len(b))]))
	}
}

// TestBadInput: every mistake a user can make gets a message naming it and
// a non-zero exit, never a panic.
func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown command", []string{"simulat"}, 2, []string{"unknown command"}},
		{"unknown cell", []string{"simulate", "--cell", "squid"}, 1, []string{`unknown cell "squid"`}},
		{"missing cell file", []string{"simulate", "--cell", "nope/cell.json"}, 1, []string{"nope/cell.json"}},
		{"dt zero", []string{"simulate", "--cell", "hh", "--dt", "0"}, 2, []string{"--dt"}},
		{"negative tstop", []string{"simulate", "--cell", "hh", "--tstop", "-5"}, 2, []string{"--tstop"}},
		{"NaN tstop", []string{"simulate", "--cell", "hh", "--tstop", "NaN"}, 2, []string{"--tstop"}},
		{"malformed csv", []string{"simulate", "--cell", "hh", "--events", "testdata/malformed.csv"}, 1, []string{"testdata/malformed.csv:3", "3 fields"}},
		{"unknown synapse", []string{"simulate", "--cell", "hh", "--events", "testdata/unknown_syn.csv"}, 1, []string{"unknown_syn.csv:3", `unknown synapse "gaba"`}},
		{"negative time", []string{"simulate", "--cell", "hh", "--events", "testdata/negative_time.csv"}, 1, []string{"negative_time.csv:2", "time_ms"}},
		{"NaN weight", []string{"simulate", "--cell", "hh", "--events", "testdata/nan_weight.csv"}, 1, []string{"nan_weight.csv:2", "weight_uS"}},
		{"negative weight", []string{"simulate", "--cell", "hh", "--events", "testdata/negative_weight.csv"}, 1, []string{"negative_weight.csv:2", "weight_uS"}},
		{"bad header", []string{"simulate", "--cell", "hh", "--events", "testdata/bad_header.csv"}, 1, []string{"bad_header.csv:1", "header"}},
		{"bad iclamp", []string{"simulate", "--cell", "hh", "--iclamp", "1,2"}, 2, []string{"--iclamp"}},
		{"negative rate", []string{"simulate", "--cell", "hh", "--rate-exc", "-3"}, 2, []string{"--rate-exc"}},
		{"unknown flag", []string{"simulate", "--cel", "hh"}, 2, []string{"cel"}},
		{"rollout without events", []string{"rollout", "--model", "hh", "--cell", "hh"}, 2, []string{"--events"}},
		{"rollout wrong cell", []string{"rollout", "--model", "hh", "--cell", "ballstick", "--events", "testdata/good.csv", "--tstop", "20"}, 1, []string{"trained for cell"}},
		{"rollout missing model", []string{"rollout", "--model", "none/x.safetensors", "--cell", "hh", "--events", "testdata/good.csv"}, 1, []string{"none/x.safetensors"}},
		{"network bad reference", []string{"network", "--reference", "sometimes"}, 2, []string{"--reference"}},
		{"network ceiling without the full reference", []string{"network", "--ceiling"}, 2, []string{"--ceiling", "--reference full"}},
		{"network missing file", []string{"network", "--network", "nope/net.json"}, 1, []string{"nope/net.json"}},
		{"tiny dt", []string{"simulate", "--cell", "hh", "--dt", "1e-300"}, 2, []string{"--dt 1e-300", "in [1e-06, 100]"}},
		{"huge dt", []string{"simulate", "--cell", "hh", "--tstop", "1e300", "--dt", "1e299"}, 2, []string{"--dt 1e+299", "in [1e-06, 100]"}},
		{"tstop below dt", []string{"simulate", "--cell", "hh", "--tstop", "0.001", "--json"}, 2, []string{"--tstop", "shorter than one time step"}},
		{"too many steps", []string{"simulate", "--cell", "hh", "--tstop", "1e300"}, 2, []string{"--tstop", "steps"}},
		{"negative workers", []string{"simulate", "--cell", "hh", "--workers", "-1"}, 2, []string{"--workers"}},
		{"too many cells", []string{"simulate", "--cell", "hay-l5pc", "--cells", "1000000000"}, 1, []string{"GB", "fewer cells"}},
		{"trace into a folder", []string{"simulate", "--cell", "hh", "--trace", "testdata"}, 2, []string{"--trace", "folder"}},
		{"plot into a missing folder", []string{"rollout", "--model", "hh", "--cell", "hh", "--events", "testdata/good.csv", "--plot", "nope/x.png"}, 1, []string{"--plot", "cannot write"}},
		{"network tstop below sample step", []string{"network", "--tstop", "0.1", "--reference", "none"}, 2, []string{"--tstop", "sample step"}},
		{"network tstop off the sample grid", []string{"network", "--network", "hh-ei", "--tstop", "20.4", "--reference", "none"}, 2, []string{"--tstop 20.4: not a whole number of the models' 0.5 ms sample steps"}},
		{"network dt off the sample step", []string{"network", "--network", "hh-ei", "--tstop", "20", "--dt", "0.03"}, 2, []string{"--dt 0.03", "sample step 0.5 ms"}},
		{"network warm-up off the sample grid", []string{"network", "--network", "hh-ei", "--tstop", "20", "--warmup", "10.2", "--reference", "none"}, 2, []string{"--warmup 10.2 ms is not a multiple of the sample step 0.5 ms"}},
		{"network negative workers", []string{"network", "--workers", "-2"}, 2, []string{"--workers"}},
		{"endless Poisson rate", []string{"simulate", "--cell", "hh", "--tstop", "10", "--rate-exc", "1e300"}, 2, []string{"--rate-exc 1e+300", "must lie in"}},
		{"train into a folder", []string{"train", "--data", "testdata", "--out", "."}, 2, []string{"--out .", "is a folder"}},
		{"train into the data folder", []string{"train", "--data", "testdata", "--out", "testdata"}, 2, []string{"--out testdata is the same file as --data testdata"}},
		{"rollout dt off the sample step", []string{"rollout", "--model", "hh", "--cell", "hh", "--events", "testdata/good.csv", "--dt", "0.03"}, 2, []string{"--dt 0.03", "sample step"}},
		{"rollout tstop off the sample grid", []string{"rollout", "--model", "hh", "--cell", "hh", "--events", "testdata/good.csv", "--tstop", "100.3"}, 2, []string{"--tstop 100.3", "sample steps"}},
		{"evaluate tstop below a sample", []string{"evaluate", "--model", "hh", "--cell", "hh", "--tstop", "0.3", "testdata/good.csv"}, 2, []string{"--tstop 0.3"}},
		{"train unknown grouping", []string{"train", "--data", "testdata", "--out", "m.safetensors", "--inputs", "bogus"}, 2, []string{"--inputs", `"bogus"`}},
		{"network negative warm-up", []string{"network", "--warmup", "-1"}, 2, []string{"--warmup -1", ">= 0"}},
		{"network endless warm-up", []string{"network", "--warmup", "1e300"}, 2, []string{"--warmup 1e+300 ms", "more than"}},
		{"network warm-up off the sample grid", []string{"network", "--warmup", "100.3"}, 2, []string{"--warmup 100.3 ms", "not a multiple of the sample step"}},
		{"network endless run", []string{"network", "--reference", "none", "--dt", "1", "--tstop", "2e8", "--warmup", "4e8"}, 2, []string{"--tstop 2e+08 ms after a 4e+08 ms warm-up", "sample steps"}},
		{"network endless reference", []string{"network", "--reference", "full", "--tstop", "1e4", "--warmup", "1e8"}, 2, []string{"--tstop 10000 ms after a 1e+08 ms warm-up at --dt 0.025", "steps"}},
		{"evaluate windows past tstop", []string{"evaluate", "--model", "hh", "--cell", "hh", "--tstop", "300", "--windows", "0,500", "testdata/good.csv"}, 2, []string{"--windows 0,500", "beyond --tstop 300"}},
		{"evaluate windows not numbers", []string{"evaluate", "--model", "hh", "--cell", "hh", "--windows", "0,soon", "testdata/good.csv"}, 2, []string{`"soon" is not a time`}},
		{"evaluate windows decreasing", []string{"evaluate", "--model", "hh", "--cell", "hh", "--windows", "0,500,100", "testdata/good.csv"}, 2, []string{"must increase"}},
		{"evaluate dt zero", []string{"evaluate", "--model", "hh", "--cell", "hh", "--dt", "0", "testdata/good.csv"}, 2, []string{"--dt"}},
		{"evaluate bad second file", []string{"evaluate", "--model", "hh", "--cell", "hh", "testdata/good.csv", "testdata/malformed.csv"}, 1, []string{"malformed.csv:3"}},
		{"sensitivity unknown perturbation", []string{"sensitivity", "--cell", "hh", "--perturb", "bin:0.5,shift:1", "testdata/good.csv"}, 2, []string{"--perturb", `unknown kind "shift"`}},
		{"sensitivity swap among single synapses", []string{"sensitivity", "--cell", "hh", "--perturb", "swap:class", "testdata/good.csv"}, 2, []string{"--perturb swap:class", "single synapse"}},
		{"sensitivity unknown grouping", []string{"sensitivity", "--cell", "hh", "--perturb", "swap:foo", "testdata/good.csv"}, 2, []string{"--perturb swap:foo", `grouping "foo"`}},
		{"sensitivity bad grouping", []string{"sensitivity", "--cell", "hh", "--perturb", "swap:distance:0", "testdata/good.csv"}, 2, []string{"--perturb swap:distance:0", "distance:N"}},
		{"sensitivity sample step", []string{"sensitivity", "--cell", "hh", "--sample-dt", "0.03", "testdata/good.csv"}, 2, []string{"--sample-dt 0.03"}},
		{"sensitivity no files", []string{"sensitivity", "--cell", "hh"}, 2, []string{"event files"}},
		{"sensitivity bad file", []string{"sensitivity", "--cell", "hh", "testdata/good.csv", "testdata/malformed.csv"}, 1, []string{"malformed.csv:3"}},
		{"train zero batch", []string{"train", "--data", "x", "--out", "y", "--batch", "0"}, 2, []string{"--batch 0", "at least 1"}},
		{"train negative replicas", []string{"train", "--data", "x", "--out", "y", "--replicas", "-1"}, 2, []string{"--replicas -1"}},
		{"train NaN lr", []string{"train", "--data", "x", "--out", "y", "--lr", "NaN"}, 2, []string{"--lr NaN"}},
		{"inspect flag after folder", []string{"inspect", "nope", "--no-stats"}, 1, []string{"nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runT(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, errs)
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q does not mention %q", errs, w)
				}
			}
		})
	}
}

func TestRolloutAndNetwork(t *testing.T) {
	code, out, errs := runT(t, "rollout", "--model", "hh", "--cell", "hh", "--events", "testdata/good.csv", "--tstop", "100", "--json")
	if code != 0 {
		t.Fatalf("rollout exit %d: %s", code, errs)
	}
	m := lastJSON(t, out)
	for _, k := range []string{"f1_2ms", "f1_5ms", "precision_5ms", "recall_5ms", "f1_10ms", "precision_2ms", "recall_2ms", "rmse_sub_mV", "ev_sub", "gamma", "rate_ref_hz", "rate_sur_hz", "wall_ref_s", "wall_sur_s"} {
		if _, ok := m[k]; !ok {
			t.Errorf("rollout JSON lacks %q", k)
		}
	}
	code, out, errs = runT(t, "network", "--tstop", "50", "--reference", "none", "--json")
	if code != 0 {
		t.Fatalf("network exit %d: %s", code, errs)
	}
	m = lastJSON(t, out)
	for _, k := range []string{"cells", "synapses", "tstop_ms", "warmup_ms", "wall_sur_s", "wall_ref_s", "speedup", "rate_sur_windows_hz", "psth_peak_sur_hz", "isi_cv_sur"} {
		if _, ok := m[k]; !ok {
			t.Errorf("network JSON lacks %q", k)
		}
	}
	// The shipped default has a warm-up; --warmup overrides it.
	if m["warmup_ms"] != 500.0 || m["tstop_ms"] != 50.0 {
		t.Errorf("default network: warmup_ms %v, tstop_ms %v; want 500 and 50", m["warmup_ms"], m["tstop_ms"])
	}
	code, out, errs = runT(t, "network", "--tstop", "50", "--warmup", "0", "--reference", "none", "--json")
	if m = lastJSON(t, out); code != 0 || m["warmup_ms"] != 0.0 {
		t.Errorf("--warmup 0: exit %d, warmup_ms %v: %s", code, m["warmup_ms"], errs)
	}
	if m["wall_ref_s"] != nil {
		t.Errorf("wall_ref_s = %v with --reference none, want null", m["wall_ref_s"])
	}
}

func TestImportSWC(t *testing.T) {
	out := filepath.Join(t.TempDir(), "small.json")
	code, stdout, errs := runT(t, "import", "swc", "../../biophys/testdata/swc/small.swc", "--out", out, "--nseg", "L40")
	if code != 0 || !strings.Contains(stdout, "12 sections") {
		t.Fatalf("exit %d: %s %s", code, stdout, errs)
	}
	code, stdout, errs = runT(t, "simulate", "--cell", out, "--iclamp", "0.5,10,100", "--tstop", "120", "--json")
	if code != 0 || len(lastJSON(t, stdout)["spikes"].([]any)) == 0 {
		t.Fatalf("simulating the imported cell: exit %d %s", code, errs)
	}
	bad := filepath.Join(t.TempDir(), "bad.swc")
	os.WriteFile(bad, []byte("1 1 0 0 0 5 -1\n2 3 10 0 0 1 7\n"), 0o644)
	code, _, errs = runT(t, "import", "swc", bad, "--out", out)
	if code != 1 || !strings.Contains(errs, "bad.swc:2") || !strings.Contains(errs, "parent 7") {
		t.Errorf("bad SWC: exit %d, %q", code, errs)
	}
	code, _, errs = runT(t, "import", "swc", bad, "--out", out, "--nseg", "L41")
	if code != 2 || !strings.Contains(errs, "--nseg") {
		t.Errorf("bad nseg rule: exit %d, %q", code, errs)
	}
	small := "../../biophys/testdata/swc/small.swc"
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--out", out, "--Ra", "-5"}, 2, "--Ra -5"},
		{[]string{"--out", out, "--cm", "NaN"}, 2, "--cm NaN"},
		{[]string{"--out", t.TempDir()}, 2, "is a folder"},
	} {
		code, _, errs = runT(t, append([]string{"import", "swc", small}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("import %v: exit %d, %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
	// A geometry that cannot be simulated is refused before anything is written.
	flat := filepath.Join(t.TempDir(), "flat.swc")
	os.WriteFile(flat, []byte("1 1 0 0 0 5 -1\n2 3 10 0 0 0 1\n3 3 20 0 0 0 2\n"), 0o644)
	never := filepath.Join(t.TempDir(), "never.json")
	code, _, errs = runT(t, "import", "swc", flat, "--out", never)
	if _, err := os.Stat(never); code != 1 || !strings.Contains(errs, "flat.swc") || !strings.Contains(errs, "area 0") || err == nil {
		t.Errorf("zero-radius SWC: exit %d, %q, output %v", code, errs, err)
	}
}

func TestEvaluate(t *testing.T) {
	code, out, errs := runT(t, "evaluate", "--model", "hh", "--cell", "hh", "--tstop", "300", "--json", "--windows", "0,100,300",
		"../../infer/testdata/eval/hh/ev0.csv.gz", "../../infer/testdata/eval/hh/ev1.csv.gz")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	m := lastJSON(t, out)
	if m["files"].(float64) != 2 || m["binning_floor"] == nil || m["f1_2ms"] == nil {
		t.Errorf("evaluate JSON: %v", m)
	}
	// Two files: the median is their mean, and the pooled RMS lies between
	// the per-file figures (at most the worst).
	if pf, ok := m["rmse_sub_mV_per_file"].(map[string]any); !ok || pf["files"].(float64) != 2 ||
		pf["median"].(float64) != pf["mean"].(float64) || pf["max"].(float64) < pf["median"].(float64) ||
		m["rmse_sub_mV"].(float64) > pf["max"].(float64)+1e-9 {
		t.Errorf("per-file RMSE %v against pooled %v", m["rmse_sub_mV_per_file"], m["rmse_sub_mV"])
	}
	if !strings.Contains(out, "subthreshold RMSE per file: median") {
		t.Errorf("no per-file line in:\n%s", out)
	}
	// The windows cover the files' whole time: their spikes add up to the
	// pooled counts, and each rate is its spikes over 2 files' window.
	ws, _ := m["windows"].([]any)
	var nRef, nSur float64
	for i, x := range ws {
		w := x.(map[string]any)
		span := w["to_ms"].(float64) - w["from_ms"].(float64)
		nRef += w["spikes_ref"].(float64)
		nSur += w["spikes_sur"].(float64)
		if r := w["spikes_ref"].(float64) / (2 * span / 1000); math.Abs(w["rate_ref_hz"].(float64)-r) > 1e-9 || w["f1_5ms"] == nil {
			t.Errorf("window %d: %v, want rate %v", i, w, r)
		}
	}
	if len(ws) != 2 || nRef != m["spikes_ref"].(float64) || nSur != m["spikes_sur"].(float64) || nRef == 0 || !strings.Contains(out, "100-300") {
		t.Errorf("windows %v: %v and %v spikes, pooled %v and %v", ws, nRef, nSur, m["spikes_ref"], m["spikes_sur"])
	}
	if code, _, errs := runT(t, "evaluate", "--model", "hh", "--cell", "hh"); code != 2 || !strings.Contains(errs, "event files") {
		t.Errorf("no files: exit %d %q", code, errs)
	}
}

// TestEvaluateData: evaluate --data scores a model on a dataset's stored
// traces (every reference spike counted), and refuses what does not go
// with it.
func TestEvaluateData(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "hh")
	code, out, errs := runT(t, "generate", "--cell", "hh", "--traces", "4", "--duration", "300", "--timing", "--sample-dt", "0.25", "--seed", "5", "--out", dir)
	if code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	var spikes float64
	if i := strings.Index(out, " spikes,"); i < 0 {
		t.Fatalf("no spike count in %q", out)
	} else {
		f := strings.Fields(out[:i])
		json.Unmarshal([]byte(f[len(f)-1]), &spikes)
	}
	code, out, errs = runT(t, "evaluate", "--model", "hh", "--data", dir, "--json")
	if code != 0 {
		t.Fatalf("evaluate --data: exit %d: %s", code, errs)
	}
	m := lastJSON(t, out)
	if m["traces"].(float64) != 4 || m["split"] != "all" || m["spikes_ref"].(float64) != spikes || spikes == 0 {
		t.Errorf("evaluate --data JSON %v; want 4 traces, split all, %v reference spikes", m, spikes)
	}
	// The shipped hh surrogate is right on fresh hh traces.
	if m["f1_5ms"].(float64) < 0.9 || m["rmse_sub_mV"].(float64) > 3 || !strings.Contains(out, "pooled over 4 traces (all)") {
		t.Errorf("shipped hh on fresh traces: F1 ±5 ms %v, RMSE %v\n%s", m["f1_5ms"], m["rmse_sub_mV"], out)
	}
	if _, out, _ := runT(t, "evaluate", "--model", "hh", "--data", dir, "--max-traces", "1", "--json"); lastJSON(t, out)["traces"].(float64) != 1 {
		t.Errorf("--max-traces 1: %s", out)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--data", dir, "testdata/good.csv"}, 2, "drop event files"},
		{[]string{"--data", dir, "--cell", "hh", "--tstop", "300"}, 2, "drop --cell, --tstop"},
		{[]string{"--cell", "hh", "--split", "training", "testdata/good.csv"}, 2, "--split: only with --data"},
		{[]string{"--data", dir, "--split", "tests"}, 2, `--split "tests"`},
		{[]string{"--data", "", "--split", "all"}, 2, "--data: name one or more"},
		{[]string{"--data", dir, "--split", "test"}, 1, "trained on other data than"},
		{[]string{"--data", dir, "--max-traces", "-2"}, 2, "--max-traces -2"},
		{[]string{"--data", dir, "--split", "training"}, 1, "trained on other data than"},
		{[]string{"--data", filepath.Join(dir, "none")}, 1, "none"},
	} {
		code, _, errs := runT(t, append([]string{"evaluate", "--model", "hh"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("evaluate %v: exit %d, %q; want %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func TestSpreadOf(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		in                []float64
		median, mean, max float64
		files             int
	}{
		{[]float64{3, 1, 2}, 2, 2, 3, 3},
		{[]float64{4, 1, nan, 1}, 1, 2, 4, 3},
		{[]float64{0.5, 1.5}, 1, 1, 1.5, 2},
	} {
		got := spreadOf(c.in)
		if got.Median != c.median || got.Mean != c.mean || got.Max != c.max || got.Files != c.files {
			t.Errorf("spreadOf(%v) = %+v, want median %g mean %g max %g files %d", c.in, got, c.median, c.mean, c.max, c.files)
		}
	}
	if got := spreadOf([]float64{nan}); got.Files != 0 || !math.IsNaN(got.Median) {
		t.Errorf("all NaN: %+v", got)
	}
}

func TestSensitivity(t *testing.T) {
	code, out, errs := runT(t, "sensitivity", "--cell", "hay-l5pc", "--tstop", "200", "--perturb", "drop:0,swap:class,drop:0.5", "--json",
		"../../infer/testdata/eval/hay/ev0.csv.gz", "../../infer/testdata/eval/hay/ev1.csv.gz")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "F1 5ms") {
		t.Errorf("the table has no ±5 ms column:\n%s", out)
	}
	m := lastJSON(t, out)
	res, _ := m["results"].([]any)
	if m["files"].(float64) != 2 || len(res) != 3 {
		t.Fatalf("sensitivity JSON: %v", m)
	}
	for i, want := range []struct {
		name    string
		perfect bool
	}{{"drop:0", true}, {"swap:class", false}, {"drop:0.5", false}} {
		r := res[i].(map[string]any)
		if r["perturbation"] != want.name || (r["f1_2ms"].(float64) == 1 && r["rmse_sub_mV"].(float64) == 0) != want.perfect {
			t.Errorf("result %d: %v, want %s perfect=%v", i, r, want.name, want.perfect)
		}
	}
}

// TestProfileNotLeftBehind: a training run that fails leaves no CPU profile.
func TestProfileNotLeftBehind(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.prof")
	code, _, errs := runT(t, "train", "--data", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "m.safetensors"), "--cpuprofile", prof)
	if code != 1 || !strings.Contains(errs, "none") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
