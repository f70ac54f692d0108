package infer

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
)

// stackBase is a two-population hh network with plasticity, a volley and
// a Poisson burst; the sweep tests vary its numbers.
const stackBase = `{"name": "stack", "seed": 3, "warmup_ms": 20,
 "populations": [
  {"name": "E", "cell": "hh", "model": "hh", "count": 40, "background": [{"synapse": "exc", "rate_hz": 900, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]},
  {"name": "I", "cell": "hh", "model": "hh", "count": 10, "background": [{"class": "exc", "rate_hz": 1000, "weight_uS": 0.0015}]}
 ],
 "projections": [
  {"from": "E", "to": "E", "synapse": "exc", "rule": "probability", "p": 0.2, "weight_uS": 0.004, "delay_ms": {"dist": "uniform", "min": 1, "max": 4},
   "stp": {"U": 0.38, "tau_rec_ms": 365.6, "tau_facil_ms": 25.71}},
  {"from": "E", "to": "I", "synapse": "exc", "rule": "indegree", "k": 8, "weight_uS": 0.002, "delay_ms": 1},
  {"from": "I", "to": "E", "synapse": "inh", "rule": "probability", "p": 0.3, "weight_uS": 0.003, "delay_ms": 1.5}
 ],
 "stimuli": [
  {"population": "E", "synapse": "exc", "time_ms": 60, "jitter_ms": 1, "weight_uS": 0.01, "fraction": 0.5},
  {"population": "I", "class": "exc", "rate_hz": 200, "start_ms": 100, "stop_ms": 130, "weight_uS": 0.002}
 ]}`

// TestStackEqualsSeparateRuns: variants that differ in seed, plasticity,
// background and connection probability, stacked into one engine pass,
// give each variant's own run spike for spike.
func TestStackEqualsSeparateRuns(t *testing.T) {
	axes := []Axis{
		{Path: "seed", Values: []float64{3, 11}},
		{Path: "projections.0.stp.U", Values: []float64{0.1, 0.9}},
		{Path: "populations.0.background.0.rate_hz", Values: []float64{600, 1200}},
		{Path: "projections.2.p", Values: []float64{0, 0.5}},
	}
	vs := buildVariants(t, &CachedResolver{R: artifacts.Resolver{}}, []byte(stackBase), axes)
	var alone []*RunResult
	for _, b := range vs {
		run, err := RunSurrogate(b, 150, EngineOptions{WarmupMS: b.Net.WarmupMS, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		alone = append(alone, run)
	}
	st, err := Stack(vs)
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunSurrogate(st.Built, 150, EngineOptions{WarmupMS: 20})
	if err != nil {
		t.Fatal(err)
	}
	checkSplit(t, st.Split(run), alone, "stacked run")
}

// checkSplit: every variant's part of a stacked run is, spike for spike,
// its run alone, active, and the variants' runs all differ.
func checkSplit(t *testing.T, split, alone []*RunResult, what string) {
	t.Helper()
	distinct := map[string]bool{}
	for v, got := range split {
		want := alone[v].Spikes
		if len(want) == 0 {
			t.Fatalf("variant %d: no spikes; the test needs active networks", v)
		}
		if !slices.Equal(got.Spikes, want) {
			t.Fatalf("variant %d: %s has %d spikes, alone %d; first difference at %d", v, what, len(got.Spikes), len(want), firstDiff(got.Spikes, want))
		}
		distinct[fmt.Sprint(want)] = true
	}
	if len(distinct) != len(split) {
		t.Fatalf("only %d distinct runs among %d variants: the axes must matter", len(distinct), len(split))
	}
}

func firstDiff(a, b []NetSpike) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestStackRefuses: networks with different models or layouts do not
// stack.
func TestStackRefuses(t *testing.T) {
	r := &CachedResolver{R: artifacts.Resolver{}}
	build := func(body string) *Built {
		t.Helper()
		net, err := ParseNetwork("s.json", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Build(net, r)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a := build(stackBase)
	one := build(`{"name": "one", "seed": 1, "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 3}]}`)
	other := build(`{"name": "bs", "seed": 1, "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 3}, {"name": "F", "cell": "hh", "model": "hh", "count": 3}]}`)
	bg := build(`{"name": "one", "seed": 1, "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 3, "background": [{"synapse": "exc", "rate_hz": 5, "weight_uS": 0.001}]}]}`)
	for _, tc := range [][]*Built{{a, one}, {one, other}, {one, bg}, {}} {
		if _, err := Stack(tc); err == nil {
			t.Errorf("stacked %d networks that differ", len(tc))
		}
	}
	if _, err := Stack([]*Built{one, one}); err != nil {
		t.Errorf("two copies of one network: %v", err)
	}
}

// TestBackgroundCalendar: the engine visits background streams only when
// their calendar says an event is due; every event of every stream must
// still arrive exactly once, at its time, whether gaps are far shorter
// than a step or far longer than the calendar's span.
func TestBackgroundCalendar(t *testing.T) {
	body := `{"name": "cal", "seed": 5, "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 6, "background": [
	  {"synapse": "exc", "rate_hz": 0.7, "weight_uS": 0}, {"synapse": "inh", "rate_hz": 40, "weight_uS": 0}, {"class": "exc", "rate_hz": 9000, "weight_uS": 0}]}]}`
	net, err := ParseNetwork("cal.json", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(net, artifacts.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	const tstop = 4000.0
	if tstop/b.SampleDT < 3*calendarSteps {
		t.Fatalf("run of %g steps does not wrap the calendar", tstop/b.SampleDT)
	}
	cells := []int{0, 1, 2, 3, 4, 5}
	run, err := RunSurrogate(b, tstop, EngineOptions{Record: cells, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	p := b.Pops[0]
	for _, c := range cells {
		var want []float64
		for si, spec := range p.parts[0].bg {
			for q := range spec.syns {
				rng := newStreamRNG(net.Seed, 2, 0, uint64(si), uint64(c), uint64(q))
				for x := rng.exp() * 1000 / spec.rateHz; x < tstop; x += rng.exp() * 1000 / spec.rateHz {
					want = append(want, x)
				}
			}
		}
		slices.Sort(want)
		var got []float64
		for _, e := range run.Inputs[c] {
			got = append(got, e.TimeMS)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("cell %d: %d background events arrived, %d drawn", c, len(got), len(want))
		}
	}
}

// TestStackMemory: networks that each fit but together exceed the memory
// limit are refused before anything is allocated for the stack.
func TestStackMemory(t *testing.T) {
	net, err := ParseNetwork("s.json", []byte(stackBase))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(net, &CachedResolver{R: artifacts.Resolver{}})
	if err != nil {
		t.Fatal(err)
	}
	old := MemoryLimit
	defer func() { MemoryLimit = old }()
	MemoryLimit = int64(b.bytes * 2.5)
	if _, err := Stack([]*Built{b, b}); err != nil {
		t.Fatalf("two fit: %v", err)
	}
	if _, err := Stack([]*Built{b, b, b}); err == nil || !strings.Contains(err.Error(), "--batch-cells") {
		t.Fatalf("three do not fit: %v", err)
	}
}

// TestScheduleStep: an event is filed under the step the engine's own
// test (t < (k+1)·dt) makes it due in, also where floor(t/dt) is one too
// many (t = 123.3, dt = 0.1: 123.3 < 1233 × 0.1 = 123.30000000000001).
func TestScheduleStep(t *testing.T) {
	for _, tc := range []struct {
		t, dt float64
		from  int
	}{
		{123.3, 0.1, 0}, {424.7, 0.1, 0}, {1.7, 0.1, 0}, {2.5, 0.5, 0}, {2.4999, 0.5, 0}, {0.7, 0.1, 9}, {5000, 0.5, 3},
	} {
		ch := &chunk{due: make([][]int32, calendarSteps)}
		ch.schedule(7, tc.t, tc.from, tc.dt)
		want := tc.from
		for float64(want+1)*tc.dt <= tc.t && want < tc.from+calendarSteps-1 {
			want++
		}
		if got := ch.due[want%calendarSteps]; len(got) != 1 {
			t.Errorf("t %g, dt %g, from %d: not filed under step %d", tc.t, tc.dt, tc.from, want)
		}
	}
}

// TestSilentBackground: a background at 0 Hz is allowed and sends nothing.
func TestSilentBackground(t *testing.T) {
	net, err := ParseNetwork("z.json", []byte(`{"name": "z", "seed": 1, "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 3,
	  "background": [{"synapse": "exc", "rate_hz": 0, "weight_uS": 0.01}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(net, artifacts.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	run, err := RunSurrogate(b, 50, EngineOptions{Record: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Inputs[0]) != 0 || len(run.Spikes) != 0 {
		t.Fatalf("%d inputs, %d spikes from a silent background", len(run.Inputs[0]), len(run.Spikes))
	}
}

// TestCachedResolverChecks: a cached resolver remembers whether a model
// fits a cell, and a misfit stays refused on every build.
func TestCachedResolverChecks(t *testing.T) {
	r := &CachedResolver{R: artifacts.Resolver{}}
	for _, c := range []struct{ cell, want string }{{"ballstick", "trained for cell"}, {"hh", ""}, {"ballstick", "trained for cell"}, {"hh", ""}} {
		net, err := ParseNetwork("c.json", []byte(`{"name": "c", "seed": 1, "populations": [{"name": "E", "cell": "`+c.cell+`", "model": "hh", "count": 2}]}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = Build(net, r)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("model hh on cell %s: %v, want %q", c.cell, err, c.want)
		}
	}
	if len(r.fits) != 2 {
		t.Errorf("%d pairs checked, want 2", len(r.fits))
	}
}
