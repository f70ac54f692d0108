package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"neurosurrogate/biophys"
	"neurosurrogate/infer"
	"neurosurrogate/infer/metrics"
)

// accuracy is what a shipped model must reach on a held-out set: at least
// the F1 figures, precision and recall at ±2 ms, at most the subthreshold
// RMSE and the relative error of the firing rate.
type accuracy struct {
	f1At2, precision, recall, f1At10 float64
	rmse, rateErr                    float64
}

// misses lists what r falls short of.
func (a accuracy) misses(r metrics.Report) []string {
	var out []string
	for _, c := range []struct {
		name     string
		got, lim float64
		atLeast  bool
	}{
		{"F1 ±2 ms", r.F1At2ms, a.f1At2, true},
		{"precision ±2 ms", r.PrecisionAt2ms, a.precision, true},
		{"recall ±2 ms", r.RecallAt2ms, a.recall, true},
		{"F1 ±10 ms", r.F1At10ms, a.f1At10, true},
		{"subthreshold RMSE (mV)", r.RMSESubMV, a.rmse, false},
		{"rate error", math.Abs(r.RateSurHz/r.RateRefHz - 1), a.rateErr, false},
	} {
		if !(c.atLeast && c.got >= c.lim || !c.atLeast && c.got <= c.lim) {
			rel := "≥"
			if !c.atLeast {
				rel = "≤"
			}
			out = append(out, fmt.Sprintf("%s %.4f, want %s %g", c.name, c.got, rel, c.lim))
		}
	}
	return out
}

// TestShippedModels evaluates the shipped surrogates on the held-out sets
// README.md quotes ("Surrogate accuracy"), as `evaluate` does, with limits
// just under the figures measured there: hh on the 10 files (F1 ±2 ms 0.985,
// precision 0.985, recall 0.986, ±10 ms 0.993, RMSE 1.209 mV, rates 45.40 /
// 45.35 Hz) and the 40 files (0.988, 0.987, 0.989, 0.993, 1.497 mV, 55.78 /
// 55.61 Hz), ballstick on the 10 files (0.971, 0.980, 0.962, 0.976,
// 0.968 mV, 20.45 / 20.85 Hz) and hay-l5pc on the 8 Hay files (0.521, 0.529,
// 0.514, 0.793, 1.617 mV, 11.19 / 10.88 Hz; the two Hay models shipped
// before it miss them with 0.472 and 1.681 mV, and 0.471 and 1.797 mV, the
// first one with 0.423, 0.422, 0.425, 0.685, 1.906 mV). The figures are the same with
// the AVX2 and the pure Go kernels. The hh limits are tight enough that the
// previous model (testdata/models/hh-whole-bins.safetensors: 1.62 and
// 1.88 mV) fails them, which the test checks.
//
// The hh and ballstick sets go through the command (`evaluate --json`, the
// binning floor included); the Hay set, 16 s of the Hay cell, is run the
// same way without the floor, which would double its cost (it takes about
// a minute on 2 cores, files in parallel). With -short only the first
// second of each Hay file is run (F1 0.545, 0.560, 0.531, 0.781, 1.842 mV,
// 12.00 / 11.38 Hz; about half a minute).
func TestShippedModels(t *testing.T) {
	const eval = "../../infer/testdata/eval/"
	const older = "../../infer/testdata/models/hh-whole-bins.safetensors"
	glob := func(pattern string) []string {
		files, err := filepath.Glob(eval + pattern)
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: %v, %d files", pattern, err, len(files))
		}
		return files
	}
	hh10, hh40 := glob("hh/ev*.csv.gz"), glob("hh40/e*.csv.gz")
	if len(hh10) != 10 || len(hh40) != 40 {
		t.Fatalf("%d and %d hh files, want 10 and 40", len(hh10), len(hh40))
	}
	hay, hayTstop := glob("hay/ev*.csv.gz"), 2000.0
	hayLimits := accuracy{f1At2: 0.50, precision: 0.51, recall: 0.49, f1At10: 0.78, rmse: 1.65, rateErr: 0.035}
	if len(hay) != 8 {
		t.Fatalf("%d Hay files, want 8", len(hay))
	}
	if testing.Short() {
		hayTstop = 1000
		hayLimits = accuracy{f1At2: 0.52, precision: 0.54, recall: 0.51, f1At10: 0.76, rmse: 1.87, rateErr: 0.055}
	}
	for _, c := range []struct {
		name, model, cell string
		files             []string
		tstop             float64
		viaCommand        bool
		want              accuracy
		olderFails        bool // the previous hh model must miss the limits
	}{
		{"hh/10 files", "hh", "hh", hh10, 2000, true, accuracy{0.98, 0.98, 0.98, 0.988, 1.24, 0.01}, true},
		{"hh/40 files", "hh", "hh", hh40, 2000, true, accuracy{0.983, 0.982, 0.985, 0.988, 1.53, 0.01}, true},
		{"ballstick/10 files", "ballstick", "ballstick", hh10, 2000, true, accuracy{0.965, 0.975, 0.955, 0.97, 1.0, 0.03}, false},
		{"hay-l5pc/8 files", "hay-l5pc", "hay-l5pc", hay, hayTstop, false, hayLimits, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			eval := evaluateInProcess
			if c.viaCommand {
				eval = evaluateCommand
			}
			r := eval(t, c.model, c.cell, c.files, c.tstop)
			t.Logf("F1 ±2 ms %.4f (P %.4f, R %.4f), ±10 ms %.4f, RMSE %.4f mV, rates %.2f / %.2f Hz",
				r.F1At2ms, r.PrecisionAt2ms, r.RecallAt2ms, r.F1At10ms, r.RMSESubMV, r.RateSurHz, r.RateRefHz)
			if r.SpikesRef < 50 {
				t.Fatalf("%d reference spikes: too few to judge", r.SpikesRef)
			}
			if m := c.want.misses(r); len(m) > 0 {
				t.Errorf("%s on %d files: %s", c.model, len(c.files), strings.Join(m, "; "))
			}
			if c.olderFails {
				o := eval(t, older, c.cell, c.files, c.tstop)
				if len(c.want.misses(o)) == 0 {
					t.Errorf("the previous hh model meets the limits too (F1 %.4f, RMSE %.4f mV): they do not tell it apart", o.F1At2ms, o.RMSESubMV)
				}
			}
		})
	}
}

// evaluateCommand runs `evaluate --json` and returns its pooled figures.
func evaluateCommand(t *testing.T, model, cell string, files []string, tstop float64) metrics.Report {
	t.Helper()
	args := append([]string{"evaluate", "--model", model, "--cell", cell, "--tstop", fmt.Sprint(tstop), "--json"}, files...)
	code, out, errs := runT(t, args...)
	if code != 0 {
		t.Fatalf("evaluate: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var r struct {
		metrics.Report
		Files int `json:"files"`
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil || r.Files != len(files) {
		t.Fatalf("evaluate JSON (%v, %d files): %s", err, r.Files, lines[len(lines)-1])
	}
	return r.Report
}

// evaluateInProcess pools what `evaluate` pools (the reference and the
// free-running surrogate on each file) without the binning floor. Files run
// in parallel, one per core, and are pooled in their order.
func evaluateInProcess(t *testing.T, model, cell string, files []string, tstop float64) metrics.Report {
	t.Helper()
	m, err := loadModel(model)
	if err != nil {
		t.Fatal(err)
	}
	c, err := loadCell(cell)
	if err != nil {
		t.Fatal(err)
	}
	if err := infer.CheckModel(m, c, 0.025); err != nil {
		t.Fatal(err)
	}
	steps := int(math.Round(tstop / m.Arch.SampleDT))
	type result struct {
		ref, sur infer.Trace
		err      error
	}
	res := make([]result, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for i := range next {
				r := &res[i]
				evs, err := biophys.ReadEventsFile(files[i], c)
				if err == nil {
					r.ref, _, err = infer.Reference(c, evs, tstop, 0.025, m.Arch.SampleDT)
				}
				if err == nil {
					r.sur, _, _, err = infer.Surrogate(m, c, evs, steps)
				}
				r.err = err
			}
		})
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	var pool metrics.Pool
	for i, r := range res {
		if r.err != nil {
			t.Fatalf("%s: %v", files[i], r.err)
		}
		pool.Add(r.ref.V, r.sur.V, m.Arch.SampleDT, r.ref.Spikes, r.sur.Spikes, tstop)
	}
	return pool.Report()
}

// TestShippedMultiOutput: hay-l5pc-multi is hay-l5pc with readouts of the
// L5 set (docs/results.md, "Extra outputs"): on the held-out Hay file ev3
// (2 s) its spikes are hay-l5pc's, its somatic and nexus calcium and the
// GCaMP readout built on the first track the reference (explained variance
// 0.930, 0.891 and 0.996 measured; limits under), every output is
// reported, and its somatic Vm output has action potentials.
func TestShippedMultiOutput(t *testing.T) {
	events := "../../infer/testdata/eval/hay/ev3.csv.gz"
	run := func(model string) map[string]any {
		code, out, errs := runT(t, "rollout", "--model", model, "--cell", "hay-l5pc", "--events", events, "--tstop", "2000", "--json")
		if code != 0 {
			t.Fatalf("rollout %s: exit %d: %s", model, code, errs)
		}
		return lastJSON(t, out)
	}
	multi, plain := run("hay-l5pc-multi"), run("hay-l5pc")
	if multi["f1_2ms"] != plain["f1_2ms"] || fmt.Sprint(multi["sur_spikes"]) != fmt.Sprint(plain["sur_spikes"]) {
		t.Errorf("hay-l5pc-multi's spikes differ from hay-l5pc's: F1 %v vs %v", multi["f1_2ms"], plain["f1_2ms"])
	}
	outs, _ := multi["outputs"].(map[string]any)
	for _, name := range []string{"v@soma[0](0.5)", "ina@soma[0](0.5)", "ik@soma[0](0.5)", "ica@soma[0](0.5)", "cai@soma[0](0.5)", "v@apic[50](0.5)", "cai@apic[50](0.5)", "v@axon[1](0.5)"} {
		if _, ok := outs[name]; !ok {
			t.Errorf("output %s missing (have %v)", name, outs)
		}
	}
	ev := func(m map[string]any, name string) float64 {
		o, _ := m[name].(map[string]any)
		x, _ := o["ev"].(float64)
		return x
	}
	opt, _ := multi["optical"].(map[string]any)
	if x := ev(outs, "cai@soma[0](0.5)"); x < 0.9 {
		t.Errorf("somatic calcium explained variance %.3f, want ≥ 0.9", x)
	}
	if x := ev(outs, "cai@apic[50](0.5)"); x < 0.83 {
		t.Errorf("nexus calcium explained variance %.3f, want ≥ 0.83", x)
	}
	if x := ev(opt, "gcamp"); x < 0.98 {
		t.Errorf("GCaMP explained variance %.3f, want ≥ 0.98", x)
	}
	// Its somatic Vm output draws action potentials of the reference's
	// shape, compared at the simulation step (measured on this file: 15
	// matched spikes, peak error 2.6 mV, half-width error 0.02 ms; the
	// issue's goals 5 mV and 0.2 ms).
	sh, _ := multi["spike_shape"].(map[string]any)
	if n, _ := sh["matched"].(float64); n < 10 || sh["trace"] != "v@soma[0](0.5)" || sh["step_ms"] != 0.025 ||
		sh["peak_err_mV"].(float64) > 3.5 || sh["halfwidth_err_ms"].(float64) > 0.05 {
		t.Errorf("spike shape of the somatic Vm output: %v", sh)
	}
}
