package train

import (
	"math"
	"math/rand/v2"

	"neurosurrogate/surrogate"
)

// feed fills one replica's inputs chunk by chunk for a batch of traces,
// runs its engine (the gorgonia graph g or the hand-written u) and carries
// the recurrent state from chunk to chunk.
type feed struct {
	g    *surrogate.Graph
	u    *surrogate.Unrolled
	arch surrogate.Arch
	norm surrogate.Norm
	cfg  Config
	b, t int

	tr []*series

	dunf, vteach, mask, inv, vtarget, wv, y, ws []float32
	steach                                      []float32 // FeedSpike: previous bin's spike
	vin0, sin0                                  []float32
	vhist, shist                                []float32   // B x (K-1), row-major: column l-1 at lag l
	h, c                                        [][]float32 // layers x B*H

	grads map[string][]float32
	loss  [3]float64 // total, Vm, spike
}

// newFeed prepares a replica of b traces for the model, on the engine the
// configuration names.
func newFeed(m *surrogate.Model, b int, a surrogate.Arch, n surrogate.Norm, cfg Config) (*feed, error) {
	f := &feed{arch: a, norm: n, cfg: cfg, b: b, t: cfg.Seq}
	var err error
	if cfg.Engine == "gorgonia" {
		f.g, err = surrogate.NewGraph(m, b, cfg.Seq)
	} else {
		f.u, err = surrogate.NewUnrolled(m, b, cfg.Seq)
	}
	if err != nil {
		return nil, err
	}
	rows := f.b * f.t
	f.dunf = make([]float32, rows*a.Kernel*len(a.Inputs))
	for _, p := range []*[]float32{&f.vteach, &f.mask, &f.inv, &f.vtarget, &f.wv, &f.y, &f.ws} {
		*p = make([]float32, rows)
	}
	f.vin0 = make([]float32, f.b)
	f.sin0 = make([]float32, f.b)
	f.steach = make([]float32, rows)
	f.vhist = make([]float32, f.b*(a.Kernel-1))
	f.shist = make([]float32, f.b*(a.Kernel-1))
	for l := 0; l < a.Layers; l++ {
		f.h = append(f.h, make([]float32, f.b*a.Hidden))
		f.c = append(f.c, make([]float32, f.b*a.Hidden))
	}
	return f, nil
}

// close releases the engine.
func (f *feed) close() {
	if f.g != nil {
		f.g.Close()
	}
}

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
	K, nIn := f.arch.Kernel, len(f.arch.Inputs)
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
			// unfolded drive
			d := f.dunf[row*K*nIn : (row+1)*K*nIn]
			for lag := 0; lag < K; lag++ {
				kk := k - lag
				for j := 0; j < nIn; j++ {
					x := float32(0)
					// Delayed inputs (Input.DelaySteps), as Stream delays them.
					if kd := kk - f.arch.Inputs[j].DelaySteps; kd >= 0 && kd < n {
						x = s.in[j][kd] * f.norm.InputScale[j]
					}
					d[lag*nIn+j] = x
				}
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

// run runs the engine on the chunk filled and keeps gradients, losses and
// the state to carry into the next chunk.
func (f *feed) run() error {
	if f.u != nil {
		return f.runUnrolled()
	}
	return f.runGraph()
}

// runUnrolled runs the hand-written engine, which carries the state in
// place.
func (f *feed) runUnrolled() error {
	c := surrogate.Chunk{DUnf: f.dunf, VTeach: f.vteach, Mask: f.mask, InvMask: f.inv, VTarget: f.vtarget, WV: f.wv, Y: f.y, WS: f.ws,
		STeach: f.steach, VIn: f.vin0, VHist: f.vhist, SIn: f.sin0, SHist: f.shist, H: f.h, C: f.c}
	if err := f.u.Run(&c); err != nil {
		return err
	}
	f.grads = f.u.Grads()
	f.loss = [3]float64{f.u.Loss, f.u.LossV, f.u.LossS}
	return nil
}

// runGraph binds the inputs to the gorgonia graph, runs it and copies out
// the state to carry.
func (f *feed) runGraph() error {
	g := f.g
	per := f.b * f.arch.Kernel * len(f.arch.Inputs)
	for t := 0; t < f.t; t++ {
		r0, r1 := t*f.b, (t+1)*f.b
		for _, bnd := range []error{
			surrogate.Bind(g.DUnf[t], f.dunf[t*per:(t+1)*per]),
			surrogate.Bind(g.VTeach[t], f.vteach[r0:r1]), surrogate.Bind(g.Mask[t], f.mask[r0:r1]),
			surrogate.Bind(g.InvMask[t], f.inv[r0:r1]), surrogate.Bind(g.VTarget[t], f.vtarget[r0:r1]),
			surrogate.Bind(g.WV[t], f.wv[r0:r1]), surrogate.Bind(g.Y[t], f.y[r0:r1]), surrogate.Bind(g.WS[t], f.ws[r0:r1]),
		} {
			if bnd != nil {
				return bnd
			}
		}
	}
	if err := surrogate.Bind(g.VIn0, f.vin0); err != nil {
		return err
	}
	if f.arch.FeedSpike {
		for t := 0; t < f.t; t++ {
			if err := surrogate.Bind(g.STeach[t], f.steach[t*f.b:(t+1)*f.b]); err != nil {
				return err
			}
		}
		if err := surrogate.Bind(g.SIn0, f.sin0); err != nil {
			return err
		}
		if g.SHist != nil {
			if err := surrogate.Bind(g.SHist, f.shist); err != nil {
				return err
			}
		}
	}
	if g.VHist != nil {
		if err := surrogate.Bind(g.VHist, f.vhist); err != nil {
			return err
		}
	}
	for l := range g.H0 {
		if err := surrogate.Bind(g.H0[l], f.h[l]); err != nil {
			return err
		}
		if err := surrogate.Bind(g.C0[l], f.c[l]); err != nil {
			return err
		}
	}
	if err := g.Run(); err != nil {
		return err
	}
	grads, err := g.Grads()
	if err != nil {
		return err
	}
	f.grads = grads
	f.loss = [3]float64{float64(g.Out(g.Loss)[0]), float64(g.Out(g.LossV)[0]), float64(g.Out(g.LossS)[0])}
	// Carry: copies, since the graph reuses its buffers on the next run.
	// Fresh slices, because the bound inputs alias these arrays.
	f.vin0 = g.PredVm(f.t - 1)
	f.vhist = tailHistory(g.Out(g.VinTail), f.b, f.arch.Kernel)
	if f.arch.FeedSpike {
		f.sin0 = g.SpikeProb(f.t - 1)
		f.shist = tailHistory(g.Out(g.SinTail), f.b, f.arch.Kernel)
	}
	for l := range f.h {
		f.h[l] = append([]float32(nil), g.Out(g.HT[l])...)
		f.c[l] = append([]float32(nil), g.Out(g.CT[l])...)
	}
	return nil
}

// tailHistory is the next chunk's (B, K-1) input history: the first K-1
// columns of the (B, K) history after the last step.
func tailHistory(tail []float32, b, k int) []float32 {
	out := make([]float32, b*(k-1))
	for r := 0; r < b; r++ {
		copy(out[r*(k-1):(r+1)*(k-1)], tail[r*k:r*k+k-1])
	}
	return out
}
