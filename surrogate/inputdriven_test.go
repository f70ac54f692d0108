package surrogate

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestInputDriven: an input-driven model's outputs are a function of its
// inputs alone. Streams started at other resting potentials, with their
// fed-back Vm overridden along the way, give the same Vm and spike
// predictions bit for bit; a model with feedback (the same weights before
// MakeInputDriven) does not. Its fed-back weights are zero from New and
// MakeInputDriven, survive a save and load, and a file whose fed-back
// weights are not zero is refused.
func TestInputDriven(t *testing.T) {
	for _, feedSpike := range []bool{false, true} {
		a := testArch(2, 4)
		a.FeedSpike = feedSpike
		fb := testModel(t, a)
		m := fb.Clone()
		m.MakeInputDriven()
		if !m.Arch.InputDriven || fb.Arch.InputDriven {
			t.Fatalf("MakeInputDriven: flag %v on the copy, %v on the original", m.Arch.InputDriven, fb.Arch.InputDriven)
		}
		for _, name := range m.Arch.ZeroedFeedback() {
			for _, x := range m.W[name].Data {
				if x != 0 {
					t.Fatalf("%s not zeroed", name)
				}
			}
		}
		const n, steps = 5, 400
		drive := randomDrive(rand.New(rand.NewPCG(8, 1)), steps, n, 2, 0.3)
		run := func(m *Model, vInit float32, poke bool) (v, p []float32) {
			s := NewStream(m, n, vInit)
			for k, d := range drive {
				if poke && k%50 == 7 {
					s.SetVm(k%n, 30)
				}
				s.Step(d)
				v, p = append(v, s.V...), append(p, s.P...)
			}
			return v, p
		}
		v0, p0 := run(m, -65, false)
		v1, p1 := run(m, -40, true)
		if !slices.Equal(v0, v1) || !slices.Equal(p0, p1) {
			t.Errorf("feed spike %v: the input-driven model's outputs depend on its own Vm", feedSpike)
		}
		w0, _ := run(fb, -65, false)
		w1, _ := run(fb, -40, true)
		if slices.Equal(w0, w1) {
			t.Errorf("feed spike %v: the model with feedback does not hear its Vm either (the test would pass vacuously)", feedSpike)
		}
		got, _, _, err := Decode("m", encoded(t, m))
		if err != nil || !got.Arch.InputDriven {
			t.Fatalf("round trip: %v, input driven %v", err, got != nil && got.Arch.InputDriven)
		}
		bad := m.Clone()
		bad.W[WConvVm].Data[1] = 0.5
		if _, _, _, err := Decode("bad", encoded(t, bad)); err == nil || !strings.Contains(err.Error(), WConvVm) {
			t.Errorf("non-zero fed-back weight accepted: %v", err)
		}
	}
	r := testArch(1, 3)
	r.InputDriven, r.Residual = true, true
	if _, err := New(r, Norm{VScale: 1, InputScale: []float32{1, 1}}, 1); err == nil || !strings.Contains(err.Error(), "residual") {
		t.Errorf("input_driven with residual: %v", err)
	}
	n := testArch(1, 3)
	n.InputDriven = true
	m, err := New(n, Norm{VScale: 1, InputScale: []float32{1, 1}}, 1)
	if err != nil || !bytes.Equal(f32bytes(m.W[WConvVm].Data), make([]byte, 4*len(m.W[WConvVm].Data))) {
		t.Errorf("New(input_driven): %v, Vm weights %v", err, m.W[WConvVm].Data)
	}
}

// TestHearsSpikes: an input-driven model that hears its spikes keeps its
// spike weights through MakeInputDriven, New and a save and load, its
// outputs still do not depend on its Vm but do on its spikes, and the
// setting is refused without input_driven and feed_spike.
func TestHearsSpikes(t *testing.T) {
	a := testArch(2, 4)
	a.FeedSpike, a.InputDriven, a.HearsSpikes = true, true, true
	m := testModel(t, a) // (which perturbs every weight)
	m.MakeInputDriven()
	if slices.Equal(m.W[WConvSpike].Data, make([]float32, len(m.W[WConvSpike].Data))) || !slices.Equal(m.W[WConvVm].Data, make([]float32, len(m.W[WConvVm].Data))) {
		t.Fatalf("MakeInputDriven: spike weights %v, Vm weights %v", m.W[WConvSpike].Data, m.W[WConvVm].Data)
	}
	const n, steps = 3, 300
	drive := randomDrive(rand.New(rand.NewPCG(9, 1)), steps, n, 2, 0.3)
	run := func(vInit float32, pokeVm, pokeSpike bool) (v []float32) {
		s := NewStream(m, n, vInit)
		for k, d := range drive {
			if pokeVm && k%50 == 7 {
				s.SetVm(k%n, 30)
			}
			if pokeSpike && k%50 == 7 {
				s.P[k%n] = 1 // a spike it did not predict, heard at the next step
			}
			s.Step(d)
			v = append(v, s.V...)
		}
		return v
	}
	v0 := run(-65, false, false)
	if !slices.Equal(v0, run(-40, true, false)) {
		t.Errorf("the model's outputs depend on its own Vm")
	}
	if slices.Equal(v0, run(-65, false, true)) {
		t.Errorf("the model's outputs do not depend on its own spikes")
	}
	got, _, _, err := Decode("m", encoded(t, m))
	if err != nil || !got.Arch.HearsSpikes || !slices.Equal(got.W[WConvSpike].Data, m.W[WConvSpike].Data) {
		t.Fatalf("round trip: %v", err)
	}
	for _, b := range []Arch{{FeedSpike: true}, {InputDriven: true}} {
		c := testArch(1, 3)
		c.FeedSpike, c.InputDriven, c.HearsSpikes = b.FeedSpike, b.InputDriven, true
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "hears_spikes") {
			t.Errorf("hears_spikes with feed_spike %v, input_driven %v: %v", b.FeedSpike, b.InputDriven, err)
		}
	}
}
