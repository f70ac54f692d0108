package metrics

import (
	"math"
	"sort"
)

// Rates is each cell's firing rate (Hz) from spike counts over durationMS.
func Rates(counts []int, durationMS float64) []float64 {
	out := make([]float64, len(counts))
	for i, c := range counts {
		out[i] = float64(c) / durationMS * 1000
	}
	return out
}

// Pearson is the correlation coefficient of x and y (NaN when either is
// constant).
func Pearson(x, y []float64) float64 {
	n := min(len(x), len(y))
	if n < 2 {
		return math.NaN()
	}
	var mx, my float64
	for i := 0; i < n; i++ {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxy, sxx, syy float64
	for i := 0; i < n; i++ {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return math.NaN()
	}
	return sxy / math.Sqrt(sxx*syy)
}

// PSTH is the population rate (Hz per cell) in bins of binMS.
func PSTH(times []float64, cells int, durationMS, binMS float64) []float64 {
	nb := int(math.Ceil(durationMS / binMS))
	out := make([]float64, nb)
	for _, t := range times {
		b := int(math.Floor(t / binMS))
		if b >= 0 && b < nb {
			out[b]++
		}
	}
	for i := range out {
		out[i] *= 1000 / binMS / float64(max(1, cells))
	}
	return out
}

// Wasserstein1 is the earth mover's distance between two samples (in
// their units): the mean absolute difference of their quantile functions.
func Wasserstein1(a, b []float64) float64 {
	if len(a) == 0 || len(b) == 0 {
		return math.NaN()
	}
	x := append([]float64(nil), a...)
	y := append([]float64(nil), b...)
	sort.Float64s(x)
	sort.Float64s(y)
	const n = 1000
	s := 0.0
	for i := 0; i < n; i++ {
		q := (float64(i) + 0.5) / n
		s += math.Abs(quantile(x, q) - quantile(y, q))
	}
	return s / n
}

func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 1 {
		return sorted[0]
	}
	pos := q * float64(len(sorted)-1)
	i := int(pos)
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i]*(1-f) + sorted[i+1]*f
}

// Quantiles of a sample (sorted copy).
func Quantiles(x []float64, qs ...float64) []float64 {
	out := make([]float64, len(qs))
	if len(x) == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	for i, q := range qs {
		out[i] = quantile(s, q)
	}
	return out
}

// MeanISICV is the mean coefficient of variation of inter-spike intervals
// over trains with at least 3 spikes (NaN when none has).
func MeanISICV(trains [][]float64) float64 {
	sum, n := 0.0, 0
	for _, tr := range trains {
		if len(tr) < 3 {
			continue
		}
		var isi []float64
		for i := 1; i < len(tr); i++ {
			isi = append(isi, tr[i]-tr[i-1])
		}
		m, sd := Shift(isi)
		if m > 0 {
			sum += sd / m
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return sum / float64(n)
}
