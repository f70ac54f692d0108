package gru

import (
	"neurosurrogate/internal/activate"
	"neurosurrogate/internal/gemm"
	"neurosurrogate/surrogate"
)

// stepper is the GRU's inference pass over n cells (surrogate.Stepper):
// two matrix products a step over the batch (the gates, the candidate)
// and the heads' dot products.
type stepper struct {
	m      *surrogate.Model
	n      int
	nIn, H int
	in     int // width of x: nIn + 1

	gatesP *gemm.PackedB // (in+H) x 2H: [Wz Wr]
	gatesB []float32     // 2H: [bz br]
	candP  *gemm.PackedB // (in+H) x H: Wh
	candB  []float32     // H: bh
	head   []float32     // (H+1) x 2: [vw sw; vb sb]

	xh    []float32 // n x (in+H): [x | h]
	xrh   []float32 // n x (in+H): [x | r⊙h]
	gates []float32 // n x 2H: pre-activations of z and r
	cand  []float32 // n x H: pre-activation of the candidate

	vNorm []float32 // n: current Vm input (normalized), the last prediction
	v, p  []float32 // n: outputs (mV; spike probability)
}

func newStepper(m *surrogate.Model, n int, vInitMV float32) *stepper {
	a := m.Arch
	s := &stepper{m: m, n: n, nIn: len(a.Inputs), H: a.Hidden, in: inWidth(a)}
	H, w := s.H, s.in+s.H
	g, _, gc := joined(m, JoinGates)
	s.gatesP = gemm.NewPackedB(g[:w*gc], w, gc)
	s.gatesB = g[w*gc:]
	c, _, cc := joined(m, JoinCandidate)
	s.candP = gemm.NewPackedB(c[:w*cc], w, cc)
	s.candB = c[w*cc:]
	s.head, _, _ = joined(m, JoinHead)
	s.xh = make([]float32, n*w)
	s.xrh = make([]float32, n*w)
	s.gates = make([]float32, n*2*H)
	s.cand = make([]float32, n*H)
	s.vNorm = make([]float32, n)
	s.v = make([]float32, n)
	s.p = make([]float32, n)
	s.Reset(vInitMV)
	return s
}

// Reset puts every cell at rest: Vm = vInitMV and h = 0.
func (s *stepper) Reset(vInitMV float32) {
	v0 := (vInitMV - s.m.Norm.VOffset) / s.m.Norm.VScale
	clear(s.xh)
	for i := range s.vNorm {
		s.vNorm[i], s.v[i], s.p[i] = v0, vInitMV, 0
	}
}

// SetVm overrides the fed-back Vm input (mV) of cell i.
func (s *stepper) SetVm(i int, vMV float32) {
	s.vNorm[i] = (vMV - s.m.Norm.VOffset) / s.m.Norm.VScale
}

// Outputs are the slices Step writes.
func (s *stepper) Outputs() (v, p []float32) { return s.v, s.p }

// Step advances every cell one sample on drive[i*nIn + j].
func (s *stepper) Step(drive []float32) {
	n, nIn, H, in := s.n, s.nIn, s.H, s.in
	w := in + H
	scale := s.m.Norm.InputScale
	// x = [inputs, Vm] beside the h of the step before.
	for i := 0; i < n; i++ {
		row := s.xh[i*w : i*w+in]
		for j, d := range drive[i*nIn : (i+1)*nIn] {
			row[j] = d * scale[j]
		}
		row[nIn] = s.vNorm[i]
	}
	s.gatesP.Mul(n, s.xh, w, s.gates, 2*H)
	for i := 0; i < n; i++ {
		xh, xrh := s.xh[i*w:(i+1)*w], s.xrh[i*w:(i+1)*w]
		g := s.gates[i*2*H : (i+1)*2*H]
		copy(xrh[:in], xh[:in])
		for k := 0; k < H; k++ {
			g[k] = activate.Sigmoid32(g[k] + s.gatesB[k])   // z
			r := activate.Sigmoid32(g[H+k] + s.gatesB[H+k]) // r
			xrh[in+k] = r * xh[in+k]
		}
	}
	s.candP.Mul(n, s.xrh, w, s.cand, H)
	vw, sw := func(k int) float32 { return s.head[2*k] }, func(k int) float32 { return s.head[2*k+1] }
	for i := 0; i < n; i++ {
		h := s.xh[i*w+in : (i+1)*w] // the new h replaces the old in place
		z := s.gates[i*2*H : i*2*H+H]
		c := s.cand[i*H : (i+1)*H]
		v, sp := s.head[2*H], s.head[2*H+1]
		for k := range h {
			nk := activate.Tanh32(c[k] + s.candB[k])
			h[k] += z[k] * (nk - h[k])
			v += h[k] * vw(k)
			sp += h[k] * sw(k)
		}
		if s.m.Arch.Residual {
			v += s.vNorm[i]
		}
		s.vNorm[i] = v
		s.v[i] = v*s.m.Norm.VScale + s.m.Norm.VOffset
		s.p[i] = activate.Sigmoid32(sp)
	}
}
