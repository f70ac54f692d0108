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

// TestHearsFired: a model that hears its fired spikes hears what its
// readout fires, in the bin the readout reports it in: its stream's Fired
// are Readout.Spikes of its P, it is deaf to its spike probability and to
// its Vm, a spike is first heard shift/dt+1 steps after its bin, a cell
// copied from a stream goes on as the original, and the setting is
// refused beside hears_spikes or without input_driven and feed_spike.
func TestHearsFired(t *testing.T) {
	a := testArch(2, 4)
	a.FeedSpike, a.InputDriven, a.HearsFired = true, true, true
	m := testModel(t, a)
	m.MakeInputDriven()
	if slices.Equal(m.W[WConvSpike].Data, make([]float32, len(m.W[WConvSpike].Data))) {
		t.Fatal("MakeInputDriven zeroed the spike weights")
	}
	deaf := m.Clone() // the same model, deaf to its spikes
	clear(deaf.W[WConvSpike].Data)
	const n, steps = 4, 600
	drive := randomDrive(rand.New(rand.NewPCG(10, 1)), steps, n, 2, 0.3)
	// A threshold the model crosses now and then.
	var all []float32
	s := NewStream(deaf, n, -65)
	for _, d := range drive {
		s.Step(d)
		all = append(all, s.P...)
	}
	slices.Sort(all)
	m.Readout = Readout{P: all[len(all)*9/10], RefractoryMS: 3}
	type run struct {
		v, p  [][]float32 // per cell
		fired [][]int     // per cell, the bins fired
	}
	roll := func(m *Model, pokeP, pokeVm bool) run {
		s := NewStream(m, n, -65)
		r := run{v: make([][]float32, n), p: make([][]float32, n), fired: make([][]int, n)}
		for k, d := range drive {
			if k%40 == 3 {
				if pokeP {
					s.P[k%n] = 1
				}
				if pokeVm {
					s.SetVm(k%n, 30)
				}
			}
			s.Step(d)
			for i := 0; i < n; i++ {
				r.v[i], r.p[i] = append(r.v[i], s.V[i]), append(r.p[i], s.P[i])
				if s.Fired != nil && s.Fired[i] {
					r.fired[i] = append(r.fired[i], k)
				}
			}
		}
		return r
	}
	for _, shift := range []int{0, 2} {
		m.Readout.ShiftMS = float64(shift) * a.SampleDT
		deaf.Readout = m.Readout
		got, ref := roll(m, false, false), roll(deaf, false, false)
		heard := false
		for i := 0; i < n; i++ {
			var want []float64
			for _, k := range got.fired[i] {
				if tm := (float64(k)+0.5)*a.SampleDT + m.Readout.ShiftMS; tm < steps*a.SampleDT {
					want = append(want, tm)
				}
			}
			if sp := m.Readout.Spikes(got.p[i], a.SampleDT); !slices.Equal(sp, want) {
				t.Fatalf("shift %d, cell %d: fired at %v, Readout.Spikes %v", shift, i, want, sp)
			}
			if len(got.fired[i]) == 0 {
				continue
			}
			heard = true
			// Deaf and hearing agree until the first spike is heard.
			k0 := got.fired[i][0]
			first := -1
			for k := range got.v[i] {
				if got.v[i][k] != ref.v[i][k] {
					first = k
					break
				}
			}
			if first != k0+1+shift {
				t.Errorf("shift %d, cell %d: fired in bin %d, first heard at step %d, want %d", shift, i, k0, first, k0+1+shift)
			}
		}
		if !heard {
			t.Fatalf("shift %d: no cell fired (the test would pass vacuously)", shift)
		}
		pokedP, pokedVm := roll(m, true, false), roll(m, false, true)
		for i := 0; i < n; i++ {
			if !slices.Equal(pokedP.v[i], got.v[i]) || !slices.Equal(pokedVm.v[i], got.v[i]) {
				t.Errorf("shift %d, cell %d: the outputs depend on the spike probability or Vm fed back", shift, i)
			}
		}
	}
	// Forked: cells copied from a warmed-up stream go on as they would.
	warm, fork := NewStream(m, n, -65), NewStream(m, n, -65)
	for k, d := range drive {
		if k == steps/2 {
			for i := 0; i < n; i++ {
				if err := fork.CopyCell(i, warm, n-1-i); err != nil {
					t.Fatal(err)
				}
			}
		}
		if k >= steps/2 {
			rev := make([]float32, len(d))
			for i := 0; i < n; i++ {
				copy(rev[i*2:i*2+2], d[(n-1-i)*2:(n-i)*2])
			}
			fork.Step(rev)
		}
		warm.Step(d)
		if k >= steps/2 {
			for i := 0; i < n; i++ {
				if fork.V[i] != warm.V[n-1-i] || fork.Fired[i] != warm.Fired[n-1-i] {
					t.Fatalf("step %d: the copied cell %d goes on otherwise than its original", k, i)
				}
			}
		}
	}
	got, _, _, err := Decode("m", encoded(t, m))
	if err != nil || !got.Arch.HearsFired || !slices.Equal(got.W[WConvSpike].Data, m.W[WConvSpike].Data) {
		t.Fatalf("round trip: %v", err)
	}
	for _, b := range []Arch{{FeedSpike: true}, {InputDriven: true}, {FeedSpike: true, InputDriven: true, HearsSpikes: true}} {
		c := testArch(1, 3)
		c.FeedSpike, c.InputDriven, c.HearsSpikes, c.HearsFired = b.FeedSpike, b.InputDriven, b.HearsSpikes, true
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "hears_fired") {
			t.Errorf("hears_fired with %+v: %v", b, err)
		}
	}
}
