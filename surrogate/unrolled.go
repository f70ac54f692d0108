package surrogate

import (
	"fmt"
	"neurosurrogate/internal/activate"
	"neurosurrogate/internal/gemm"

	"gonum.org/v1/gonum/blas"
)

// Unrolled is the training computation of Graph — the model unrolled over
// T samples for B cells, its loss and the loss's gradient in every weight —
// written out by hand: a forward pass that keeps every step's activations,
// then backpropagation through time from the last step to the first.
//
// It exists for speed. In Graph every step is about 45 gorgonia nodes, and
// at these sizes gorgonia's cost per node (a fresh result tensor per node
// and run, a gradient add per weight and step, the tape's bookkeeping) is
// as large as the arithmetic. Here nothing is allocated per run, each step
// is one packed matrix product per layer forward and one backward, the
// cell's per-element work forward and backward is one vector kernel each
// (activate.CellFwdRows, activate.CellBackRows), and each weight's gradient is a product
// over all T·B rows at the end (summed over blocks of gradRows).
// Graph stays the definition: TestUnrolledEqualsGraph checks that both give
// the same loss, gradients, outputs and carried state for every kind of
// architecture, and TestUnrolledGradient checks the gradients against
// finite differences directly.
//
// The weights are read from the model on every Run, so an optimizer can
// update m.W in place between runs.
type Unrolled struct {
	B, T int
	m    *Model
	arch Arch
	lay  Layout

	k, nIn, f, hd, layers, fed int
	cw                         int   // conv input width: taps*nIn + K*fed + 1
	drive                      int   // drive width: taps*nIn
	inW                        []int // per layer: width of the layer's input (F, then H)

	// Joined weights (rebuilt from m.W on every Run), as Graph joins them.
	wc   []float32   // cw x F: conv.wd, conv.wv, [conv.wsp], conv.b
	w    [][]float32 // per layer (in+H+1) x 4H: gates i f g o side by side, biases last
	whv  []float32   // H: head.v's weights (the model's own memory)
	whs  []float32   // H: head.s's weights
	bv   float32     // head.v's bias
	bs   float32     // head.s's bias
	wa   []float32   // (H+1) x AuxHeads: the training heads, bias last
	wcP  *gemm.PackedB
	wP   []*gemm.PackedB // w, for the forward products
	wTP  []*gemm.PackedB // w transposed, for the backward ones
	half []float32       // scratch: w with the sigmoid gates halved

	// Forward values, one row per step and cell (t*B+b).
	convIn []float32   // T*B x cw: [drive | Vm history | spike history | 1]
	xs     [][]float32 // per layer T*B x (in+H+1): [input | h of the step before | 1]
	act    [][]float32 // per layer T*B x 4H: σ(i) σ(f) tanh(g) σ(o)
	c, tc  [][]float32 // per layer T*B x H: cell state and its tanh
	h      [][]float32 // per layer T*B x H
	out    []float32   // T*B x 2: predicted Vm (normalized), spike logit
	vin    []float32   // T*B: each step's Vm input
	sin    []float32   // T*B: each step's spike input (FeedSpike)
	aux    []float32   // T*B x AuxHeads: the training heads' outputs

	// Backward values.
	dz     [][]float32 // per layer T*B x 4H: gradient in the gate pre-activations
	dpre   []float32   // T*B x F: gradient in the conv pre-activations
	dout   []float32   // T*B x 2
	daux   []float32   // T*B x AuxHeads
	dvin   []float32   // T*B: gradient in each step's Vm input
	dsin   []float32   // T*B
	dx     []float32   // B x (widest layer input + H + 1)
	dh     []float32   // B x H
	dcNext [][]float32 // per layer B x H: dc of the step after, times its σ(f)
	dhNext [][]float32 // per layer B x H: gradient in h from the step after
	tile   []float32   // scratch for the products' partial tiles
	gtmp   []float32   // scratch for a block of a weight gradient

	dwc []float32   // cw x F
	dw  [][]float32 // per layer (in+H+1) x 4H

	grads map[string][]float32

	loss, lossV, lossS float64 // after Run (as Graph's Loss, LossV, LossS)
	na                 int     // Arch.AuxHeads
}

// Loss is the last Run's loss and its Vm and spike parts.
func (u *Unrolled) Loss() (total, vm, spike float64) { return u.loss, u.lossV, u.lossS }

// Close does nothing: an Unrolled holds only memory.
func (u *Unrolled) Close() {}

// NewUnrolled prepares the model's training computation over T samples for
// B cells. It reads m.W on every Run.
func NewUnrolled(m *Model, B, T int) (*Unrolled, error) {
	a := m.Arch
	if B < 1 || T < 1 {
		return nil, fmt.Errorf("unrolled: batch %d and length %d must be positive", B, T)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	u := &Unrolled{B: B, T: T, m: m, arch: a, lay: a.Layout(), k: a.Kernel, nIn: len(a.Inputs), f: a.Conv, hd: a.Hidden, layers: a.Layers, fed: a.fed()}
	u.drive = a.NumTaps() * u.nIn
	u.cw = u.drive + u.k*u.fed + 1
	rows := T * B
	H := u.hd
	u.wc = make([]float32, u.cw*u.f)
	u.convIn = make([]float32, rows*u.cw)
	u.dpre = make([]float32, rows*u.f)
	u.dwc = make([]float32, u.cw*u.f)
	widest := 0
	for l := 0; l < u.layers; l++ {
		in := H
		if l == 0 {
			in = u.f
		}
		u.inW = append(u.inW, in)
		xw := in + H + 1
		widest = max(widest, xw)
		u.w = append(u.w, make([]float32, xw*4*H))
		u.dw = append(u.dw, make([]float32, xw*4*H))
		u.xs = append(u.xs, make([]float32, rows*xw))
		u.act = append(u.act, make([]float32, rows*4*H))
		u.dz = append(u.dz, make([]float32, rows*4*H))
		for _, p := range []*[][]float32{&u.c, &u.tc, &u.h} {
			*p = append(*p, make([]float32, rows*H))
		}
		u.dcNext = append(u.dcNext, make([]float32, B*H))
		u.dhNext = append(u.dhNext, make([]float32, B*H))
	}
	u.out = make([]float32, rows*2)
	u.dout = make([]float32, rows*2)
	u.na = a.AuxHeads
	u.wa = make([]float32, (H+1)*u.na)
	u.aux = make([]float32, rows*u.na)
	u.daux = make([]float32, rows*u.na)
	u.vin = make([]float32, rows)
	u.dvin = make([]float32, rows)
	u.sin = make([]float32, rows)
	u.dsin = make([]float32, rows)
	u.dx = make([]float32, B*widest)
	u.dh = make([]float32, B*H)
	u.tile = make([]float32, gemm.TileScratch(max(u.cw, widest, 4*H)))
	u.grads = map[string][]float32{}
	for name, sh := range a.Shapes() {
		u.grads[name] = make([]float32, sh[0]*sh[1])
	}
	return u, nil
}

// check verifies the chunk's sizes.
func (u *Unrolled) check(c *Chunk) error {
	if err := c.Check(u.arch, u.B, u.T); err != nil {
		return fmt.Errorf("unrolled: %w", err)
	}
	return nil
}

// joinWeights copies the model's weights into the joined matrices of its
// layout and packs them.
func (u *Unrolled) joinWeights() {
	W := u.m.W
	F, H := u.f, u.hd
	u.lay.Join(JoinConv).Gather(W, u.wc, F)
	for l := 0; l < u.layers; l++ {
		u.lay.Join(JoinLSTM(l)).Gather(W, u.w[l], 4*H)
	}
	u.whv, u.whs = W[WHeadVm].Data[:H], W[WHeadSpike].Data[:H]
	u.bv, u.bs = W[WHeadVmB].Data[0], W[WHeadSpikeB].Data[0]
	if u.na > 0 {
		u.lay.Join(JoinHeadAux).Gather(W, u.wa, u.na)
	}
	u.wcP = gemm.Repack(u.wcP, u.wc, u.cw, F, false)
	if u.wP == nil {
		u.wP = make([]*gemm.PackedB, u.layers)
		u.wTP = make([]*gemm.PackedB, u.layers)
	}
	for l := range u.w {
		xw := u.inW[l] + H + 1
		// The forward product takes the sigmoid gates' columns halved, so
		// one tanh gives them all: σ(z) = (1 + tanh(z/2))/2 (halving is
		// exact in floating point).
		u.half = grow(u.half, len(u.w[l]))
		copy(u.half, u.w[l])
		for r := 0; r < xw; r++ {
			row := u.half[r*4*H : (r+1)*4*H]
			for j := range row[:2*H] {
				row[j] *= 0.5
			}
			for j := range row[3*H:] {
				row[3*H+j] *= 0.5
			}
		}
		u.wP[l] = gemm.Repack(u.wP[l], u.half, xw, 4*H, false)
		u.wTP[l] = gemm.Repack(u.wTP[l], u.w[l], 4*H, xw, true)
	}
}

// mul is C = A B on a packed B, with the partial tile's scratch from u.
func (u *Unrolled) mul(p *gemm.PackedB, m int, a []float32, lda int, c []float32, ldc int) {
	p.MulTile(m, a, lda, c, ldc, u.tile)
}

// Run computes the loss over the chunk, every weight's gradient (Grads)
// and the outputs of every step (PredVm, Logit), and replaces the chunk's
// carried state (VIn, VHist, SIn, SHist, H, C) with the state after its
// last step.
func (u *Unrolled) Run(c *Chunk) error {
	if err := u.check(c); err != nil {
		return err
	}
	u.joinWeights()
	u.forward(c)
	u.backward(c)
	u.carry(c)
	return nil
}

// forward runs the T steps, keeping what the backward pass needs.
func (u *Unrolled) forward(c *Chunk) {
	B, K, F, H, cw, dw := u.B, u.k, u.f, u.hd, u.cw, u.drive
	var lv, ls, la float64
	for t := 0; t < u.T; t++ {
		r0 := t * B
		// The Vm (and spike) input: the teacher's or the model's own.
		for b := 0; b < B; b++ {
			r := r0 + b
			src := c.VIn[b]
			if t > 0 {
				src = u.out[2*(r-B)]
			}
			u.vin[r] = c.Mask[r]*c.VTeach[r] + c.InvMask[r]*src
			if u.arch.FeedSpike {
				s := c.SIn[b]
				if t > 0 {
					s = activate.Sigmoid32(u.out[2*(r-B)+1])
				}
				u.sin[r] = c.Mask[r]*c.STeach[r] + c.InvMask[r]*s
			}
		}
		// The conv input rows: drive, Vm history (lag 0 first), spike
		// history, 1.
		for b := 0; b < B; b++ {
			r := r0 + b
			row := u.convIn[r*cw : (r+1)*cw]
			copy(row[:dw], c.DUnf[r*dw:(r+1)*dw])
			u.history(row[dw:dw+K], u.vin, c.VHist, t, b)
			if u.arch.FeedSpike {
				u.history(row[dw+K:dw+2*K], u.sin, c.SHist, t, b)
			}
			row[cw-1] = 1
		}
		// x = tanh(convIn wc), straight into the first layer's input rows.
		x0 := u.xs[0]
		xw0 := u.inW[0] + H + 1
		u.mul(u.wcP, B, u.convIn[r0*cw:], cw, x0[r0*xw0:], xw0)
		activate.TanhRows(B, F, x0[r0*xw0:], xw0, activate.Zeros(F), x0[r0*xw0:], xw0)
		for l := 0; l < u.layers; l++ {
			in, xw := u.inW[l], u.inW[l]+H+1
			xs := u.xs[l]
			for b := 0; b < B; b++ {
				r := r0 + b
				row := xs[r*xw : (r+1)*xw]
				if l > 0 {
					copy(row[:in], u.h[l-1][r*H:(r+1)*H])
				}
				if t > 0 {
					copy(row[in:in+H], u.h[l][(r-B)*H:(r-B+1)*H])
				} else {
					copy(row[in:in+H], c.H[l][b*H:(b+1)*H])
				}
				row[xw-1] = 1
			}
			// The gates: tanh of the pre-activations (the sigmoid gates'
			// halved by the weights), then (1 + tanh)/2 for those.
			z := u.dz[l][r0*4*H : (r0+B)*4*H] // scratch until the backward pass
			u.mul(u.wP[l], B, xs[r0*xw:], xw, z, 4*H)
			act := u.act[l][r0*4*H : (r0+B)*4*H]
			activate.TanhRows(B, 4*H, z, 4*H, activate.Zeros(4*H), act, 4*H)
			cp := c.C[l]
			if t > 0 {
				cp = u.c[l][(r0-B)*H : r0*H]
			}
			activate.CellFwdRows(B, H, act, cp, u.c[l][r0*H:(r0+B)*H], u.tc[l][r0*H:(r0+B)*H], u.h[l][r0*H:(r0+B)*H])
		}
		// Heads, residual, loss.
		hL := u.h[u.layers-1]
		for b := 0; b < B; b++ {
			r := r0 + b
			hr := hL[r*H : (r+1)*H]
			ov, os := u.bv+dot(hr, u.whv), u.bs+dot(hr, u.whs)
			if u.arch.Residual {
				ov += u.vin[r]
			}
			u.out[2*r], u.out[2*r+1] = ov, os
			e := float64(ov) - float64(c.VTarget[r])
			lv += float64(c.WV[r]) * e * e
			x := float64(os)
			ls += float64(c.WS[r]) * (activate.Softplus(x) - float64(c.Y[r])*x)
		}
		if u.na > 0 {
			la += u.auxForward(c, hL[r0*H:(r0+B)*H], r0)
		}
	}
	// As Graph's loss op: summed in float64, reported in float32.
	u.lossV, u.lossS = float64(float32(lv)), float64(float32(ls))
	u.loss = float64(float32(lv) + float32(ls) + float32(la))
}

// auxForward computes the training heads of the B rows from r0 (their
// last-layer states h) and returns their loss, Σ WA (aux − Aux)², keeping
// each error's gradient 2 WA (aux − Aux) for the backward pass.
func (u *Unrolled) auxForward(c *Chunk, h []float32, r0 int) float64 {
	B, H, n := u.B, u.hd, u.na
	out := u.aux[r0*n : (r0+B)*n]
	bias := u.wa[H*n:]
	for b := 0; b < B; b++ {
		copy(out[b*n:(b+1)*n], bias)
	}
	bl := gemm.BLAS{}
	bl.Sgemm(blas.NoTrans, blas.NoTrans, B, n, H, 1, h, H, u.wa, n, 1, out, n)
	var l float64
	for i, y := range out {
		r := r0*n + i
		e := y - c.Aux[r]
		l += float64(c.WA[r]) * float64(e) * float64(e)
		u.daux[r] = 2 * c.WA[r] * e
	}
	return l
}

// dot is the dot product of a and b[:len(a)].
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for j, x := range a {
		s += x * b[j]
	}
	return s
}

// history fills dst (K values, lag 0 first) with the inputs of step t and
// the K-1 before it for cell b: from this chunk's steps, then from the
// carried history (column l-1 at lag l).
func (u *Unrolled) history(dst, cur, carried []float32, t, b int) {
	K, B := u.k, u.B
	for l := 0; l < K; l++ {
		if s := t - l; s >= 0 {
			dst[l] = cur[s*B+b]
		} else {
			dst[l] = carried[b*(K-1)+l-1-t]
		}
	}
}

// backward propagates the loss's gradient from the last step to the first
// and forms every weight's gradient.
func (u *Unrolled) backward(c *Chunk) {
	B, K, F, H, cw, T, dw := u.B, u.k, u.f, u.hd, u.cw, u.T, u.drive
	clear(u.dvin)
	clear(u.dsin)
	for l := range u.dcNext {
		clear(u.dcNext[l])
		clear(u.dhNext[l])
	}
	for t := T - 1; t >= 0; t-- {
		r0 := t * B
		// The loss's gradient in this step's outputs, and what the next
		// step's Vm (and spike) input, which is this output fed back, sends.
		for b := 0; b < B; b++ {
			r := r0 + b
			ov, os := u.out[2*r], u.out[2*r+1]
			p := activate.Sigmoid32(os)
			gv := 2 * c.WV[r] * (ov - c.VTarget[r])
			gs := c.WS[r] * (p - c.Y[r])
			if t+1 < T {
				n := r + B
				gv += c.InvMask[n] * u.dvin[n]
				if u.arch.FeedSpike {
					gs += c.InvMask[n] * u.dsin[n] * p * (1 - p)
				}
			}
			u.dout[2*r], u.dout[2*r+1] = gv, gs
			if u.arch.Residual {
				u.dvin[r] += gv
			}
		}
		// Into the last layer's h.
		last := u.layers - 1
		for b := 0; b < B; b++ {
			gv, gs := u.dout[2*(r0+b)], u.dout[2*(r0+b)+1]
			dh := u.dh[b*H : (b+1)*H]
			dn, hv, hs := u.dhNext[last][b*H:b*H+len(dh)], u.whv[:len(dh)], u.whs[:len(dh)]
			for j := range dh {
				dh[j] = gv*hv[j] + gs*hs[j] + dn[j]
			}
			if n := u.na; n > 0 {
				ga := u.daux[(r0+b)*n : (r0+b+1)*n]
				for j := range dh {
					dh[j] += dot(ga, u.wa[j*n:(j+1)*n])
				}
			}
		}
		for l := last; l >= 0; l-- {
			in, xw := u.inW[l], u.inW[l]+H+1
			act := u.act[l][r0*4*H : (r0+B)*4*H]
			tcl := u.tc[l][r0*H : (r0+B)*H]
			dz := u.dz[l][r0*4*H : (r0+B)*4*H]
			cp := c.C[l]
			if t > 0 {
				cp = u.c[l][(r0-B)*H : r0*H]
			}
			activate.CellBackRows(B, H, act, tcl, cp, u.dh, u.dcNext[l], dz)
			// [dinput dh_prev dbias] = dz wᵀ
			u.mul(u.wTP[l], B, dz, 4*H, u.dx, xw)
			for b := 0; b < B; b++ {
				row := u.dx[b*xw : (b+1)*xw]
				copy(u.dhNext[l][b*H:(b+1)*H], row[in:in+H])
				if l > 0 {
					dh, dn := u.dh[b*H:(b+1)*H], u.dhNext[l-1][b*H:(b+1)*H]
					for j := range dh {
						dh[j] = row[j] + dn[j]
					}
				}
			}
		}
		// The conv: through tanh, then into the Vm (and spike) histories.
		x0, xw0 := u.xs[0], u.inW[0]+H+1
		for b := 0; b < B; b++ {
			r := r0 + b
			x := x0[r*xw0 : r*xw0+F]
			dx, dp := u.dx[b*xw0:b*xw0+F], u.dpre[r*F:(r+1)*F]
			for j := range dp {
				dp[j] = dx[j] * (1 - x[j]*x[j])
			}
			for lag := 0; lag < K && lag <= t; lag++ {
				s := (t-lag)*B + b
				u.dvin[s] += dot(dp, u.wc[(dw+lag)*F:(dw+lag+1)*F])
				if u.arch.FeedSpike {
					u.dsin[s] += dot(dp, u.wc[(dw+K+lag)*F:(dw+K+lag+1)*F])
				}
			}
		}
	}
	// Each weight's gradient: a product over all steps.
	rows := T * B
	u.gradProduct(u.dwc, u.convIn, cw, u.dpre, F, rows)
	for l := range u.dw {
		u.gradProduct(u.dw[l], u.xs[l], u.inW[l]+H+1, u.dz[l], 4*H, rows)
	}
	u.splitGrads()
	// The heads' gradients straight into theirs.
	vw, sw := u.grads[WHeadVm], u.grads[WHeadSpike]
	vb, sb := u.grads[WHeadVmB], u.grads[WHeadSpikeB]
	clear(vw)
	clear(sw)
	vb[0], sb[0] = 0, 0
	hL := u.h[u.layers-1]
	for r := 0; r < rows; r++ {
		gv, gs := u.dout[2*r], u.dout[2*r+1]
		hr := hL[r*H : (r+1)*H]
		vw, sw := vw[:len(hr)], sw[:len(hr)]
		for j, x := range hr {
			vw[j] += x * gv
			sw[j] += x * gs
		}
		vb[0] += gv
		sb[0] += gs
	}
	if n := u.na; n > 0 {
		// [h 1]ᵀ daux, split into the weights and the bias.
		aw, ab := u.grads[WHeadAux], u.grads[WHeadAuxB]
		u.gradProduct(aw, hL, H, u.daux, n, rows)
		clear(ab)
		for r := 0; r < rows; r++ {
			for o, g := range u.daux[r*n : (r+1)*n] {
				ab[o] += g
			}
		}
	}
}

// gradRows is how many rows of the step values one product of the weight
// gradient takes: the kernel's tiles of A (12 x gradRows) and panels of B
// (gradRows x 32) then stay in the first-level cache, where over all T·B
// rows at once they streamed from memory (2.2x slower).
const gradRows = 256

// gradProduct sets dst (m x n) to xᵀ d, for x (rows x m) and d (rows x n),
// summing products over blocks of gradRows rows.
func (u *Unrolled) gradProduct(dst, x []float32, m int, d []float32, n, rows int) {
	bl := gemm.BLAS{}
	if rows <= gradRows {
		bl.Sgemm(blas.Trans, blas.NoTrans, m, n, rows, 1, x, m, d, n, 0, dst, n)
		return
	}
	u.gtmp = grow(u.gtmp, m*n)
	clear(dst[:m*n])
	for r0 := 0; r0 < rows; r0 += gradRows {
		k := min(gradRows, rows-r0)
		bl.Sgemm(blas.Trans, blas.NoTrans, m, n, k, 1, x[r0*m:], m, d[r0*n:], n, 0, u.gtmp, n)
		for i, v := range u.gtmp {
			dst[i] += v
		}
	}
}

// splitGrads copies the joined conv and LSTM gradients into the per-weight
// ones.
func (u *Unrolled) splitGrads() {
	u.lay.Join(JoinConv).Scatter(u.lay, u.dwc, u.f, u.grads)
	for l := 0; l < u.layers; l++ {
		u.lay.Join(JoinLSTM(l)).Scatter(u.lay, u.dw[l], 4*u.hd, u.grads)
	}
}

// carry replaces the chunk's state with the state after the last step.
func (u *Unrolled) carry(c *Chunk) {
	B, K, H, T := u.B, u.k, u.hd, u.T
	last := (T - 1) * B
	// The histories first: they read the old carried values.
	next := func(cur, carried []float32) {
		for b := 0; b < B; b++ {
			for l := K - 1; l >= 1; l-- {
				// lag l from step T is lag l-1 from step T-1.
				if s := T - l; s >= 0 {
					carried[b*(K-1)+l-1] = cur[s*B+b]
				} else {
					carried[b*(K-1)+l-1] = carried[b*(K-1)+l-1-T]
				}
			}
		}
	}
	next(u.vin, c.VHist)
	if u.arch.FeedSpike {
		next(u.sin, c.SHist)
	}
	for b := 0; b < B; b++ {
		c.VIn[b] = u.out[2*(last+b)]
		if u.arch.FeedSpike {
			c.SIn[b] = activate.Sigmoid32(u.out[2*(last+b)+1])
		}
	}
	for l := 0; l < u.layers; l++ {
		copy(c.H[l], u.h[l][last*H:(last+B)*H])
		copy(c.C[l], u.c[l][last*H:(last+B)*H])
	}
}

// Grads is every weight's gradient after Run, by name (the Unrolled's own
// memory, overwritten by the next Run).
func (u *Unrolled) Grads() map[string][]float32 { return u.grads }

// PredVm is the predicted next Vm (normalized) of each cell at step t,
// after Run.
func (u *Unrolled) PredVm(t int) []float32 { return column(u.out[2*t*u.B:2*(t+1)*u.B], 2, 0) }

// AuxPred is the training heads' outputs at step t (B x AuxHeads, row
// major), after Run; nil without them.
func (u *Unrolled) AuxPred(t int) []float32 {
	if u.na == 0 {
		return nil
	}
	return u.aux[t*u.B*u.na : (t+1)*u.B*u.na]
}

// Logit is the spike logit of each cell at step t, after Run.
func (u *Unrolled) Logit(t int) []float32 { return column(u.out[2*t*u.B:2*(t+1)*u.B], 2, 1) }

// grow returns buf resized to n, reallocated only when too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// column copies column j of a row-major matrix of n columns.
func column(d []float32, n, j int) []float32 {
	out := make([]float32, len(d)/n)
	for i := range out {
		out[i] = d[i*n+j]
	}
	return out
}
