package dataset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"neurosurrogate/biophys"
)

// Range is a closed interval [Lo, Hi]; in JSON it is [lo, hi].
type Range [2]float64

// Lo is the lower end.
func (r Range) Lo() float64 { return r[0] }

// Hi is the upper end.
func (r Range) Hi() float64 { return r[1] }

// Mid is the middle.
func (r Range) Mid() float64 { return (r[0] + r[1]) / 2 }

func (r Range) String() string {
	return strconv.FormatFloat(r[0], 'g', -1, 64) + ":" + strconv.FormatFloat(r[1], 'g', -1, 64)
}

// draw returns a uniform value in [Lo, Hi).
func (r Range) draw(rng *rand.Rand) float64 { return r[0] + (r[1]-r[0])*rng.Float64() }

// ParseRange parses "lo:hi" (a single number x means x:x).
func ParseRange(s string) (Range, error) {
	lo, hi, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok {
		hi = lo
	}
	a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
	b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
	if err1 != nil || err2 != nil {
		return Range{}, fmt.Errorf("%q is not a range lo:hi (e.g. 0:3000)", s)
	}
	r := Range{a, b}
	if !finite(a) || !finite(b) {
		return r, fmt.Errorf("%q: bounds must be finite", s)
	}
	if a > b {
		return r, fmt.Errorf("%q: lo %g is above hi %g", s, a, b)
	}
	return r, nil
}

// Input is the range of the Poisson rate (per synapse, Hz) and the event
// weight (uS) of one input population (excitatory or inhibitory).
type Input struct {
	RateHz   Range `json:"rate_hz"`
	WeightUS Range `json:"weight_uS"`
}

// Regime names, in the order they appear in a mix.
const (
	Silent       = "silent"       // no excitation; half of them inhibition only
	Sparse       = "sparse"       // rates below 1% of the full range: isolated PSPs
	Subthreshold = "subthreshold" // busy input, excitation halved until no spike
	Core         = "core"         // stationary, uniform in the core (acceptance) box
	Driven       = "driven"       // strong excitation, weak inhibition
	Switching    = "switching"    // rates redrawn in segments (onsets, offsets)
	Volleys      = "volleys"      // core input plus synchronous excitatory volleys
)

// The volleys regime's ranges: volleys at VolleyRateHz (a Poisson train),
// each joined by every excitatory synapse with probability VolleyFrac, its
// event jittered by a Gaussian of sd VolleyJitterMS.
var (
	VolleyRateHz   = Range{2, 20}
	VolleyFrac     = Range{0.05, 0.25}
	VolleyJitterMS = Range{0.5, 3}
)

// RegimeNames lists the known regimes in canonical order.
var RegimeNames = []string{Silent, Sparse, Subthreshold, Core, Driven, Switching, Volleys}

// MixEntry is one regime's share of the traces.
type MixEntry struct {
	Regime string  `json:"regime"`
	Frac   float64 `json:"frac"`
}

// Regimes describes how each trace's inputs are drawn. It is stored in the
// dataset's metadata. See the package documentation for the meaning of
// every regime.
type Regimes struct {
	// Exc and Inh are the full ranges; CoreExc and CoreInh the dense region
	// most traces come from (it should cover the conditions the surrogate
	// will be tested in).
	Exc     Input `json:"exc"`
	Inh     Input `json:"inh"`
	CoreExc Input `json:"core_exc"`
	CoreInh Input `json:"core_inh"`
	// Mix gives each regime's fraction of the traces (sums to 1).
	Mix []MixEntry `json:"mix"`
	// SegmentMS is the range of segment lengths of switching traces.
	SegmentMS Range `json:"segment_ms"`
	// SubthresholdTries is how often a subthreshold trace halves its
	// excitatory rate after a spike before excitation is switched off.
	SubthresholdTries int `json:"subthreshold_tries"`
	// StepFrac is the fraction of traces that get one current step
	// (IClamp at the spike site) of amplitude StepAmpNA and duration
	// StepDurMS; 0 disables steps and the i_clamp channel.
	StepFrac  float64 `json:"step_frac"`
	StepAmpNA Range   `json:"step_amp_nA"`
	StepDurMS Range   `json:"step_dur_ms"`
}

// PointCellMaxSynapses is the largest synapse count for which a cell gets
// the point-cell defaults (each synapse stands for a whole population);
// cells with more synapses get per-synapse physiological rates.
const PointCellMaxSynapses = 4

// DefaultRegimes returns the default input regimes for a cell.
//
// Point cells (at most PointCellMaxSynapses synapses, e.g. hh, ballstick):
// exc 0–3000 Hz at 0.001–0.005 uS, inh 0–1000 Hz at 0.001–0.006 uS; the core
// box is exc 500–3000 Hz at 0.001–0.004 uS, inh 200–800 Hz at 0.001–0.006 uS.
//
// Cells with many synapses (e.g. the Hay L5PC): per synapse exc 0–30 Hz at
// 0.002–0.010 uS, inh 0–25 Hz at 0.0005–0.003 uS; core exc 5–25 Hz at
// 0.004–0.008 uS, inh 5–20 Hz at 0.001–0.002 uS.
func DefaultRegimes(c *biophys.Cell) Regimes {
	r := Regimes{
		Mix: []MixEntry{
			{Silent, 0.05}, {Sparse, 0.10}, {Subthreshold, 0.10},
			{Core, 0.60}, {Driven, 0.05}, {Switching, 0.10},
		},
		SegmentMS:         Range{100, 500},
		SubthresholdTries: 8,
		StepDurMS:         Range{50, 500},
	}
	if len(c.Synapses) <= PointCellMaxSynapses {
		r.Exc = Input{RateHz: Range{0, 3000}, WeightUS: Range{0.001, 0.005}}
		r.Inh = Input{RateHz: Range{0, 1000}, WeightUS: Range{0.001, 0.006}}
		r.CoreExc = Input{RateHz: Range{500, 3000}, WeightUS: Range{0.001, 0.004}}
		r.CoreInh = Input{RateHz: Range{200, 800}, WeightUS: Range{0.001, 0.006}}
		r.StepAmpNA = Range{-0.1, 0.3}
	} else {
		r.Exc = Input{RateHz: Range{0, 30}, WeightUS: Range{0.002, 0.010}}
		r.Inh = Input{RateHz: Range{0, 25}, WeightUS: Range{0.0005, 0.003}}
		r.CoreExc = Input{RateHz: Range{5, 25}, WeightUS: Range{0.004, 0.008}}
		r.CoreInh = Input{RateHz: Range{5, 20}, WeightUS: Range{0.001, 0.002}}
		r.StepAmpNA = Range{-0.5, 1.5}
	}
	return r
}

// ParseMix parses "silent=0.05,core=0.6,..." into a mix in canonical order;
// regimes not named get 0. The fractions must sum to 1.
func ParseMix(s string) ([]MixEntry, error) {
	fr := map[string]float64{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want regime=fraction (regimes: %s)", part, strings.Join(RegimeNames, ", "))
		}
		name = strings.TrimSpace(name)
		if !knownRegime(name) {
			return nil, fmt.Errorf("unknown regime %q (known: %s)", name, strings.Join(RegimeNames, ", "))
		}
		if _, dup := fr[name]; dup {
			return nil, fmt.Errorf("regime %q given twice", name)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return nil, fmt.Errorf("%s=%q: not a number", name, val)
		}
		fr[name] = f
	}
	var out []MixEntry
	for _, n := range RegimeNames {
		out = append(out, MixEntry{n, fr[n]})
	}
	if err := checkMix(out); err != nil {
		return nil, err
	}
	return out, nil
}

func knownRegime(name string) bool {
	for _, n := range RegimeNames {
		if n == name {
			return true
		}
	}
	return false
}

func checkMix(mix []MixEntry) error {
	sum := 0.0
	seen := map[string]bool{}
	for _, m := range mix {
		if !knownRegime(m.Regime) {
			return fmt.Errorf("mix: unknown regime %q (known: %s)", m.Regime, strings.Join(RegimeNames, ", "))
		}
		if seen[m.Regime] {
			return fmt.Errorf("mix: regime %q given twice", m.Regime)
		}
		seen[m.Regime] = true
		if !(m.Frac >= 0) || !finite(m.Frac) {
			return fmt.Errorf("mix: %s=%v: fractions must be >= 0", m.Regime, m.Frac)
		}
		sum += m.Frac
	}
	if math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("mix: fractions sum to %g; want 1", sum)
	}
	return nil
}

// Validate checks the ranges and the mix.
func (r *Regimes) Validate() error {
	inputs := []struct {
		name string
		in   Input
	}{{"exc", r.Exc}, {"inh", r.Inh}, {"core exc", r.CoreExc}, {"core inh", r.CoreInh}}
	for _, x := range inputs {
		for _, q := range []struct {
			what string
			rg   Range
			max  float64
		}{{"rate (Hz)", x.in.RateHz, biophys.MaxRateHz}, {"weight (uS)", x.in.WeightUS, biophys.MaxWeightUS}} {
			lo, hi := q.rg[0], q.rg[1]
			if !finite(lo) || !finite(hi) || lo < 0 || lo > hi {
				return fmt.Errorf("%s %s range %s: want 0 <= lo <= hi", x.name, q.what, q.rg)
			}
			if lim := q.max; hi > lim {
				return fmt.Errorf("%s %s range %s: at most %g", x.name, q.what, q.rg, lim)
			}
		}
	}
	if err := checkMix(r.Mix); err != nil {
		return err
	}
	if !(r.SegmentMS[0] > 0) || !(r.SegmentMS[0] <= r.SegmentMS[1]) || !finite(r.SegmentMS[1]) {
		return fmt.Errorf("segment length range %s ms: want 0 < lo <= hi", r.SegmentMS)
	}
	if r.SubthresholdTries < 0 || r.SubthresholdTries > 64 {
		return fmt.Errorf("subthreshold tries %d: want 0..64", r.SubthresholdTries)
	}
	if !(r.StepFrac >= 0 && r.StepFrac <= 1) {
		return fmt.Errorf("step fraction %v: want 0..1", r.StepFrac)
	}
	if !finite(r.StepAmpNA[0]) || !finite(r.StepAmpNA[1]) || r.StepAmpNA[0] > r.StepAmpNA[1] {
		return fmt.Errorf("step amplitude range %s nA: want lo <= hi", r.StepAmpNA)
	}
	if r.StepFrac > 0 && (!(r.StepDurMS[0] > 0) || r.StepDurMS[0] > r.StepDurMS[1] || !finite(r.StepDurMS[1])) {
		return fmt.Errorf("step duration range %s ms: want 0 < lo <= hi", r.StepDurMS)
	}
	return nil
}

// Segment is a stretch of a trace with constant input rates.
type Segment struct {
	StartMS   float64 `json:"start_ms"`
	ExcRateHz float64 `json:"exc_rate_hz"`
	InhRateHz float64 `json:"inh_rate_hz"`
}

// Params are the drawn inputs of one trace; they are stored with it.
type Params struct {
	Regime string `json:"regime"`
	// ExcRateHz and InhRateHz are the per-synapse rates averaged over the
	// trace (the rate itself for stationary traces).
	ExcRateHz   float64 `json:"exc_rate_hz"`
	ExcWeightUS float64 `json:"exc_weight_uS"`
	InhRateHz   float64 `json:"inh_rate_hz"`
	InhWeightUS float64 `json:"inh_weight_uS"`
	// Segments are the piecewise-constant rates (one for stationary traces).
	Segments []Segment `json:"segments"`
	// A current step (StepAmpNA 0: none) from StepStartMS for StepDurMS.
	StepAmpNA   float64 `json:"step_amp_nA"`
	StepStartMS float64 `json:"step_start_ms"`
	StepDurMS   float64 `json:"step_dur_ms"`
	// Attempts is the number of simulations run to draw the trace (more than
	// 1 only for subthreshold traces, whose excitation is halved after each
	// attempt that spiked).
	Attempts int `json:"attempts"`
	// Spikes is the number of spikes in the trace.
	Spikes int `json:"spikes"`
	// VolleysMS (volleys regime) are the times of synchronous excitatory
	// volleys: each excitatory synapse joins each with probability
	// VolleyFrac, at a time jittered with sd VolleyJitterMS (VolleyEvents).
	// They are drawn from (seed, trace) and not stored in the table: a
	// read trace has them from DrawnVolleys.
	VolleysMS      []float64 `json:"volleys_ms,omitempty"`
	VolleyFrac     float64   `json:"volley_frac,omitempty"`
	VolleyJitterMS float64   `json:"volley_jitter_ms,omitempty"`
}

// SynapseClass is "exc" or "inh".
//
// The rule: a synapse whose name starts with "exc" is excitatory, one
// starting with "inh" inhibitory; otherwise its reversal potential decides
// (parameter e, default 0 mV): e >= -20 mV is excitatory.
func SynapseClass(s biophys.Synapse) string {
	n := strings.ToLower(s.Name)
	switch {
	case strings.HasPrefix(n, "exc"):
		return "exc"
	case strings.HasPrefix(n, "inh"):
		return "inh"
	}
	e, ok := s.Params["e"]
	if !ok || e >= -20 {
		return "exc"
	}
	return "inh"
}

// plan is everything needed to simulate trace i.
type plan struct {
	index int
	p     Params
	// seg lengths: segment j spans [Segments[j].StartMS, end(j)).
	ends []float64
}

// traceRNG is the generator of trace i's parameters (stream 0) or of its
// current step (stream 1).
func traceRNG(seed uint64, i int, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(biophys.Seed(seed, uint64(i), stream, 0), biophys.Seed(seed, uint64(i), stream, 1)))
}

// drawParams draws trace i's inputs. It depends only on (seed, i) and the
// settings, never on sharding or workers.
func drawParams(st *Settings, i int) plan {
	r := &st.Regimes
	rng := traceRNG(st.Seed, i, 0)
	u := rng.Float64()
	regime, acc := "", 0.0
	for _, m := range r.Mix {
		if m.Frac <= 0 {
			continue
		}
		regime = m.Regime // the last one with a share, if rounding leaves u >= acc
		acc += m.Frac
		if u < acc {
			break
		}
	}
	p := Params{Regime: regime, Attempts: 1}
	stationary := func(er, ir float64) {
		p.Segments = []Segment{{0, er, ir}}
	}
	switch regime {
	case Silent:
		p.ExcWeightUS = r.Exc.WeightUS.draw(rng)
		p.InhWeightUS = r.Inh.WeightUS.draw(rng)
		ir := 0.0
		if rng.IntN(2) == 1 {
			ir = r.Inh.RateHz.draw(rng)
		}
		stationary(0, ir)
	case Sparse:
		er := Range{r.Exc.RateHz[0], r.Exc.RateHz[0] + 0.01*(r.Exc.RateHz[1]-r.Exc.RateHz[0])}.draw(rng)
		ir := Range{r.Inh.RateHz[0], r.Inh.RateHz[0] + 0.01*(r.Inh.RateHz[1]-r.Inh.RateHz[0])}.draw(rng)
		p.ExcWeightUS = r.Exc.WeightUS.draw(rng)
		p.InhWeightUS = r.Inh.WeightUS.draw(rng)
		stationary(er, ir)
	case Subthreshold:
		er := r.CoreExc.RateHz.draw(rng)
		p.ExcWeightUS = Range{r.Exc.WeightUS[0], r.Exc.WeightUS.Mid()}.draw(rng)
		ir := Range{r.Inh.RateHz.Mid(), r.Inh.RateHz[1]}.draw(rng)
		p.InhWeightUS = Range{r.Inh.WeightUS.Mid(), r.Inh.WeightUS[1]}.draw(rng)
		stationary(er, ir)
	case Core, Volleys:
		er := r.CoreExc.RateHz.draw(rng)
		p.ExcWeightUS = r.CoreExc.WeightUS.draw(rng)
		ir := r.CoreInh.RateHz.draw(rng)
		p.InhWeightUS = r.CoreInh.WeightUS.draw(rng)
		stationary(er, ir)
		if regime == Volleys { // then the volleys on top
			rate := VolleyRateHz.draw(rng)
			p.VolleyFrac = VolleyFrac.draw(rng)
			p.VolleyJitterMS = VolleyJitterMS.draw(rng)
			for t := rng.ExpFloat64() * 1000 / rate; t < st.DurationMS; t += rng.ExpFloat64() * 1000 / rate {
				p.VolleysMS = append(p.VolleysMS, t)
			}
		}
	case Driven:
		er := Range{r.Exc.RateHz.Mid(), r.Exc.RateHz[1]}.draw(rng)
		p.ExcWeightUS = Range{r.Exc.WeightUS.Mid(), r.Exc.WeightUS[1]}.draw(rng)
		ir := Range{r.Inh.RateHz[0], math.Max(r.Inh.RateHz[0], r.CoreInh.RateHz[0])}.draw(rng)
		p.InhWeightUS = r.Inh.WeightUS.draw(rng)
		stationary(er, ir)
	case Switching:
		p.ExcWeightUS = r.Exc.WeightUS.draw(rng)
		p.InhWeightUS = r.Inh.WeightUS.draw(rng)
		t := 0.0
		for t < st.DurationMS {
			var er, ir float64
			switch x := rng.Float64(); {
			case x < 0.2: // a pause: no excitation
				ir = r.Inh.RateHz.draw(rng)
			case x < 0.6:
				er, ir = r.CoreExc.RateHz.draw(rng), r.CoreInh.RateHz.draw(rng)
			default:
				er, ir = r.Exc.RateHz.draw(rng), r.Inh.RateHz.draw(rng)
			}
			p.Segments = append(p.Segments, Segment{t, er, ir})
			t += r.SegmentMS.draw(rng)
		}
	}
	if r.StepFrac > 0 {
		srng := traceRNG(st.Seed, i, 1)
		if srng.Float64() < r.StepFrac {
			sdt := st.SampleDtMS
			nT := st.Samples
			start := srng.IntN(nT)
			dur := int(math.Round(r.StepDurMS.draw(srng) / sdt))
			dur = max(1, min(dur, nT-start))
			p.StepAmpNA = r.StepAmpNA.draw(srng)
			p.StepStartMS = float64(start) * sdt
			p.StepDurMS = float64(dur) * sdt
		}
	}
	pl := plan{index: i, p: p}
	pl.setEnds(st.DurationMS)
	return pl
}

// setEnds computes segment ends and the time-averaged rates.
func (pl *plan) setEnds(dur float64) {
	segs := pl.p.Segments
	pl.ends = make([]float64, len(segs))
	var e, in float64
	for j := range segs {
		end := dur
		if j+1 < len(segs) {
			end = segs[j+1].StartMS
		}
		pl.ends[j] = end
		e += segs[j].ExcRateHz * (end - segs[j].StartMS)
		in += segs[j].InhRateHz * (end - segs[j].StartMS)
	}
	pl.p.ExcRateHz = e / dur
	pl.p.InhRateHz = in / dur
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// DrawnVolleys sets trace i's volleys (Params.VolleysMS, VolleyFrac,
// VolleyJitterMS) as the generator drew them from the dataset's settings:
// they are not stored with the trace. A trace of another regime has none.
func DrawnVolleys(st *Settings, i int, p *Params) {
	if p.Regime != Volleys {
		p.VolleysMS, p.VolleyFrac, p.VolleyJitterMS = nil, 0, 0
		return
	}
	d := drawParams(st, i).p
	p.VolleysMS, p.VolleyFrac, p.VolleyJitterMS = d.VolleysMS, d.VolleyFrac, d.VolleyJitterMS
}
