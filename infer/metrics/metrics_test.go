package metrics

import (
	"math"
	"testing"
)

// near reports whether got equals want to float64 rounding; two NaNs are
// equal.
func near(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= 1e-12*math.Max(1, math.Abs(want))
}

// TestMatchAndScore checks spike matching on a hand-computed table:
// precision and recall apart (the asymmetric cases change when the two are
// swapped), the window edge (|d| = w matches, also up to the rounding of
// times on a step grid, and just outside does not), empty trains, the
// greedy one-to-one rule and the sign of the shifts (test - reference).
func TestMatchAndScore(t *testing.T) {
	for _, tc := range []struct {
		name      string
		ref, test []float64
		w         float64
		shifts    []float64 // of the matches, in order
		prec, rec float64
		f1        float64
	}{
		{"identical", []float64{10, 20, 30}, []float64{10, 20, 30}, 2, []float64{0, 0, 0}, 1, 1, 1},
		{"missed spikes: recall only", []float64{10, 20, 30, 40}, []float64{10.5, 30}, 1, []float64{0.5, 0}, 1, 0.5, 2.0 / 3},
		{"extra spikes: precision only", []float64{10}, []float64{8, 10, 12, 14}, 0.5, []float64{0}, 0.25, 1, 0.4},
		{"|d| = w later", []float64{10}, []float64{12}, 2, []float64{2}, 1, 1, 1},
		{"|d| = w earlier", []float64{10.25}, []float64{8.25}, 2, []float64{-2}, 1, 1, 1},
		{"|d| = w up to step-grid rounding", []float64{10.075}, []float64{12.075}, 2, []float64{12.075 - 10.075}, 1, 1, 1},
		{"|d| = w plus the rounding slack", []float64{0}, []float64{2 + MatchSlackMS}, 2, []float64{2 + MatchSlackMS}, 1, 1, 1},
		{"just outside later", []float64{10}, []float64{12.001}, 2, nil, 0, 0, 0},
		{"just outside earlier", []float64{10}, []float64{7.999}, 2, nil, 0, 0, 0},
		{"both empty", nil, nil, 2, nil, 1, 1, 1},
		{"no reference spikes", nil, []float64{5, 9}, 2, nil, 0, 1, 0},
		{"no test spikes", []float64{5}, nil, 2, nil, 1, 0, 0},
		// One test spike serves one reference spike: 10.9 goes to 10 (the
		// first in time order), though 11 is nearer; 11 is then missed.
		{"greedy, not nearest", []float64{10, 11}, []float64{10.9}, 1, []float64{0.9}, 1, 0.5, 2.0 / 3},
		{"one-to-one", []float64{10}, []float64{9.5, 10.5}, 2, []float64{-0.5}, 0.5, 1, 2.0 / 3},
		{"early test spike skipped", []float64{10}, []float64{5, 10.25}, 1, []float64{0.25}, 0.5, 1, 2.0 / 3},
		{"early reference spike skipped", []float64{5, 10}, []float64{10.25}, 1, []float64{0.25}, 1, 0.5, 2.0 / 3},
		{"shift signs", []float64{10, 20, 30}, []float64{11, 19.5, 30.25}, 2, []float64{1, -0.5, 0.25}, 1, 1, 1},
		{"mixed", []float64{10, 50, 90}, []float64{11, 30, 89, 120}, 2, []float64{1, -1}, 0.5, 2.0 / 3, 4.0 / 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, shifts := Match(tc.ref, tc.test, tc.w)
			if m != len(tc.shifts) || len(shifts) != len(tc.shifts) {
				t.Fatalf("Match: %d matches, shifts %v; want %d, %v", m, shifts, len(tc.shifts), tc.shifts)
			}
			for i := range shifts {
				if !near(shifts[i], tc.shifts[i]) {
					t.Errorf("shift %d is %g, want %g", i, shifts[i], tc.shifts[i])
				}
			}
			s := Score(tc.ref, tc.test, tc.w)
			if s.Matched != m || s.Ref != len(tc.ref) || s.Test != len(tc.test) {
				t.Errorf("counts %d of %d ref, %d test; want %d of %d, %d", s.Matched, s.Ref, s.Test, m, len(tc.ref), len(tc.test))
			}
			if !near(s.Precision, tc.prec) || !near(s.Recall, tc.rec) || !near(s.F1, tc.f1) {
				t.Errorf("precision %g recall %g F1 %g, want %g %g %g", s.Precision, s.Recall, s.F1, tc.prec, tc.rec, tc.f1)
			}
		})
	}
}

// TestGamma checks the coincidence factor against hand-computed values.
func TestGamma(t *testing.T) {
	ref := []float64{100, 200, 300, 400, 500} // 5 spikes in 1 s: ν = 0.005 /ms
	for _, tc := range []struct {
		name      string
		ref, test []float64
		delta     float64
		duration  float64
		want      float64
	}{
		{"identical", ref, ref, 2, 1000, 1},
		// 2 coincidences (101, 399), chance 2·0.005·2·3 = 0.06, norm 1 - 0.02.
		{"partial", ref, []float64{101, 250, 399}, 2, 1000, (2 - 0.06) / (0.5 * 8) / 0.98},
		// None: (0 - 2·0.005·2·5) / 5 / 0.98.
		{"disjoint", ref, []float64{150, 250, 350, 450, 550}, 2, 1000, -0.1 / 5 / 0.98},
		// The test train scored against ref, not the other way round:
		// chance counts ν_ref and N_test.
		{"asymmetric", []float64{100}, []float64{100, 300, 500}, 2, 1000, (1 - 2*0.001*2*3) / 2 / (1 - 2*0.001*2)},
		{"both empty", nil, nil, 2, 1000, 1},
		{"no reference spikes", nil, []float64{5}, 2, 1000, 0},
		// 300 spikes in 1 s with Δ = 2 ms: 2 ν Δ > 1, undefined.
		{"rate too high for the window", make([]float64, 300), nil, 2, 1000, math.NaN()},
	} {
		if g := Gamma(tc.ref, tc.test, tc.delta, tc.duration); !near(g, tc.want) {
			t.Errorf("%s: Γ = %g, want %g", tc.name, g, tc.want)
		}
	}
}

// TestShift: mean and population standard deviation of the shifts.
func TestShift(t *testing.T) {
	mean, sd := Shift([]float64{1, -0.5, 2.5})
	if !near(mean, 1) || !near(sd, math.Sqrt((0+1.5*1.5+1.5*1.5)/3)) {
		t.Errorf("Shift = %g ± %g, want 1 ± %g", mean, sd, math.Sqrt(1.5))
	}
	if mean, sd := Shift([]float64{-3}); mean != -3 || sd != 0 {
		t.Errorf("one shift: %g ± %g", mean, sd)
	}
	if mean, sd := Shift(nil); !math.IsNaN(mean) || !math.IsNaN(sd) {
		t.Errorf("no shifts: %g ± %g, want NaN", mean, sd)
	}
}

// TestSubthreshold: a sample is subthreshold when it lies more than the
// margin from every spike of every train; |t - spike| = margin is not.
func TestSubthreshold(t *testing.T) {
	ts := []float64{0, 4.9, 5, 5.1, 10, 14.9, 15, 15.1, 20, 24.9, 25, 30, 35, 35.1}
	sub := Subthreshold(ts, 5, []float64{10}, nil, []float64{30})
	want := []bool{true, true, false, false, false, false, false, true, true, true, false, false, false, true}
	if len(sub) != len(want) {
		t.Fatalf("%d samples, want %d", len(sub), len(want))
	}
	for i := range want {
		if sub[i] != want[i] {
			t.Errorf("t = %g: %v, want %v", ts[i], sub[i], want[i])
		}
	}
	for i, s := range Subthreshold(ts, 5) {
		if !s {
			t.Errorf("no spikes: t = %g not subthreshold", ts[i])
		}
	}
}

// TestCompareTraces: RMSE and explained variance over the selected
// samples, by hand.
func TestCompareTraces(t *testing.T) {
	ref := []float64{1, 2, 3, 4}
	for _, tc := range []struct {
		name     string
		test     []float64
		use      []bool
		n        int
		rmse, ev float64
	}{
		// MSE 1/4; Var(ref) = 7.5 - 2.5² = 1.25.
		{"all samples", []float64{1, 2, 3, 5}, nil, 4, 0.5, 1 - 0.25/1.25},
		// Samples 0, 2, 3: MSE 1/3; Var(1, 3, 4) = 26/3 - (8/3)² = 14/9.
		{"selected", []float64{2, 9, 3, 4}, []bool{true, false, true, true}, 3, math.Sqrt(1.0 / 3), 1 - (1.0/3)/(14.0/9)},
		// Only the first 3 samples overlap: MSE 4/3; Var(1, 2, 3) = 2/3.
		{"shorter test", []float64{1, 2, 5}, nil, 3, math.Sqrt(4.0 / 3), 1 - (4.0/3)/(2.0/3)},
		{"equal", ref, nil, 4, 0, 1},
		{"none selected", ref, []bool{false, false, false, false}, 0, math.NaN(), math.NaN()},
		{"constant reference", []float64{1, 2, 3, 5}, []bool{true, false, false, false}, 1, 0, math.NaN()},
	} {
		s := CompareTraces(ref, tc.test, tc.use)
		if s.N != tc.n || !near(s.RMSE, tc.rmse) || !near(s.EV, tc.ev) {
			t.Errorf("%s: N %d RMSE %g EV %g, want %d %g %g", tc.name, s.N, s.RMSE, s.EV, tc.n, tc.rmse, tc.ev)
		}
	}
}

// compareCases are two traces whose reports are worked out by hand in
// TestCompareAndPool.
func compareCases() (refV, surV [2][]float64) {
	// Trace 1: 40 samples at 1 ms, ref Vm 0, 1, 0, 1, ...; the surrogate
	// is 2 mV off on samples 0-4 and far off at 10 (near a spike).
	refV[0], surV[0] = make([]float64, 40), make([]float64, 40)
	for k := range refV[0] {
		refV[0][k] = float64(k % 2)
		surV[0][k] = refV[0][k]
		if k < 5 {
			surV[0][k] += 2
		}
	}
	surV[0][10] = 100
	// Trace 2: 30 samples, ref Vm k, the surrogate 1 mV above.
	refV[1], surV[1] = make([]float64, 30), make([]float64, 30)
	for k := range refV[1] {
		refV[1][k], surV[1][k] = float64(k), float64(k)+1
	}
	return refV, surV
}

// TestCompareAndPool: the figures of a single trace and of pooled traces,
// each worked out by hand (precision and recall apart, 2 ms and 10 ms
// windows apart).
func TestCompareAndPool(t *testing.T) {
	refV, surV := compareCases()
	refS := [2][]float64{{10}, {5, 20}}
	surS := [2][]float64{{13, 30}, {5, 20.5, 28}}
	dur := [2]float64{40, 30}

	// Trace 1: at ±2 ms nothing matches (13 - 10 = 3); at ±10 ms 10-13.
	// Subthreshold (5 ms from 10, 13, 30): t = 0-4, 19-24, 36-39, 15
	// samples, 7 of them with ref Vm 1; squared error 5 · 4 = 20.
	// Γ: 0 coincidences, chance 2 · (1/40) · 2 · 2 = 0.2, norm 1 - 0.1.
	ev1 := 1 - (20.0/15)/(7.0/15-49.0/225)
	g1 := (0 - 0.2) / (0.5 * 3) / 0.9
	want1 := Report{
		F1At2ms: 0, PrecisionAt2ms: 0, RecallAt2ms: 0,
		F1At5ms: 2.0 / 3, Precision5ms: 0.5, Recall5ms: 1,
		F1At10ms: 2.0 / 3, Precision10ms: 0.5, Recall10ms: 1,
		ShiftMeanMS: 3, ShiftSDMS: 0, Gamma: g1,
		RMSESubMV: math.Sqrt(20.0 / 15), EVSub: ev1, SubSamples: 15,
		RateRefHz: 25, RateSurHz: 50, SpikesRef: 1, SpikesSur: 2,
		BurstRef: 0, BurstSur: 0, // 13 and 30 are 17 ms apart
	}
	// Trace 2: both reference spikes match at either window (shifts 0,
	// 0.5), the test spike at 28 is extra: precision 2/3, recall 1.
	// Subthreshold (5 ms from 5, 20, 20.5, 28): t = 11-14, 4 samples of
	// error 1; Var(11, 12, 13, 14) = 1.25.
	// Γ: 2 coincidences, chance 2 · (2/30) · 2 · 3 = 0.8, norm 22/30.
	g2 := (2 - 0.8) / (0.5 * 5) / (22.0 / 30)
	want2 := Report{
		F1At2ms: 0.8, PrecisionAt2ms: 2.0 / 3, RecallAt2ms: 1,
		F1At5ms: 0.8, Precision5ms: 2.0 / 3, Recall5ms: 1,
		F1At10ms: 0.8, Precision10ms: 2.0 / 3, Recall10ms: 1,
		ShiftMeanMS: 0.25, ShiftSDMS: 0.25, Gamma: g2,
		RMSESubMV: 1, EVSub: 1 - 1/1.25, SubSamples: 4,
		RateRefHz: 2.0 / 30 * 1000, RateSurHz: 3.0 / 30 * 1000, SpikesRef: 2, SpikesSur: 3,
		BurstRef: 0, BurstSur: 2.0 / 3, // 20.5 and 28 are 7.5 ms apart
	}
	// Pooled: 2 ms matches 0 + 2 of 3 ref, 5 test spikes; 10 ms 1 + 2.
	mean := (3 + 0 + 0.5) / 3.0
	sd := math.Sqrt(((3-mean)*(3-mean) + mean*mean + (0.5-mean)*(0.5-mean)) / 3)
	wantPool := Report{
		F1At2ms: 0.5, PrecisionAt2ms: 0.4, RecallAt2ms: 2.0 / 3,
		F1At5ms: 0.75, Precision5ms: 0.6, Recall5ms: 1,
		F1At10ms: 0.75, Precision10ms: 0.6, Recall10ms: 1,
		ShiftMeanMS: mean, ShiftSDMS: sd, Gamma: (g1 + g2) / 2,
		RMSESubMV: math.Sqrt((20.0 + 4) / 19), EVSub: (15*ev1 + 4*(1-1/1.25)) / 19, SubSamples: 19,
		RateRefHz: 3.0 / 70 * 1000, RateSurHz: 5.0 / 70 * 1000, SpikesRef: 3, SpikesSur: 5,
		BurstRef: 0, BurstSur: 2.0 / 5,
	}
	var p Pool
	for i, want := range []Report{want1, want2} {
		got := Compare(refV[i], surV[i], 1, refS[i], surS[i], dur[i])
		checkReport(t, "Compare, trace "+string(rune('1'+i)), got, want)
		got = p.Add(refV[i], surV[i], 1, refS[i], surS[i], dur[i])
		checkReport(t, "Pool.Add, trace "+string(rune('1'+i)), got, want)
	}
	checkReport(t, "pooled", p.Report(), wantPool)
	var empty Pool
	if r := empty.Report(); !math.IsNaN(r.RMSESubMV) || !math.IsNaN(r.Gamma) || !math.IsNaN(r.BurstSur) || r.F1At2ms != 1 || r.SubSamples != 0 {
		t.Errorf("empty pool: %+v", r)
	}
}

// TestBursting: a spike counts once however many neighbours it has, an
// interval of exactly BurstISIMS does not count, and trains are separate.
func TestBursting(t *testing.T) {
	for _, tc := range []struct {
		train []float64
		want  int
	}{
		{nil, 0}, {[]float64{5}, 0}, {[]float64{0, 9.9}, 2}, {[]float64{0, 10}, 0},
		{[]float64{0, 3, 6, 40, 45.5, 80}, 5}, {[]float64{0, 20, 40}, 0},
	} {
		if got := Bursting(tc.train, BurstISIMS); got != tc.want {
			t.Errorf("Bursting(%v) = %d, want %d", tc.train, got, tc.want)
		}
	}
	if got := BurstFraction([][]float64{{0, 5}, {7, 50}}); got != 0.5 {
		t.Errorf("BurstFraction over two trains (5 and 7 are in different cells) = %g, want 0.5", got)
	}
	if got := BurstFraction([][]float64{nil, {}}); !math.IsNaN(got) {
		t.Errorf("BurstFraction without spikes = %g, want NaN", got)
	}
}

func checkReport(t *testing.T, name string, got, want Report) {
	t.Helper()
	for _, f := range []struct {
		field     string
		got, want float64
	}{
		{"f1_2ms", got.F1At2ms, want.F1At2ms}, {"precision_2ms", got.PrecisionAt2ms, want.PrecisionAt2ms},
		{"recall_2ms", got.RecallAt2ms, want.RecallAt2ms}, {"f1_5ms", got.F1At5ms, want.F1At5ms},
		{"precision_5ms", got.Precision5ms, want.Precision5ms}, {"recall_5ms", got.Recall5ms, want.Recall5ms},
		{"f1_10ms", got.F1At10ms, want.F1At10ms},
		{"precision_10ms", got.Precision10ms, want.Precision10ms}, {"recall_10ms", got.Recall10ms, want.Recall10ms},
		{"shift_mean_ms", got.ShiftMeanMS, want.ShiftMeanMS}, {"shift_sd_ms", got.ShiftSDMS, want.ShiftSDMS},
		{"gamma", got.Gamma, want.Gamma}, {"rmse_sub_mV", got.RMSESubMV, want.RMSESubMV}, {"ev_sub", got.EVSub, want.EVSub},
		{"sub_samples", float64(got.SubSamples), float64(want.SubSamples)},
		{"rate_ref_hz", got.RateRefHz, want.RateRefHz}, {"rate_sur_hz", got.RateSurHz, want.RateSurHz},
		{"spikes_ref", float64(got.SpikesRef), float64(want.SpikesRef)}, {"spikes_sur", float64(got.SpikesSur), float64(want.SpikesSur)},
		{"burst_fraction_ref", got.BurstRef, want.BurstRef}, {"burst_fraction_sur", got.BurstSur, want.BurstSur},
	} {
		if !near(f.got, f.want) {
			t.Errorf("%s: %s = %g, want %g", name, f.field, f.got, f.want)
		}
	}
}

// TestPopulationStats checks the population figures against hand-computed
// values.
func TestPopulationStats(t *testing.T) {
	rates := Rates([]int{0, 5, 12}, 2000)
	if len(rates) != 3 || rates[0] != 0 || !near(rates[1], 2.5) || !near(rates[2], 6) {
		t.Errorf("Rates = %v, want [0 2.5 6]", rates)
	}
	for _, tc := range []struct {
		name string
		x, y []float64
		want float64
	}{
		{"proportional", []float64{1, 2, 3}, []float64{2, 4, 6}, 1},
		// dx = dy permuted: Σdxdy = 3, Σdx² = Σdy² = 5.
		{"partial", []float64{1, 2, 3, 4}, []float64{2, 1, 4, 3}, 0.6},
		{"reversed", []float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{"longer y ignored past x", []float64{1, 2, 3}, []float64{2, 4, 6, -100}, 1},
		{"constant", []float64{1, 2, 3}, []float64{5, 5, 5}, math.NaN()},
		{"one point", []float64{1}, []float64{2}, math.NaN()},
	} {
		if r := Pearson(tc.x, tc.y); !near(r, tc.want) {
			t.Errorf("Pearson %s = %g, want %g", tc.name, r, tc.want)
		}
	}
	// 12 ms in 5 ms bins: 3 bins; 2 cells, so one spike in a bin is
	// 1000 / 5 / 2 = 100 Hz per cell. A spike at a bin's start belongs to
	// it; times outside [0, 15) are dropped.
	p := PSTH([]float64{-1, 1, 2, 5, 7, 10, 14.9, 15}, 2, 12, 5)
	if want := []float64{200, 200, 200}; len(p) != 3 || p[0] != want[0] || p[1] != want[1] || p[2] != want[2] {
		t.Errorf("PSTH = %v, want %v", p, want)
	}
	if p := PSTH([]float64{1, 2, 7}, 2, 10, 5); len(p) != 2 || p[0] != 200 || p[1] != 100 {
		t.Errorf("PSTH = %v, want [200 100]", p)
	}
	for _, tc := range []struct {
		name string
		a, b []float64
		want float64
	}{
		{"shifted by 1", []float64{1, 2, 3}, []float64{2, 3, 4}, 1},
		{"points", []float64{0}, []float64{3}, 3},
		{"same", []float64{3, 1, 2}, []float64{1, 2, 3}, 0},
		// quantiles 10q against 5: mean |10q - 5| over q in (0, 1) = 2.5
		{"spread against a point", []float64{10, 0}, []float64{5}, 2.5},
		{"empty", nil, []float64{1}, math.NaN()},
	} {
		if d := Wasserstein1(tc.a, tc.b); !(math.IsNaN(tc.want) && math.IsNaN(d)) && math.Abs(d-tc.want) > 1e-12 {
			t.Errorf("Wasserstein1 %s = %g, want %g", tc.name, d, tc.want)
		}
	}
	q := Quantiles([]float64{4, 1, 3, 2}, 0, 0.25, 0.5, 1)
	if want := []float64{1, 1.75, 2.5, 4}; len(q) != 4 || q[0] != want[0] || q[1] != want[1] || q[2] != want[2] || q[3] != want[3] {
		t.Errorf("Quantiles = %v, want %v", q, want)
	}
	if q := Quantiles(nil, 0.5); len(q) != 1 || !math.IsNaN(q[0]) {
		t.Errorf("Quantiles of nothing = %v, want [NaN]", q)
	}
	for _, tc := range []struct {
		name   string
		trains [][]float64
		want   float64
	}{
		{"regular", [][]float64{{10, 20, 30, 40}}, 0},
		// ISIs 10, 20: mean 15, SD 5.
		{"irregular", [][]float64{{0, 10, 30}}, 1.0 / 3},
		// Trains under 3 spikes do not count; the mean is over trains.
		{"mixed", [][]float64{{0, 10, 30}, {1, 2}, {10, 20, 30, 40}, nil}, 1.0 / 6},
		{"too short", [][]float64{{1, 2}, {5}}, math.NaN()},
	} {
		if cv := MeanISICV(tc.trains); !near(cv, tc.want) {
			t.Errorf("MeanISICV %s = %g, want %g", tc.name, cv, tc.want)
		}
	}
}

// TestDrift: rates and mean Vm of the first and last windows, by hand.
func TestDrift(t *testing.T) {
	v := make([]float64, 40001) // 20 s at 0.5 ms
	for k := range v {
		v[k] = -65 + float64(k)/40000 // drifts by 1 mV
	}
	var sp []float64
	for s := 5.0; s < 20000; s += 100 {
		sp = append(sp, s)
	}
	sp = append(sp, 19990, 19995) // two more in the last window
	d := MeasureDrift(v, 0.5, sp, 10000)
	// First window: samples 0-19999, mean -65 + 19999/2/40000; last:
	// samples 20001-40000, mean -65 + 60001/2/40000. 100 spikes in the
	// first 10 s, 102 in the last.
	want := Drift{WindowMS: 10000, RateFirstHz: 10, RateLastHz: 10.2, RateChange: 0.02,
		MeanVFirstMV: -65 + 19999.0/80000, MeanVLastMV: -65 + 60001.0/80000, MeanVChangeMV: 40002.0 / 80000}
	for _, f := range [][3]float64{
		{d.RateFirstHz, want.RateFirstHz}, {d.RateLastHz, want.RateLastHz}, {d.RateChange, want.RateChange},
		{d.MeanVFirstMV, want.MeanVFirstMV}, {d.MeanVLastMV, want.MeanVLastMV}, {d.MeanVChangeMV, want.MeanVChangeMV},
	} {
		if math.Abs(f[0]-f[1]) > 1e-9 {
			t.Errorf("%+v, want %+v", d, want)
			break
		}
	}
	if d := MeasureDrift(v, 0.5, nil, 10000); !math.IsNaN(d.RateChange) || d.RateFirstHz != 0 {
		t.Errorf("no spikes: %+v, want rate change NaN", d)
	}
}

// TestCompareWindows: each spike window counts the pairs within it, apart
// from the others: a pair 1.5 ms apart matches at ±2, 5 and 10 ms, one
// 4 ms apart at ±5 and 10, one 8 ms apart at ±10 only (one reference and
// two surrogate spikes unmatched at ±2 ms make precision and recall differ).
func TestCompareWindows(t *testing.T) {
	ref := []float64{10, 50, 100, 200}
	sur := []float64{11.5, 54, 108}
	v := make([]float64, 300)
	for _, tc := range []struct {
		window       string
		get          func(Report) (f1, p, r float64)
		matched      int
		wantP, wantR float64
	}{
		{"2ms", func(r Report) (float64, float64, float64) { return r.F1At2ms, r.PrecisionAt2ms, r.RecallAt2ms }, 1, 1.0 / 3, 1.0 / 4},
		{"5ms", func(r Report) (float64, float64, float64) { return r.F1At5ms, r.Precision5ms, r.Recall5ms }, 2, 2.0 / 3, 2.0 / 4},
		{"10ms", func(r Report) (float64, float64, float64) { return r.F1At10ms, r.Precision10ms, r.Recall10ms }, 3, 1, 3.0 / 4},
	} {
		for _, how := range []string{"Compare", "Pool"} {
			r := Compare(v, v, 1, ref, sur, 300)
			if how == "Pool" {
				var p Pool
				p.Add(v, v, 1, ref, sur, 300)
				r = p.Report()
			}
			f1, p, rec := tc.get(r)
			wantF1 := 2 * tc.wantP * tc.wantR / (tc.wantP + tc.wantR)
			if !near(p, tc.wantP) || !near(rec, tc.wantR) || !near(f1, wantF1) {
				t.Errorf("%s ±%s: F1 %g precision %g recall %g, want %g %g %g (%d matched)", how, tc.window, f1, p, rec, wantF1, tc.wantP, tc.wantR, tc.matched)
			}
		}
	}
}
