package dataset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"neurosurrogate/biophys"
)

// Trace is one simulated trace as stored: Samples values per series.
type Trace struct {
	Index int       // global trace index
	V     []float32 // v_soma, mV
	// Drive holds one series per channel (Meta().Channels): summed event
	// weight (uS) per bin for synapses, current (nA) for i_clamp.
	Drive [][]float32
	Spike []uint8 // spikes in (t_k, t_k+1]
	// Rec holds one series per record (Meta().Records), sampled as V.
	Rec [][]float32
	Params
}

// sim simulates traces of one dataset; one per worker (not goroutine-safe).
// It steps a batch of traces together in one biophys.System (one cell per
// trace, each with its own input streams, current step and recording);
// cells in a System do not interact, so every trace comes out bit for bit
// as when simulated alone.
type sim struct {
	st       *Settings
	tmpl     *biophys.Template
	ratio    int   // dt steps per sample
	synChan  []int // synapse -> channel
	timeChan []int // synapse -> its timing channel, -1 if none
	classOf  []string
	clampCh  int           // channel of i_clamp, -1 if none
	acc      [][][]float64 // per batch slot: drive accumulated per channel and sample
}

// outcome is a simulated trace, or why it failed; simMS is the time
// simulated for it (all attempts).
type outcome struct {
	t     *Trace
	simMS float64
	err   error
}

func newSim(st *Settings, tmpl *biophys.Template) *sim {
	s := &sim{st: st, tmpl: tmpl, clampCh: -1}
	s.ratio = int(math.Round(st.SampleDtMS / st.DtMS))
	timing := st.TimingOf()
	for i, c := range st.Channels {
		switch {
		case c.Class == "clamp":
			s.clampCh = i
		case c.IsSynapse():
			s.synChan = append(s.synChan, i)
			s.classOf = append(s.classOf, c.Class)
			t, ok := timing[c.Name]
			if !ok {
				t = -1
			}
			s.timeChan = append(s.timeChan, t)
		}
	}
	return s
}

// accumulators returns cleared drive accumulators for n traces.
func (s *sim) accumulators(n int) [][][]float64 {
	for len(s.acc) < n {
		a := make([][]float64, len(s.st.Channels))
		for i := range a {
			a[i] = make([]float64, s.st.Samples)
		}
		s.acc = append(s.acc, a)
	}
	for _, a := range s.acc[:n] {
		for _, c := range a {
			clear(c)
		}
	}
	return s.acc[:n]
}

// errSpiked stops a subthreshold attempt at its first spike.
var errSpiked = errors.New("spiked")

// run simulates the traces of pls together. A subthreshold trace is
// retried with halved excitation while it spikes; its attempts that stop at
// a spike run alone (in a batch the stopped cell would be stepped to the
// end for nothing). If the System of a batch fails (a cell becomes
// unstable), each of its traces is simulated again alone, so a trace fails
// exactly as it would on its own and the others are unharmed.
func (s *sim) run(ctx context.Context, pls []plan) []outcome {
	out := make([]outcome, len(pls))
	tries := s.st.Regimes.SubthresholdTries
	abortable := func(i int) bool { return pls[i].p.Regime == Subthreshold && pls[i].p.Attempts <= tries }
	var together []int
	for i := range pls { // drawParams counts the first attempt
		if !abortable(i) {
			together = append(together, i)
		}
	}
	if len(together) > 0 {
		s.attempt(ctx, pls, together, out)
	}
	for i := range pls {
		for abortable(i) && out[i].t == nil && out[i].err == nil {
			s.attempt(ctx, pls, []int{i}, out)
		}
		if out[i].t == nil && out[i].err == nil { // the last attempt, without excitation
			s.attempt(ctx, pls, []int{i}, out)
		}
	}
	return out
}

// attempt simulates traces pls[i], i in idx, in one System and sets their
// outcome, or lowers the excitation of those whose attempt spiked (leaving
// their outcome empty).
func (s *sim) attempt(ctx context.Context, pls []plan, idx []int, out []outcome) {
	tries := s.st.Regimes.SubthresholdTries
	batch := make([]plan, len(idx))
	abort := make([]bool, len(idx))
	simMS := make([]float64, len(idx))
	for j, i := range idx {
		batch[j] = pls[i]
		abort[j] = pls[i].p.Regime == Subthreshold && pls[i].p.Attempts <= tries
		simMS[j] = out[i].simMS
	}
	trs, errs, err := s.once(ctx, batch, abort, simMS)
	if err != nil && ctx.Err() == nil && len(idx) > 1 {
		for j, i := range idx {
			o := s.run(ctx, []plan{drawParams(s.st, pls[i].index)})[0]
			o.simMS += simMS[j] // the time simulated before, failed batch included
			out[i] = o
		}
		return
	}
	for j, i := range idx {
		out[i].simMS = simMS[j]
		switch {
		case err != nil:
			out[i].err = s.traceError(pls[i], err)
		case errs[j] == errSpiked:
			s.retry(&pls[i])
		case errs[j] != nil:
			out[i].err = s.traceError(pls[i], errs[j])
		default:
			out[i].t = trs[j]
		}
	}
}

// retry lowers the excitation of subthreshold trace pl after its attempt
// pl.p.Attempts spiked, for the next attempt.
func (s *sim) retry(pl *plan) {
	attempt := pl.p.Attempts
	pl.p.Attempts = attempt + 1
	switch {
	case attempt >= s.st.Regimes.SubthresholdTries: // last resort: inhibition only
		for j := range pl.p.Segments {
			pl.p.Segments[j].ExcRateHz = 0
		}
	case attempt%2 == 1:
		pl.p.ExcWeightUS /= 2
	default:
		for j := range pl.p.Segments {
			pl.p.Segments[j].ExcRateHz /= 2
		}
	}
	pl.setEnds(s.st.DurationMS)
}

func (s *sim) traceError(pl plan, err error) error {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	p := pl.p
	return fmt.Errorf("trace %d (%s: exc %.4g Hz x %.4g uS, inh %.4g Hz x %.4g uS): %w",
		pl.index, p.Regime, p.ExcRateHz, p.ExcWeightUS, p.InhRateHz, p.InhWeightUS, err)
}

// once runs one attempt of each trace of pls in one System (cell j is
// pls[j]). An attempt with abort[j] stops at its first spike (errs[j] =
// errSpiked); simMS[j] grows by the time simulated for trace j. err is a
// failure of the whole System (an unstable cell, a cancelled context).
func (s *sim) once(ctx context.Context, pls []plan, abort []bool, simMS []float64) (trs []*Trace, errs []error, err error) {
	st := s.st
	n := st.Samples
	cells := make([]biophys.Instance, len(pls))
	for j, pl := range pls {
		cells[j].T = s.tmpl
		if pl.p.StepAmpNA != 0 {
			cells[j].Clamps = []biophys.Clamp{{Node: s.tmpl.SpikeNode, DelMS: pl.p.StepStartMS, DurMS: pl.p.StepDurMS, AmpNA: pl.p.StepAmpNA}}
		}
	}
	sys, err := biophys.NewSystem(cells, st.DtMS)
	if err != nil {
		return nil, nil, err
	}
	acc := s.accumulators(len(pls))
	recs, err := s.recorders(sys, len(pls))
	if err != nil {
		return nil, nil, err
	}
	var row []float64
	sample := func(j, k int) {
		if recs == nil {
			return
		}
		row = recs[j].Sample(row[:0])
		for r, x := range row {
			trs[j].Rec[r][k] = float32(x)
		}
	}
	trs = make([]*Trace, len(pls))
	errs = make([]error, len(pls))
	live := make([]bool, len(pls))
	for j, pl := range pls {
		for syn, ch := range s.synChan {
			w, class := pl.p.ExcWeightUS, s.classOf[syn]
			if class == "inh" {
				w = pl.p.InhWeightUS
			}
			ss := &segStream{
				seed: st.Seed, trace: uint64(pl.index), syn: uint64(syn), inh: class == "inh",
				segs: pl.p.Segments, ends: pl.ends, w: w,
				bins: acc[j][ch], sampleDt: st.SampleDtMS,
			}
			if class != "inh" {
				ss.vol = VolleyEvents(st.Seed, pl.index, syn, pl.p, st.DurationMS)
			}
			if t := s.timeChan[syn]; t >= 0 {
				ss.timing = acc[j][t]
			}
			sys.AddStream(j, syn, ss)
		}
		trs[j] = &Trace{Index: pl.index, V: make([]float32, n), Spike: make([]uint8, n), Params: pl.p}
		trs[j].Spikes = 0
		trs[j].V[0] = float32(sys.V(j))
		if recs != nil {
			trs[j].Rec = make([][]float32, len(st.Records))
			for r := range trs[j].Rec {
				trs[j].Rec[r] = make([]float32, n)
			}
			sample(j, 0)
		}
		live[j] = true
	}
	nLive := len(pls)
	stop := func(j int, err error) {
		errs[j], live[j] = err, false
		nLive--
	}
	for k := 0; k < n && nLive > 0; k++ {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for r := 0; r < s.ratio; r++ {
			if err := sys.Step(); err != nil {
				return nil, nil, err
			}
			for j, ok := range live {
				if ok {
					simMS[j] += st.DtMS
				}
			}
			for _, sp := range sys.Spikes() {
				j := sp.Cell
				switch {
				case !live[j]:
				case abort[j]:
					stop(j, errSpiked)
				case trs[j].Spike[k] == math.MaxUint8:
					stop(j, fmt.Errorf("more than 255 spikes in one %g ms bin: use a smaller sample_dt", st.SampleDtMS))
				default:
					trs[j].Spike[k]++
					trs[j].Spikes++
				}
			}
		}
		if k+1 < n {
			for j, ok := range live {
				if ok {
					trs[j].V[k+1] = float32(sys.V(j))
					sample(j, k+1)
				}
			}
		}
	}
	for j, pl := range pls {
		if !live[j] {
			trs[j] = nil
			continue
		}
		tr := trs[j]
		tr.Drive = make([][]float32, len(st.Channels))
		for c, a := range acc[j] {
			d := make([]float32, n)
			for k, x := range a {
				d[k] = float32(x)
			}
			tr.Drive[c] = d
		}
		if s.clampCh >= 0 && pl.p.StepAmpNA != 0 {
			d := tr.Drive[s.clampCh]
			k0 := int(math.Round(pl.p.StepStartMS / st.SampleDtMS))
			k1 := k0 + int(math.Round(pl.p.StepDurMS/st.SampleDtMS))
			for k := max(0, k0); k < min(n, k1); k++ {
				d[k] = float32(pl.p.StepAmpNA)
			}
		}
	}
	return trs, errs, nil
}

// recorders prepares every cell's probes of the settings' records (nil
// without records).
func (s *sim) recorders(sys *biophys.System, cells int) ([]*biophys.Recorder, error) {
	if len(s.st.Records) == 0 {
		return nil, nil
	}
	probes := make([]biophys.Probe, len(s.st.Records))
	for i, r := range s.st.Records {
		p, err := biophys.ParseProbe(r.Name)
		if err != nil {
			return nil, err
		}
		probes[i] = p
	}
	out := make([]*biophys.Recorder, cells)
	for j := range out {
		r, err := sys.Recorder(j, probes)
		if err != nil {
			return nil, err
		}
		out[j] = r
	}
	return out, nil
}

// EventSeeds returns the seed pair of the Poisson train of synapse syn in
// segment seg of trace i (see the package documentation), so a trace's input
// events can be rebuilt with biophys.NewPoisson.
func EventSeeds(seed uint64, trace, syn, seg int) (uint64, uint64) {
	return biophys.Seed(seed, uint64(trace), 2, uint64(syn), uint64(seg)),
		biophys.Seed(seed, uint64(trace), 3, uint64(syn), uint64(seg))
}

// segStream is one synapse's input: a Poisson train per segment (a fresh
// biophys.Poisson restarted at each segment's start), whose events it also
// bins into the synapse's drive series.
type segStream struct {
	seed, trace, syn uint64
	inh              bool
	segs             []Segment
	ends             []float64
	w                float64
	bins             []float64
	timing           []float64 // nil: no timing channel
	sampleDt         float64

	j   int
	cur *biophys.Poisson
	// vol are the synapse's volley events (VolleyEvents) still to come;
	// pt, pw, pok its next Poisson event once peeked.
	vol         []float64
	peeked, pok bool
	pt, pw      float64
}

func (p *segStream) Next() (float64, float64, bool) {
	if !p.peeked {
		p.pt, p.pw, p.pok = p.poisson()
		p.peeked = true
	}
	var t, w float64
	switch {
	case len(p.vol) > 0 && (!p.pok || p.vol[0] < p.pt):
		t, w = p.vol[0], p.w
		p.vol = p.vol[1:]
	case p.pok:
		t, w = p.pt, p.pw
		p.peeked = false
	default:
		return 0, 0, false
	}
	x := t / p.sampleDt
	k := int(x)
	if k >= len(p.bins) {
		k = len(p.bins) - 1
	}
	p.bins[k] += w
	if p.timing != nil {
		// as surrogate.BinTiming: the offset from the bin's middle
		p.timing[k] += w * (min(x-float64(k), 1) - 0.5)
	}
	return t, w, true
}

// poisson is the synapse's next Poisson event, segment after segment.
func (p *segStream) poisson() (float64, float64, bool) {
	for p.j < len(p.segs) {
		seg := p.segs[p.j]
		if p.cur == nil {
			rate := seg.ExcRateHz
			if p.inh {
				rate = seg.InhRateHz
			}
			s1, s2 := EventSeeds(p.seed, int(p.trace), int(p.syn), p.j)
			p.cur = biophys.NewPoisson(rate, p.w, p.ends[p.j]-seg.StartMS, s1, s2)
		}
		t, w, ok := p.cur.Next()
		if !ok {
			p.cur = nil
			p.j++
			continue
		}
		return seg.StartMS + t, w, true
	}
	return 0, 0, false
}

// VolleyEvents are excitatory synapse syn's events of trace i's volleys
// (Params.VolleysMS), sorted: the synapse joins each volley with
// probability VolleyFrac, at the volley's time plus a Gaussian jitter of
// sd VolleyJitterMS, drawn from (seed, i, syn) alone; events outside
// [0, durationMS) are dropped. Its Poisson events come beside them.
func VolleyEvents(seed uint64, i, syn int, p Params, durationMS float64) []float64 {
	if len(p.VolleysMS) == 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(biophys.Seed(seed, uint64(i), 4, uint64(syn)), biophys.Seed(seed, uint64(i), 5, uint64(syn))))
	var out []float64
	for _, v := range p.VolleysMS {
		if rng.Float64() >= p.VolleyFrac {
			continue
		}
		if t := v + p.VolleyJitterMS*rng.NormFloat64(); t >= 0 && t < durationMS {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// TraceEvents are trace i's synaptic input events as the generator drew
// them, sorted by time: each synapse's volley events (DrawnVolleys) and its
// Poisson trains segment by segment (EventSeeds). p is the trace's stored
// Params, c the dataset's cell. A trace's current step (i_clamp) is not an
// event and not included.
func TraceEvents(st *Settings, c *biophys.Cell, i int, p Params) []biophys.Event {
	DrawnVolleys(st, i, &p)
	var out []biophys.Event
	for s, syn := range c.Synapses {
		inh := SynapseClass(syn) == "inh"
		w := p.ExcWeightUS
		if inh {
			w = p.InhWeightUS
		} else {
			for _, t := range VolleyEvents(st.Seed, i, s, p, st.DurationMS) {
				out = append(out, biophys.Event{TimeMS: t, Syn: s, WeightUS: w})
			}
		}
		for j, seg := range p.Segments {
			end := st.DurationMS
			if j+1 < len(p.Segments) {
				end = p.Segments[j+1].StartMS
			}
			rate := seg.ExcRateHz
			if inh {
				rate = seg.InhRateHz
			}
			s1, s2 := EventSeeds(st.Seed, i, s, j)
			src := biophys.NewPoisson(rate, w, end-seg.StartMS, s1, s2)
			for {
				t, we, ok := src.Next()
				if !ok {
					break
				}
				out = append(out, biophys.Event{TimeMS: seg.StartMS + t, Syn: s, WeightUS: we})
			}
		}
	}
	return biophys.MergeEvents(out)
}
