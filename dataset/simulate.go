package dataset

import (
	"errors"
	"fmt"
	"math"

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
	Params
}

// sim simulates traces of one dataset; one per worker (not goroutine-safe).
type sim struct {
	st       *Settings
	tmpl     *biophys.Template
	ratio    int   // dt steps per sample
	synChan  []int // synapse -> channel
	timeChan []int // synapse -> its timing channel, -1 if none
	classOf  []string
	clampCh  int // channel of i_clamp, -1 if none
	driveAcc [][]float64
	// simulatedMS counts the simulated time (all attempts).
	simulatedMS float64
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
	s.driveAcc = make([][]float64, len(st.Channels))
	for i := range s.driveAcc {
		s.driveAcc[i] = make([]float64, st.Samples)
	}
	return s
}

// errSpiked stops a subthreshold attempt at its first spike.
var errSpiked = errors.New("spiked")

// run simulates trace pl; a subthreshold trace is retried with halved
// excitation while it spikes.
func (s *sim) run(pl plan) (*Trace, error) {
	tries := s.st.Regimes.SubthresholdTries
	for attempt := 1; ; attempt++ {
		abort := pl.p.Regime == Subthreshold && attempt <= tries
		tr, err := s.once(pl, abort)
		if err == errSpiked {
			pl.p.Attempts = attempt + 1
			switch {
			case attempt >= tries: // last resort: inhibition only
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
			continue
		}
		if err != nil {
			p := pl.p
			return nil, fmt.Errorf("trace %d (%s: exc %.4g Hz x %.4g uS, inh %.4g Hz x %.4g uS): %w",
				pl.index, p.Regime, p.ExcRateHz, p.ExcWeightUS, p.InhRateHz, p.InhWeightUS, err)
		}
		return tr, nil
	}
}

// once runs one simulation of trace pl.
func (s *sim) once(pl plan, abortOnSpike bool) (*Trace, error) {
	st := s.st
	n := st.Samples
	for _, a := range s.driveAcc {
		clear(a)
	}
	var clamps []biophys.Clamp
	if pl.p.StepAmpNA != 0 {
		clamps = []biophys.Clamp{{Node: s.tmpl.SpikeNode, DelMS: pl.p.StepStartMS, DurMS: pl.p.StepDurMS, AmpNA: pl.p.StepAmpNA}}
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: s.tmpl, Clamps: clamps}}, st.DtMS)
	if err != nil {
		return nil, err
	}
	for syn, ch := range s.synChan {
		w, class := pl.p.ExcWeightUS, s.classOf[syn]
		if class == "inh" {
			w = pl.p.InhWeightUS
		}
		ss := &segStream{
			seed: st.Seed, trace: uint64(pl.index), syn: uint64(syn), inh: class == "inh",
			segs: pl.p.Segments, ends: pl.ends, w: w,
			bins: s.driveAcc[ch], sampleDt: st.SampleDtMS,
		}
		if t := s.timeChan[syn]; t >= 0 {
			ss.timing = s.driveAcc[t]
		}
		sys.AddStream(0, syn, ss)
	}
	tr := &Trace{Index: pl.index, V: make([]float32, n), Spike: make([]uint8, n), Params: pl.p}
	tr.V[0] = float32(sys.V(0))
	r := s.ratio
	total := 0
	for k := 0; k < n; k++ {
		for j := 0; j < r; j++ {
			if err := sys.Step(); err != nil {
				return nil, err
			}
			s.simulatedMS += st.DtMS
			if sp := sys.Spikes(); len(sp) > 0 {
				if abortOnSpike {
					return nil, errSpiked
				}
				c := int(tr.Spike[k]) + len(sp)
				if c > math.MaxUint8 {
					return nil, fmt.Errorf("more than 255 spikes in one %g ms bin: use a smaller sample_dt", st.SampleDtMS)
				}
				tr.Spike[k] = uint8(c)
				total += len(sp)
			}
		}
		if k+1 < n {
			tr.V[k+1] = float32(sys.V(0))
		}
	}
	tr.Spikes = total
	tr.Drive = make([][]float32, len(st.Channels))
	for c, acc := range s.driveAcc {
		d := make([]float32, n)
		for k, x := range acc {
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
	return tr, nil
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
}

func (p *segStream) Next() (float64, float64, bool) {
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
		te := seg.StartMS + t
		x := te / p.sampleDt
		k := int(x)
		if k >= len(p.bins) {
			k = len(p.bins) - 1
		}
		p.bins[k] += w
		if p.timing != nil {
			// as surrogate.BinTiming: the offset from the bin's middle
			p.timing[k] += w * (min(x-float64(k), 1) - 0.5)
		}
		return te, w, true
	}
	return 0, 0, false
}
