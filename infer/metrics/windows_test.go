package metrics

import (
	"math"
	"strings"
	"testing"
)

func TestWindows(t *testing.T) {
	w, err := NewWindows([]float64{0, 100, 200})
	if err != nil {
		t.Fatal(err)
	}
	// Trace 1: in [0, 100) one pair within 2 ms and one 8 ms apart; in
	// [100, 200) a pair split by nothing but 49.5 ms; a spike past the last
	// edge is left out.
	w.Add([]float64{10, 50, 150}, []float64{11, 58, 199.5, 250})
	// Trace 2: a pair 1 ms apart across the edge at 100 does not match; one
	// pair 4 ms apart matches at ±5 ms only.
	w.Add([]float64{99.5, 120}, []float64{100.5, 124})
	got := w.Report()
	want := []WindowReport{
		{FromMS: 0, ToMS: 100, SpikesRef: 3, SpikesSur: 2, RateRefHz: 15, RateSurHz: 10, RateError: -1.0 / 3, F1At2ms: 2.0 / 5, F1At5ms: 2.0 / 5},
		{FromMS: 100, ToMS: 200, SpikesRef: 2, SpikesSur: 3, RateRefHz: 10, RateSurHz: 15, RateError: 0.5, F1At2ms: 0, F1At5ms: 2.0 / 5},
	}
	for i := range want {
		g, x := got[i], want[i]
		if g.FromMS != x.FromMS || g.ToMS != x.ToMS || g.SpikesRef != x.SpikesRef || g.SpikesSur != x.SpikesSur ||
			math.Abs(g.RateRefHz-x.RateRefHz) > 1e-12 || math.Abs(g.RateSurHz-x.RateSurHz) > 1e-12 || math.Abs(g.RateError-x.RateError) > 1e-12 ||
			math.Abs(g.F1At2ms-x.F1At2ms) > 1e-12 || math.Abs(g.F1At5ms-x.F1At5ms) > 1e-12 {
			t.Errorf("window %d: %+v, want %+v", i, g, x)
		}
	}
	// A window nobody fires in: F1 1 (nothing to miss), rate error undefined.
	e, _ := NewWindows([]float64{300, 400})
	e.Add([]float64{10}, nil)
	if r := e.Report()[0]; r.F1At5ms != 1 || !math.IsNaN(r.RateError) || r.RateRefHz != 0 {
		t.Errorf("empty window: %+v", r)
	}
	for _, c := range []struct {
		edges []float64
		want  string
	}{
		{[]float64{0}, "at least two"},
		{[]float64{0, 100, 100}, "must increase"},
		{[]float64{-1, 100}, "edge -1"},
		{[]float64{0, math.Inf(1)}, "edge +Inf"},
		{[]float64{0, math.NaN()}, "edge NaN"},
	} {
		if _, err := NewWindows(c.edges); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.edges, err, c.want)
		}
	}
}
