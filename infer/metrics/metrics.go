// Package metrics compares spike trains and membrane-potential traces: the
// one place where accuracy figures are defined. Reports only render them.
package metrics

import (
	"math"
	"sort"
)

// MatchSlackMS is the rounding allowance of the match window: spike times
// on a time-step grid differ by the window only up to rounding (12.075 -
// 10.075 is 2.0000000000000018), and such pairs match.
const MatchSlackMS = 1e-9

// Match counts spikes matched one-to-one, greedily in time order, when a
// reference spike and a test spike lie within ±windowMS (inclusive, with
// MatchSlackMS for rounding). Both inputs must be sorted. It also returns
// the time shifts (test - reference) of the matches.
func Match(ref, test []float64, windowMS float64) (matched int, shifts []float64) {
	i, j := 0, 0
	for i < len(ref) && j < len(test) {
		d := test[j] - ref[i]
		switch {
		case math.Abs(d) <= windowMS+MatchSlackMS:
			matched++
			shifts = append(shifts, d)
			i++
			j++
		case d < 0:
			j++
		default:
			i++
		}
	}
	return matched, shifts
}

// SpikeScore is precision, recall and F1 of a test train against a reference.
type SpikeScore struct {
	Matched, Ref, Test    int
	Precision, Recall, F1 float64
}

// Score matches test against ref within ±windowMS. Two empty trains score 1.
func Score(ref, test []float64, windowMS float64) SpikeScore {
	m, _ := Match(ref, test, windowMS)
	s := SpikeScore{Matched: m, Ref: len(ref), Test: len(test)}
	s.Precision, s.Recall = ratio(m, len(test)), ratio(m, len(ref))
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	if len(ref) == 0 && len(test) == 0 {
		s.F1 = 1
	}
	return s
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Subthreshold marks samples (at times t) more than marginMS from any spike
// of any of the given trains.
func Subthreshold(t []float64, marginMS float64, trains ...[]float64) []bool {
	var all []float64
	for _, tr := range trains {
		all = append(all, tr...)
	}
	sort.Float64s(all)
	out := make([]bool, len(t))
	for k, tk := range t {
		i := sort.SearchFloat64s(all, tk)
		ok := true
		if i < len(all) && all[i]-tk <= marginMS {
			ok = false
		}
		if i > 0 && tk-all[i-1] <= marginMS {
			ok = false
		}
		out[k] = ok
	}
	return out
}

// TraceScore compares two traces over the selected samples.
type TraceScore struct {
	N    int     // samples used
	RMSE float64 // root mean square difference
	// EV is the explained variance 1 - MSE / Var(ref) over the samples.
	EV float64
}

// CompareTraces computes RMSE and explained variance of test against ref
// over the samples where use is true (all when use is nil).
func CompareTraces(ref, test []float64, use []bool) TraceScore {
	var n int
	var se, sum, sum2 float64
	for k := range ref {
		if k >= len(test) || (use != nil && !use[k]) {
			continue
		}
		d := test[k] - ref[k]
		se += d * d
		sum += ref[k]
		sum2 += ref[k] * ref[k]
		n++
	}
	if n == 0 {
		return TraceScore{RMSE: math.NaN(), EV: math.NaN()}
	}
	mse := se / float64(n)
	mean := sum / float64(n)
	v := sum2/float64(n) - mean*mean
	ev := math.NaN()
	if v > 0 {
		ev = 1 - mse/v
	}
	return TraceScore{N: n, RMSE: math.Sqrt(mse), EV: ev}
}

// Shift summarises timing shifts: mean and standard deviation (ms).
func Shift(shifts []float64) (mean, sd float64) {
	if len(shifts) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, s := range shifts {
		mean += s
	}
	mean /= float64(len(shifts))
	for _, s := range shifts {
		sd += (s - mean) * (s - mean)
	}
	return mean, math.Sqrt(sd / float64(len(shifts)))
}

// Gamma is the coincidence factor of Kistler et al. (1997) with window
// deltaMS over a recording of durationMS:
// Γ = (Ncoinc - <Ncoinc>) / (½ (Nref + Ntest)) · 1 / (1 - 2 ν_ref Δ),
// with <Ncoinc> = 2 ν_ref Δ Ntest the coincidences expected by chance.
func Gamma(ref, test []float64, deltaMS, durationMS float64) float64 {
	if len(ref) == 0 && len(test) == 0 {
		return 1
	}
	nc, _ := Match(ref, test, deltaMS)
	nuRef := float64(len(ref)) / durationMS
	expected := 2 * nuRef * deltaMS * float64(len(test))
	norm := 1 - 2*nuRef*deltaMS
	if norm <= 0 {
		return math.NaN()
	}
	return (float64(nc) - expected) / (0.5 * float64(len(ref)+len(test))) / norm
}

// Report holds the single-cell accuracy figures of a surrogate trace
// against the reference (the names of rollout's JSON keys).
type Report struct {
	F1At2ms        float64 `json:"f1_2ms"`
	PrecisionAt2ms float64 `json:"precision_2ms"`
	RecallAt2ms    float64 `json:"recall_2ms"`
	// ±5 ms is the window Oláh et al. (eLife 2022) matched spikes in.
	F1At5ms       float64 `json:"f1_5ms"`
	Precision5ms  float64 `json:"precision_5ms"`
	Recall5ms     float64 `json:"recall_5ms"`
	F1At10ms      float64 `json:"f1_10ms"`
	Precision10ms float64 `json:"precision_10ms"`
	Recall10ms    float64 `json:"recall_10ms"`
	ShiftMeanMS   float64 `json:"shift_mean_ms"` // surrogate - reference, matched at ±10 ms
	ShiftSDMS     float64 `json:"shift_sd_ms"`
	Gamma         float64 `json:"gamma"` // coincidence factor, Δ = 2 ms
	RMSESubMV     float64 `json:"rmse_sub_mV"`
	EVSub         float64 `json:"ev_sub"`
	SubSamples    int     `json:"sub_samples"`
	RateRefHz     float64 `json:"rate_ref_hz"`
	RateSurHz     float64 `json:"rate_sur_hz"`
	SpikesRef     int     `json:"spikes_ref"`
	SpikesSur     int     `json:"spikes_sur"`
	// The fraction of spikes less than BurstISIMS from another of the
	// same trace (NaN without spikes): a surrogate that matches the rate
	// by firing doublets shows here.
	BurstRef float64 `json:"burst_fraction_ref"`
	BurstSur float64 `json:"burst_fraction_sur"`
}

// BurstISIMS is the interval below which two spikes of a cell count as a
// burst.
const BurstISIMS float64 = 10

// Bursting counts the spikes of a sorted train (ms) less than isiMS from
// another.
func Bursting(train []float64, isiMS float64) int {
	n := 0
	for i, t := range train {
		if i > 0 && t-train[i-1] < isiMS || i+1 < len(train) && train[i+1]-t < isiMS {
			n++
		}
	}
	return n
}

// BurstFraction is the fraction of the spikes of all trains less than
// BurstISIMS from another of the same train (NaN without spikes).
func BurstFraction(trains [][]float64) float64 {
	bursting, spikes := 0, 0
	for _, tr := range trains {
		bursting += Bursting(tr, BurstISIMS)
		spikes += len(tr)
	}
	return fraction(bursting, spikes)
}

// fraction is n/of, NaN if of is 0.
func fraction(n, of int) float64 {
	if of == 0 {
		return math.NaN()
	}
	return float64(n) / float64(of)
}

// Compare computes a Report. refV and surV are Vm samples (mV) at times
// k*sampleDT; spikes are times (ms); durationMS is the compared span.
func Compare(refV, surV []float64, sampleDT float64, refSpikes, surSpikes []float64, durationMS float64) Report {
	s2 := Score(refSpikes, surSpikes, 2)
	s5 := Score(refSpikes, surSpikes, 5)
	s10 := Score(refSpikes, surSpikes, 10)
	_, shifts := Match(refSpikes, surSpikes, 10)
	mean, sd := Shift(shifts)
	n := min(len(refV), len(surV))
	ts := make([]float64, n)
	for k := range ts {
		ts[k] = float64(k) * sampleDT
	}
	sub := Subthreshold(ts, 5, refSpikes, surSpikes)
	tr := CompareTraces(refV[:n], surV[:n], sub)
	return Report{
		F1At2ms: s2.F1, PrecisionAt2ms: s2.Precision, RecallAt2ms: s2.Recall,
		F1At5ms: s5.F1, Precision5ms: s5.Precision, Recall5ms: s5.Recall,
		F1At10ms: s10.F1, Precision10ms: s10.Precision, Recall10ms: s10.Recall,
		ShiftMeanMS: mean, ShiftSDMS: sd, Gamma: Gamma(refSpikes, surSpikes, 2, durationMS),
		RMSESubMV: tr.RMSE, EVSub: tr.EV, SubSamples: tr.N,
		RateRefHz: float64(len(refSpikes)) / durationMS * 1000, RateSurHz: float64(len(surSpikes)) / durationMS * 1000,
		SpikesRef: len(refSpikes), SpikesSur: len(surSpikes),
		BurstRef: fraction(Bursting(refSpikes, BurstISIMS), len(refSpikes)), BurstSur: fraction(Bursting(surSpikes, BurstISIMS), len(surSpikes)),
	}
}

// Pool combines reports of several traces: spike counts are pooled (F1,
// precision and recall from summed matches), trace figures averaged with
// sample weights.
type Pool struct {
	m2, m5, m10, nRef, nSur int
	burstRef, burstSur      int
	shifts                  []float64
	se, sub                 float64
	evNum, evW              float64
	dur                     float64
	gammaSum                float64
	gammaN                  int
}

// Add pools one trace.
func (p *Pool) Add(refV, surV []float64, sampleDT float64, refSpikes, surSpikes []float64, durationMS float64) Report {
	r := Compare(refV, surV, sampleDT, refSpikes, surSpikes, durationMS)
	m2, _ := Match(refSpikes, surSpikes, 2)
	m5, _ := Match(refSpikes, surSpikes, 5)
	m10, sh := Match(refSpikes, surSpikes, 10)
	p.m2 += m2
	p.m5 += m5
	p.m10 += m10
	p.nRef += len(refSpikes)
	p.nSur += len(surSpikes)
	p.burstRef += Bursting(refSpikes, BurstISIMS)
	p.burstSur += Bursting(surSpikes, BurstISIMS)
	p.shifts = append(p.shifts, sh...)
	if r.SubSamples > 0 {
		p.se += r.RMSESubMV * r.RMSESubMV * float64(r.SubSamples)
		p.sub += float64(r.SubSamples)
		if !math.IsNaN(r.EVSub) {
			p.evNum += r.EVSub * float64(r.SubSamples)
			p.evW += float64(r.SubSamples)
		}
	}
	if !math.IsNaN(r.Gamma) {
		p.gammaSum += r.Gamma
		p.gammaN++
	}
	p.dur += durationMS
	return r
}

// Report is the pooled report.
func (p *Pool) Report() Report {
	f1 := func(m int) (prec, rec, f float64) {
		prec, rec = ratio(m, p.nSur), ratio(m, p.nRef)
		if prec+rec > 0 {
			f = 2 * prec * rec / (prec + rec)
		}
		return
	}
	var r Report
	r.PrecisionAt2ms, r.RecallAt2ms, r.F1At2ms = f1(p.m2)
	r.Precision5ms, r.Recall5ms, r.F1At5ms = f1(p.m5)
	r.Precision10ms, r.Recall10ms, r.F1At10ms = f1(p.m10)
	r.ShiftMeanMS, r.ShiftSDMS = Shift(p.shifts)
	r.RMSESubMV, r.EVSub = math.NaN(), math.NaN()
	if p.sub > 0 {
		r.RMSESubMV = math.Sqrt(p.se / p.sub)
	}
	if p.evW > 0 {
		r.EVSub = p.evNum / p.evW
	}
	r.SubSamples = int(p.sub)
	r.Gamma = math.NaN()
	if p.gammaN > 0 {
		r.Gamma = p.gammaSum / float64(p.gammaN)
	}
	if p.dur > 0 {
		r.RateRefHz = float64(p.nRef) / p.dur * 1000
		r.RateSurHz = float64(p.nSur) / p.dur * 1000
	}
	r.SpikesRef, r.SpikesSur = p.nRef, p.nSur
	r.BurstRef, r.BurstSur = fraction(p.burstRef, p.nRef), fraction(p.burstSur, p.nSur)
	return r
}

// Drift compares the first and last windowMS of a long free run: firing
// rate and mean Vm (the surrogate should not wander off over time).
type Drift struct {
	WindowMS      float64 `json:"window_ms"`
	RateFirstHz   float64 `json:"rate_first_hz"`
	RateLastHz    float64 `json:"rate_last_hz"`
	RateChange    float64 `json:"rate_change"` // (last - first) / first
	MeanVFirstMV  float64 `json:"mean_v_first_mV"`
	MeanVLastMV   float64 `json:"mean_v_last_mV"`
	MeanVChangeMV float64 `json:"mean_v_change_mV"`
}

// MeasureDrift computes Drift for a trace sampled every sampleDT and its
// spike times; the trace must be at least two windows long.
func MeasureDrift(v []float64, sampleDT float64, spikes []float64, windowMS float64) Drift {
	d := Drift{WindowMS: windowMS}
	dur := float64(len(v)-1) * sampleDT
	n := int(windowMS / sampleDT)
	mean := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s / float64(len(xs))
	}
	d.MeanVFirstMV = mean(v[:n])
	d.MeanVLastMV = mean(v[len(v)-n:])
	d.MeanVChangeMV = d.MeanVLastMV - d.MeanVFirstMV
	first, last := 0, 0
	for _, s := range spikes {
		if s < windowMS {
			first++
		}
		if s >= dur-windowMS {
			last++
		}
	}
	d.RateFirstHz = float64(first) / windowMS * 1000
	d.RateLastHz = float64(last) / windowMS * 1000
	d.RateChange = math.NaN()
	if first > 0 {
		d.RateChange = (d.RateLastHz - d.RateFirstHz) / d.RateFirstHz
	}
	return d
}
