package surrogate

import "gonum.org/v1/gonum/blas/blas32"

// Stream runs a model forward one sample at a time for a batch of N
// independent cells, carrying each cell's LSTM state and the short causal
// input history the convolution needs; each step costs one matrix product
// per layer over the batch, whatever the history length. The model's own
// Vm prediction is fed back as its Vm input.
type Stream struct {
	m             *Model
	N             int
	cin, k, f, hd int
	layers        int
	nIn           int
	kern          int // matrix and activation kernels (gemm.go)

	ring  []float32 // K slots of N x Cin inputs, slot (pos - lag) mod K holds lag
	pos   int
	unf   blas32.General // N x K*Cin unfolded conv input
	conv  blas32.General // K*Cin x F
	convP *PackedB       // conv, packed for Mul
	convB []float32
	feat  blas32.General // N x F

	xh    []blas32.General // per layer: N x (In+H), [x | h]
	w     []blas32.General // per layer: (In+H) x 4H, gates i f g o
	wP    []*PackedB       // w, packed for Mul
	b     [][]float32      // per layer: 4H
	gates blas32.General   // N x 4H
	c     [][]float32      // per layer: N x H

	vw, sw []float32 // heads
	vb, sb float32
	fed    int // fed-back channels ahead of the inputs (Vm; spike)

	vNorm []float32 // N: current Vm input (normalized), the last prediction
	V     []float32 // N: predicted Vm (mV) for the next sample, after Step
	P     []float32 // N: spike probability of the bin just stepped, after Step
}

// NewStream prepares a batch of n cells, all at rest (Vm = vInitMV, zero
// state).
func NewStream(m *Model, n int, vInitMV float32) *Stream {
	return newStreamWith(gemmKernel, m, n, vInitMV)
}

// newStreamWith is NewStream on a given kernel (gemm.go), for tests.
func newStreamWith(kern int, m *Model, n int, vInitMV float32) *Stream {
	a := m.Arch
	s := &Stream{m: m, N: n, cin: a.Cin(), k: a.Kernel, f: a.Conv, hd: a.Hidden, layers: a.Layers, nIn: len(a.Inputs), kern: kern, fed: a.fed()}
	s.ring = make([]float32, s.k*n*s.cin)
	s.unf = blas32.General{Rows: n, Cols: s.k * s.cin, Stride: s.k * s.cin, Data: make([]float32, n*s.k*s.cin)}
	// One conv matrix over the unfolded [Vm, inputs...] of each lag.
	s.conv = blas32.General{Rows: s.k * s.cin, Cols: s.f, Stride: s.f, Data: make([]float32, s.k*s.cin*s.f)}
	wv, wd := m.W["conv.wv"].Data, m.W["conv.wd"].Data
	for lag := 0; lag < s.k; lag++ {
		copy(s.conv.Data[(lag*s.cin)*s.f:], wv[lag*s.f:(lag+1)*s.f])
		if a.FeedSpike {
			copy(s.conv.Data[(lag*s.cin+1)*s.f:], m.W["conv.wsp"].Data[lag*s.f:(lag+1)*s.f])
		}
		for j := 0; j < s.nIn; j++ {
			copy(s.conv.Data[(lag*s.cin+s.fed+j)*s.f:], wd[(lag*s.nIn+j)*s.f:(lag*s.nIn+j+1)*s.f])
		}
	}
	s.convP = newPackedB(kernelFor(kern, s.conv.Cols), s.conv.Data, s.conv.Rows, s.conv.Cols, s.conv.Stride)
	s.convB = m.W["conv.b"].Data
	s.feat = blas32.General{Rows: n, Cols: s.f, Stride: s.f, Data: make([]float32, n*s.f)}
	in := s.f
	for l := 0; l < s.layers; l++ {
		cols := in + s.hd
		s.xh = append(s.xh, blas32.General{Rows: n, Cols: cols, Stride: cols, Data: make([]float32, n*cols)})
		w := blas32.General{Rows: cols, Cols: 4 * s.hd, Stride: 4 * s.hd, Data: make([]float32, cols*4*s.hd)}
		b := make([]float32, 4*s.hd)
		for gi, g := range Gates {
			wg := m.W[lstmName(l, "w", g)].Data
			for r := 0; r < cols; r++ {
				copy(w.Data[r*4*s.hd+gi*s.hd:r*4*s.hd+(gi+1)*s.hd], wg[r*s.hd:(r+1)*s.hd])
			}
			copy(b[gi*s.hd:], m.W[lstmName(l, "b", g)].Data)
		}
		s.w = append(s.w, w)
		s.wP = append(s.wP, newPackedB(kernelFor(kern, w.Cols), w.Data, w.Rows, w.Cols, w.Stride))
		s.b = append(s.b, b)
		s.c = append(s.c, make([]float32, n*s.hd))
		in = s.hd
	}
	s.gates = blas32.General{Rows: n, Cols: 4 * s.hd, Stride: 4 * s.hd, Data: make([]float32, n*4*s.hd)}
	s.vw, s.sw = m.W["head.v.w"].Data, m.W["head.s.w"].Data
	s.vb, s.sb = m.W["head.v.b"].Data[0], m.W["head.s.b"].Data[0]
	s.vNorm = make([]float32, n)
	s.V = make([]float32, n)
	s.P = make([]float32, n)
	s.Reset(vInitMV)
	return s
}

func lstmName(l int, kind, gate string) string {
	return "lstm" + string(rune('0'+l)) + "." + kind + gate
}

// Reset puts every cell at rest: Vm = vInitMV, zero LSTM state, and a conv
// history as if the cell had sat at rest with no input.
func (s *Stream) Reset(vInitMV float32) {
	v0 := (vInitMV - s.m.Norm.VOffset) / s.m.Norm.VScale
	clear(s.ring)
	for slot := 0; slot < s.k; slot++ {
		for i := 0; i < s.N; i++ {
			s.ring[(slot*s.N+i)*s.cin] = v0
		}
	}
	for i := range s.vNorm {
		s.vNorm[i] = v0
		s.V[i] = vInitMV
		s.P[i] = 0
	}
	for l := range s.c {
		clear(s.c[l])
		// h lives in the right part of xh
		for i := 0; i < s.N; i++ {
			row := s.xh[l].Data[i*s.xh[l].Stride:]
			clear(row[s.xh[l].Cols-s.hd : s.xh[l].Cols])
		}
	}
	s.pos = 0
}

// SetVm overrides the fed-back Vm input (mV) of cell i, e.g. to feed the
// reference's Vm during a warm-up.
func (s *Stream) SetVm(i int, vMV float32) {
	s.vNorm[i] = (vMV - s.m.Norm.VOffset) / s.m.Norm.VScale
}

// Step advances every cell one sample. drive holds, per cell, the summed
// event weight (uS) of each model input in this bin: drive[i*nIn + j].
// After Step, V holds each cell's predicted Vm at the next sample and P the
// probability that it spikes within this bin.
func (s *Stream) Step(drive []float32) {
	n, cin, k := s.N, s.cin, s.k
	scale := s.m.Norm.InputScale
	// Newest input goes to slot pos.
	slot := s.ring[s.pos*n*cin : (s.pos+1)*n*cin]
	for i := 0; i < n; i++ {
		u := slot[i*cin : (i+1)*cin]
		u[0] = s.vNorm[i]
		if s.fed == 2 {
			u[1] = s.P[i] // the previous bin's spike probability
		}
		d := drive[i*s.nIn : (i+1)*s.nIn]
		for j := range d {
			u[s.fed+j] = d[j] * scale[j]
		}
	}
	// Unfold: lag 0 (newest) first.
	for lag := 0; lag < k; lag++ {
		src := s.ring[((s.pos-lag+k)%k)*n*cin:]
		for i := 0; i < n; i++ {
			copy(s.unf.Data[i*s.unf.Stride+lag*cin:i*s.unf.Stride+(lag+1)*cin], src[i*cin:(i+1)*cin])
		}
	}
	s.pos = (s.pos + 1) % k
	s.convP.Mul(n, s.unf.Data, s.unf.Stride, s.feat.Data, s.feat.Stride)
	tanhRowsWith(s.kern, n, s.f, s.feat.Data, s.feat.Stride, s.convB, s.xh[0].Data, s.xh[0].Stride)
	h4 := 4 * s.hd
	for l := 0; l < s.layers; l++ {
		s.wP[l].Mul(n, s.xh[l].Data, s.xh[l].Stride, s.gates.Data, s.gates.Stride)
		// h goes to the right part of this layer's [x | h] and, below the
		// top layer, is the next layer's x.
		xh := s.xh[l]
		lstmRowsWith(s.kern, n, s.hd, s.gates.Data, h4, s.b[l], s.c[l], s.hd, xh.Data[xh.Cols-s.hd:], xh.Stride)
		if l+1 < s.layers {
			next := s.xh[l+1]
			for i := 0; i < n; i++ {
				copy(next.Data[i*next.Stride:i*next.Stride+s.hd], xh.Data[i*xh.Stride+xh.Cols-s.hd:i*xh.Stride+xh.Cols])
			}
		}
	}
	last := s.xh[s.layers-1]
	for i := 0; i < n; i++ {
		h := last.Data[i*last.Stride+last.Cols-s.hd : i*last.Stride+last.Cols]
		v, sp := s.vb, s.sb
		if s.m.Arch.Residual {
			v += s.vNorm[i]
		}
		for j, x := range h {
			v += x * s.vw[j]
			sp += x * s.sw[j]
		}
		s.vNorm[i] = v
		s.V[i] = v*s.m.Norm.VScale + s.m.Norm.VOffset
		s.P[i] = Sigmoid32(sp)
	}
}
