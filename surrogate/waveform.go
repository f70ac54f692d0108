package surrogate

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Waveform is an output's mean course around a spike, by class of the
// time since the cell's previous spike (ISI): the action potential of a
// Vm output, or the current that makes it. A model's output readout gives
// the slow part of such a quantity; Draw adds the fast part at every spike
// the model predicts, so that the output shows action potentials with the
// reference's mean shape (fitted by train --waveforms from reference runs
// at the simulation step).
//
// Shape c holds the value at offsets StartMS + i·StepMS from the spike
// time, for spikes whose ISI falls in [ISIEdgesMS[c-1], ISIEdgesMS[c])
// (edge −1 is 0); the last class, ISI ≥ the last edge, also holds a cell's
// first spike.
type Waveform struct {
	StartMS    float64     `json:"start_ms"`
	StepMS     float64     `json:"step_ms"`
	FadeMS     float64     `json:"fade_ms"` // blend from the readout to the shape and back at each end
	ISIEdgesMS []float64   `json:"isi_edges_ms"`
	Shapes     [][]float64 `json:"shapes"`
	Counts     []int       `json:"counts"`           // the class's own spikes
	Pooled     []bool      `json:"pooled,omitempty"` // classes too rare for their own shape: they have the mean of all spikes
}

// Validate checks a waveform read from a model file.
func (w *Waveform) Validate() error {
	if !(w.StepMS > 0) || math.IsInf(w.StepMS, 0) || math.IsNaN(w.StartMS) || math.IsInf(w.StartMS, 0) {
		return fmt.Errorf("waveform: step_ms %v must be > 0 and start_ms %v finite", w.StepMS, w.StartMS)
	}
	if len(w.Shapes) != len(w.ISIEdgesMS)+1 || len(w.Counts) != len(w.Shapes) || (w.Pooled != nil && len(w.Pooled) != len(w.Shapes)) {
		return fmt.Errorf("waveform: %d shapes, %d counts and %d pooled flags for %d ISI edges (want edges + 1 of each)", len(w.Shapes), len(w.Counts), len(w.Pooled), len(w.ISIEdgesMS))
	}
	for i, e := range w.ISIEdgesMS {
		if !(e > 0) || math.IsInf(e, 0) || (i > 0 && !(e > w.ISIEdgesMS[i-1])) {
			return fmt.Errorf("waveform: isi_edges_ms %v must be positive, finite and increasing", w.ISIEdgesMS)
		}
	}
	n := len(w.Shapes[0])
	if n < 2 {
		return fmt.Errorf("waveform: shapes need at least 2 points")
	}
	if !(w.FadeMS >= 0) || 2*w.FadeMS > float64(n-1)*w.StepMS {
		return fmt.Errorf("waveform: fade_ms %v must be >= 0 and at most half the shape's span", w.FadeMS)
	}
	for c, s := range w.Shapes {
		if len(s) != n {
			return fmt.Errorf("waveform: shape %d has %d points, shape 0 %d", c, len(s), n)
		}
		for _, x := range s {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("waveform: shape %d holds a non-finite value", c)
			}
		}
	}
	return nil
}

// SpanMS is the time the shapes cover after StartMS.
func (w *Waveform) SpanMS() float64 { return float64(len(w.Shapes[0])-1) * w.StepMS }

// class is the shape of a spike isi ms after the previous one (+Inf for
// the first).
func (w *Waveform) class(isi float64) int {
	return sort.Search(len(w.ISIEdgesMS), func(i int) bool { return w.ISIEdgesMS[i] > isi })
}

// at is shape c at offset tau from the spike time (linear between
// points).
func (w *Waveform) at(c int, tau float64) float64 {
	return interp(w.Shapes[c], (tau-w.StartMS)/w.StepMS)
}

// Resample interpolates v (samples every dt ms from t = 0) linearly to n
// samples every fine ms, holding the end values beyond v.
func Resample(v []float64, dt, fine float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = interp(v, float64(i)*fine/dt)
	}
	return out
}

// interp is s at fractional index x, held beyond its ends.
func interp(s []float64, x float64) float64 {
	i := int(math.Floor(x))
	if i < 0 {
		return s[0]
	}
	if i >= len(s)-1 {
		return s[len(s)-1]
	}
	f := x - float64(i)
	return s[i] + f*(s[i+1]-s[i])
}

// weight is how much of the shape replaces the readout at offset tau:
// 0 outside the span, 1 inside it beyond the fades, a raised cosine across
// each fade.
func (w *Waveform) weight(tau float64) float64 {
	a, b := tau-w.StartMS, w.StartMS+w.SpanMS()-tau
	if a < 0 || b < 0 {
		return 0
	}
	d := min(a, b)
	if w.FadeMS == 0 || d >= w.FadeMS {
		return 1
	}
	return 0.5 - 0.5*math.Cos(math.Pi*d/w.FadeMS)
}

// Draw blends the waveform into v (samples every dt ms from t = 0) at
// each spike time (ms, increasing), in place: within a spike's span v
// becomes the shape of its ISI class, faded in and out. A spike's shape
// covers the spikes before it where their spans overlap (as its shape,
// averaged over reference spikes, already holds their course).
func (w *Waveform) Draw(v []float64, dt float64, spikes []float64) {
	prev := math.Inf(-1)
	for _, ts := range spikes {
		c := w.class(ts - prev)
		prev = ts
		k0 := max(0, int(math.Ceil((ts+w.StartMS)/dt)))
		k1 := min(len(v)-1, int(math.Floor((ts+w.StartMS+w.SpanMS())/dt)))
		for k := k0; k <= k1; k++ {
			if math.IsNaN(v[k]) {
				continue // no value there (a trace's sample 0 before any prediction)
			}
			tau := float64(k)*dt - ts
			switch a := w.weight(tau); {
			case a == 1:
				v[k] = w.at(c, tau)
			case a > 0:
				v[k] += a * (w.at(c, tau) - v[k])
			}
		}
	}
}

// FitWaveform averages traces (each sampled every dt ms from t = 0) around
// their spikes (spikes[i] for trace i, increasing) on the grid of StartMS,
// StepMS over spanMS, by the ISI classes of edgesMS. A spike whose span
// leaves its trace is not used. A class with fewer than minCount spikes
// gets the mean of all spikes (Pooled). Samples between grid points are
// linearly interpolated, so a grid finer than dt is allowed but only
// meaningful with dt at the simulation step.
func FitWaveform(traces [][]float64, dt float64, spikes [][]float64, startMS, stepMS, spanMS, fadeMS float64, edgesMS []float64, minCount int) (*Waveform, error) {
	if !(stepMS > 0) || !(spanMS >= stepMS) || !(dt > 0) || math.IsInf(spanMS, 0) {
		return nil, fmt.Errorf("waveform: step %v ms, span %v ms and sample step %v ms must be positive, the span at least one step", stepMS, spanMS, dt)
	}
	n := int(math.Round(spanMS/stepMS)) + 1
	w := &Waveform{StartMS: startMS, StepMS: stepMS, FadeMS: fadeMS, ISIEdgesMS: slices.Clone(edgesMS)}
	nc := len(edgesMS) + 1
	if len(traces) != len(spikes) {
		return nil, fmt.Errorf("waveform: %d traces and %d spike lists", len(traces), len(spikes))
	}
	sum := make([][]float64, nc+1) // the last: all spikes
	for c := range sum {
		sum[c] = make([]float64, n)
	}
	counts := make([]int, nc+1)
	for i, v := range traces {
		prev := math.Inf(-1)
		for _, ts := range spikes[i] {
			c := w.class(ts - prev)
			prev = ts
			lo, hi := ts+startMS, ts+startMS+float64(n-1)*stepMS
			if lo < 0 || hi > float64(len(v)-1)*dt {
				continue
			}
			for g := range n {
				y := interp(v, (lo+float64(g)*stepMS)/dt)
				sum[c][g] += y
				sum[nc][g] += y
			}
			counts[c]++
			counts[nc]++
		}
	}
	if counts[nc] == 0 {
		return nil, fmt.Errorf("waveform: no spike to average (%d traces)", len(traces))
	}
	w.Shapes, w.Counts, w.Pooled = make([][]float64, nc), counts[:nc], make([]bool, nc)
	for c := range nc {
		src := c
		if counts[c] < max(1, minCount) {
			src, w.Pooled[c] = nc, true
		}
		w.Shapes[c] = make([]float64, n)
		for g := range n {
			w.Shapes[c][g] = sum[src][g] / float64(counts[src])
		}
	}
	return w, w.Validate()
}
