package infer

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

func TestParsePerturbation(t *testing.T) {
	for _, tc := range []struct {
		in, want, err string
	}{
		{"bin:0.5", "bin:0.5", ""},
		{" jitter:1 ", "jitter:1", ""},
		{"drop:0.01", "drop:0.01", ""},
		{"weight:0", "weight:0", ""},
		{"swap:distance:4", "swap:distance:4", ""},
		{"merge:0.5", "merge:0.5", ""},
		{"bin:0", "", "bin width"},
		{"merge:-1", "", "bin width"},
		{"drop:1", "", "below 1"},
		{"jitter:-1", "", ">= 0"},
		{"weight:NaN", "", "finite"},
		{"drop:x", "", "finite"},
		{"shift:1", "", `unknown kind "shift"`},
		{"bin", "", "KIND:ARG"},
		{"swap:channels", "", "nothing moves"},
	} {
		p, err := ParsePerturbation(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || p.String() != tc.want):
			t.Errorf("%q: %v, %v; want %s", tc.in, p, err, tc.want)
		}
	}
	if ps, err := ParsePerturbations("bin:0.5,drop:0.1"); err != nil || len(ps) != 2 {
		t.Errorf("list: %v %v", ps, err)
	}
	if _, err := ParsePerturbations("bin:0.5,,drop:0.1"); err == nil {
		t.Error("empty list item accepted")
	}
}

func TestPerturbationApply(t *testing.T) {
	var evs []biophys.Event
	for i := 0; i < 4000; i++ {
		evs = append(evs, biophys.Event{TimeMS: float64(i) * 0.25, Syn: i % 6, WeightUS: 0.001 * float64(1+i%3)})
	}
	groups := [][]int{{0, 1, 2}, {3, 4}, {5}}
	apply := func(s string) []biophys.Event {
		p, err := ParsePerturbation(s)
		if err != nil {
			t.Fatal(err)
		}
		out := p.Apply(evs, groups, rand.New(rand.NewPCG(7, 8)))
		for i := 1; i < len(out); i++ {
			if out[i].TimeMS < out[i-1].TimeMS {
				t.Fatalf("%s: events out of time order at %d", s, i)
			}
		}
		return out
	}
	same := func(a, b []biophys.Event) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	for _, s := range []string{"jitter:0", "drop:0", "weight:0"} {
		if !same(apply(s), evs) {
			t.Errorf("%s changed the events", s)
		}
	}
	for _, e := range apply("bin:0.5") {
		if f := math.Mod(e.TimeMS, 0.5); math.Abs(f-0.25) > 1e-9 {
			t.Fatalf("bin:0.5 left an event at %v", e.TimeMS)
		}
	}
	if n := len(apply("drop:0.25")); n < 2800 || n > 3200 {
		t.Errorf("drop:0.25 kept %d of 4000", n)
	}
	j := apply("jitter:1")
	moved := 0
	for i := range j {
		if j[i].TimeMS != evs[i].TimeMS {
			moved++
		}
	}
	if moved < 3000 || j[0].TimeMS < 0 {
		t.Errorf("jitter:1 moved %v of 4000 events (first at %v)", moved, j[0].TimeMS)
	}
	w := apply("weight:0.1")
	scale := map[int]float64{}
	for i, e := range w {
		s := e.WeightUS / evs[i].WeightUS
		if old, ok := scale[e.Syn]; ok && math.Abs(old-s) > 1e-12 {
			t.Fatalf("weight:0.1 scaled synapse %d by %v and %v", e.Syn, old, s)
		}
		scale[e.Syn] = s
	}
	if len(scale) != 6 || scale[0] == 1 || scale[0] == scale[1] {
		t.Errorf("weight:0.1 factors %v", scale)
	}
	group := map[int]int{0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 2}
	for i, e := range apply("swap:g") {
		o := evs[i]
		if e.TimeMS != o.TimeMS || e.WeightUS != o.WeightUS || group[e.Syn] != group[o.Syn] || (o.Syn != 5) == (e.Syn == o.Syn) {
			t.Fatalf("swap moved %+v to %+v", o, e)
		}
	}
}

// TestSensitivity: no perturbation gives a perfect match; dropping half the
// events does not; the result does not depend on the number of workers.
func TestSensitivity(t *testing.T) {
	c, err := artifacts.LoadCell("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	var inputs [][]biophys.Event
	for _, f := range []string{"testdata/eval/hh/ev0.csv.gz", "testdata/eval/hh/ev1.csv.gz"} {
		evs, err := biophys.ReadEventsFile(f, c)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, evs)
	}
	ps, err := ParsePerturbations("drop:0,drop:0.5,jitter:0.5")
	if err != nil {
		t.Fatal(err)
	}
	job := SensitivityJob{Cell: c, Inputs: inputs, Perturbations: ps, TstopMS: 400, DtMS: 0.025, SampleDT: 0.5, Seed: 3, Workers: 1}
	calls := 0
	job.Progress = func(done, total int) { calls++ }
	r1, err := Sensitivity(job)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 8 {
		t.Errorf("progress called %d times, want 8", calls)
	}
	if r1[0].F1At2ms != 1 || r1[0].RMSESubMV != 0 || r1[0].RateRefHz == 0 {
		t.Errorf("unperturbed: %+v", r1[0])
	}
	if r1[1].F1At2ms > 0.8 || r1[1].SpikesSur == r1[1].SpikesRef {
		t.Errorf("half the events dropped: %+v", r1[1])
	}
	job.Workers, job.Progress = 2, nil
	r2, err := Sensitivity(job)
	if err != nil {
		t.Fatal(err)
	}
	for q := range r1 {
		if r1[q] != r2[q] {
			t.Errorf("%s: 1 worker %+v, 2 workers %+v", ps[q], r1[q], r2[q])
		}
	}
	job.Perturbations = []Perturbation{{Kind: "swap", Groups: "prefix"}}
	if _, err := Sensitivity(job); err == nil || !strings.Contains(err.Error(), "no synapse groups") {
		t.Errorf("swap without groups: %v", err)
	}
	job.Groups = map[string][][]int{"prefix": {{0}, {1}}}
	if _, err := Sensitivity(job); err == nil || !strings.Contains(err.Error(), "single synapse") {
		t.Errorf("swap among single synapses: %v", err)
	}
}

// TestMergedEvents: per synapse and bin one event of the summed weight at
// the weighted mean time, which is what the plain and timing inputs of a
// model carry: binning the merged events gives the same model inputs.
func TestMergedEvents(t *testing.T) {
	evs := []biophys.Event{
		{TimeMS: 0.1, Syn: 0, WeightUS: 0.001}, {TimeMS: 0.2, Syn: 1, WeightUS: 0.002}, {TimeMS: 0.4, Syn: 0, WeightUS: 0.003},
		{TimeMS: 0.6, Syn: 0, WeightUS: 0.002}, {TimeMS: 0.7, Syn: 0, WeightUS: 0}, {TimeMS: 0.99, Syn: 1, WeightUS: 0.001},
	}
	got := MergedEvents(evs, 0.5)
	want := []biophys.Event{{TimeMS: 0.2, Syn: 1, WeightUS: 0.002}, {TimeMS: 0.325, Syn: 0, WeightUS: 0.004}, {TimeMS: 0.6, Syn: 0, WeightUS: 0.002}, {TimeMS: 0.99, Syn: 1, WeightUS: 0.001}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Syn != want[i].Syn || math.Abs(got[i].TimeMS-want[i].TimeMS) > 1e-12 || math.Abs(got[i].WeightUS-want[i].WeightUS) > 1e-12 {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	// The same model inputs from the events and from their merge.
	tm, err := surrogate.Load(wholeBinModel)
	if err != nil {
		t.Fatal(err)
	}
	cell, err := artifacts.LoadCell("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	m := withoutTiming(t, tm)
	rng := rand.New(rand.NewPCG(3, 4))
	var many []biophys.Event
	for i := 0; i < 3000; i++ {
		many = append(many, biophys.Event{TimeMS: 1000 * rng.Float64(), Syn: rng.IntN(2), WeightUS: 0.001 + 0.003*rng.Float64()})
	}
	many = biophys.MergeEvents(many)
	a, _ := BinInputs(tm, cell, many, 2000)
	b, _ := BinInputs(tm, cell, MergedEvents(many, 0.5), 2000)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			t.Fatalf("input %d: %g from the events, %g from their merge", i, a[i], b[i])
		}
	}
	if seen, what := FloorInput(tm, cell, many); len(seen) >= len(many) || !strings.Contains(what, "merged") || strings.Contains(what, "without") {
		t.Errorf("floor input of a timing model: %d of %d events, %q", len(seen), len(many), what)
	}
	// With sub-bins, the merge is per sub-bin.
	split, err := tm.SplitSubBins(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _ = BinInputs(split, cell, many, 2000)
	b, _ = BinInputs(split, cell, MergedEvents(many, 0.25), 2000)
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-6 {
			t.Fatalf("sub-bin input %d: %g from the events, %g from their merge", i, a[i], b[i])
		}
	}
	c, _ := BinInputs(split, cell, MergedEvents(many, 0.5), 2000)
	if slices.Equal(a, c) {
		t.Error("sub-bin inputs do not tell events merged per 0.5 ms from the events")
	}
	if seen, what := FloorInput(split, cell, many); !strings.Contains(what, "0.25 ms") || len(seen) <= len(MergedEvents(many, 0.5)) {
		t.Errorf("floor input of a sub-bin model: %d events, %q", len(seen), what)
	}
	if seen, what := FloorInput(m, cell, many); len(seen) != len(many) || !strings.Contains(what, "binned") {
		t.Errorf("floor input of a plain model: %d of %d events, %q", len(seen), len(many), what)
	}
	// Timing for exc only: inh events are binned, not merged.
	pm := m.AddTiming(func(c string) bool { return c == "exc" })
	seen, what := FloorInput(pm, cell, many)
	if !strings.Contains(what, "without timing input") {
		t.Errorf("partly timed model's floor: %q", what)
	}
	inh := 0
	for _, e := range seen {
		if e.Syn == 1 {
			inh++
			if k := math.Floor(e.TimeMS / 0.5); math.Abs(e.TimeMS-(k+0.5)*0.5) > 1e-12 {
				t.Fatalf("inh event at %g: not binned", e.TimeMS)
			}
		}
	}
	nInh := 0
	for _, e := range many {
		if e.Syn == 1 {
			nInh++
		}
	}
	if inh != nInh {
		t.Errorf("partly timed floor has %d inh events, want all %d", inh, nInh)
	}
}
