package infer

import (
	"math"
	"testing"
)

// TestSpikeShapes: triangular spikes of known peak and half-width are
// measured as such; the surrogate's are compared spike for spike; a spike
// without a partner within 2 ms is left out.
func TestSpikeShapes(t *testing.T) {
	const dt = 0.1
	n := 2000
	spike := func(v []float64, t0, peak, halfW float64) {
		// a triangle from -65 mV: half its height is crossed halfW apart
		base := 2 * halfW / 2 // half of the full base width (= halfW)
		for k := range v {
			d := math.Abs(float64(k)*dt - t0)
			if d < base {
				v[k] = math.Max(v[k], -65+(peak+65)*(1-d/base))
			}
		}
	}
	ref, sur := make([]float64, n), make([]float64, n)
	for k := range ref {
		ref[k], sur[k] = -65, -65
	}
	spike(ref, 50, 30, 1.0)
	spike(sur, 50.5, 20, 1.4)
	spike(ref, 120, 30, 1.0)
	spike(sur, 125, 30, 1.0) // 5 ms off: not matched
	s := CompareSpikeShapes(ref, sur, dt, []float64{50, 120}, []float64{50.5, 125}, "vm")
	if s.Matched != 1 {
		t.Fatalf("%d matched, want 1", s.Matched)
	}
	if math.Abs(s.PeakRefMV-30) > 1e-9 || math.Abs(s.PeakSurMV-20) > 1e-9 || math.Abs(s.PeakErrMV-10) > 1e-9 {
		t.Errorf("peaks %v / %v, error %v; want 30 / 20, 10", s.PeakRefMV, s.PeakSurMV, s.PeakErrMV)
	}
	if math.Abs(s.HalfWidthRefMS-1.0) > 1e-6 || math.Abs(s.HalfWidthSurMS-1.4) > 1e-6 || math.Abs(s.HalfWidthErrMS-0.4) > 1e-6 {
		t.Errorf("half-widths %v / %v, error %v; want 1.0 / 1.4, 0.4", s.HalfWidthRefMS, s.HalfWidthSurMS, s.HalfWidthErrMS)
	}
	if e := CompareSpikeShapes(ref, sur, dt, nil, nil, "vm"); e.Matched != 0 || !math.IsNaN(e.PeakErrMV) {
		t.Errorf("no spikes: %+v", e)
	}
}
