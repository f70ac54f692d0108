package surrogate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// spikeShape is a synthetic action potential: peak 20 mV at 0.3 ms after
// the spike time, on a rest of -60 mV; burst spikes (ISI < 10 ms) peak
// lower.
func spikeShape(tau, isi float64) float64 {
	peak := 80.0
	if isi < 10 {
		peak = 60
	}
	return -60 + peak*math.Exp(-(tau-0.3)*(tau-0.3)/(2*0.2*0.2))
}

func TestFitWaveformRecoversShapes(t *testing.T) {
	const dt = 0.025
	rng := rand.New(rand.NewPCG(1, 2))
	var traces [][]float64
	var spikes [][]float64
	for range 20 {
		v := make([]float64, 4000) // 100 ms
		for k := range v {
			v[k] = -60
		}
		var sp []float64
		for ts := 5 + 10*rng.Float64(); ts < 90; {
			sp = append(sp, ts)
			if rng.IntN(2) == 0 {
				ts += 5 + rng.Float64() // a burst
			} else {
				ts += 15 + 10*rng.Float64()
			}
		}
		prev := math.Inf(-1)
		for _, ts := range sp {
			isi := ts - prev
			prev = ts
			for k := range v {
				if tau := float64(k)*dt - ts; tau > -1 && tau < 2 {
					v[k] = spikeShape(tau, isi)
				}
			}
		}
		traces, spikes = append(traces, v), append(spikes, sp)
	}
	w, err := FitWaveform(traces, dt, spikes, -1, 0.05, 3, 0.25, []float64{10}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if w.Counts[0] < 20 || w.Counts[1] < 20 || w.Pooled[0] || w.Pooled[1] {
		t.Fatalf("counts %v, pooled %v: want both classes filled", w.Counts, w.Pooled)
	}
	// A class too rare for its own shape gets the mean of all spikes.
	rare, err := FitWaveform(traces, dt, spikes, -1, 0.05, 3, 0.25, []float64{10}, 10000)
	if err != nil {
		t.Fatal(err)
	}
	if !rare.Pooled[0] || !rare.Pooled[1] || rare.Counts[0] != w.Counts[0] || rare.Shapes[0][26] != rare.Shapes[1][26] {
		t.Fatalf("with a minimum of 10000 spikes: pooled %v, counts %v", rare.Pooled, rare.Counts)
	}
	if p := rare.Shapes[0][26]; !(p < w.Shapes[1][26] && p > w.Shapes[0][26]) {
		t.Fatalf("pooled peak %g mV, want between the classes' %g and %g", p, w.Shapes[0][26], w.Shapes[1][26])
	}
	for c, isi := range []float64{5, 20} {
		for g, x := range w.Shapes[c] {
			tau := w.StartMS + float64(g)*w.StepMS
			if tau > 1.9 {
				break // the next spike's shape may begin after 2 ms of a burst
			}
			// linear interpolation between 0.025 ms samples of a
			// 0.2 ms Gaussian: within 0.6 mV
			if want := spikeShape(tau, isi); math.Abs(x-want) > 0.6 {
				t.Fatalf("class %d at %g ms: %g, want %g", c, tau, x, want)
			}
		}
	}

	// Drawn on a flat readout at the shapes' resting value, at other spike
	// times, the waveform gives the shapes back, here on a coarser grid.
	const coarse = 0.1
	v := make([]float64, 500)
	for k := range v {
		v[k] = -60
	}
	sp := []float64{10.03, 15.51, 40.27}
	w.Draw(v, coarse, sp)
	for k, x := range v {
		t0 := float64(k) * coarse
		want := -60.0
		for i, ts := range sp {
			tau := t0 - ts
			isi := 100.0
			if i == 1 {
				isi = 5.48
			}
			if tau >= w.StartMS+w.FadeMS && tau <= w.StartMS+w.SpanMS()-w.FadeMS {
				want = spikeShape(tau, isi)
			}
		}
		// two linear interpolations (0.025 then 0.05 ms) of the peak: within 1 mV
		if math.Abs(x-want) > 1 && !inFade(w, t0, sp) {
			t.Fatalf("drawn at %g ms: %g, want %g", t0, x, want)
		}
	}
	// Outside every span nothing changes.
	if v[0] != -60 || v[300] != -60 {
		t.Fatalf("drawn outside the spans: %g, %g", v[0], v[300])
	}
}

// inFade says whether t lies in a fade of some spike's span.
func inFade(w *Waveform, t float64, sp []float64) bool {
	for _, ts := range sp {
		tau := t - ts
		if (tau >= w.StartMS && tau < w.StartMS+w.FadeMS) || (tau > w.StartMS+w.SpanMS()-w.FadeMS && tau <= w.StartMS+w.SpanMS()) {
			return true
		}
	}
	return false
}

func TestWaveformValidate(t *testing.T) {
	good := func() *Waveform {
		return &Waveform{StartMS: -1, StepMS: 0.1, FadeMS: 0.2, ISIEdgesMS: []float64{10}, Shapes: [][]float64{{1, 2, 3, 4, 5}, {1, 2, 3, 4, 5}}, Counts: []int{3, 4}}
	}
	if err := good().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		edit func(w *Waveform)
		want string
	}{
		{"step", func(w *Waveform) { w.StepMS = 0 }, "step_ms"},
		{"classes", func(w *Waveform) { w.ISIEdgesMS = nil }, "shapes"},
		{"edges", func(w *Waveform) { w.ISIEdgesMS = []float64{-1} }, "isi_edges_ms"},
		{"fade", func(w *Waveform) { w.FadeMS = 0.3 }, "fade_ms"},
		{"ragged", func(w *Waveform) { w.Shapes[1] = w.Shapes[1][:3] }, "points"},
		{"pooled", func(w *Waveform) { w.Pooled = []bool{true} }, "pooled"},
		{"nan", func(w *Waveform) { w.Shapes[0][2] = math.NaN() }, "non-finite"},
	} {
		w := good()
		c.edit(w)
		if err := w.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one naming %q", c.name, err, c.want)
		}
	}
	if _, err := FitWaveform([][]float64{make([]float64, 10)}, 0.025, [][]float64{nil}, -1, 0.05, 3, 0.25, nil, 1); err == nil {
		t.Error("a fit without spikes: no error")
	}
	if _, err := FitWaveform([][]float64{make([]float64, 10)}, 0.025, [][]float64{{0.1}}, -1, 0, 3, 0.25, nil, 1); err == nil {
		t.Error("a fit with step 0: no error")
	}
	// Draw leaves samples without a value alone.
	v := []float64{math.NaN(), -60, -60, -60}
	good().Draw(v, 0.1, []float64{1}) // its span: 0 to 0.4 ms
	if !math.IsNaN(v[0]) || v[1] == -60 {
		t.Errorf("drawn: %v, want sample 0 NaN and the shape after it", v)
	}
}

// TestResample: 0.5 ms samples interpolated to a 0.025 ms step keep every
// sample where the grids meet, lie on the line between neighbours, and
// hold the last value past the end.
func TestResample(t *testing.T) {
	got := Resample([]float64{-60, -50, 10, -70}, 0.5, 0.025, 80)
	for _, tc := range []struct {
		i    int
		want float64
	}{{0, -60}, {20, -50}, {40, 10}, {60, -70}, {10, -55}, {30, -20}, {35, -5}, {70, -70}, {79, -70}} {
		if math.Abs(got[tc.i]-tc.want) > 1e-9 {
			t.Errorf("sample %d (%g ms): %g, want %g", tc.i, float64(tc.i)*0.025, got[tc.i], tc.want)
		}
	}
}
