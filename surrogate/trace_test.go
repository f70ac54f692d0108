package surrogate

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"neurosurrogate/internal/cpu"
)

// traceArch is testArch as a trace-lstm with those time constants.
func traceArch(taus ...float64) Arch {
	a := testArch(1, 3)
	a.Family, a.TracesMS, a.FeedSpike = TraceFamily, taus, true
	return a
}

func TestTraceValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(a *Arch)
		want string // "" = valid
	}{
		{"ok", func(a *Arch) {}, ""},
		{"instant only", func(a *Arch) { a.TracesMS = []float64{0} }, ""},
		{"none", func(a *Arch) { a.TracesMS = nil }, "0 traces_ms"},
		{"decreasing", func(a *Arch) { a.TracesMS = []float64{0, 4, 2} }, "increasing"},
		{"repeated", func(a *Arch) { a.TracesMS = []float64{0, 4, 4} }, "increasing"},
		{"negative", func(a *Arch) { a.TracesMS = []float64{-1, 4} }, "increasing"},
		{"NaN", func(a *Arch) { a.TracesMS = []float64{0, math.NaN()} }, "increasing"},
		{"too long", func(a *Arch) { a.TracesMS = []float64{0, MaxTraceMS + 1} }, "increasing"},
		{"too many", func(a *Arch) { a.TracesMS = GeomTraces(MaxTaps+1, 1, 100) }, "want 1 to"},
		{"with lags", func(a *Arch) { a.InputLags = []int{0, 3} }, "input_lags"},
		{"with delays", func(a *Arch) { a.Inputs[1].DelaySteps = 2 }, "delay_steps"},
		{"traces on a cnn-lstm", func(a *Arch) { a.Family = "" }, "belong to family trace-lstm"},
	} {
		a := traceArch(0, 2, 8)
		a.Inputs = append([]Input(nil), a.Inputs...)
		tc.edit(&a)
		err := a.Validate()
		if (tc.want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestGeomTraces(t *testing.T) {
	got := GeomTraces(8, 1, 64)
	want := []float64{0, 1, 2, 4, 8, 16, 32, 64}
	if len(got) != len(want) {
		t.Fatalf("%v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
	if got := GeomTraces(2, 5, 50); len(got) != 2 || got[1] != 5 {
		t.Errorf("GeomTraces(2, 5, 50) = %v, want [0 5]", got)
	}
}

// runStreams steps the streams on the same random sparse drive and
// returns the largest difference of their Vm (mV) and spike
// probabilities (×100), and how far the first one's Vm moved; each, if
// given, sees the second stream after every step.
func runStreams(a, b *Model, steps int, seed uint64, each ...func(sb *Stream)) (maxDiff, spread float64) {
	const n = 3
	nIn := len(a.Arch.Inputs)
	sa, sb := NewStream(a, n, -65), NewStream(b, n, -65)
	rng := rand.New(rand.NewPCG(seed, 7))
	drive := make([]float32, n*nIn)
	for k := 0; k < steps; k++ {
		for i := range drive {
			drive[i] = 0
			if rng.Float64() < 0.2 {
				drive[i] = float32(0.02 * rng.Float64())
			}
		}
		sa.Step(drive)
		sb.Step(drive)
		for _, f := range each {
			f(sb)
		}
		for i := range sa.V {
			maxDiff = max(maxDiff, math.Abs(float64(sa.V[i]-sb.V[i])), 100*math.Abs(float64(sa.P[i]-sb.P[i])))
			spread = max(spread, math.Abs(float64(sa.V[i]+65)))
		}
	}
	return maxDiff, spread
}

// TestWithTraces: a trace-lstm model refitted onto a superset of its time
// constants computes the same function (its input kernels lie in the new
// traces' span, and the fit finds them); a CNN-LSTM's taps are fitted
// approximately (the fit's residual, not checked here, is what training
// starts from); other families and bad time constants are refused.
func TestWithTraces(t *testing.T) {
	m := testModel(t, traceArch(0, 0.5, 2, 8)) // more traces than kernel samples (3)
	for _, taus := range [][]float64{{0, 0.5, 2, 8}, {0, 0.5, 1, 2, 4, 8}, {0, 0.5, 2, 5, 8, 30}} {
		w, err := m.WithTraces(taus)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := w.W[WConvInputs].Shape[0], len(taus)*2; got != want || len(m.Arch.TracesMS) != 4 {
			t.Fatalf("%v: conv.wd has %d rows, want %d", taus, got, want)
		}
		// Measured 8e-6 (float32 sums in another order, and the fit's
		// rounding).
		d, spread := runStreams(m, w, 400, 1)
		t.Logf("traces %v: outputs within %.2g (Vm moved %.3g mV)", taus, d, spread)
		if d > 1e-4 || spread < 1 {
			t.Errorf("traces %v: outputs differ by %g (Vm moved %g mV)", taus, d, spread)
		}
	}
	// Dropping a time constant the model uses changes the function.
	w, err := m.WithTraces([]float64{0, 0.5, 8})
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := runStreams(m, w, 400, 1); d < 1e-2 {
		t.Errorf("dropping the 2 ms trace left the outputs within %g", d)
	}
	// The model file keeps the family and the time constants.
	path := t.TempDir() + "/trace.safetensors"
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(path)
	if err != nil || loaded.Arch.FamilyName() != TraceFamily || len(loaded.Arch.TracesMS) != 4 {
		t.Fatalf("loaded %+v (%v)", loaded, err)
	}
	if d, _ := runStreams(m, loaded, 200, 3); d != 0 {
		t.Errorf("the loaded model differs by %g", d)
	}
	c := testModel(t, testArch(1, 3))
	ct, err := c.WithTraces([]float64{0, 0.5, 1})
	if err != nil || ct.Arch.FamilyName() != TraceFamily || ct.Arch.Kernel != 3 {
		t.Fatalf("from a cnn-lstm: %v, %+v", err, ct.Arch)
	}
	for _, taus := range [][]float64{nil, {3, 1}, {0, 2000}} {
		if _, err := m.WithTraces(taus); err == nil {
			t.Errorf("traces %v accepted", taus)
		}
	}
	other := m.Clone()
	other.Arch.Family = "gru"
	if _, err := other.WithTraces([]float64{0, 2}); err == nil || !strings.Contains(err.Error(), "gru") {
		t.Errorf("a gru model: %v", err)
	}
}

// TestWidenTraces: widening a trace-lstm (more channels, a longer Vm
// kernel) keeps its function and its trace rows, also when it has as many
// traces as kernel samples.
func TestWidenTraces(t *testing.T) {
	m := testModel(t, traceArch(0, 2, 8))
	w, err := m.Widen(9, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.W[WConvInputs].Shape; got[0] != 3*2 || got[1] != 9 {
		t.Fatalf("conv.wd shape %v, want [6 9]", got)
	}
	if d, spread := runStreams(m, w, 300, 2); d > 1e-4 || spread < 1 {
		t.Errorf("widened model differs by %g (Vm moved %g mV)", d, spread)
	}
}

// TestTraceNoSubnormals: after one input event, a stream's fast and slow
// traces decay to 0 without passing through float32 subnormals (values
// below 1.18e-38), which would make steps many times slower.
func TestTraceNoSubnormals(t *testing.T) {
	const smallest = 1.1754944e-38
	for _, d := range TraceFloors([]float32{0, 0.05, 0.3, 0.6, 0.99}) {
		if d < TraceFloor {
			t.Errorf("floor %g below TraceFloor", d)
		}
	}
	m := testModel(t, traceArch(0, 0.2, 0.5, 2, 40))
	s := newCNNLSTMStream(cpu.Generic, m, 2, -65)
	drive := make([]float32, 2*len(m.Arch.Inputs))
	drive[0] = 0.05
	s.Step(drive)
	clear(drive)
	sub, zero := 0, 0
	for k := 0; k < 3000; k++ {
		s.Step(drive)
		for _, v := range s.acc {
			if v != 0 && v < smallest && v > -smallest {
				sub++
			}
		}
	}
	for _, v := range s.acc[:2*2*s.f] { // the two fastest traces' parts
		if v == 0 {
			zero++
		}
	}
	if sub > 0 || zero != 2*2*s.f {
		t.Errorf("%d subnormal values over the run; %d of the fast traces' %d values reached 0", sub, zero, 2*2*s.f)
	}
}
