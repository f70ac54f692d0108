package surrogate

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCopyCell: cells copied from a stream that has stepped a while, into
// a fresh stream, go on exactly as the originals do (dense and scattered
// inputs, input delays, traces, two layers); copying across models is
// refused.
func TestCopyCell(t *testing.T) {
	few := []Input{{Name: "exc", Channels: []string{"e0"}}, {Name: "inh", Channels: []string{"i0"}, DelaySteps: 3}}
	var many, undelayed []Input
	for j := 0; j < 9; j++ {
		in := Input{Name: string(rune('a' + j)), Channels: []string{string(rune('a' + j))}}
		undelayed = append(undelayed, in)
		in.DelaySteps = j % 4
		many = append(many, in)
	}
	cases := []struct {
		name string
		a    Arch
	}{
		{"dense, delays", Arch{Inputs: few, Kernel: 4, Conv: 5, Hidden: 6, Layers: 1, SampleDT: 0.5, FeedSpike: true}},
		{"scattered, delays, two layers", Arch{Inputs: many, Kernel: 3, Conv: 5, Hidden: 6, Layers: 2, SampleDT: 0.5}},
		{"traces", Arch{Family: TraceFamily, TracesMS: []float64{0, 2, 8}, Inputs: undelayed, Kernel: 2, Conv: 5, Hidden: 6, Layers: 1, SampleDT: 0.5}},
	}
	for _, c := range cases {
		m, err := New(c.a, Norm{VOffset: -65, VScale: 20, InputScale: filled(len(c.a.Inputs), 60)}, 3)
		if err != nil {
			t.Fatal(err)
		}
		perturb(m, 5)
		nIn := len(c.a.Inputs)
		rng := rand.New(rand.NewPCG(7, 8))
		drive := func(n int) []float32 {
			d := make([]float32, n*nIn)
			for i := range d {
				if rng.Float64() < 0.3 {
					d[i] = float32(0.02 * rng.Float64())
				}
			}
			return d
		}
		src := NewStream(m, 3, -65)
		for k := 0; k < 37; k++ { // not a multiple of any ring's length
			src.Step(drive(3))
		}
		// dst cell 0 takes src cell 2, dst cell 1 src cell 0.
		from := []int{2, 0}
		dst := NewStream(m, 2, -70)
		for i, j := range from {
			if err := dst.CopyCell(i, src, j); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for k := 0; k < 60; k++ {
			d := drive(3)
			dd := make([]float32, 2*nIn)
			for i, j := range from {
				copy(dd[i*nIn:(i+1)*nIn], d[j*nIn:(j+1)*nIn])
			}
			src.Step(d)
			dst.Step(dd)
			for i, j := range from {
				if dst.V[i] != src.V[j] || dst.P[i] != src.P[j] {
					t.Fatalf("%s, step %d: copied cell %d: V %v P %v, its original %v %v", c.name, k, i, dst.V[i], dst.P[i], src.V[j], src.P[j])
				}
			}
		}
	}
	a := NewStream(testModel(t, cases[0].a), 1, -65)
	b := NewStream(testModel(t, cases[0].a), 1, -65)
	if err := a.CopyCell(0, b, 0); err == nil || !strings.Contains(err.Error(), "different models") {
		t.Errorf("across models: %v", err)
	}
	if err := a.CopyCell(1, a, 0); err == nil || !strings.Contains(err.Error(), "cell 1 of 1") {
		t.Errorf("out of range: %v", err)
	}
}

func filled(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// perturb adds seeded noise to every weight, in name order, so that no
// weight is at its layout's special start (zero fed-back weights...).
func perturb(m *Model, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, seed))
	for _, name := range m.Arch.ParamNames() {
		for i := range m.W[name].Data {
			m.W[name].Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
}
