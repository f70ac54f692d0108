package grugraph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"neurosurrogate/surrogate"
	"neurosurrogate/surrogate/gru"
)

// testArch is a gru architecture with nIn inputs and H hidden units.
func testArch(nIn, H int, residual bool) surrogate.Arch {
	a := surrogate.Arch{Family: gru.Family, Kernel: 1, Hidden: H, Layers: 1, SampleDT: 0.5, Residual: residual}
	for j := 0; j < nIn; j++ {
		n := fmt.Sprintf("in%d", j)
		a.Inputs = append(a.Inputs, surrogate.Input{Name: n, Channels: []string{n}})
	}
	return a
}

// testModel is a gru model with weights larger than the default
// initialization, so the dynamics are not trivial.
func testModel(t testing.TB, a surrogate.Arch) *surrogate.Model {
	t.Helper()
	scale := make([]float32, len(a.Inputs))
	for j := range scale {
		scale[j] = 100 / float32(j+1)
	}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: scale}, 3)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for _, name := range a.ParamNames() { // in name order: the same model every run
		for i := range m.W[name].Data {
			m.W[name].Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
	return m
}

// newChunk is a chunk of B cells and T steps of normalized drive dunf
// (T*B x nIn), free running (mask 0) from Vm input vin and state h, with
// zero targets and unit loss weights.
func newChunk(a surrogate.Arch, B, T int, dunf, vin, h []float32) *surrogate.Chunk {
	fill := func(n int, v float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	return &surrogate.Chunk{DUnf: dunf, VTeach: fill(T*B, 0), Mask: fill(T*B, 0), InvMask: fill(T*B, 1),
		VTarget: fill(T*B, 0), WV: fill(T*B, 1), Y: fill(T*B, 0), WS: fill(T*B, 1),
		VIn: vin, H: [][]float32{h}}
}

// TestStreamEqualsGraph: the gru inference pass (surrogate.Stream) and the
// gorgonia graph run from rest give the same Vm and spike probability at
// every step, to float32 rounding (5e-5 of the Vm scale; 1e-5), over two
// chunks in a row (the second from the state the first carried out), and
// the stream after Reset repeats itself. The graph runs free (mask 0) or,
// with teacher, on a random mask of teacher Vm inputs that the stream is
// given by SetVm.
func TestStreamEqualsGraph(t *testing.T) {
	for _, tc := range []struct {
		nIn, H, B, T      int
		residual, teacher bool
	}{
		{2, 8, 3, 25, false, false},
		{2, 8, 3, 25, true, false},
		{1, 1, 2, 10, false, false}, // one hidden unit: gate columns of width 1
		{3, 40, 13, 12, true, false},
		{2, 8, 3, 25, false, true},
		{2, 8, 3, 25, true, true},
	} {
		t.Run(fmt.Sprintf("in%d_H%d_B%d_T%d_res%v_teacher%v", tc.nIn, tc.H, tc.B, tc.T, tc.residual, tc.teacher), func(t *testing.T) {
			a := testArch(tc.nIn, tc.H, tc.residual)
			m := testModel(t, a)
			B, T, nIn := tc.B, tc.T, tc.nIn
			const vInit = -70
			rng := rand.New(rand.NewPCG(9, 9))
			drive := make([]float32, 2*T*B*nIn) // [t][b][j], uS, two chunks
			for i := range drive {
				if rng.IntN(3) == 0 {
					drive[i] = float32(rng.ExpFloat64() * 0.005)
				}
			}
			mask, teach := make([]float32, 2*T*B), make([]float32, 2*T*B) // [t][b], teach normalized
			if tc.teacher {
				for i := range mask {
					mask[i], teach[i] = float32(rng.IntN(2)), float32(0.5*rng.NormFloat64())
				}
			}
			gr, err := New(m, B, T)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			vin := make([]float32, B)
			for i := range vin {
				vin[i] = (vInit - m.Norm.VOffset) / m.Norm.VScale
			}
			h := make([]float32, B*tc.H)
			var wantV, wantP []float32 // per step and cell
			for run := 0; run < 2; run++ {
				dunf := make([]float32, T*B*nIn)
				for i := range dunf {
					dunf[i] = drive[run*T*B*nIn+i] * m.Norm.InputScale[i%nIn]
				}
				c := newChunk(a, B, T, dunf, vin, h)
				for r := range c.Mask {
					c.Mask[r], c.InvMask[r], c.VTeach[r] = mask[run*T*B+r], 1-mask[run*T*B+r], teach[run*T*B+r]
				}
				if err := gr.Run(c); err != nil {
					t.Fatal(err)
				}
				for k := 0; k < T; k++ {
					for b, v := range gr.PredVm(k) {
						wantV = append(wantV, v*m.Norm.VScale+m.Norm.VOffset)
						wantP = append(wantP, float32(1/(1+math.Exp(-float64(gr.Logit(k)[b])))))
					}
				}
			}
			s := surrogate.NewStream(m, B, vInit)
			for pass := 0; pass < 2; pass++ {
				worstV, worstP := 0.0, 0.0
				for k := 0; k < 2*T; k++ {
					for b := 0; b < B; b++ {
						if mask[k*B+b] == 1 {
							s.SetVm(b, teach[k*B+b]*m.Norm.VScale+m.Norm.VOffset)
						}
					}
					s.Step(drive[k*B*nIn : (k+1)*B*nIn])
					for b := 0; b < B; b++ {
						worstV = math.Max(worstV, math.Abs(float64(s.V[b]-wantV[k*B+b])))
						worstP = math.Max(worstP, math.Abs(float64(s.P[b]-wantP[k*B+b])))
					}
				}
				t.Logf("pass %d: max |ΔVm| %.2g mV, max |Δp| %.2g", pass, worstV, worstP)
				if worstV > 5e-5*float64(m.Norm.VScale) || worstP > 1e-5 {
					t.Errorf("pass %d: stream and graph differ: Vm by %g mV, p by %g", pass, worstV, worstP)
				}
				s.Reset(vInit)
			}
			if spread(wantV) < 1 || spread(wantP) < 0.05 {
				t.Errorf("outputs barely move (Vm spread %g mV, p spread %g): the test would not see a difference", spread(wantV), spread(wantP))
			}
		})
	}
}

// spread is max - min.
func spread(x []float32) float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	return hi - lo
}

// randomChunk is a chunk of random inputs: teacher and free steps mixed,
// spike targets, loss weights and a carried state.
func randomChunk(a surrogate.Arch, B, T int, seed uint64) *surrogate.Chunk {
	rng := rand.New(rand.NewPCG(seed, seed))
	randv := func(n int, f func() float64) []float32 {
		o := make([]float32, n)
		for i := range o {
			o[i] = float32(f())
		}
		return o
	}
	bit := func() float64 { return float64(rng.IntN(2)) }
	c := &surrogate.Chunk{
		DUnf:    randv(T*B*len(a.Inputs), rng.Float64),
		VTeach:  randv(T*B, rng.NormFloat64),
		Mask:    randv(T*B, bit),
		VTarget: randv(T*B, rng.NormFloat64),
		WV:      randv(T*B, rng.Float64),
		Y:       randv(T*B, bit),
		WS:      randv(T*B, rng.Float64),
		VIn:     randv(B, func() float64 { return 0.3 * rng.NormFloat64() }),
		H:       [][]float32{randv(B*a.Hidden, func() float64 { return 0.5 * rng.NormFloat64() })},
	}
	c.InvMask = make([]float32, T*B)
	for i, m := range c.Mask {
		c.InvMask[i] = 1 - m
	}
	return c
}

// cloneChunk copies the arrays a gru engine reads and writes.
func cloneChunk(c *surrogate.Chunk) *surrogate.Chunk {
	cp := func(s []float32) []float32 { return append([]float32(nil), s...) }
	return &surrogate.Chunk{DUnf: cp(c.DUnf), VTeach: cp(c.VTeach), Mask: cp(c.Mask), InvMask: cp(c.InvMask), VTarget: cp(c.VTarget),
		WV: cp(c.WV), Y: cp(c.Y), WS: cp(c.WS), VIn: cp(c.VIn), H: [][]float32{cp(c.H[0])}}
}

// TestGraphGradient compares the graph's gradient of the loss in every
// weight entry with central finite differences (mixed teacher and free
// steps, spike targets, loss weights, a carried state), and checks that
// gradients do not accumulate across runs and runs leave the weights alone.
func TestGraphGradient(t *testing.T) {
	for _, residual := range []bool{false, true} {
		t.Run(fmt.Sprintf("residual%v", residual), func(t *testing.T) {
			a := testArch(2, 5, residual)
			m := testModel(t, a)
			const B, T = 4, 10
			gr, err := New(m, B, T)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			c0 := randomChunk(a, B, T, 5)
			loss := func() float64 {
				if err := gr.Run(cloneChunk(c0)); err != nil {
					t.Fatal(err)
				}
				l, lv, ls := gr.Loss()
				if math.Abs(l-(lv+ls)) > 1e-6*math.Abs(l) || lv <= 0 || ls <= 0 {
					t.Fatalf("loss %g is not its Vm part %g plus its spike part %g", l, lv, ls)
				}
				return l
			}
			before := m.Clone()
			loss()
			checkLoss(t, gr, c0)
			grads := map[string][]float32{}
			for k, g := range gr.Grads() {
				grads[k] = append([]float32(nil), g...)
			}
			for k, w := range m.W {
				for i := range w.Data {
					if w.Data[i] != before.W[k].Data[i] {
						t.Fatalf("running the graph changed weight %s[%d]", k, i)
					}
				}
			}
			loss()
			for k, g := range gr.Grads() {
				for i := range g {
					if g[i] != grads[k][i] {
						t.Fatalf("%s[%d]: gradient %g on the second identical run, %g on the first", k, i, g[i], grads[k][i])
					}
				}
			}
			checked, worst := 0, 0.0
			for _, name := range a.ParamNames() {
				w := m.W[name].Data
				for i := range w {
					old := w[i]
					const h = 1e-2
					w[i] = old + h
					lp := loss()
					w[i] = old - h
					lm := loss()
					w[i] = old
					num := (lp - lm) / (2 * h)
					an := float64(grads[name][i])
					rel := math.Abs(num-an) / math.Max(1, math.Abs(num))
					worst = math.Max(worst, rel)
					if rel > 1e-2 {
						t.Errorf("%s[%d]: gradient %g, finite difference %g", name, i, an, num)
					}
					checked++
				}
			}
			t.Logf("checked %d gradient entries: worst relative difference %.2g", checked, worst)
		})
	}
}

// checkLoss recomputes the last run's loss parts in float64 from its
// per-step outputs — Σ WV (pred − VTarget)² and Σ WS (log(1 + e^logit) −
// Y logit) — and wants the graph's within float32 summation error.
func checkLoss(t *testing.T, gr *Graph, c *surrogate.Chunk) {
	t.Helper()
	var lv, ls float64
	for k := 0; k < gr.T; k++ {
		pred, logit := gr.PredVm(k), gr.Logit(k)
		for b := 0; b < gr.B; b++ {
			r := k*gr.B + b
			e := float64(pred[b]) - float64(c.VTarget[r])
			lv += float64(c.WV[r]) * e * e
			x := float64(logit[b])
			ls += float64(c.WS[r]) * (math.Log1p(math.Exp(x)) - float64(c.Y[r])*x)
		}
	}
	_, gv, gs := gr.Loss()
	if math.Abs(gv-lv) > 1e-5*lv || math.Abs(gs-ls) > 1e-5*ls {
		t.Errorf("loss parts (%g, %g), recomputed from the outputs (%g, %g)", gv, gs, lv, ls)
	}
}

// TestTrainingLowersLoss trains a gru model through the engine registry
// (surrogate.NewEngine "gorgonia") with plain Adam on a synthetic task —
// the next Vm is a low-pass of the input drive, the spike target whether
// it is high — and wants the loss at least halved in 50 steps.
func TestTrainingLowersLoss(t *testing.T) {
	for _, residual := range []bool{false, true} {
		t.Run(fmt.Sprintf("residual%v", residual), func(t *testing.T) {
			a := testArch(1, 8, residual)
			m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{100}}, 1)
			if err != nil {
				t.Fatal(err)
			}
			const B, T = 4, 50
			eng, err := surrogate.NewEngine("gorgonia", m, B, T)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.Close()
			c := lowPassTask(B, T)
			var first, last float64
			opt := newAdam(m, 0.02)
			for step := 0; step < 50; step++ {
				run := cloneChunk(c) // every step from the same start
				if err := eng.Run(run); err != nil {
					t.Fatal(err)
				}
				l, _, _ := eng.Loss()
				if step == 0 {
					first = l
				}
				last = l
				opt.step(eng.Grads())
			}
			t.Logf("loss %.4g -> %.4g", first, last)
			if !(last < 0.5*first) {
				t.Errorf("loss %g after 50 steps, %g before: not halved", last, first)
			}
		})
	}
}

// lowPassTask is a teacher-forced chunk of B cells and T steps: random
// input events (normalized drive d), a Vm that follows
// v(t+1) = 0.8 v(t) + 0.5 d(t) from rest, spike targets where v(t+1) > 0.5.
func lowPassTask(B, T int) *surrogate.Chunk {
	rng := rand.New(rand.NewPCG(11, 11))
	c := newChunk(testArch(1, 8, false), B, T, make([]float32, T*B), make([]float32, B), make([]float32, B*8))
	v := make([]float32, B)
	for k := 0; k < T; k++ {
		for b := 0; b < B; b++ {
			r := k*B + b
			if rng.IntN(4) == 0 {
				c.DUnf[r] = float32(rng.Float64())
			}
			c.VTeach[r], c.Mask[r], c.InvMask[r] = v[b], 1, 0
			v[b] = 0.8*v[b] + 0.5*c.DUnf[r]
			c.VTarget[r] = v[b]
			if v[b] > 0.5 {
				c.Y[r] = 1
			}
			c.WS[r] = 0.1
		}
	}
	return c
}

// adam is the Adam optimizer (Kingma & Ba) over a model's weights.
type adam struct {
	m    *surrogate.Model
	lr   float64
	t    int
	mom  map[string][]float64
	vel  map[string][]float64
	b1   float64
	b2   float64
	epsi float64
}

func newAdam(m *surrogate.Model, lr float64) *adam {
	o := &adam{m: m, lr: lr, mom: map[string][]float64{}, vel: map[string][]float64{}, b1: 0.9, b2: 0.999, epsi: 1e-8}
	for k, w := range m.W {
		o.mom[k], o.vel[k] = make([]float64, len(w.Data)), make([]float64, len(w.Data))
	}
	return o
}

// step updates the weights in place from their gradients.
func (o *adam) step(grads map[string][]float32) {
	o.t++
	c1, c2 := 1-math.Pow(o.b1, float64(o.t)), 1-math.Pow(o.b2, float64(o.t))
	for k, w := range o.m.W {
		mo, ve := o.mom[k], o.vel[k]
		for i, g := range grads[k] {
			mo[i] = o.b1*mo[i] + (1-o.b1)*float64(g)
			ve[i] = o.b2*ve[i] + (1-o.b2)*float64(g)*float64(g)
			w.Data[i] -= float32(o.lr * mo[i] / c1 / (math.Sqrt(ve[i]/c2) + o.epsi))
		}
	}
}
