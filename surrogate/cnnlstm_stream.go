package surrogate

import (
	"gonum.org/v1/gonum/blas/blas32"
	"neurosurrogate/internal/activate"
	"neurosurrogate/internal/cpu"
	"neurosurrogate/internal/gemm"
)

// cnnLSTMStream is the CNN-LSTM's inference pass: it carries each cell's
// LSTM state and the short causal input history the convolution needs;
// each step costs one matrix product per layer over the batch, whatever
// the history length.
type cnnLSTMStream struct {
	m             *Model
	N             int
	cin, k, f, hd int
	layers        int
	nIn           int
	kern          cpu.Level // matrix and activation kernels (internal/gemm, internal/activate)

	// The convolution is one matrix product over the unfolded history of
	// the ring's channels: the fed-back ones (Vm, spike) and, for models
	// with few inputs (dense: most bins hold input), the inputs too. Models
	// with many inputs (one per synapse: most bins of most inputs are
	// empty) scatter them instead: an input in this bin adds its weights
	// for lag l to the convolution output l samples ahead, kept in acc.
	sparse bool
	rc     int            // channels per cell in the ring: fed, plus nIn if !sparse
	ring   []float32      // K slots of N x rc, slot (pos - lag) mod K holds lag
	pos    int            // slot of the current sample in ring and acc
	unf    blas32.General // N x K*rc unfolded history
	convP  *gemm.PackedB  // K*rc x F weights of the ring's channels, packed
	taps   []int          // lags of the input taps (Arch.Taps)
	wd     []float32      // sparse: taps*nIn x F input weights, row tap*nIn+j
	acc    []float32      // sparse: K+D slots of N x F, slot (apos + delay + lag) mod (K+D) holds the inputs' part that many samples ahead
	decay  []float32      // trace-lstm: the traces' decays (Arch.TraceDecays); acc then holds slot m = trace m's mixed part, N x F
	floor  []float32      // trace-lstm: each trace's flush threshold (TraceFloors)
	tick   int            // trace-lstm: steps since Reset (FlushEvery)
	apos   int            // sparse: slot of the current sample in acc
	convB  []float32
	feat   blas32.General // N x F

	// Input delays (Input.DelaySteps): dly[j] per input, nil if none. The
	// sparse path scatters a delayed input further ahead in acc; the dense
	// one adds a bin's drive to slot (dpos + dly[j]) of dring (D+1 slots
	// of N x nIn), and slot dpos is the drive the convolution sees.
	dly   []int
	dring []float32
	dpos  int
	dnow  []float32

	xh    []blas32.General // per layer: N x (In+H), [x | h]
	w     []blas32.General // per layer: (In+H) x 4H, gates i f g o
	wP    []*gemm.PackedB  // w, packed for Mul
	b     [][]float32      // per layer: 4H
	gates blas32.General   // N x 4H
	c     [][]float32      // per layer: N x H

	vw, sw []float32 // heads
	vb, sb float32
	fed    int // fed-back channels (Vm; spike)

	vNorm []float32 // N: current Vm input (normalized), the last prediction
	sFed  []float32 // N, Arch.HearsFired: the spike the next step hears (SetSpike), else nil: it hears P
	V     []float32 // N: predicted Vm (mV) for the next sample, after Step
	P     []float32 // N: spike probability of the bin just stepped, after Step
}

// newCNNLSTMStream prepares the pass for n cells at rest on the kernels of
// level kern (tests run each).
func newCNNLSTMStream(kern cpu.Level, m *Model, n int, vInitMV float32) *cnnLSTMStream {
	a := m.Arch
	s := &cnnLSTMStream{m: m, N: n, cin: a.Cin(), k: a.Kernel, f: a.Conv, hd: a.Hidden, layers: a.Layers, nIn: len(a.Inputs), kern: kern, fed: a.fed()}
	// Inputs read at other lags than the Vm (Arch.InputLags) are always
	// scattered: the ring holds K lags only.
	s.sparse = s.nIn > sparseInputs || len(a.InputLags) > 0 || len(a.TracesMS) > 0
	s.taps = a.Taps()
	s.rc = s.cin
	if s.sparse {
		s.rc = s.fed
		s.wd = append([]float32(nil), m.W[WConvInputs].Data...) // a copy, as the packed matrices are
		slots := s.taps[len(s.taps)-1] + 1 + a.MaxDelay()
		if len(a.TracesMS) > 0 {
			s.decay = a.TraceDecays()
			s.floor = TraceFloors(s.decay)
			slots = len(s.decay)
		}
		s.acc = make([]float32, slots*n*s.f)
	}
	rc := s.rc
	s.ring = make([]float32, s.k*n*rc)
	s.unf = blas32.General{Rows: n, Cols: s.k * rc, Stride: s.k * rc, Data: make([]float32, n*s.k*rc)}
	// One matrix over the unfolded [Vm, spike, inputs...] of each lag.
	conv := make([]float32, s.k*rc*s.f)
	wd := m.W[WConvInputs].Data
	for lag := 0; lag < s.k; lag++ {
		copy(conv[(lag*rc)*s.f:], m.W[WConvVm].Data[lag*s.f:(lag+1)*s.f])
		if a.FeedSpike {
			copy(conv[(lag*rc+1)*s.f:], m.W[WConvSpike].Data[lag*s.f:(lag+1)*s.f])
		}
		if !s.sparse {
			for j := 0; j < s.nIn; j++ {
				copy(conv[(lag*rc+s.fed+j)*s.f:], wd[(lag*s.nIn+j)*s.f:(lag*s.nIn+j+1)*s.f])
			}
		}
	}
	if d := a.MaxDelay(); d > 0 {
		s.dly = make([]int, s.nIn)
		for j, in := range a.Inputs {
			s.dly[j] = in.DelaySteps
		}
		if !s.sparse {
			s.dring = make([]float32, (d+1)*n*s.nIn)
			s.dnow = make([]float32, n*s.nIn)
		}
	}
	s.convP = gemm.NewPackedBOn(kern, conv, s.k*rc, s.f, s.f)
	s.convB = m.W[WConvBias].Data
	s.feat = blas32.General{Rows: n, Cols: s.f, Stride: s.f, Data: make([]float32, n*s.f)}
	lay := a.Layout()
	in := s.f
	for l := 0; l < s.layers; l++ {
		cols := in + s.hd
		s.xh = append(s.xh, blas32.General{Rows: n, Cols: cols, Stride: cols, Data: make([]float32, n*cols)})
		// The layer's joined [x h 1] x 4H matrix: the weights, then the
		// biases as its last row.
		joined := make([]float32, (cols+1)*4*s.hd)
		lay.Join(JoinLSTM(l)).Gather(m.W, joined, 4*s.hd)
		w := blas32.General{Rows: cols, Cols: 4 * s.hd, Stride: 4 * s.hd, Data: joined[:cols*4*s.hd]}
		b := joined[cols*4*s.hd:]
		s.w = append(s.w, w)
		s.wP = append(s.wP, gemm.NewPackedBOn(kern, w.Data, w.Rows, w.Cols, w.Stride))
		s.b = append(s.b, b)
		s.c = append(s.c, make([]float32, n*s.hd))
		in = s.hd
	}
	s.gates = blas32.General{Rows: n, Cols: 4 * s.hd, Stride: 4 * s.hd, Data: make([]float32, n*4*s.hd)}
	s.vw, s.sw = m.W[WHeadVm].Data, m.W[WHeadSpike].Data
	s.vb, s.sb = m.W[WHeadVmB].Data[0], m.W[WHeadSpikeB].Data[0]
	s.vNorm = make([]float32, n)
	s.V = make([]float32, n)
	s.P = make([]float32, n)
	if a.HearsFired {
		s.sFed = make([]float32, n)
	}
	s.Reset(vInitMV)
	return s
}

// Reset puts every cell at rest: Vm = vInitMV, zero LSTM state, and a conv
// history as if the cell had sat at rest with no input.
func (s *cnnLSTMStream) Reset(vInitMV float32) {
	v0 := (vInitMV - s.m.Norm.VOffset) / s.m.Norm.VScale
	clear(s.ring)
	clear(s.acc)
	clear(s.dring)
	s.tick = 0
	s.dpos, s.apos = 0, 0
	for slot := 0; slot < s.k; slot++ {
		for i := 0; i < s.N; i++ {
			s.ring[(slot*s.N+i)*s.rc] = v0
		}
	}
	clear(s.sFed)
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

// SetVm overrides the fed-back Vm input (mV) of cell i.
func (s *cnnLSTMStream) SetVm(i int, vMV float32) {
	s.vNorm[i] = (vMV - s.m.Norm.VOffset) / s.m.Norm.VScale
}

// SetSpike sets the spike (0 or 1) cell i hears at its next step: a
// HearsFired model hears what its caller's readout fired (SpikeSetter).
func (s *cnnLSTMStream) SetSpike(i int, x float32) {
	if s.sFed != nil {
		s.sFed[i] = x
	}
}

// Step advances every cell one sample (Stepper).
func (s *cnnLSTMStream) Step(drive []float32) {
	n, rc, k, nIn := s.N, s.rc, s.k, s.nIn
	if s.dring != nil {
		drive = s.delayed(drive)
	}
	scale := s.m.Norm.InputScale
	// Newest goes to slot pos.
	slot := s.ring[s.pos*n*rc : (s.pos+1)*n*rc]
	for i := 0; i < n; i++ {
		u := slot[i*rc : (i+1)*rc]
		u[0] = s.vNorm[i]
		if s.fed == 2 {
			if s.sFed != nil {
				u[1] = s.sFed[i] // the previous bin's fired spike (SetSpike)
			} else {
				u[1] = s.P[i] // the previous bin's spike probability
			}
		}
		if !s.sparse {
			d := drive[i*nIn : (i+1)*nIn]
			for j := range d {
				u[s.fed+j] = d[j] * scale[j]
			}
		}
	}
	// Unfold: lag 0 (newest) first.
	for lag := 0; lag < k; lag++ {
		src := s.ring[((s.pos-lag+k)%k)*n*rc:]
		for i := 0; i < n; i++ {
			copy(s.unf.Data[i*s.unf.Stride+lag*rc:i*s.unf.Stride+(lag+1)*rc], src[i*rc:(i+1)*rc])
		}
	}
	s.convP.Mul(n, s.unf.Data, s.unf.Stride, s.feat.Data, s.feat.Stride)
	switch {
	case s.decay != nil:
		s.traces(drive)
	case s.sparse:
		s.scatter(drive)
	}
	s.pos = (s.pos + 1) % k
	activate.TanhRowsOn(s.kern, n, s.f, s.feat.Data, s.feat.Stride, s.convB, s.xh[0].Data, s.xh[0].Stride)
	h4 := 4 * s.hd
	for l := 0; l < s.layers; l++ {
		s.wP[l].Mul(n, s.xh[l].Data, s.xh[l].Stride, s.gates.Data, s.gates.Stride)
		// h goes to the right part of this layer's [x | h] and, below the
		// top layer, is the next layer's x.
		xh := s.xh[l]
		activate.LSTMRowsOn(s.kern, n, s.hd, s.gates.Data, h4, s.b[l], s.c[l], s.hd, xh.Data[xh.Cols-s.hd:], xh.Stride)
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
		s.P[i] = activate.Sigmoid32(sp)
	}
}

// sparseInputs is the most inputs a model may have for Stream to treat them
// as dense (hh, ballstick: 2 inputs that hold events in most bins); more
// (the per-synapse Hay model: 200, about one event per cell and bin) are
// scattered. BenchmarkStream measures both.
const sparseInputs = 4

// scatter adds this bin's inputs to the convolution outputs of this and
// later samples (one per tap), and this sample's input part to feat.
func (s *cnnLSTMStream) scatter(drive []float32) {
	n, f, nIn := s.N, s.f, s.nIn
	slots := len(s.acc) / (n * f)
	scale := s.m.Norm.InputScale
	for i := 0; i < n; i++ {
		d := drive[i*nIn : (i+1)*nIn]
		for j, x := range d {
			if x == 0 {
				continue
			}
			u := x * scale[j]
			ahead := s.apos
			if s.dly != nil {
				ahead += s.dly[j]
			}
			for ti, lag := range s.taps {
				dst := s.acc[(((ahead+lag)%slots)*n+i)*f:][:f]
				w := s.wd[(ti*nIn+j)*f:][:f]
				for c := range dst {
					dst[c] += u * w[c]
				}
			}
		}
		now := s.acc[(s.apos*n+i)*f:][:f]
		row := s.feat.Data[i*s.feat.Stride:][:f]
		for c := range row {
			row[c] += now[c]
		}
		clear(now)
	}
	s.apos = (s.apos + 1) % slots
}

// traces decays every trace's mixed part, adds this bin's inputs to it
// and the traces' sum to feat (TraceFamily: trace m of input j times its
// weights, summed over j, evolves as the trace does). The decayed parts
// are summed as they decay, the inputs (about one a step in a cell with
// hundreds of synapses) added to both after.
func (s *cnnLSTMStream) traces(drive []float32) {
	n, f, nIn := s.N, s.f, s.nIn
	scale := s.m.Norm.InputScale
	for i := 0; i < n; i++ {
		row := s.feat.Data[i*s.feat.Stride:][:f]
		for m, d := range s.decay {
			a := s.acc[(m*n+i)*f:][:f]
			for c, x := range a {
				x *= d
				a[c] = x
				row[c] += x
			}
		}
		for j, x := range drive[i*nIn : (i+1)*nIn] {
			if x == 0 {
				continue
			}
			u := x * scale[j]
			for m := range s.decay {
				a := s.acc[(m*n+i)*f:][:f]
				w := s.wd[(m*nIn+j)*f:][:f]
				for c := range a {
					a[c] += u * w[c]
					row[c] += u * w[c]
				}
			}
		}
	}
	// Every FlushEvery steps, parts that decayed below their floor become
	// 0: they would decay into float32 subnormals, many times slower to
	// multiply.
	if s.tick++; s.tick%FlushEvery == 0 {
		for m, fl := range s.floor {
			for i, v := range s.acc[m*n*f : (m+1)*n*f] {
				if v < fl && v > -fl {
					s.acc[m*n*f+i] = 0
				}
			}
		}
	}
}

// delayed files this bin's drive under each input's delay and returns the
// drive due now.
func (s *cnnLSTMStream) delayed(drive []float32) []float32 {
	n, nIn := s.N, s.nIn
	slots := len(s.dring) / (n * nIn)
	for i := 0; i < n; i++ {
		d := drive[i*nIn : (i+1)*nIn]
		for j, x := range d {
			if x != 0 {
				s.dring[(((s.dpos+s.dly[j])%slots)*n+i)*nIn+j] += x
			}
		}
	}
	now := s.dring[s.dpos*n*nIn : (s.dpos+1)*n*nIn]
	copy(s.dnow, now)
	clear(now)
	s.dpos = (s.dpos + 1) % slots
	return s.dnow
}

// Outputs are the slices Step writes (Stepper).
func (s *cnnLSTMStream) Outputs() (v, p []float32) { return s.V, s.P }

// Hidden is cell i's last LSTM layer state after the last Step.
func (s *cnnLSTMStream) Hidden(i int) []float32 {
	data, stride := s.HiddenRows()
	return data[i*stride : i*stride+s.hd]
}

// HiddenRows is every cell's last-layer state as one matrix: cell i's
// state is data[i*stride:][:Hidden].
func (s *cnnLSTMStream) HiddenRows() (data []float32, stride int) {
	last := s.xh[s.layers-1]
	return last.Data[last.Cols-s.hd:], last.Stride
}

// CopyCell gives cell i the whole state of cell j of src, a stream of the
// same model that has stepped as many samples (CellCopier): its input and
// Vm history, the inputs already scattered ahead, its LSTM state and its
// last outputs.
func (s *cnnLSTMStream) CopyCell(i int, src Stepper, j int) error {
	o, ok := src.(*cnnLSTMStream)
	if !ok || o.m != s.m {
		return errOtherModel
	}
	// Arrays of slots, each slot N cells of w values.
	rows := func(dst, from []float32, w int) {
		if w == 0 || len(dst) == 0 {
			return
		}
		for slot := 0; slot < len(dst)/(s.N*w); slot++ {
			copy(dst[(slot*s.N+i)*w:][:w], from[(slot*o.N+j)*w:][:w])
		}
	}
	rows(s.ring, o.ring, s.rc)
	rows(s.acc, o.acc, s.f)
	rows(s.dring, o.dring, s.nIn)
	for l := range s.xh {
		rows(s.xh[l].Data, o.xh[l].Data, s.xh[l].Stride)
		rows(s.c[l], o.c[l], s.hd)
	}
	s.vNorm[i], s.V[i], s.P[i] = o.vNorm[j], o.V[j], o.P[j]
	if s.sFed != nil {
		s.sFed[i] = o.sFed[j]
	}
	s.pos, s.apos, s.dpos, s.tick = o.pos, o.apos, o.dpos, o.tick
	return nil
}
