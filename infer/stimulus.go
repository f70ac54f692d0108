package infer

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"neurosurrogate/biophys"
)

// Stimulus is timed input to a population, beside its background: the
// chosen cells (Fraction of the population, default all, drawn from the
// network's seed) get, on one named synapse or on every synapse of a class,
// either one event at TimeMS (a synchronous volley; JitterMS, if set,
// moves each event by a Gaussian draw of that SD) or a Poisson train of
// RateHz per synapse from StartMS to StopMS (a burst). Times count from the
// end of the warm-up, as spike times do.
type Stimulus struct {
	Population string   `json:"population"`
	Fraction   *float64 `json:"fraction,omitempty"`
	Synapse    string   `json:"synapse,omitempty"`
	Class      string   `json:"class,omitempty"`
	WeightUS   float64  `json:"weight_uS"`
	TimeMS     *float64 `json:"time_ms,omitempty"`
	JitterMS   float64  `json:"jitter_ms,omitempty"`
	RateHz     float64  `json:"rate_hz,omitempty"`
	StartMS    *float64 `json:"start_ms,omitempty"`
	StopMS     *float64 `json:"stop_ms,omitempty"`
}

// MaxStimulusEvents bounds the events a network's stimuli may draw (the
// engines hold them all).
const MaxStimulusEvents = 1 << 27

// check says what is wrong with the stimulus (field, message), given the
// population's size.
func (s Stimulus) check() (string, error) {
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case (s.Synapse == "") == (s.Class == ""):
		return "", fmt.Errorf("give either synapse or class")
	case s.Class != "" && s.Class != "exc" && s.Class != "inh":
		return "class", fmt.Errorf("%q: want exc or inh", s.Class)
	case s.Fraction != nil && !(*s.Fraction > 0 && *s.Fraction <= 1):
		return "fraction", fmt.Errorf("%v: must lie in (0, 1]", *s.Fraction)
	case !(s.WeightUS >= 0 && s.WeightUS <= biophys.MaxWeightUS):
		return "weight_uS", fmt.Errorf("%v: must lie in [0, %g] uS", s.WeightUS, biophys.MaxWeightUS)
	case s.TimeMS != nil && (s.RateHz != 0 || s.StartMS != nil || s.StopMS != nil):
		return "time_ms", fmt.Errorf("a stimulus is a volley (time_ms) or a burst (rate_hz, start_ms, stop_ms), not both")
	case s.TimeMS != nil && !(finite(*s.TimeMS) && *s.TimeMS >= 0 && *s.TimeMS <= MaxSteps):
		return "time_ms", fmt.Errorf("%v: must be a time >= 0 ms (from the end of the warm-up)", *s.TimeMS)
	case !(finite(s.JitterMS) && s.JitterMS >= 0 && s.JitterMS <= 1e6):
		return "jitter_ms", fmt.Errorf("%v: must lie in [0, 1e6] ms", s.JitterMS)
	case s.TimeMS == nil && s.JitterMS != 0:
		return "jitter_ms", fmt.Errorf("applies to a volley (time_ms)")
	case s.TimeMS == nil && (s.StartMS == nil || s.StopMS == nil):
		return "", fmt.Errorf("give time_ms (a volley) or rate_hz, start_ms and stop_ms (a burst)")
	}
	if s.TimeMS == nil {
		switch {
		case !(s.RateHz > 0 && s.RateHz <= 1e6):
			return "rate_hz", fmt.Errorf("%v: must lie in (0, 1e6] Hz", s.RateHz)
		case !(finite(*s.StartMS) && *s.StartMS >= 0):
			return "start_ms", fmt.Errorf("%v: must be a time >= 0 ms (from the end of the warm-up)", *s.StartMS)
		case !(finite(*s.StopMS) && *s.StopMS > *s.StartMS && *s.StopMS <= MaxSteps):
			return "stop_ms", fmt.Errorf("%v: must follow start_ms %v", *s.StopMS, *s.StartMS)
		}
	}
	return "", nil
}

// stimEvent is a stimulus event of one cell.
type stimEvent struct {
	TimeMS   float64 // from the end of the warm-up
	Syn      int
	WeightUS float64
}

// drawStimuli draws every stimulus event of the network: per global cell,
// sorted by time. The draws depend only on the seed and the indices of
// stimulus, cell and synapse.
func drawStimuli(n *Network, b *Built) ([][]stimEvent, error) {
	if len(n.Stimuli) == 0 {
		return nil, nil
	}
	out := make([][]stimEvent, b.Cells)
	total := 0.0
	for i, s := range n.Stimuli {
		f := fmt.Sprintf("stimuli[%d]", i)
		p := b.Pops[n.Population(s.Population)]
		syns, err := p.targets(s.Synapse, s.Class)
		if err != nil {
			return nil, n.errf(f, "%v", err)
		}
		frac := 1.0
		if s.Fraction != nil {
			frac = *s.Fraction
		}
		k := int(math.Round(frac * float64(p.N)))
		pick := newStreamRNG(n.Seed, 4, uint64(i))
		cells := sampleDistinct(p.N, k, -1, &pick)
		slices.Sort(cells)
		per := 1.0
		if s.TimeMS == nil {
			per = s.RateHz * (*s.StopMS - *s.StartMS) / 1000
		}
		if total += per * float64(len(cells)*len(syns)); total > MaxStimulusEvents {
			return nil, n.errf(f, "the stimuli draw about %.3g events, more than the %d the engines hold", total, MaxStimulusEvents)
		}
		for _, c := range cells {
			for q, syn := range syns {
				rng := newStreamRNG(n.Seed, 5, uint64(i), uint64(c), uint64(q))
				ev := &out[p.First+c]
				if s.TimeMS != nil {
					t := *s.TimeMS
					if s.JitterMS > 0 {
						t += s.JitterMS * rng.norm()
					}
					*ev = append(*ev, stimEvent{TimeMS: t, Syn: syn, WeightUS: s.WeightUS})
					continue
				}
				for t := *s.StartMS + rng.exp()*1000/s.RateHz; t < *s.StopMS; t += rng.exp() * 1000 / s.RateHz {
					*ev = append(*ev, stimEvent{TimeMS: t, Syn: syn, WeightUS: s.WeightUS})
				}
			}
		}
	}
	for c := range out {
		slices.SortStableFunc(out[c], func(a, b stimEvent) int { return cmp.Compare(a.TimeMS, b.TimeMS) })
	}
	return out, nil
}
