package infer

import (
	"math"
	"strings"

	"neurosurrogate/infer/metrics"
)

// Readouts summarize a network run for a parameter sweep, over the
// measured period (after the warm-up).
type Readouts struct {
	// RateHz is each population's mean rate (Hz per cell), by name.
	RateHz map[string]float64 `json:"rate_hz"`
	// StimRateHz is the network's rate in the stimulus response window
	// [stim, stim + window) (NaN without a stimulus time).
	StimRateHz float64 `json:"stim_rate_hz"`
	// ISICV is the mean coefficient of variation of the inter-spike
	// intervals over cells with at least 3 spikes.
	ISICV float64 `json:"isi_cv"`
	// Synchrony is Golomb's χ over spike counts in PSTH bins: the SD of
	// the population's mean count over the SD of single cells' counts,
	// averaged as variances (1: every cell fires together; about
	// 1/sqrt(cells) for independent cells).
	Synchrony float64 `json:"synchrony"`
	// BurstFraction is the fraction of spikes less than metrics.BurstISIMS from
	// another spike of the same cell.
	BurstFraction float64 `json:"burst_fraction"`
	// PSTHPeakHz is the highest PSTH bin (Hz per cell), from the stimulus
	// on if there is one; PSTHLatencyMS the time from the stimulus (or the
	// start) to the middle of that bin.
	PSTHPeakHz    float64 `json:"psth_peak_hz"`
	PSTHLatencyMS float64 `json:"psth_latency_ms"`
	// PSTH is the population rate per cell in bins of BinMS (Hz).
	PSTH []float64 `json:"-"`
}

// ReadoutOptions set the windows of Readouts.
type ReadoutOptions struct {
	StimMS   float64 // stimulus time (NaN: none)
	WindowMS float64 // stimulus response window
	BinMS    float64 // PSTH and synchrony bins
}

// ComputeReadouts summarizes a run of network b.
func ComputeReadouts(b *Built, run *RunResult, o ReadoutOptions) Readouts {
	ts := trains(run.Spikes, b.Cells)
	r := Readouts{RateHz: map[string]float64{}, StimRateHz: math.NaN()}
	for _, p := range b.Pops {
		n := 0
		for c := p.First; c < p.First+p.N; c++ {
			n += len(ts[c])
		}
		r.RateHz[p.Name] = float64(n) / float64(p.N) / run.TstopMS * 1000
	}
	var all []float64
	for _, s := range run.Spikes {
		all = append(all, s.TimeMS)
	}
	if !math.IsNaN(o.StimMS) && o.WindowMS > 0 {
		n := 0
		for _, t := range all {
			if t >= o.StimMS && t < o.StimMS+o.WindowMS {
				n++
			}
		}
		r.StimRateHz = float64(n) / float64(b.Cells) / o.WindowMS * 1000
	}
	r.ISICV = metrics.MeanISICV(ts)
	r.Synchrony = synchrony(ts, run.TstopMS, o.BinMS)
	r.BurstFraction = metrics.BurstFraction(ts)
	psth := metrics.PSTH(all, b.Cells, run.TstopMS, o.BinMS)
	r.PSTH = psth
	from := 0.0
	if !math.IsNaN(o.StimMS) {
		from = o.StimMS
	}
	r.PSTHPeakHz, r.PSTHLatencyMS = 0, math.NaN()
	for i, x := range psth {
		mid := (float64(i) + 0.5) * o.BinMS
		if mid >= from && x > r.PSTHPeakHz {
			r.PSTHPeakHz, r.PSTHLatencyMS = x, mid-from
		}
	}
	return r
}

// synchrony is Golomb's χ of spike counts in bins of binMS over
// durationMS (NaN if no cell varies).
func synchrony(ts [][]float64, durationMS, binMS float64) float64 {
	nb := int(math.Ceil(durationMS / binMS))
	if nb < 2 || len(ts) == 0 {
		return math.NaN()
	}
	mean := make([]float64, nb)
	cellVar := 0.0
	counts := make([]float64, nb)
	for _, tr := range ts {
		clear(counts)
		for _, t := range tr {
			if b := int(math.Floor(t / binMS)); b >= 0 && b < nb {
				counts[b]++
			}
		}
		cellVar += variance(counts)
		for i, c := range counts {
			mean[i] += c / float64(len(ts))
		}
	}
	cellVar /= float64(len(ts))
	if cellVar == 0 {
		return math.NaN()
	}
	return math.Sqrt(variance(mean) / cellVar)
}

func variance(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	s := 0.0
	for _, v := range x {
		s += (v - m) * (v - m)
	}
	return s / float64(len(x))
}

// ReadoutNames lists the readouts of a network with populations pops, as
// Value and the sweep's table name them: "rate_hz.POP" per population,
// then the network's.
func ReadoutNames(pops []string) []string {
	var out []string
	for _, p := range pops {
		out = append(out, "rate_hz."+p)
	}
	return append(out, "stim_rate_hz", "isi_cv", "synchrony", "burst_fraction", "psth_peak_hz", "psth_latency_ms")
}

// ReadoutUnit is the unit of a readout named as ReadoutNames names it.
func ReadoutUnit(name string) string {
	switch {
	case strings.HasPrefix(name, "rate_hz.") || strings.HasSuffix(name, "_hz"):
		return "Hz"
	case strings.HasSuffix(name, "_ms"):
		return "ms"
	}
	return "1"
}

// Value is the readout named as ReadoutNames names it (NaN: unknown).
func (r Readouts) Value(name string) float64 {
	if pop, ok := strings.CutPrefix(name, "rate_hz."); ok {
		if x, ok := r.RateHz[pop]; ok {
			return x
		}
		return math.NaN()
	}
	switch name {
	case "stim_rate_hz":
		return r.StimRateHz
	case "isi_cv":
		return r.ISICV
	case "synchrony":
		return r.Synchrony
	case "burst_fraction":
		return r.BurstFraction
	case "psth_peak_hz":
		return r.PSTHPeakHz
	case "psth_latency_ms":
		return r.PSTHLatencyMS
	}
	return math.NaN()
}
