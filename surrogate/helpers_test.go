package surrogate

import (
	"math"
	"math/rand/v2"
	"testing"

	"neurosurrogate/internal/cpu"
)

// testArch is a small two-input architecture.
func testArch(layers, kernel int) Arch {
	return Arch{Inputs: []Input{{Name: "exc", Channels: []string{"exc"}}, {Name: "inh", Channels: []string{"inh"}}}, Kernel: kernel, Conv: 6, Hidden: 8, Layers: layers, SampleDT: 0.5}
}

// testModel is a model of a with weights larger than the default init, so
// that its dynamics are not trivial.
func testModel(t testing.TB, a Arch) *Model {
	m, err := New(a, Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 50}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// (in name order: map order would make every run a different model)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, name := range a.ParamNames() {
		w := m.W[name]
		for i := range w.Data {
			w.Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
	return m
}

// randomDrive is steps bins of drive for n cells of nIn inputs: each
// entry, with probability density (all of them at 1), an exponential
// weight of mean 0.004 uS.
func randomDrive(rng *rand.Rand, steps, n, nIn int, density float64) [][]float32 {
	drive := make([][]float32, steps)
	for k := range drive {
		drive[k] = make([]float32, n*nIn)
		for i := range drive[k] {
			if density >= 1 || rng.Float64() < density {
				drive[k][i] = float32(rng.ExpFloat64() * 0.004)
			}
		}
	}
	return drive
}

// TestStreamKernels runs the same two-layer model on a batch big enough
// for whole tiles of every kernel (and a partial one) with the pure-Go
// path and each vector path: the Vm predictions must agree to float32
// rounding over a long run, the spike probabilities too.
func TestStreamKernels(t *testing.T) {
	a := testArch(2, 4)
	a.Hidden, a.Conv = 24, 10
	m := testModel(t, a)
	const n, steps = 29, 300
	drive := randomDrive(rand.New(rand.NewPCG(6, 1)), steps, n, 2, 1)
	run := func(kern cpu.Level) (v, p [][]float32) {
		s := newCNNLSTMStream(kern, m, n, -65)
		for k := 0; k < steps; k++ {
			s.Step(drive[k])
			v = append(v, append([]float32(nil), s.V...))
			p = append(p, append([]float32(nil), s.P...))
		}
		return v, p
	}
	vRef, pRef := run(cpu.Generic)
	spread := 0.0
	for k := range vRef {
		for i := range vRef[k] {
			spread = math.Max(spread, math.Abs(float64(vRef[k][i]-vRef[0][i])))
		}
	}
	if spread < 1 {
		t.Fatalf("Vm moves by %g mV only: a weak test", spread)
	}
	for _, kern := range cpu.Levels()[1:] {
		v, p := run(kern)
		worstV, worstP := 0.0, 0.0
		for k := range v {
			for i := range v[k] {
				worstV = math.Max(worstV, math.Abs(float64(v[k][i]-vRef[k][i])))
				worstP = math.Max(worstP, math.Abs(float64(p[k][i]-pRef[k][i])))
			}
		}
		t.Logf("%s: worst |dV| %.3g mV, |dP| %.3g over %d steps (Vm range %.3g mV)", kern.String(), worstV, worstP, steps, spread)
		// float32 rounding differences grow in a 300-step recurrent run: allow 3e-4 of the range.
		if worstV > 3e-4*spread || worstP > 1e-4 {
			t.Errorf("%s differs from the pure-Go stream: |dV| %g mV, |dP| %g", kern.String(), worstV, worstP)
		}
	}
}

// sparseOf says whether a CNN-LSTM stream scatters its inputs.
func sparseOf(s *Stream) bool { return s.st.(*cnnLSTMStream).sparse }
