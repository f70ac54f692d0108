package infer

import (
	"slices"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// shiftedResolver serves the shipped models and "hh-shifted": the hh model
// with its readout shifted by eight sample steps, so that a network mixes
// populations whose spikes reach their targets after different shifts.
type shiftedResolver struct{ shifted *surrogate.Model }

func (r *shiftedResolver) Cell(arg, base string) (*biophys.Cell, error) {
	return artifacts.Resolver{}.Cell(arg, base)
}

func (r *shiftedResolver) Model(arg, base string) (*surrogate.Model, error) {
	if arg == "hh-shifted" {
		return r.shifted, nil
	}
	return artifacts.Resolver{}.Model(arg, base)
}

// switchVariants builds stackBase (its I cells on hh-shifted, both
// populations with a plastic projection) and variants of it whose
// plasticity, weights and stimuli differ.
func switchVariants(t *testing.T, axes []Axis) (base *Built, vs []*Built, r Resolver) {
	t.Helper()
	hh, err := artifacts.Resolver{}.Model("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	sh := hh.Clone()
	sh.Readout.ShiftMS = 8 * sh.Arch.SampleDT
	r = &CachedResolver{R: &shiftedResolver{shifted: sh}}
	body := strings.Replace(stackBase, `{"name": "I", "cell": "hh", "model": "hh"`, `{"name": "I", "cell": "hh", "model": "hh-shifted"`, 1)
	body = strings.Replace(body, `"rule": "indegree", "k": 8, "weight_uS": 0.002, "delay_ms": 1}`,
		`"rule": "indegree", "k": 8, "weight_uS": 0.002, "delay_ms": 1, "stp": {"U": 0.5, "tau_rec_ms": 100, "tau_facil_ms": 0}}`, 1)
	base = buildWith(t, r, []byte(body))
	if len(axes) > 0 {
		vs = buildVariants(t, r, []byte(body), axes)
	}
	return base, vs, r
}

// TestForkEqualsSwitchedRuns: variants that differ in plasticity,
// weights and stimuli, forked from one shared warm-up, give spike for spike
// the runs in which each takes over from the base network at the end of
// its own warm-up; and the switch matters.
func TestForkEqualsSwitchedRuns(t *testing.T) {
	base, vs, _ := switchVariants(t, []Axis{
		{Path: "projections.0.stp.U", Values: []float64{0.1, 0.9}},
		{Path: "projections.0.stp.tau_rec_ms", Values: []float64{50, 800}},
		{Path: "projections.2.weight_uS", Values: []float64{0.001, 0.006}},
		{Path: "stimuli.0.weight_uS", Values: []float64{0.005, 0.02}},
	})
	const tstop, warm = 150.0, 20.0
	var alone []*RunResult
	for _, v := range vs {
		run, err := RunSurrogate(base, tstop, EngineOptions{WarmupMS: warm, Workers: 1, After: v})
		if err != nil {
			t.Fatal(err)
		}
		alone = append(alone, run)
	}
	st, err := Stack(vs)
	if err != nil {
		t.Fatal(err)
	}
	run, err := ForkSurrogate(base, st, tstop, EngineOptions{WarmupMS: warm})
	if err != nil {
		t.Fatal(err)
	}
	if run.Steps != alone[0].Steps || run.WarmupMS != warm {
		t.Errorf("fork: %d steps, warm-up %v ms; alone %d steps", run.Steps, run.WarmupMS, alone[0].Steps)
	}
	checkSplit(t, st.Split(run), alone, "forked run")
}

// TestSwitch: switching to the same network is no switch at all when no
// synapse is plastic, and restarts the plastic synapses when some are;
// networks that differ in more than weights, plasticity and stimuli, or
// that stimulate before the switch, are refused.
func TestSwitch(t *testing.T) {
	run := func(b, after *Built) []NetSpike {
		t.Helper()
		res, err := RunSurrogate(b, 100, EngineOptions{WarmupMS: 20, After: after})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Spikes) == 0 {
			t.Fatal("no spikes; the test needs an active network")
		}
		return res.Spikes
	}
	base, _, r := switchVariants(t, nil)
	if slices.Equal(run(base, nil), run(base, base)) {
		t.Errorf("switching to the same plastic network changed nothing: its synapses should restart fresh")
	}
	build := func(body string) *Built { return buildWith(t, r, []byte(body)) }
	static := build(strings.Replace(stackBase, `,
   "stp": {"U": 0.38, "tau_rec_ms": 365.6, "tau_facil_ms": 25.71}`, "", 1))
	if !slices.Equal(run(static, nil), run(static, static)) {
		t.Errorf("switching to the same static network changed the run")
	}
	for _, c := range []struct{ from, to, want string }{
		{`"p": 0.2`, `"p": 0.25`, "connections differ"},
		{`"rate_hz": 900`, `"rate_hz": 901`, "background or seed"},
		{`"seed": 3`, `"seed": 4`, "differ"},
		{`"count": 10`, `"count": 11`, "cells"},
		{`"time_ms": 60`, `"time_ms": 0`, "before the end of the warm-up"},
	} {
		other := build(strings.Replace(stackBase, c.from, c.to, 1))
		if _, err := RunSurrogate(build(stackBase), 100, EngineOptions{WarmupMS: 20, After: other}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s -> %s: error %v, want %q", c.from, c.to, err, c.want)
		}
	}
	// The reference simulator switches the same way.
	ref := func(b, after *Built) []NetSpike {
		t.Helper()
		var res *RunResult
		var err error
		if after == nil {
			res, err = RunReference(b, 60, 20, 0.025, 0, nil)
		} else {
			res, err = RunReferenceSwitched(b, after, 60, 20, 0.025, 0, nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Spikes) == 0 {
			t.Fatal("no reference spikes; the test needs an active network")
		}
		return res.Spikes
	}
	if !slices.Equal(ref(static, nil), ref(static, static)) {
		t.Errorf("reference: switching to the same static network changed the run")
	}
	if slices.Equal(ref(base, nil), ref(base, base)) {
		t.Errorf("reference: switching to the same plastic network changed nothing")
	}
	if _, err := RunReferenceSwitched(static, base, 60, 20, 0.025, 0, nil); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("reference switched to another network: %v", err)
	}
	st, _ := Stack([]*Built{static})
	if _, err := ForkSurrogate(build(stackBase), st, 100, EngineOptions{WarmupMS: 20}); err == nil || !strings.Contains(err.Error(), "variant 0") {
		t.Errorf("forking into a network that differs: %v", err)
	}
}
