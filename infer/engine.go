package infer

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// EngineOptions tunes a surrogate network run.
type EngineOptions struct {
	Workers int // goroutines stepping each population (0: one per core)
	// WarmupMS is simulated before the measured tstop and dropped from the
	// result (rounded to whole sample steps; see Network.WarmupMS).
	WarmupMS float64
	Record   []int // cells whose input events are recorded (for replay)
	RecordV  []int // cells whose Vm trace is kept
	// Progress, if not nil, is called every ProgressEvery steps.
	Progress      func(step, steps, spikes int)
	ProgressEvery int
	// After, if set, takes over at the end of the warm-up: spikes from then
	// on are delivered with its connection weights and plasticity (its
	// plastic synapses start fresh, R = 1 and u = U, as in a run started
	// then), and its stimuli replace the network's from then on. It must be
	// the same network in all else (CheckSwitch): a variant of it whose
	// numbers act only after the warm-up, which a sweep's variants can then
	// share (ForkSurrogate).
	After *Built
}

// NetSpike is a spike of a network cell.
type NetSpike struct {
	Cell   int32
	TimeMS float64
}

// RunResult is what a network run produced. Times count from the end of
// the warm-up: spikes lie in [0, TstopMS).
type RunResult struct {
	Spikes   []NetSpike
	Steps    int           // steps simulated, warm-up included
	TstopMS  float64       // measured duration
	WarmupMS float64       // simulated before it
	Wall     time.Duration // stepping only (warm-up included), like NEURON's continuerun
	// Deliver is the part of Wall spent delivering spikes through the
	// connections (plasticity included).
	Deliver time.Duration
	// Inputs holds, for each recorded cell, every event it received
	// (background and recurrent), by time; the warm-up's are negative.
	Inputs map[int][]biophys.Event
	V      map[int][]float32 // recorded Vm traces, one sample per step from time 0
	// Out holds, for each cell of RecordV whose model has outputs
	// (surrogate.Model.Outputs), each output's trace, sampled as V (the
	// sample at time 0 is NaN: no prediction yet).
	Out map[int][][]float32
	// WarmSpikes holds, for each cell of RecordV, its spikes in the last
	// warmTailMS of the warm-up (negative times): what an output's
	// waveform drawn at the traces' start continues from.
	WarmSpikes map[int][]float64
}

// warmTailMS is how much of the warm-up's end RunResult.WarmSpikes keeps:
// longer than any waveform's reach back (surrogate.Waveform: its span and
// ISI classes).
const warmTailMS = 200

// SimulatedMS is the simulated time per cell, warm-up included.
func (r *RunResult) SimulatedMS() float64 { return r.WarmupMS + r.TstopMS }

type bgStream struct {
	next float64
	rng  streamRNG
}

type chunk struct {
	lo, hi int // local cells
	s      *surrogate.Stream
	drive  []float32 // this step's input drive, cell by cell (zero between steps)
	// ring holds recurrent input by the step it arrives in, modulo its
	// length: additions to drive, in the order they were delivered.
	ring [][]ringEv
	// ringSeq, while a fork is prepared (ForkSurrogate), tags every ring
	// event with the delivery it came from, in the order of delivery.
	ringSeq [][]int64
	spikes  []NetSpike
	// due is a calendar of background streams (indices into the
	// population's streams, from the chunk's first): bucket k mod
	// calendarSteps lists those whose next event falls in step k, or
	// later for events beyond the calendar's span.
	due [][]int32
	// rec lists the chunk's recorded cells (local to the chunk); recV and
	// recOut are their Vm and output traces, and outs the scratch of the
	// outputs of all the chunk's cells (len(Outputs) per cell).
	rec    []int
	recV   [][]float32
	recOut [][][]float32
	outs   []float32
}

// recCell is a recorded cell: its place among its chunk's recorded cells.
type recCell struct {
	c   int
	ch  *chunk
	idx int
}

// record appends the recorded cells' Vm and outputs after a step.
func (ch *chunk) record(m *surrogate.Model) {
	no := len(m.Outputs)
	if no > 0 {
		ch.s.OutputRows(m, ch.outs)
	}
	for idx, i := range ch.rec {
		ch.recV[idx] = append(ch.recV[idx], ch.s.V[i])
		for j, x := range ch.outs[i*no : i*no+no] {
			ch.recOut[idx][j] = append(ch.recOut[idx][j], x)
		}
	}
}

// ringEv adds W to the chunk's drive at At.
type ringEv struct {
	At int32
	W  float32
}

// calendarSteps is the span of a chunk's calendar of background events.
const calendarSteps = 1024

// schedule files stream id (local to the chunk) under the step its next
// event at tMS falls in, no earlier than step from.
// The step is the first k with tMS < (k+1)·dt as the engine computes it,
// which floor(tMS/dt) can miss by one in floating point.
func (ch *chunk) schedule(id int32, tMS float64, from int, dt float64) {
	k := from
	if x := math.Floor(tMS / dt); x > float64(k) {
		k = int(min(x, float64(from+calendarSteps-1)))
		for k > from && tMS < float64(k)*dt {
			k--
		}
	}
	ch.due[k%calendarSteps] = append(ch.due[k%calendarSteps], id)
}

type popEngine struct {
	stim    []int // per local cell: its next stimulus event (Built.Stim)
	p       *Pop
	nIn     int
	chunks  []*chunk
	chunkOf []int32 // per local cell: its chunk
	last    []float64
	// bg holds every cell's background streams: cell c's are
	// bg[c*nstream:], by spec and synapse.
	bg      []bgStream
	nstream int
	vInit   float32
}

// TileCells is the most cells one batched stream of the engine steps:
// larger populations are cut into tiles that the workers share.
var TileCells = 512

// MaxSteps bounds a run's steps (warm-up included): more is a typing
// mistake, not a simulation.
const MaxSteps = biophys.MaxSteps

// CheckWarmup says whether warmupMS is a usable warm-up for a network
// stepped every dt ms: finite, not negative, a whole number of steps and
// at most MaxSteps of them.
func CheckWarmup(warmupMS, dt float64) error {
	switch {
	case !(warmupMS >= 0) || math.IsInf(warmupMS, 0):
		return fmt.Errorf("%v ms: must be a finite time >= 0", warmupMS)
	case warmupMS/dt > MaxSteps:
		return fmt.Errorf("%g ms: more than %.0e sample steps of %g ms", warmupMS, float64(MaxSteps), dt)
	}
	if n := math.Round(warmupMS / dt); math.Abs(warmupMS/dt-n) > 1e-9*max(1, n) {
		return fmt.Errorf("%g ms is not a multiple of the sample step %g ms", warmupMS, dt)
	}
	return nil
}

// RunSurrogate steps the network of surrogates for tstopMS: every
// population as batched Streams (one matrix product per layer and step),
// spikes from the spike head delivered through the sparse connectivity into
// per-delay rings of input events. A surrogate's spike is placed in
// the middle of its bin and delays are whole steps, so recurrent events
// add nothing to timing inputs (with an even number of sub-bins they start
// the middle one: offset −½ in it); background events add their offset.
func RunSurrogate(b *Built, tstopMS float64, opt EngineOptions) (*RunResult, error) {
	r, err := newEngineRun(b, tstopMS, opt)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for k := 0; k < r.warm+r.steps; k++ {
		r.step(k)
	}
	r.res.Wall = time.Since(start)
	return r.finish(), nil
}

// engineRun is the state of a surrogate network run between steps.
type engineRun struct {
	b   *Built
	opt EngineOptions
	// after, if set, is the network whose weights, plasticity and stimuli
	// take over at the end of the warm-up (EngineOptions.After), with its
	// own fresh plasticity plAfter.
	after       *Built
	pl, plAfter *plasticity
	stim        [][]stimEvent // the stimulus events the run applies
	dt, warmMS  float64
	steps, warm int
	workers, R  int
	shiftSteps  []int
	res         *RunResult
	recorded    map[int]bool
	pes         []*popEngine
	recCells    []recCell
	tracedV     map[int]bool // the cells of RecordV
	popOf       []uint16
	recMu       sync.Mutex
	// hold keeps the spikes from the end of the warm-up on in held instead
	// of delivering them (the warm-up a fork shares, ForkSurrogate); seq
	// numbers deliveries, held or not, for the chunks' ringSeq.
	hold bool
	held []heldSpike
	seq  int64
}

// heldSpike is a spike of step k held back for the runs a warm-up forks
// into; seq is its place among the warm-up's deliveries.
type heldSpike struct {
	k, pop int
	sp     NetSpike
	seq    int64
}

func newEngineRun(b *Built, tstopMS float64, opt EngineOptions) (*engineRun, error) {
	if !(tstopMS > 0) || math.IsInf(tstopMS, 0) {
		return nil, fmt.Errorf("tstop %v ms: must be positive", tstopMS)
	}
	dt := b.SampleDT
	steps := int(math.Round(tstopMS / dt))
	if steps < 1 {
		return nil, fmt.Errorf("tstop %g ms is shorter than one sample step (%g ms)", tstopMS, dt)
	}
	if err := CheckWarmup(opt.WarmupMS, dt); err != nil {
		return nil, fmt.Errorf("warm-up: %v", err)
	}
	if float64(steps)+opt.WarmupMS/dt > MaxSteps {
		return nil, fmt.Errorf("warm-up %g ms + tstop %g ms at %g ms per step: more than %.0e steps", opt.WarmupMS, tstopMS, dt, float64(MaxSteps))
	}
	r := &engineRun{b: b, opt: opt, dt: dt, steps: steps, stim: b.Stim}
	if opt.After != nil {
		if err := CheckSwitch(b, opt.After); err != nil {
			return nil, err
		}
		r.after, r.plAfter, r.stim = opt.After, newPlasticity(opt.After), switchedStimuli(b, opt.After)
	}
	r.warm = int(math.Round(opt.WarmupMS / dt))
	r.warmMS = float64(r.warm) * dt
	r.workers = opt.Workers
	if r.workers <= 0 {
		r.workers = runtime.GOMAXPROCS(0)
	}
	// A readout shift postpones delivery: ring slots cover delay + shift.
	r.R = b.MaxDelay + 1
	r.shiftSteps = make([]int, len(b.Pops))
	for pi, p := range b.Pops {
		s, ok := StepsPerSample(p.Model.Readout.ShiftMS, dt)
		if p.Model.Readout.ShiftMS == 0 {
			s, ok = 0, true
		}
		if !ok || p.Model.Readout.ShiftMS < 0 {
			return nil, fmt.Errorf("population %s: readout shift %g ms is not a non-negative multiple of the sample step", p.Name, p.Model.Readout.ShiftMS)
		}
		r.shiftSteps[pi] = s
		r.R = max(r.R, b.MaxDelay+s+1)
	}
	r.res = &RunResult{Steps: r.warm + steps, TstopMS: float64(steps) * dt, WarmupMS: r.warmMS, Inputs: map[int][]biophys.Event{}, V: map[int][]float32{}}
	r.recorded = map[int]bool{}
	for _, c := range opt.Record {
		if c < 0 || c >= b.Cells {
			return nil, fmt.Errorf("record: cell %d out of range", c)
		}
		r.recorded[c] = true
		r.res.Inputs[c] = nil
	}
	for pi, p := range b.Pops {
		pe := &popEngine{p: p, nIn: len(p.Model.Arch.Inputs), last: make([]float64, p.N), vInit: float32(p.Cell.VInit()), stim: make([]int, p.N)}
		for i := range pe.last {
			pe.last[i] = -1e300
		}
		// Tiles of at most TileCells cells keep a stream's buffers in
		// cache; the workers share them out.
		w := max(min(r.workers, p.N), (p.N+TileCells-1)/TileCells)
		for c := 0; c < w; c++ {
			lo, hi := c*p.N/w, (c+1)*p.N/w
			if hi > lo {
				pe.chunks = append(pe.chunks, &chunk{lo: lo, hi: hi, s: surrogate.NewStream(p.Model, hi-lo, pe.vInit),
					drive: make([]float32, (hi-lo)*pe.nIn), ring: make([][]ringEv, r.R), due: make([][]int32, calendarSteps)})
				for c := lo; c < hi; c++ {
					pe.chunkOf = append(pe.chunkOf, int32(len(pe.chunks)-1))
				}
			}
		}
		_, pe.nstream = p.specs()
		pe.bg = make([]bgStream, p.N*pe.nstream)
		for c := 0; c < p.N; c++ {
			part := p.part(c)
			ch := pe.chunks[pe.chunkOf[c]]
			id := c * pe.nstream
			for si, spec := range part.bg {
				for q := range spec.syns {
					s := &pe.bg[id]
					s.rng = newStreamRNG(part.seed, 2, uint64(pi), uint64(si), uint64(c-part.lo), uint64(q))
					s.next = math.Inf(1)
					if spec.rateHz > 0 {
						s.next = s.rng.exp() * 1000 / spec.rateHz
						ch.schedule(int32(id-ch.lo*pe.nstream), s.next, 0, dt)
					}
					id++
				}
			}
		}
		r.pes = append(r.pes, pe)
	}
	recSeen := map[int]bool{}
	r.popOf = make([]uint16, b.Cells)
	for pi, p := range b.Pops {
		for c := 0; c < p.N; c++ {
			r.popOf[p.First+c] = uint16(pi)
		}
	}
	r.tracedV = map[int]bool{}
	for _, c := range opt.RecordV {
		p, local := b.PopOf(c)
		if p == nil || c >= b.Cells {
			return nil, fmt.Errorf("record V: cell %d out of range", c)
		}
		if recSeen[c] {
			continue
		}
		recSeen[c] = true
		r.tracedV[c] = true
		pe := r.pes[r.popOf[c]]
		ch := pe.chunks[pe.chunkOf[local]]
		no := len(p.Model.Outputs)
		r.recCells = append(r.recCells, recCell{c: c, ch: ch, idx: len(ch.rec)})
		ch.rec = append(ch.rec, local-ch.lo)
		var v []float32 // the sample at time 0: v_init, or the state after the warm-up
		if r.warm == 0 {
			v = []float32{float32(p.Cell.VInit())}
		}
		ch.recV = append(ch.recV, v)
		if no == 0 {
			ch.recOut = append(ch.recOut, nil)
			continue
		}
		out := make([][]float32, no)
		if r.warm == 0 {
			for j := range out {
				out[j] = []float32{float32(math.NaN())}
			}
		}
		ch.recOut = append(ch.recOut, out)
		if ch.outs == nil {
			ch.outs = make([]float32, no*(ch.hi-ch.lo))
		}
	}
	r.pl = newPlasticity(b)
	return r, nil
}

// step advances every cell one sample step (k from 0, warm-up included)
// and delivers the step's spikes.
func (r *engineRun) step(k int) {
	dt, warm := r.dt, r.warm
	t1 := float64(k+1) * dt
	slot := k % r.R
	for _, pe := range r.pes {
		p := pe.p
		var wg sync.WaitGroup
		var next atomic.Int64
		for range min(r.workers, len(pe.chunks)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= len(pe.chunks) {
						return
					}
					ch := pe.chunks[i]
					for _, e := range ch.ring[slot] {
						ch.drive[e.At] += e.W
					}
					ch.ring[slot] = ch.ring[slot][:0]
					if ch.ringSeq != nil {
						ch.ringSeq[slot] = ch.ringSeq[slot][:0]
					}
					if pe.nstream > 0 {
						pe.background(ch, k, t1, dt, r.warmMS, r.recorded, r.res, &r.recMu)
					}
					if r.stim != nil {
						pe.stimulate(ch, k, t1, r.warmMS, r.stim, r.recorded, r.res, &r.recMu)
					}
					ch.s.Step(ch.drive)
					clear(ch.drive)
					if len(ch.rec) > 0 && k >= warm-1 {
						ch.record(p.Model)
					}
					ch.spikes = ch.spikes[:0]
					ro := p.Model.Readout
					ts := (float64(k)+0.5)*dt + ro.ShiftMS
					for i, pr := range ch.s.P {
						c := ch.lo + i
						// A model that hears its fired spikes has its stream's
						// readout (the same Fires) decide what it hears.
						if ch.s.Fired != nil && ch.s.Fired[i] || ch.s.Fired == nil && pr > ro.P && ro.Fires(pr, ts-pe.last[c]) { // (Fires tests p too; the test first keeps the call off sub-threshold bins)
							pe.last[c] = ts
							ch.spikes = append(ch.spikes, NetSpike{Cell: int32(p.First + c), TimeMS: ts})
						}
					}
				}
			}()
		}
		wg.Wait()
	}
	// Deliver this step's spikes (serially, in cell order).
	t0 := time.Now()
	for pi, pe := range r.pes {
		for _, ch := range pe.chunks {
			for _, sp := range ch.spikes {
				r.seq++
				if r.hold && sp.TimeMS >= r.warmMS {
					r.held = append(r.held, heldSpike{k: k, pop: pi, sp: sp, seq: r.seq})
					continue
				}
				r.deliver(k, pi, sp)
			}
		}
	}
	r.res.Deliver += time.Since(t0)
	if r.opt.Progress != nil && r.opt.ProgressEvery > 0 && (k+1)%r.opt.ProgressEvery == 0 {
		r.opt.Progress(k+1, warm+r.steps, len(r.res.Spikes))
	}
}

// deliver reports spike sp of population pi, made in step k, and files
// its events into the rings of its targets; from the end of the warm-up
// on, a switched run delivers it with the network after the switch.
func (r *engineRun) deliver(k, pi int, sp NetSpike) {
	b, wb, pl := r.b, r.b, r.pl
	if r.after != nil && sp.TimeMS >= r.warmMS {
		wb, pl = r.after, r.plAfter
	}
	// The readout shift can put a spike of the last steps past tstop:
	// delivered (to nobody in time), not reported.
	if sp.TimeMS >= r.warmMS && sp.TimeMS < r.warmMS+r.res.TstopMS {
		r.res.Spikes = append(r.res.Spikes, NetSpike{Cell: sp.Cell, TimeMS: sp.TimeMS - r.warmMS})
	} else if sp.TimeMS < r.warmMS && sp.TimeMS >= r.warmMS-warmTailMS {
		if r.tracedV[int(sp.Cell)] {
			if r.res.WarmSpikes == nil {
				r.res.WarmSpikes = map[int][]float64{}
			}
			r.res.WarmSpikes[int(sp.Cell)] = append(r.res.WarmSpikes[int(sp.Cell)], sp.TimeMS-r.warmMS)
		}
	}
	for ei := b.Offsets[sp.Cell]; ei < b.Offsets[sp.Cell+1]; ei++ {
		e := &b.Edges[ei]
		w := pl.weight(wb, ei, sp.TimeMS)
		tp := r.pes[r.popOf[e.Target]]
		local := int(e.Target) - tp.p.First
		tc := tp.chunks[tp.chunkOf[local]]
		ring := &tc.ring[(k+int(e.Delay)+r.shiftSteps[pi])%r.R]
		at := int32((local - tc.lo) * tp.nIn)
		*ring = append(*ring, ringEv{at + int32(e.Input), w})
		n := 1
		if tp.p.midOff != 0 {
			if j := tp.p.timing[tp.p.mid][e.Syn]; j >= 0 {
				*ring = append(*ring, ringEv{at + int32(j), w * float32(tp.p.midOff)})
				n++
			}
		}
		if tc.ringSeq != nil {
			tags := &tc.ringSeq[(k+int(e.Delay)+r.shiftSteps[pi])%r.R]
			for range n {
				*tags = append(*tags, r.seq)
			}
		}
		if r.recorded[int(e.Target)] {
			r.res.Inputs[int(e.Target)] = append(r.res.Inputs[int(e.Target)],
				biophys.Event{TimeMS: sp.TimeMS + float64(e.Delay)*r.dt - r.warmMS, Syn: int(e.Syn), WeightUS: float64(w)})
		}
	}
}

// finish collects the recorded traces and inputs into the result.
func (r *engineRun) finish() *RunResult {
	res := r.res
	for _, rc := range r.recCells {
		res.V[rc.c] = rc.ch.recV[rc.idx]
		if out := rc.ch.recOut[rc.idx]; out != nil {
			if res.Out == nil {
				res.Out = map[int][][]float32{}
			}
			res.Out[rc.c] = out
		}
	}
	for c, evs := range res.Inputs {
		res.Inputs[c] = biophys.MergeEvents(evs)
	}
	return res
}

// stimulate adds the stimulus events of the chunk's cells that fall in step
// k (before t1, times from the start of the run) to their drive, placed
// in the bin as background events are, and records them for recorded
// cells. Events before the run's start (a volley jittered before the
// warm-up) are skipped.
func (pe *popEngine) stimulate(ch *chunk, k int, t1, warmMS float64, stim [][]stimEvent, recorded map[int]bool, res *RunResult, mu *sync.Mutex) {
	p := pe.p
	for c := ch.lo; c < ch.hi; c++ {
		ev := stim[p.First+c]
		row := ch.drive[(c-ch.lo)*pe.nIn:]
		for ; pe.stim[c] < len(ev); pe.stim[c]++ {
			e := ev[pe.stim[c]]
			t := e.TimeMS + warmMS
			if t >= t1 {
				break
			}
			if t < 0 {
				continue
			}
			p.add(row, t, k, e.Syn, e.WeightUS)
			if recorded[p.First+c] {
				record(res, mu, p.First+c, biophys.Event{TimeMS: e.TimeMS, Syn: e.Syn, WeightUS: e.WeightUS})
			}
		}
	}
}

// background adds the background events of the chunk's cells that fall in
// step k (before t1) to their drive, placed in the bin, and records them
// for recorded cells. Only the streams the calendar lists as due are
// visited, in the order of cell, spec and synapse, so that each cell's
// drive sums its events in the same order however they were scheduled.
func (pe *popEngine) background(ch *chunk, k int, t1, dt, warmMS float64, recorded map[int]bool, res *RunResult, mu *sync.Mutex) {
	p := pe.p
	slot := k % calendarSteps
	due := ch.due[slot]
	ch.due[slot] = nil
	slices.Sort(due)
	base := ch.lo * pe.nstream
	for _, id := range due {
		g := base + int(id)
		s := &pe.bg[g]
		if s.next >= t1 { // filed early: beyond the calendar, or rounding
			ch.schedule(id, s.next, k+1, dt)
			continue
		}
		c := g / pe.nstream
		part := p.part(c)
		si, q := 0, g%pe.nstream
		for q >= len(part.bg[si].syns) {
			q -= len(part.bg[si].syns)
			si++
		}
		spec := &part.bg[si]
		syn := spec.syns[q]
		rec := recorded[p.First+c]
		row := ch.drive[(c-ch.lo)*pe.nIn:]
		for s.next < t1 {
			p.add(row, s.next, k, syn, spec.wUS)
			if rec {
				record(res, mu, p.First+c, biophys.Event{TimeMS: s.next - warmMS, Syn: syn, WeightUS: spec.wUS})
			}
			s.next += s.rng.exp() * 1000 / spec.rateHz
		}
		ch.schedule(id, s.next, k+1, dt)
	}
	// Hand the emptied list back for reuse unless the bucket has been
	// refilled meanwhile (only by events a whole calendar ahead).
	if ch.due[slot] == nil {
		ch.due[slot] = due[:0]
	}
}

// add puts an event of weight wUS at tMS on synapse syn into a cell's drive
// row for step k: in this step's bin whatever rounding says, on the
// sub-bin's input, and its offset in the bin on the timing input if the
// model has one.
func (p *Pop) add(row []float32, tMS float64, k, syn int, wUS float64) {
	q, off := p.Model.Arch.PlaceInBin(tMS, k)
	row[p.input[q][syn]] += float32(wUS)
	if j := p.timing[q][syn]; j >= 0 {
		row[j] += float32(wUS * off)
	}
}

// record appends an input event of a recorded cell (workers share res).
func record(res *RunResult, mu *sync.Mutex, cell int, e biophys.Event) {
	mu.Lock()
	res.Inputs[cell] = append(res.Inputs[cell], e)
	mu.Unlock()
}
