package infer

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"neurosurrogate/biophys"
)

// bgEvents is a background stream for the reference simulator that yields
// exactly the event times the surrogate engine draws for the same cell and
// synapse.
type bgEvents struct {
	rng  streamRNG
	next float64
	rate float64
	w    float64
	// drop, if > 0, is the fraction of events left out, drawn from their
	// own stream so that the kept events are those of the full run.
	drop    float64
	dropRNG streamRNG
}

func (s *bgEvents) Next() (float64, float64, bool) {
	if s.rate <= 0 {
		return 0, 0, false
	}
	for {
		t := s.next
		s.next += s.rng.exp() * 1000 / s.rate
		if s.drop <= 0 || s.dropRNG.float() >= s.drop {
			return t, s.w, true
		}
	}
}

// ReplayResult compares reference cells re-run on the exact input their
// surrogate received in the network.
type ReplayResult struct {
	Cells     []int
	RefSpikes [][]float64
	SurSpikes [][]float64
	Wall      time.Duration // stepping the reference cells (all cores)
	CellMS    float64       // simulated cell-milliseconds, warm-up included
}

// Replay re-runs the given cells in the reference simulator with the input
// events recorded for them in run (which must have recorded them), the
// warm-up included; spikes are compared after it, as the surrogate's are.
func Replay(b *Built, run *RunResult, cells []int, dtMS float64, workers int) (*ReplayResult, error) {
	if len(cells) == 0 {
		return &ReplayResult{}, nil
	}
	tmpl := map[*Pop]*biophys.Template{}
	var inst []biophys.Instance
	for _, c := range cells {
		p, _ := b.PopOf(c)
		if _, ok := run.Inputs[c]; !ok {
			return nil, fmt.Errorf("replay: inputs of cell %d were not recorded", c)
		}
		if tmpl[p] == nil {
			t, err := biophys.Compile(p.Cell)
			if err != nil {
				return nil, err
			}
			tmpl[p] = t
		}
		inst = append(inst, biophys.Instance{T: tmpl[p]})
	}
	pop, err := biophys.NewPopulation(inst, dtMS, workers)
	if err != nil {
		return nil, err
	}
	warm := run.WarmupMS
	for i, c := range cells {
		sys, local := pop.Locate(i)
		evs := make([]biophys.Event, len(run.Inputs[c]))
		for j, e := range run.Inputs[c] {
			e.TimeMS += warm
			evs[j] = e
		}
		sys.AddEvents(local, evs)
	}
	steps := biophys.StepsFor(run.SimulatedMS(), dtMS)
	start := time.Now()
	if err := pop.Advance(steps, nil); err != nil {
		return nil, err
	}
	wall := time.Since(start)
	rr := &ReplayResult{Cells: cells, RefSpikes: make([][]float64, len(cells)), SurSpikes: make([][]float64, len(cells)),
		Wall: wall, CellMS: float64(len(cells)) * run.SimulatedMS()}
	for _, sp := range pop.Spikes(nil) {
		if sp.TimeMS >= warm {
			rr.RefSpikes[sp.Cell] = append(rr.RefSpikes[sp.Cell], sp.TimeMS-warm)
		}
	}
	idx := map[int]int{}
	for i, c := range cells {
		idx[c] = i
	}
	for _, sp := range run.Spikes {
		if i, ok := idx[int(sp.Cell)]; ok {
			rr.SurSpikes[i] = append(rr.SurSpikes[i], sp.TimeMS)
		}
	}
	return rr, nil
}

// RunReference simulates the whole network with the reference simulator:
// the same cells, connectivity, delays and background events as the
// surrogate run; reference spikes are delivered after each connection's
// delay. Populations step in lockstep over the shortest delay. The first
// warmupMS are simulated and left out of the result, as in RunSurrogate;
// progress gets the simulated time from the start of the warm-up.
func RunReference(b *Built, tstopMS, warmupMS, dtMS float64, workers int, progress func(doneMS float64, spikes int)) (*RunResult, error) {
	return runReference(b, nil, tstopMS, warmupMS, dtMS, workers, 0, progress)
}

// RunReferenceSwitched is RunReference with after taking over at the end of
// the warm-up, as EngineOptions.After does in the surrogate engine: spikes
// from then on are delivered with after's weights and plasticity (its
// plastic synapses starting fresh), and after's stimuli replace b's.
func RunReferenceSwitched(b, after *Built, tstopMS, warmupMS, dtMS float64, workers int, progress func(doneMS float64, spikes int)) (*RunResult, error) {
	if err := CheckSwitch(b, after); err != nil {
		return nil, err
	}
	return runReference(b, after, tstopMS, warmupMS, dtMS, workers, 0, progress)
}

// CeilingDrop is the fraction of background events RunCeiling leaves out.
const CeilingDrop = 0.01

// RunCeiling is RunReference with 1% of every cell's background events
// (CeilingDrop, a seeded choice) left out: compared with the reference run,
// it measures how far a sensitive network moves on a change of its input
// that small — what agreement a surrogate network can hope for.
func RunCeiling(b *Built, tstopMS, warmupMS, dtMS float64, workers int, progress func(doneMS float64, spikes int)) (*RunResult, error) {
	return runReference(b, nil, tstopMS, warmupMS, dtMS, workers, CeilingDrop, progress)
}

func runReference(b, after *Built, tstopMS, warmupMS, dtMS float64, workers int, drop float64, progress func(doneMS float64, spikes int)) (*RunResult, error) {
	if err := CheckWarmup(warmupMS, b.SampleDT); err != nil {
		return nil, fmt.Errorf("warm-up: %v", err)
	}
	if (warmupMS+tstopMS)/dtMS > MaxSteps {
		return nil, fmt.Errorf("warm-up %g ms + tstop %g ms at dt %g ms: more than %.0e steps", warmupMS, tstopMS, dtMS, float64(MaxSteps))
	}
	per, ok := StepsPerSample(b.SampleDT, dtMS)
	if !ok {
		return nil, fmt.Errorf("sample step %g ms is not a multiple of dt %g ms", b.SampleDT, dtMS)
	}
	var inst []biophys.Instance
	for _, p := range b.Pops {
		t, err := biophys.Compile(p.Cell)
		if err != nil {
			return nil, err
		}
		for c := 0; c < p.N; c++ {
			inst = append(inst, biophys.Instance{T: t})
		}
	}
	pop, err := biophys.NewPopulation(inst, dtMS, workers)
	if err != nil {
		return nil, err
	}
	for pi, p := range b.Pops {
		nspec, _ := p.specs()
		for si := range nspec {
			for c := 0; c < p.N; c++ {
				sys, local := pop.Locate(p.First + c)
				part := p.part(c)
				spec, lc := part.bg[si], uint64(c-part.lo)
				for q, syn := range spec.syns {
					s := &bgEvents{rng: newStreamRNG(part.seed, 2, uint64(pi), uint64(si), lc, uint64(q)), rate: spec.rateHz, w: spec.wUS,
						drop: drop, dropRNG: newStreamRNG(part.seed, 3, uint64(pi), uint64(si), lc, uint64(q))}
					if s.rate > 0 {
						s.next = s.rng.exp() * 1000 / s.rate
					}
					sys.AddStream(local, syn, s)
				}
			}
		}
	}
	minDelay := b.MaxDelay
	for _, e := range b.Edges {
		minDelay = min(minDelay, int(e.Delay))
	}
	interval := max(1, minDelay) * per
	warm := biophys.StepsFor(warmupMS, dtMS)
	total := warm + biophys.StepsFor(tstopMS, dtMS)
	warmMS := float64(warm) * dtMS
	stim := b.Stim
	if after != nil {
		stim = switchedStimuli(b, after)
	}
	for c, ev := range stim {
		sys, local := pop.Locate(c)
		for _, e := range ev {
			if t := e.TimeMS + warmMS; t >= 0 {
				sys.Queue(sys.SynapseID(local, e.Syn), t, e.WeightUS)
			}
		}
	}
	res := &RunResult{TstopMS: float64(total-warm) * dtMS, WarmupMS: warmMS}
	var buf []biophys.Spike
	pl := newPlasticity(b)
	var plAfter *plasticity
	if after != nil {
		plAfter = newPlasticity(after)
	}
	start := time.Now()
	for done := 0; done < total; {
		k := min(interval, total-done)
		if err := pop.Advance(k, nil); err != nil {
			return nil, err
		}
		done += k
		buf = pop.Spikes(buf[:0])
		if pl != nil { // plasticity takes each cell's spikes in time order
			slices.SortStableFunc(buf, func(a, b biophys.Spike) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
		}
		for _, sp := range buf {
			if sp.TimeMS >= warmMS {
				res.Spikes = append(res.Spikes, NetSpike{Cell: int32(sp.Cell), TimeMS: sp.TimeMS - warmMS})
			}
			wb, wpl := b, pl
			if after != nil && sp.TimeMS >= warmMS {
				wb, wpl = after, plAfter
			}
			for ei := b.Offsets[sp.Cell]; ei < b.Offsets[sp.Cell+1]; ei++ {
				e := &b.Edges[ei]
				sys, local := pop.Locate(int(e.Target))
				sys.Queue(sys.SynapseID(local, int(e.Syn)), sp.TimeMS+float64(e.Delay)*b.SampleDT, float64(wpl.weight(wb, ei, sp.TimeMS)))
			}
		}
		if progress != nil {
			progress(float64(done)*dtMS, len(res.Spikes))
		}
	}
	res.Wall = time.Since(start)
	res.Steps = total
	return res, nil
}
