// Package metrics compares spike trains and membrane-potential traces: the
// one place where accuracy figures are defined. Reports only render them.
package metrics

import (
	"math"
	"sort"
)

// Match counts spikes matched one-to-one, greedily in time order, when a
// reference spike and a test spike lie within ±windowMS. Both inputs must be
// sorted. It also returns the time shifts (test - reference) of the matches.
func Match(ref, test []float64, windowMS float64) (matched int, shifts []float64) {
	i, j := 0, 0
	for i < len(ref) && j < len(test) {
		d := test[j] - ref[i]
		switch {
		case math.Abs(d) <= windowMS+1e-9:
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
