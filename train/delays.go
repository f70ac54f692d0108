package train

import (
	"fmt"
	"math"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/infer"
	"neurosurrogate/internal/parallel"
	"neurosurrogate/surrogate"
)

// PSP measurement: one event at rest, the soma recorded at the reference
// time step for pspWindowMS after it.
const (
	pspDT       = 0.025
	pspOnsetMS  = 5.0
	pspWindowMS = 80.0
	pspWeightUS = 0.002
)

// SynapseDelay is one synapse's somatic PSP timing.
type SynapseDelay struct {
	Synapse    string
	DistanceUM float64 // path distance from the soma
	HalfRiseMS float64 // time from the event until the somatic PSP reaches half its peak
	Fitted     bool    // from the distance fit (inhibitory synapses: no usable PSP at rest)
}

// PSPDelays sets every input's DelaySteps so that its synapses' somatic
// PSPs line up in time with the fastest synapse's: an event on a distal
// synapse reaches the soma later than the convolution kernel spans, so the
// model sees it later. Each excitatory synapse's half-rise time is measured
// in the reference simulator (one event of 0.002 uS at rest); inhibitory
// ones, whose PSP at rest is too small to time (near reversal), take the
// least-squares line of half-rise time against path distance fitted to the
// excitatory ones (never earlier than the fastest). An input's delay is the mean over its channels, in
// samples, rounded; channels that are not synapses count as 0. The
// synapses run on workers goroutines (GOMAXPROCS if workers <= 0).
func PSPDelays(cell *biophys.Cell, inputs []surrogate.Input, sampleDT float64, workers int) ([]SynapseDelay, error) {
	T := pspOnsetMS + pspWindowMS
	base, _, err := infer.Reference(cell, nil, T, pspDT, pspDT)
	if err != nil {
		return nil, err
	}
	out := make([]SynapseDelay, len(cell.Synapses))
	errs := make([]error, len(cell.Synapses))
	for i, s := range cell.Synapses {
		sec, _ := cell.SectionIndex(s.Section)
		out[i] = SynapseDelay{Synapse: s.Name, DistanceUM: cell.PathDistance(sec, s.X), Fitted: true}
	}
	parallel.Do(len(cell.Synapses), workers, func(i int) {
		if dataset.SynapseClass(cell.Synapses[i]) != "exc" {
			return
		}
		tr, _, err := infer.Reference(cell, []biophys.Event{{TimeMS: pspOnsetMS, Syn: i, WeightUS: pspWeightUS}}, T, pspDT, pspDT)
		if err != nil {
			errs[i] = err
			return
		}
		if h, ok := halfRise(tr.V, base.V, int(math.Round(pspOnsetMS/pspDT))); ok {
			out[i].HalfRiseMS, out[i].Fitted = h*pspDT, false
		}
	}, nil)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	// Fit the rest against distance.
	var n, sx, sy, sxx, sxy float64
	for _, d := range out {
		if !d.Fitted {
			n++
			sx += d.DistanceUM
			sy += d.HalfRiseMS
			sxx += d.DistanceUM * d.DistanceUM
			sxy += d.DistanceUM * d.HalfRiseMS
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("input delays: no excitatory synapse of %s gave a somatic PSP to time", cell.Name)
	}
	slope := 0.0
	if den := n*sxx - sx*sx; den > 0 {
		slope = (n*sxy - sx*sy) / den
	}
	icept := (sy - slope*sx) / n
	fastest := math.Inf(1)
	for i := range out {
		if !out[i].Fitted {
			fastest = math.Min(fastest, out[i].HalfRiseMS)
		}
	}
	for i := range out {
		if out[i].Fitted {
			out[i].HalfRiseMS = math.Max(fastest, icept+slope*out[i].DistanceUM)
		}
	}
	for j, in := range inputs {
		sum := 0.0
		for _, ch := range in.Channels {
			if k := cell.SynapseIndex(ch); k >= 0 {
				sum += out[k].HalfRiseMS - fastest
			}
		}
		d := int(math.Round(sum / float64(len(in.Channels)) / sampleDT))
		inputs[j].DelaySteps = min(d, surrogate.MaxInputDelay)
	}
	return out, nil
}

// halfRise finds, in samples after k0, where v - base first reaches half of
// its largest excursion (interpolated), if there is one of at least 1 uV.
func halfRise(v, base []float64, k0 int) (float64, bool) {
	peak := 0.0
	for k := k0; k < len(v); k++ {
		if d := v[k] - base[k]; math.Abs(d) > math.Abs(peak) {
			peak = d
		}
	}
	if math.Abs(peak) < 1e-3 {
		return 0, false
	}
	prev := 0.0
	for k := k0; k < len(v); k++ {
		d := (v[k] - base[k]) / peak
		if d >= 0.5 {
			return float64(k-k0-1) + (0.5-prev)/(d-prev), true
		}
		prev = d
	}
	return 0, false
}
