package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/infer"
)

// sweepNet is a small E/I network of hh cells with plastic excitation and
// a volley, for the sweep command.
const sweepNet = `{"name": "ei", "seed": 3, "warmup_ms": 20,
 "populations": [
  {"name": "E", "cell": "hh", "model": "hh", "count": 40, "background": [{"synapse": "exc", "rate_hz": 900, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]},
  {"name": "I", "cell": "hh", "model": "hh", "count": 10, "background": [{"class": "exc", "rate_hz": 1000, "weight_uS": 0.0015}]}
 ],
 "projections": [
  {"from": "E", "to": "E", "synapse": "exc", "rule": "probability", "p": 0.2, "weight_uS": 0.004, "delay_ms": 2, "stp": {"U": 0.38, "tau_rec_ms": 365.6, "tau_facil_ms": 25.71}},
  {"from": "I", "to": "E", "synapse": "inh", "rule": "probability", "p": 0.3, "weight_uS": 0.003, "delay_ms": 1.5}
 ],
 "stimuli": [{"population": "E", "synapse": "exc", "time_ms": 60, "weight_uS": 0.01}]}`

// TestSweepCommand: a 2 x 2 sweep in two engine passes writes the table,
// a heat map per readout and the reference checks; run again after its
// second pass is lost it resumes and writes the same table; another sweep
// in the same folder is refused.
func TestSweepCommand(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "ei.json")
	if err := os.WriteFile(net, []byte(sweepNet), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	args := []string{"sweep", "--network", net, "--axis", "projections.0.stp.U=0.1,0.9", "--axis", "populations.0.background.0.rate_hz=600:1200:2",
		"--tstop", "150", "--batch-cells", "100", "--check", "2", "--psth", "--out", out, "--json"}
	code, stdout, errs := runT(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, stdout, errs)
	}
	m := lastJSON(t, stdout)
	if m["variants"] != 4.0 || m["variants_per_pass"] != 2.0 || m["passes_run"] != 2.0 || m["passes_resumed"] != 0.0 || len(m["plots"].([]any)) != 8 || m["shared_warmup"] != false {
		t.Errorf("report %v", m)
	}
	if eng, del := m["engine_s"].(float64), m["deliver_s"].(float64); !(eng > 0 && del > 0 && del < eng && m["build_s"].(float64) > 0 && m["readouts_s"].(float64) > 0) {
		t.Errorf("time split: %v", m)
	}
	if c := m["check"].([]any); len(c) != 8 || c[0].(map[string]any)["readout"] != "rate_hz.E" {
		t.Errorf("check %v", m["check"])
	}
	for _, f := range []string{"sweep.arrow", "plan.json", "check.json", "rate_hz.E.png", "synchrony.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	table, err := os.ReadFile(filepath.Join(out, "sweep.arrow"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(out, "parts", "batch-000001.gob")); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs = runT(t, args...)
	if code != 0 || !strings.Contains(stdout, "resuming: 1 of 2 engine passes already done") || !strings.Contains(stdout, "ran 2 variants in 1 engine passes") {
		t.Fatalf("resume: exit %d: %s%s", code, stdout, errs)
	}
	if m := lastJSON(t, stdout); m["passes_run"] != 1.0 || m["passes_resumed"] != 1.0 || m["warmup_ms"] != 20.0 {
		t.Errorf("resumed report %v", m)
	}
	again, err := os.ReadFile(filepath.Join(out, "sweep.arrow"))
	if err != nil || !bytes.Equal(table, again) {
		t.Errorf("the resumed sweep wrote another table (%v)", err)
	}
	code, stdout, errs = runT(t, "sweep", "--network", net, "--axis", "seed=1,2", "--warmup", "0", "--tstop", "50", "--out", filepath.Join(dir, "w0"), "--json")
	if m := lastJSON(t, stdout); code != 0 || m["warmup_ms"] != 0.0 {
		t.Errorf("--warmup 0: exit %d: %v %s", code, m, errs)
	}
	// Plasticity alone: the variants share the base network's warm-up.
	code, stdout, errs = runT(t, "sweep", "--network", net, "--axis", "projections.0.stp.U=0.1,0.9", "--tstop", "50", "--check", "1", "--out", filepath.Join(dir, "shared"), "--json")
	if m := lastJSON(t, stdout); code != 0 || m["shared_warmup"] != true || !strings.Contains(stdout, "warm-up (the base network's, shared)") || len(m["check"].([]any)) != 8 {
		t.Errorf("shared warm-up: exit %d: %v %s", code, m, errs)
	}
	// A volley jittered around the end of the warm-up cannot be taken
	// over: auto warms every variant up as itself, shared says why not.
	early := filepath.Join(dir, "early.json")
	if err := os.WriteFile(early, []byte(strings.Replace(sweepNet, `"time_ms": 60,`, `"time_ms": 0, "jitter_ms": 2,`, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs = runT(t, "sweep", "--network", early, "--axis", "stimuli.0.weight_uS=0.01,0.02", "--tstop", "50", "--out", filepath.Join(dir, "early"), "--json")
	if m := lastJSON(t, stdout); code != 0 || m["shared_warmup"] != false {
		t.Errorf("auto with a volley before the switch: exit %d: %v %s", code, m, errs)
	}
	code, _, errs = runT(t, "sweep", "--network", early, "--axis", "stimuli.0.weight_uS=0.01,0.02", "--tstop", "50", "--warmup-mode", "shared", "--out", filepath.Join(dir, "early2"))
	if code != 2 || !strings.Contains(errs, "--warmup-mode shared") || !strings.Contains(errs, "before the end of the warm-up") {
		t.Errorf("shared with a volley before the switch: exit %d: %s", code, errs)
	}
	other := append([]string{}, args...)
	other[8] = "200" // --tstop
	if code, _, errs := runT(t, other...); code != 2 || !strings.Contains(errs, "another sweep") {
		t.Errorf("another sweep in the same folder: exit %d: %s", code, errs)
	}
}

// TestSweepErrors: bad axes and flags are usage errors that say what is
// wrong.
func TestSweepErrors(t *testing.T) {
	dir := t.TempDir()
	net := filepath.Join(dir, "ei.json")
	if err := os.WriteFile(net, []byte(sweepNet), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "x.txt")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--network", net, "--axis", "seed=1,2", "--out", net}, "would destroy the input"},
		{[]string{"--network", net}, "give at least one --axis"},
		{[]string{"--network", net, "--axis", "projections.0.stp.U"}, "want PATH=LO:HI:N"},
		{[]string{"--network", net, "--axis", "projections.0.stp.U=0.1:0.2:0"}, "1 <= N"},
		{[]string{"--network", net, "--axis", "projections.5.p=0.1,0.2"}, `"5" is not an index`},
		{[]string{"--network", net, "--axis", "projections.0.p=0.1,2"}, "variant projections.0.p = 2"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--tstop", "0"}, "--tstop"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--check", "-1"}, "--check"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--window", "0"}, "--window"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--warmup", "-1"}, "--warmup"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--warmup", "0.01"}, "not a multiple of the sample step"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--out", file}, "a file, not a folder"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--warmup-mode", "shared"}, "--warmup-mode a shared warm-up needs axes that act after it"},
		{[]string{"--network", net, "--axis", "seed=1,2", "--warmup-mode", "maybe"}, `--warmup-mode "maybe"`},
		{[]string{"--network", filepath.Join(dir, "none.json"), "--axis", "seed=1,2"}, "none.json"},
	} {
		code, _, errs := runT(t, append([]string{"sweep"}, tc.args...)...)
		wantCode := 2 // command-line mistakes
		if strings.Contains(tc.want, "none.json") {
			wantCode = 1
		}
		if code != wantCode || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestDefaultSweepPlan: `sweep` with no flags plans the shipped study: the
// Rett-style network over 20 x 20 plasticity settings in one engine pass
// (running it is the docs' measurement, not a test).
func TestDefaultSweepPlan(t *testing.T) {
	data, name, err := artifacts.ReadNetwork(defaultSweepNetwork)
	if err != nil {
		t.Fatal(err)
	}
	var axes []infer.Axis
	for _, s := range defaultSweepAxes {
		a, err := infer.ParseAxis(s)
		if err != nil {
			t.Fatal(err)
		}
		axes = append(axes, a)
	}
	p, err := infer.NewSweepPlan(name, data, axes, 300, 50, 5, 65536, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(p.Points()); n != 400 || p.Batch != 400 {
		t.Errorf("%d variants, %d per pass; want 400 in one pass", n, p.Batch)
	}
	if err := p.SetWarmupMode(infer.WarmupAuto); err != nil || !p.SharedWarmup {
		t.Errorf("the default study's variants should share a warm-up: %v %v", p.SharedWarmup, err)
	}
	b, err := p.Variant(399, &infer.CachedResolver{R: artifacts.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cells != 150 || b.STP[0].U != 0.95 || b.STP[0].TauRecMS != 1000 || len(b.Stim) != 150 {
		t.Errorf("last variant: %d cells, STP %+v", b.Cells, b.STP)
	}
}
