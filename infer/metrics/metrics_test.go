package metrics

import (
	"math"
	"testing"
)

func TestScore(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ref, test []float64
		w         float64
		matched   int
		f1        float64
	}{
		{"identical", []float64{10, 20, 30}, []float64{10, 20, 30}, 2, 3, 1},
		{"within window", []float64{10, 20, 30}, []float64{11.5, 18.1, 30}, 2, 3, 1},
		{"outside window", []float64{10, 20}, []float64{12.5, 20}, 2, 1, 0.5},
		{"one-to-one", []float64{10}, []float64{9.5, 10.5}, 2, 1, 2.0 / 3},
		{"extra and missing", []float64{10, 50}, []float64{10, 30}, 2, 1, 0.5},
		{"both empty", nil, nil, 2, 0, 1},
		{"none predicted", []float64{5}, nil, 2, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := Score(tc.ref, tc.test, tc.w)
			if s.Matched != tc.matched || math.Abs(s.F1-tc.f1) > 1e-12 {
				t.Errorf("matched %d F1 %g, want %d %g", s.Matched, s.F1, tc.matched, tc.f1)
			}
		})
	}
}

func TestGamma(t *testing.T) {
	ref := []float64{100, 200, 300, 400, 500}
	if g := Gamma(ref, ref, 2, 1000); math.Abs(g-1) > 1e-12 {
		t.Errorf("Γ of identical trains = %g, want 1", g)
	}
	// Trains that never coincide score below zero (fewer coincidences than chance).
	if g := Gamma(ref, []float64{150, 250, 350, 450, 550}, 2, 1000); g >= 0 {
		t.Errorf("Γ of disjoint trains = %g, want < 0", g)
	}
}

func TestSubthresholdAndTraces(t *testing.T) {
	ts := []float64{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20}
	sub := Subthreshold(ts, 5, []float64{10}, []float64{})
	want := []bool{true, true, true, false, false, false, false, false, true, true, true}
	for i := range want {
		if sub[i] != want[i] {
			t.Fatalf("sample %d (t=%g): %v, want %v", i, ts[i], sub[i], want[i])
		}
	}
	ref := []float64{1, 2, 3, 4}
	s := CompareTraces(ref, []float64{1, 2, 3, 5}, nil)
	if math.Abs(s.RMSE-0.5) > 1e-12 || math.Abs(s.EV-(1-0.25/1.25)) > 1e-12 {
		t.Errorf("RMSE %g EV %g", s.RMSE, s.EV)
	}
}

func TestPopulationStats(t *testing.T) {
	if r := Pearson([]float64{1, 2, 3}, []float64{2, 4, 6}); math.Abs(r-1) > 1e-12 {
		t.Errorf("Pearson %g", r)
	}
	if d := Wasserstein1([]float64{1, 2, 3}, []float64{2, 3, 4}); math.Abs(d-1) > 1e-9 {
		t.Errorf("Wasserstein %g, want 1", d)
	}
	p := PSTH([]float64{1, 2, 7}, 2, 10, 5)
	if p[0] != 200 || p[1] != 100 {
		t.Errorf("PSTH %v", p)
	}
	// A perfectly regular train has CV 0.
	if cv := MeanISICV([][]float64{{10, 20, 30, 40}}); cv != 0 {
		t.Errorf("CV %g", cv)
	}
}

func TestDrift(t *testing.T) {
	v := make([]float64, 40001) // 20 s at 0.5 ms
	for k := range v {
		v[k] = -65 + float64(k)/40000 // drifts by 1 mV
	}
	var sp []float64
	for s := 5.0; s < 20000; s += 100 {
		sp = append(sp, s)
	}
	d := MeasureDrift(v, 0.5, sp, 10000)
	if math.Abs(d.RateFirstHz-10) > 1e-9 || math.Abs(d.RateLastHz-10) > 1e-9 || math.Abs(d.MeanVChangeMV-0.5) > 1e-3 {
		t.Errorf("%+v", d)
	}
}
