package train

import (
	"math"
	"math/rand/v2"

	"neurosurrogate/surrogate"
)

// feed fills one replica's inputs chunk by chunk for a batch of traces,
// runs its engine on them and carries the recurrent state from chunk to
// chunk (the engine replaces the chunk's state in place).
type feed struct {
	eng   surrogate.Engine
	chunk surrogate.Chunk // views of the arrays below
	arch  surrogate.Arch
	norm  surrogate.Norm
	cfg   Config
	b, t  int

	tr []*series

	dunf, vteach, mask, inv, vtarget, wv, y, ws []float32
	steach                                      []float32 // FeedSpike: previous bin's spike
	vin0, sin0                                  []float32
	vhist, shist                                []float32   // B x (K-1), row-major: column l-1 at lag l
	decay                                       []float32   // trace-lstm: the traces' decays per step (Arch.TraceDecays)
	trace                                       []float32   // trace-lstm: B x nIn x traces, each input's traces after the last sample filled
	h, c                                        [][]float32 // layers x B*H

	grads map[string][]float32
	loss  [3]float64 // total, Vm, spike
}

// newFeed prepares a replica of b traces for the model, on the engine the
// configuration names.
func newFeed(m *surrogate.Model, b int, a surrogate.Arch, n surrogate.Norm, cfg Config) (*feed, error) {
	f := &feed{arch: a, norm: n, cfg: cfg, b: b, t: cfg.Seq}
	var err error
	if f.eng, err = surrogate.NewEngine(cfg.Engine, m, b, cfg.Seq); err != nil {
		return nil, err
	}
	rows := f.b * f.t
	f.dunf = make([]float32, rows*a.NumTaps()*len(a.Inputs))
	for _, p := range []*[]float32{&f.vteach, &f.mask, &f.inv, &f.vtarget, &f.wv, &f.y, &f.ws} {
		*p = make([]float32, rows)
	}
	f.vin0 = make([]float32, f.b)
	f.sin0 = make([]float32, f.b)
	f.steach = make([]float32, rows)
	f.vhist = make([]float32, f.b*(a.Kernel-1))
	if len(a.TracesMS) > 0 {
		f.decay = a.TraceDecays()
		f.trace = make([]float32, f.b*len(a.Inputs)*len(f.decay))
	}
	f.shist = make([]float32, f.b*(a.Kernel-1))
	for l := 0; l < a.Layers; l++ {
		f.h = append(f.h, make([]float32, f.b*a.Hidden))
		f.c = append(f.c, make([]float32, f.b*a.Hidden))
	}
	f.chunk = surrogate.Chunk{DUnf: f.dunf, VTeach: f.vteach, Mask: f.mask, InvMask: f.inv, VTarget: f.vtarget, WV: f.wv, Y: f.y, WS: f.ws,
		STeach: f.steach, VIn: f.vin0, VHist: f.vhist, SIn: f.sin0, SHist: f.shist, H: f.h, C: f.c}
	return f, nil
}

// close releases the engine.
func (f *feed) close() { f.eng.Close() }

func (f *feed) vn(v float32) float32 { return (v - f.norm.VOffset) / f.norm.VScale }

// startBatch resets the carried state: every cell at rest at vInit.
func (f *feed) startBatch(tr []*series, vInit float32) {
	f.tr = tr
	v0 := f.vn(vInit)
	for i := range f.vin0 {
		f.vin0[i] = v0
	}
	for i := range f.vhist {
		f.vhist[i] = v0
	}
	clear(f.sin0)
	clear(f.shist)
	clear(f.trace)
	for l := range f.h {
		clear(f.h[l])
		clear(f.c[l])
	}
}

// nearSpike reports whether sample k is within win samples of a spike bin.
func nearSpike(s *series, k int, win int) bool {
	for j := max(0, k-win); j <= min(len(s.spike)-1, k+win); j++ {
		if s.spike[j] > 0 {
			return true
		}
	}
	return false
}

// fill prepares the chunk starting at sample k0. batch is the full batch
// size (losses are means over it, summed across replicas); frac is the
// fraction of training done (for scheduled feedback).
func (f *feed) fill(k0, batch int, frac float64, rng *rand.Rand) {
	taps, nIn := f.arch.Taps(), len(f.arch.Inputs)
	tw := f.arch.NumTaps() * nIn
	cfg := f.cfg
	norm := 1 / float32(batch*f.t)
	noise := cfg.NoiseMV / float64(f.norm.VScale)
	pTeach := 0.0
	switch cfg.Feedback {
	case "teacher":
		pTeach = 1
	case "scheduled":
		pTeach = math.Max(0, 1-frac/0.6)
	}
	win := int(math.Ceil(cfg.SpikeVmWindowMS/f.arch.SampleDT - 1e-9))
	for t := 0; t < f.t; t++ {
		k := k0 + t
		for b, s := range f.tr {
			row := t*f.b + b
			n := len(s.v)
			valid := k+1 < n
			// unfolded drive, or the traces
			d := f.dunf[row*tw : (row+1)*tw]
			if f.decay != nil {
				f.traces(d, s, b, k)
			} else {
				f.taps(d, s, taps, k)
			}
			f.steach[row] = 0
			if k > 0 && k-1 < len(s.spike) {
				f.steach[row] = s.spike[k-1]
			}
			if !valid {
				f.vteach[row], f.vtarget[row], f.y[row] = 0, 0, 0
				f.wv[row], f.ws[row] = 0, 0
				f.mask[row], f.inv[row] = 0, 1
				continue
			}
			teach := pTeach > 0 && (pTeach >= 1 || rng.Float64() < pTeach)
			if teach {
				f.mask[row], f.inv[row] = 1, 0
				f.vteach[row] = f.vn(s.v[k]) + float32(noise*rng.NormFloat64())
			} else {
				f.mask[row], f.inv[row] = 0, 1
				f.vteach[row] = 0
			}
			f.vtarget[row] = f.vn(s.v[k+1])
			w := float32(1)
			if nearSpike(s, k, win) {
				w = float32(cfg.SpikeVmWeight)
			}
			f.wv[row] = w * norm
			f.y[row] = s.spike[k]
			ws := float32(cfg.SpikeWeight)
			if s.spike[k] > 0 {
				ws *= float32(cfg.SpikePosWeight)
			}
			f.ws[row] = ws * norm
		}
	}
}

// taps writes the inputs of series s at sample k's taps (Arch.Taps,
// column tap·nIn + j) into d.
func (f *feed) taps(d []float32, s *series, taps []int, k int) {
	nIn, n := len(f.arch.Inputs), len(s.v)
	for ti, lag := range taps {
		kk := k - lag
		for j := 0; j < nIn; j++ {
			x := float32(0)
			// Delayed inputs (Input.DelaySteps), as Stream delays them.
			if kd := kk - f.arch.Inputs[j].DelaySteps; kd >= 0 && kd < n {
				x = s.in[j][kd] * f.norm.InputScale[j]
			}
			d[ti*nIn+j] = x
		}
	}
}

// traces advances cell b's traces (trace-lstm) by sample k of series s and
// writes them into d (column m·nIn + j). fill calls it for k = 0, 1, ...
// from the batch's start, as the traces carry from sample to sample.
func (f *feed) traces(d []float32, s *series, b, k int) {
	nIn, M := len(f.arch.Inputs), len(f.decay)
	for j := 0; j < nIn; j++ {
		x := float32(0)
		if k < len(s.v) {
			x = s.in[j][k] * f.norm.InputScale[j]
		}
		e := f.trace[(b*nIn+j)*M:][:M]
		for m, dm := range f.decay {
			e[m] = dm*e[m] + x
			d[m*nIn+j] = e[m]
		}
	}
}

// run runs the engine on the chunk filled and keeps gradients and losses;
// the chunk then holds the state to carry into the next one.
func (f *feed) run() error {
	if err := f.eng.Run(&f.chunk); err != nil {
		return err
	}
	f.grads = f.eng.Grads()
	f.loss[0], f.loss[1], f.loss[2] = f.eng.Loss()
	return nil
}
