package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Windows pools spike trains by window of time from the start of each
// trace: per window, the firing rates of reference and test and their F1
// at ±2 and ±5 ms over the spikes that fall in it. It shows where in a run
// a surrogate's rate and timing go wrong — the onset transient beside the
// settled rate a long run or a network sees — which a whole-trace figure
// averages away.
type Windows struct {
	edges             []float64
	ref, test, m2, m5 []int
	traces            int
}

// WindowReport is one window's pooled figures.
type WindowReport struct {
	FromMS    float64 `json:"from_ms"`
	ToMS      float64 `json:"to_ms"`
	SpikesRef int     `json:"spikes_ref"`
	SpikesSur int     `json:"spikes_sur"`
	RateRefHz float64 `json:"rate_ref_hz"`
	RateSurHz float64 `json:"rate_sur_hz"`
	// RateError is (surrogate − reference) / reference (NaN without
	// reference spikes).
	RateError float64 `json:"rate_error"`
	F1At2ms   float64 `json:"f1_2ms"`
	F1At5ms   float64 `json:"f1_5ms"`
}

// NewWindows pools by the windows [edges[i], edges[i+1]) (ms): at least two
// finite edges, increasing from 0 or later.
func NewWindows(edges []float64) (*Windows, error) {
	if len(edges) < 2 {
		return nil, fmt.Errorf("windows: %d edges; give at least two (e.g. 0,500,2000)", len(edges))
	}
	for i, e := range edges {
		if math.IsNaN(e) || math.IsInf(e, 0) || e < 0 {
			return nil, fmt.Errorf("windows: edge %v: must be a finite time >= 0", e)
		}
		if i > 0 && e <= edges[i-1] {
			return nil, fmt.Errorf("windows: edges must increase (%v after %v)", e, edges[i-1])
		}
	}
	n := len(edges) - 1
	return &Windows{edges: append([]float64(nil), edges...), ref: make([]int, n), test: make([]int, n), m2: make([]int, n), m5: make([]int, n)}, nil
}

// Add pools one trace's sorted spike times (ms from its start). Spikes
// are matched within their window: a pair split by an edge does not match.
func (w *Windows) Add(ref, test []float64) {
	cut := func(s []float64, lo, hi float64) []float64 {
		a := sort.SearchFloat64s(s, lo)
		b := sort.SearchFloat64s(s, hi)
		return s[a:b]
	}
	for i := range w.ref {
		r, t := cut(ref, w.edges[i], w.edges[i+1]), cut(test, w.edges[i], w.edges[i+1])
		m2, _ := Match(r, t, 2)
		m5, _ := Match(r, t, 5)
		w.ref[i] += len(r)
		w.test[i] += len(t)
		w.m2[i] += m2
		w.m5[i] += m5
	}
	w.traces++
}

// Report gives every window's pooled figures; rates are per trace.
func (w *Windows) Report() []WindowReport {
	f1 := func(m, nr, nt int) float64 {
		if nr == 0 && nt == 0 {
			return 1
		}
		return 2 * float64(m) / float64(nr+nt)
	}
	out := make([]WindowReport, len(w.ref))
	for i := range out {
		d := (w.edges[i+1] - w.edges[i]) / 1000 * float64(max(w.traces, 1))
		r := WindowReport{FromMS: w.edges[i], ToMS: w.edges[i+1], SpikesRef: w.ref[i], SpikesSur: w.test[i],
			RateRefHz: float64(w.ref[i]) / d, RateSurHz: float64(w.test[i]) / d, RateError: math.NaN(),
			F1At2ms: f1(w.m2[i], w.ref[i], w.test[i]), F1At5ms: f1(w.m5[i], w.ref[i], w.test[i])}
		if w.ref[i] > 0 {
			r.RateError = float64(w.test[i]-w.ref[i]) / float64(w.ref[i])
		}
		out[i] = r
	}
	return out
}
