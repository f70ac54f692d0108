package infer

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"neurosurrogate/surrogate"
)

// CheckSwitch says whether after can take over from b at the end of a
// warm-up (EngineOptions.After): the same populations (cells, models,
// sizes, background and seeds) and the same connections (sources,
// targets, synapses, delays), so that only connection weights,
// plasticity and stimuli differ; and no stimulus of after falls before the
// end of the warm-up, where it would never be applied.
func CheckSwitch(b, after *Built) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("the network after the warm-up must be the one before it but for weights, plasticity and stimuli: "+format, args...)
	}
	if after.Cells != b.Cells || len(after.Pops) != len(b.Pops) || after.SampleDT != b.SampleDT || after.MaxDelay != b.MaxDelay {
		return bad("%d cells in %d populations against %d in %d", after.Cells, len(after.Pops), b.Cells, len(b.Pops))
	}
	for pi, p := range b.Pops {
		q := after.Pops[pi]
		if q.N != p.N || q.First != p.First || q.Cell != p.Cell || q.Model != p.Model || len(q.parts) != len(p.parts) {
			return bad("population %s differs in size, cell or model", p.Name)
		}
		for i, part := range p.parts {
			o := q.parts[i]
			same := o.lo == part.lo && o.seed == part.seed && len(o.bg) == len(part.bg)
			for si := 0; same && si < len(o.bg); si++ {
				x, y := o.bg[si], part.bg[si]
				same = x.rateHz == y.rateHz && x.wUS == y.wUS && slices.Equal(x.syns, y.syns)
			}
			if !same {
				return bad("population %s differs in its background or seed", p.Name)
			}
		}
	}
	if !slices.Equal(after.Offsets, b.Offsets) {
		return bad("the connections differ")
	}
	for i, e := range b.Edges {
		o := after.Edges[i]
		if o.Target != e.Target || o.Syn != e.Syn || o.Input != e.Input || o.Delay != e.Delay || (o.Plastic == 0) != (e.Plastic == 0) {
			return bad("the connections differ")
		}
	}
	for c, ev := range after.Stim {
		if len(ev) > 0 && ev[0].TimeMS < 0 {
			return fmt.Errorf("cell %d: a stimulus event at %g ms, before the end of the warm-up, where the network that has it takes over", c, ev[0].TimeMS)
		}
	}
	return nil
}

// CanFork says whether variants of b can share its warm-up
// (ForkSurrogate): every population's model must be able to copy a
// cell's state (surrogate.Stream.CopyCell), and each of vs must be able to
// take over from b (CheckSwitch).
func CanFork(b *Built, vs ...*Built) error {
	for _, p := range b.Pops {
		if !surrogate.NewStream(p.Model, 1, float32(p.Cell.VInit())).CanCopyCells() {
			return fmt.Errorf("population %s: the model's architecture family (%s) cannot copy a cell's state", p.Name, p.Model.Arch.FamilyName())
		}
	}
	for _, v := range vs {
		if err := CheckSwitch(b, v); err != nil {
			return err
		}
	}
	return nil
}

// switchedStimuli is what a switched run applies: b's stimulus events
// within the warm-up, then after's.
func switchedStimuli(b, after *Built) [][]stimEvent {
	if b.Stim == nil && after.Stim == nil {
		return nil
	}
	out := make([][]stimEvent, b.Cells)
	for c := range out {
		if b.Stim != nil {
			for _, e := range b.Stim[c] {
				if e.TimeMS < 0 {
					out[c] = append(out[c], e)
				}
			}
		}
		if after.Stim != nil {
			out[c] = append(out[c], after.Stim[c]...)
		}
	}
	return out
}

// ForkSurrogate runs variants that share a warm-up: base runs the warm-up
// once, then every variant of s takes over from base's state at its end,
// as RunSurrogate(base, tstopMS, opt with After = the variant) would run it
// alone, spike for spike, at the cost of one warm-up instead of one per
// variant. Each variant must pass CheckSwitch against base. The result is
// the stacked run's (split it with s.Split); Wall counts both parts.
// Recording is not supported.
func ForkSurrogate(base *Built, s *Stacked, tstopMS float64, opt EngineOptions) (*RunResult, error) {
	if len(opt.Record) > 0 || len(opt.RecordV) > 0 || opt.After != nil {
		return nil, fmt.Errorf("fork: runs that share a warm-up do not record cells or switch again")
	}
	if err := CanFork(base); err != nil {
		return nil, err
	}
	for v, vb := range s.Variants {
		if err := CheckSwitch(base, vb); err != nil {
			return nil, fmt.Errorf("variant %d: %w", v, err)
		}
	}
	// The shared warm-up, reporting progress as the fork's first steps.
	bopt := opt
	bopt.Progress = nil
	br, err := newEngineRun(base, tstopMS, bopt)
	if err != nil {
		return nil, err
	}
	r, err := newEngineRun(s.Built, tstopMS, opt)
	if err != nil {
		return nil, err
	}
	if br.R != r.R || br.warm != r.warm {
		return nil, fmt.Errorf("fork: the variants' delays differ from the base network's")
	}
	br.hold = true
	tag(br)
	start := time.Now()
	for k := 0; k < br.warm; k++ {
		br.step(k)
		if opt.Progress != nil && opt.ProgressEvery > 0 && (k+1)%opt.ProgressEvery == 0 {
			opt.Progress(k+1, r.warm+r.steps, 0)
		}
	}
	tag(r)
	if err := r.takeOver(br, s); err != nil {
		return nil, err
	}
	for k := r.warm; k < r.warm+r.steps; k++ {
		r.step(k)
	}
	r.res.Wall = time.Since(start)
	r.res.Deliver += br.res.Deliver
	return r.finish(), nil
}

// takeOver puts every variant's cells of the stacked run r in the state
// of their cell in the warmed-up base run br: the surrogates' state, the
// last spike (refractoriness), recurrent events on their way, background
// streams and their calendar. Plasticity starts fresh; stimuli were
// checked to lie after the warm-up. Spikes br held back are then
// delivered in every variant, in the order the base run made them.
func (r *engineRun) takeOver(br *engineRun, s *Stacked) error {
	for pi, bpe := range br.pes {
		pe := r.pes[pi]
		if pe.nIn != bpe.nIn || pe.nstream != bpe.nstream {
			return fmt.Errorf("fork: population %s: inputs or background differ", bpe.p.Name)
		}
		bp, p := bpe.p, pe.p
		// dst[v][c] is variant v's copy of base cell c (local indices).
		dst := make([][]int, len(s.Variants))
		for v := range dst {
			dst[v] = make([]int, bp.N)
			for c := range bp.N {
				dst[v][c] = int(s.at[v][bp.First+c]) - p.First
			}
		}
		for c := range bp.N {
			bch := bpe.chunks[bpe.chunkOf[c]]
			for v := range dst {
				d := dst[v][c]
				ch := pe.chunks[pe.chunkOf[d]]
				if err := ch.s.CopyCell(d-ch.lo, bch.s, c-bch.lo); err != nil {
					return fmt.Errorf("fork: population %s: %w", bp.Name, err)
				}
				pe.last[d] = bpe.last[c]
				copy(pe.bg[d*pe.nstream:(d+1)*pe.nstream], bpe.bg[c*bpe.nstream:(c+1)*bpe.nstream])
			}
		}
		for _, ch := range pe.chunks {
			for slot := range ch.due {
				ch.due[slot] = ch.due[slot][:0]
			}
		}
		for _, bch := range bpe.chunks {
			// Streams due, slot by slot; each cell's in their order.
			for slot, ids := range bch.due {
				for _, id := range ids {
					g := bch.lo*bpe.nstream + int(id)
					c, q := g/bpe.nstream, g%bpe.nstream
					for v := range dst {
						d := dst[v][c]
						ch := pe.chunks[pe.chunkOf[d]]
						ch.due[slot] = append(ch.due[slot], int32((d-ch.lo)*pe.nstream+q))
					}
				}
			}
			// Recurrent events on their way, slot by slot, with the
			// delivery each came from.
			for slot, evs := range bch.ring {
				for x, e := range evs {
					c, in := bch.lo+int(e.At)/bpe.nIn, int(e.At)%bpe.nIn
					for v := range dst {
						d := dst[v][c]
						ch := pe.chunks[pe.chunkOf[d]]
						ch.ring[slot] = append(ch.ring[slot], ringEv{int32((d-ch.lo)*pe.nIn + in), e.W})
						ch.ringSeq[slot] = append(ch.ringSeq[slot], bch.ringSeq[slot][x])
					}
				}
			}
		}
	}
	t0 := time.Now()
	defer func() { r.res.Deliver += time.Since(t0) }()
	for _, h := range br.held {
		r.seq = h.seq
		for v := range s.Variants {
			r.deliver(h.k, h.pop, NetSpike{Cell: s.at[v][h.sp.Cell], TimeMS: h.sp.TimeMS})
		}
	}
	// Each ring slot in the order of the deliveries its events came from,
	// as the variant's own run would have filed them; then no more tags.
	for _, pe := range r.pes {
		for _, ch := range pe.chunks {
			for slot, evs := range ch.ring {
				seq := ch.ringSeq[slot]
				idx := make([]int, len(evs))
				for i := range idx {
					idx[i] = i
				}
				slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(seq[a], seq[b]) })
				sorted := make([]ringEv, len(evs))
				for i, j := range idx {
					sorted[i] = evs[j]
				}
				ch.ring[slot] = sorted
			}
			ch.ringSeq = nil
		}
	}
	return nil
}

// tag makes r's chunks tag their ring events with their delivery.
func tag(r *engineRun) {
	for _, pe := range r.pes {
		for _, ch := range pe.chunks {
			ch.ringSeq = make([][]int64, len(ch.ring))
		}
	}
}
