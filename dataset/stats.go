package dataset

import (
	"math"
	"sort"
)

// Summary is what inspect reports about a dataset's contents.
type Summary struct {
	Traces int
	// Firing rate (spikes per second of trace) over traces.
	RateMeanHz                                               float64
	RateMinHz, RateP10Hz, RateMedianHz, RateP90Hz, RateMaxHz float64
	FracSilent                                               float64 // traces without a spike
	Hist                                                     []HistBin
	Regimes                                                  []RegimeSummary
	VMin, VMax, VMean                                        float64 // mV over all samples
	Channels                                                 []ChannelSummary
	Steps                                                    int // traces with a current step
}

// HistBin counts traces with firing rate in (Lo, Hi] (Lo = Hi = 0: silent).
type HistBin struct {
	Lo, Hi float64
	Count  int
}

// RegimeSummary is the outcome of one input regime.
type RegimeSummary struct {
	Regime       string
	Traces       int
	MeanRateHz   float64
	FracSilent   float64
	MeanAttempts float64
}

// ChannelSummary describes one input channel.
type ChannelSummary struct {
	Name string
	// MeanPerMS is the mean drive per ms (uS/ms for synapses: rate x weight;
	// uS*bin/ms for timing channels, about 0; nA for the clamp).
	MeanPerMS float64
	// FracActive is the fraction of bins with non-zero drive.
	FracActive float64
}

var histEdges = []float64{0, 1, 5, 10, 20, 50, 100, 200}

// Summarize reads every trace once (in storage order) and summarizes
// spiking, voltage and input. progress, if not nil, gets traces done.
func (d *Dataset) Summarize(progress func(done, total int)) (*Summary, error) {
	st := &d.meta.Settings
	s := &Summary{Traces: st.Traces, VMin: math.Inf(1), VMax: math.Inf(-1)}
	rates := make([]float64, 0, st.Traces)
	byRegime := map[string]*RegimeSummary{}
	chSum := make([]float64, len(st.Channels))
	chActive := make([]int, len(st.Channels))
	vsum := 0.0
	done := 0
	err := d.Scan(func(t *Trace) error {
		spikes := 0
		for _, c := range t.Spike {
			spikes += int(c)
		}
		rate := float64(spikes) / (st.DurationMS / 1000)
		rates = append(rates, rate)
		rs := byRegime[t.Regime]
		if rs == nil {
			rs = &RegimeSummary{Regime: t.Regime}
			byRegime[t.Regime] = rs
		}
		rs.Traces++
		rs.MeanRateHz += rate
		rs.MeanAttempts += float64(t.Attempts)
		if spikes == 0 {
			rs.FracSilent++
		}
		for _, v := range t.V {
			x := float64(v)
			s.VMin = math.Min(s.VMin, x)
			s.VMax = math.Max(s.VMax, x)
			vsum += x
		}
		for c, dr := range t.Drive {
			for _, x := range dr {
				if x != 0 {
					chSum[c] += float64(x)
					chActive[c]++
				}
			}
		}
		if t.StepAmpNA != 0 {
			s.Steps++
		}
		done++
		if progress != nil {
			progress(done, st.Traces)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	n := float64(len(rates))
	samples := n * float64(st.Samples)
	s.VMean = vsum / samples
	sort.Float64s(rates)
	q := func(p float64) float64 { return rates[int(math.Round(p*(n-1)))] }
	sum := 0.0
	silent := 0
	for _, r := range rates {
		sum += r
		if r == 0 {
			silent++
		}
	}
	s.RateMeanHz = sum / n
	s.RateMinHz, s.RateP10Hz, s.RateMedianHz, s.RateP90Hz, s.RateMaxHz = q(0), q(0.1), q(0.5), q(0.9), q(1)
	s.FracSilent = float64(silent) / n
	s.Hist = append(s.Hist, HistBin{0, 0, silent})
	for k := 0; k < len(histEdges); k++ {
		lo, hi := histEdges[k], math.Inf(1)
		if k+1 < len(histEdges) {
			hi = histEdges[k+1]
		}
		c := 0
		for _, r := range rates {
			if r > lo && r <= hi {
				c++
			}
		}
		s.Hist = append(s.Hist, HistBin{lo, hi, c})
	}
	for _, name := range RegimeNames {
		if rs := byRegime[name]; rs != nil {
			k := float64(rs.Traces)
			rs.MeanRateHz /= k
			rs.FracSilent /= k
			rs.MeanAttempts /= k
			s.Regimes = append(s.Regimes, *rs)
		}
	}
	for c, ch := range st.Channels {
		s.Channels = append(s.Channels, ChannelSummary{Name: ch.Name,
			MeanPerMS:  chSum[c] / (n * st.DurationMS),
			FracActive: float64(chActive[c]) / samples})
	}
	if ch := s.Channels; len(ch) > 0 {
		for c := range st.Channels {
			if st.Channels[c].Class == "clamp" { // nA: mean current, not per ms
				s.Channels[c].MeanPerMS = chSum[c] / samples
			}
		}
	}
	return s, nil
}
