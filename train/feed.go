package train

import (
	"fmt"
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
	steach                                      []float32   // FeedSpike: previous bin's spike
	heard                                       [][]float32 // HearsFired with HearJitterMS, HearDrop or HearOwn: per cell, the spikes it hears, by bin (nil: the reference's as they are)
	vin0, sin0                                  []float32
	vhist, shist                                []float32   // B x (K-1), row-major: column l-1 at lag l
	xin                                         []float32   // the chunk's inputs, normalized, per cell row-major by sample from hist samples before the chunk: B x (hist+T) x nIn
	hist                                        int         // samples of input history the chunk reads before its start (last tap + longest delay)
	delayed                                     bool        // some input has DelaySteps
	decay, floor                                []float32   // trace-lstm: the traces' decays per step (Arch.TraceDecays) and flush thresholds
	trace                                       []float32   // trace-lstm: B x traces x nIn, each input's traces after the last sample filled
	h, c                                        [][]float32 // layers x B*H
	aux, wa                                     []float32   // AuxHeads: T*B x targets
	targetNorm                                  []meanScale

	grads map[string][]float32
	loss  [3]float64 // total, Vm, spike
}

// newFeed prepares a replica of b traces for the model, on the engine the
// configuration names.
func newFeed(m *surrogate.Model, b int, a surrogate.Arch, n surrogate.Norm, cfg Config, targetNorm []meanScale) (*feed, error) {
	f := &feed{arch: a, norm: n, cfg: cfg, b: b, t: cfg.Seq, targetNorm: targetNorm}
	if a.AuxHeads != len(targetNorm) {
		return nil, fmt.Errorf("the model has %d training heads for %d targets", a.AuxHeads, len(targetNorm))
	}
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
	if len(a.TracesMS) == 0 {
		f.hist = a.Taps()[a.NumTaps()-1] + a.MaxDelay()
		f.delayed = a.MaxDelay() > 0
	}
	f.xin = make([]float32, f.b*(f.hist+f.t)*len(a.Inputs))
	if len(a.TracesMS) > 0 {
		f.decay = a.TraceDecays()
		f.floor = surrogate.TraceFloors(f.decay)
		f.trace = make([]float32, f.b*len(a.Inputs)*len(f.decay))
	}
	f.shist = make([]float32, f.b*(a.Kernel-1))
	for l := 0; l < a.Layers; l++ {
		f.h = append(f.h, make([]float32, f.b*a.Hidden))
		f.c = append(f.c, make([]float32, f.b*a.Hidden))
	}
	if na := a.AuxHeads; na > 0 {
		f.aux, f.wa = make([]float32, rows*na), make([]float32, rows*na)
	}
	f.chunk = surrogate.Chunk{DUnf: f.dunf, VTeach: f.vteach, Mask: f.mask, InvMask: f.inv, VTarget: f.vtarget, WV: f.wv, Y: f.y, WS: f.ws,
		STeach: f.steach, VIn: f.vin0, VHist: f.vhist, SIn: f.sin0, SHist: f.shist, H: f.h, C: f.c, Aux: f.aux, WA: f.wa}
	return f, nil
}

// close releases the engine.
func (f *feed) close() { f.eng.Close() }

func (f *feed) vn(v float32) float32 { return (v - f.norm.VOffset) / f.norm.VScale }

// startBatch resets the carried state: every cell at rest at vInit; rng
// draws the blur of the spikes a HearsFired model hears (Config.HearJitterMS,
// HearDrop); own, if not nil, holds per cell the spikes it hears instead, by
// bin (Config.HearOwn; nil for a cell that hears the reference's).
func (f *feed) startBatch(tr []*series, vInit float32, rng *rand.Rand, own [][]float32) {
	f.tr = tr
	f.blurHeard(rng)
	if own != nil {
		if f.heard == nil {
			f.heard = make([][]float32, len(tr))
			for b, s := range tr {
				f.heard[b] = s.spike
			}
		}
		for b, h := range own {
			if h != nil {
				f.heard[b] = h
			}
		}
	}
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

// blurHeard draws, for a HearsFired model trained with HearJitterMS or
// HearDrop, the spikes each cell of the batch hears: every reference spike
// moved by a whole number of samples within ±HearJitterMS and kept with
// probability 1 − HearDrop (nil without blur: it hears them as they are).
func (f *feed) blurHeard(rng *rand.Rand) {
	cfg := f.cfg
	if !f.arch.HearsFired || cfg.HearJitterMS == 0 && cfg.HearDrop == 0 {
		f.heard = nil
		return
	}
	j := int(math.Floor(cfg.HearJitterMS/f.arch.SampleDT + 1e-9))
	f.heard = make([][]float32, 0, len(f.tr))
	for _, s := range f.tr {
		h := make([]float32, len(s.spike))
		for k, x := range s.spike {
			if x == 0 || rng.Float64() < cfg.HearDrop {
				continue
			}
			at := k + rng.IntN(2*j+1) - j
			h[min(max(at, 0), len(h)-1)] = 1
		}
		f.heard = append(f.heard, h)
	}
}

// softSpike is the soft spike target of sample k: exp(−d²/2σ²) for the
// nearest spike bin d samples away, out to 3σ (σ in samples).
func softSpike(s *series, k int, sigma float64) float32 {
	d := spikeDistance(s, k, int(math.Ceil(3*sigma)))
	if d < 0 {
		return 0
	}
	return float32(math.Exp(-float64(d*d) / (2 * sigma * sigma)))
}

// nearSpike reports whether sample k is within win samples of a spike bin.
func nearSpike(s *series, k int, win int) bool { return spikeDistance(s, k, win) >= 0 }

// spikeDistance is how many samples from k the nearest spike bin lies, at
// most win (−1: none that near).
func spikeDistance(s *series, k, win int) int {
	for d := 0; d <= win; d++ {
		if j := k - d; j >= 0 && j < len(s.spike) && s.spike[j] > 0 {
			return d
		}
		if j := k + d; j >= 0 && j < len(s.spike) && s.spike[j] > 0 {
			return d
		}
	}
	return -1
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
	switch {
	case f.arch.HearsSpikes:
		pTeach, noise = 0, 0 // its own spike probability fed back, as in use (its Vm's weights are zero)
	case f.arch.InputDriven:
		pTeach, noise = 1, 0 // the teacher Vm is 0, the spike the reference's (HearsFired) or 0: nothing of its own is fed back
	}
	win := int(math.Ceil(cfg.SpikeVmWindowMS/f.arch.SampleDT - 1e-9))
	f.gather(k0)
	for t := 0; t < f.t; t++ {
		k := k0 + t
		for b, s := range f.tr {
			row := t*f.b + b
			n := len(s.v)
			valid := k+1 < n
			// unfolded drive, or the traces
			d := f.dunf[row*tw : (row+1)*tw]
			if f.decay != nil {
				f.traces(d, b, t)
			} else {
				f.taps(d, b, t, taps)
			}
			f.steach[row] = 0
			if k > 0 && k-1 < len(s.spike) && (!f.arch.InputDriven || f.arch.HearsFired) {
				f.steach[row] = s.spike[k-1]
				if f.heard != nil {
					f.steach[row] = f.heard[b][k-1]
				}
			}
			f.targets(s, row, k+1, valid, norm)
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
				if f.arch.InputDriven {
					f.vteach[row] = 0
				}
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
			if cfg.SpikeSmoothMS > 0 {
				y := softSpike(s, k, cfg.SpikeSmoothMS/f.arch.SampleDT)
				f.y[row] = y
				ws *= 1 + (float32(cfg.SpikePosWeight)-1)*y
			} else if s.spike[k] > 0 {
				ws *= float32(cfg.SpikePosWeight)
			}
			f.ws[row] = ws * norm
		}
	}
}

// targets fills the training heads' targets of the row: the records at
// sample k, standardized, each squared error weighted TargetWeight·norm (0
// past the trace's end).
func (f *feed) targets(s *series, row, k int, valid bool, norm float32) {
	na := len(f.targetNorm)
	if na == 0 {
		return
	}
	aux, wa := f.aux[row*na:(row+1)*na], f.wa[row*na:(row+1)*na]
	if !valid {
		clear(aux)
		clear(wa)
		return
	}
	w := float32(f.cfg.TargetWeight) * norm
	for o, ms := range f.targetNorm {
		aux[o] = float32((float64(s.rec[o][k]) - ms.Mean) / ms.Scale)
		wa[o] = w
	}
}

// gather copies the inputs the chunk from sample k0 reads, normalized,
// into xin: per cell, samples k0−hist to k0+T−1 (0 outside the series),
// each a row of nIn, from the series' sparse inputs. (Reading inputs
// sample by sample across hundreds of inputs misses the cache on every
// read; the rows are built once per chunk.)
func (f *feed) gather(k0 int) {
	nIn, R := len(f.arch.Inputs), f.hist+f.t
	lo := k0 - f.hist
	for b, s := range f.tr {
		x := f.xin[b*R*nIn:][:R*nIn]
		clear(x)
		for j := 0; j < nIn; j++ {
			at, val := s.input(j)
			sc := f.norm.InputScale[j]
			for i := from(at, lo); i < len(at) && int(at[i]) < lo+R; i++ {
				x[(int(at[i])-lo)*nIn+j] = val[i] * sc
			}
		}
	}
}

// taps writes cell b's inputs at the chunk's step t at its taps
// (Arch.Taps, column tap·nIn + j) into d, each input delayed by its
// DelaySteps as Stream delays it.
func (f *feed) taps(d []float32, b, t int, taps []int) {
	nIn, R := len(f.arch.Inputs), f.hist+f.t
	x := f.xin[b*R*nIn:][:R*nIn]
	for ti, lag := range taps {
		r := f.hist + t - lag
		if !f.delayed {
			copy(d[ti*nIn:(ti+1)*nIn], x[r*nIn:(r+1)*nIn])
			continue
		}
		for j, in := range f.arch.Inputs {
			d[ti*nIn+j] = x[(r-in.DelaySteps)*nIn+j]
		}
	}
}

// traces advances cell b's traces (trace-lstm) by the chunk's step t and
// writes them into d (column m·nIn + j). fill calls it for every step from
// the batch's start, as the traces carry from sample to sample.
func (f *feed) traces(d []float32, b, t int) {
	nIn, M, R := len(f.arch.Inputs), len(f.decay), f.hist+f.t
	e := f.trace[b*M*nIn:][:M*nIn]
	x := f.xin[(b*R+f.hist+t)*nIn:][:nIn]
	for m, dm := range f.decay {
		em, dst := e[m*nIn:][:nIn], d[m*nIn:][:nIn]
		for j, xj := range x {
			y := dm*em[j] + xj
			em[j], dst[j] = y, y
		}
	}
	// Every FlushEvery steps, traces below their floor become 0 (as in the
	// stream): they would decay into float32 subnormals, many times slower
	// to compute with.
	if t%surrogate.FlushEvery == 0 {
		for m, fl := range f.floor {
			em := e[m*nIn:][:nIn]
			for j, y := range em {
				if y < fl && y > -fl {
					em[j] = 0
				}
			}
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
