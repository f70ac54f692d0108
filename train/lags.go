package train

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"neurosurrogate/surrogate"
)

// ParseInputLags reads a list of input lags in samples ("0,1,2,4,8") or
// the form geom:N:MAX — lags 0..N-1, then lags growing by about 1.4 times
// up to MAX (e.g. geom:8:100 is 0..7, 10, 14, 19, 27, 38, 53, 74, 100: 16
// taps reaching 50 ms at 0.5 ms samples, where a distal synapse's PSP peaks
// at the soma up to 26 ms after its event).
func ParseInputLags(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(s, "geom:"); ok {
		a, b, ok := strings.Cut(rest, ":")
		n, err1 := strconv.Atoi(a)
		maxLag, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || n < 1 || maxLag < n-1 || n > surrogate.MaxTaps || maxLag > surrogate.MaxInputLag {
			return nil, fmt.Errorf("%q: want geom:N:MAX with 1 <= N <= %d and N-1 <= MAX <= %d (samples)", s, surrogate.MaxTaps, surrogate.MaxInputLag)
		}
		var lags []int
		for l := 0; l < n; l++ {
			lags = append(lags, l)
		}
		for l := float64(n - 1); ; {
			l = math.Max(l*1.4, l+1)
			next := int(math.Round(l))
			if next >= maxLag {
				break
			}
			if next > lags[len(lags)-1] {
				lags = append(lags, next)
			}
		}
		if lags[len(lags)-1] != maxLag {
			lags = append(lags, maxLag)
		}
		return lags, nil
	}
	fields := strings.Split(s, ",")
	if len(fields) > surrogate.MaxTaps {
		return nil, fmt.Errorf("%d lags: at most %d", len(fields), surrogate.MaxTaps)
	}
	var lags []int
	for _, f := range fields {
		l, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not a whole number of samples", s, f)
		}
		lags = append(lags, l)
	}
	return lags, nil
}

// ParseTraces reads trace time constants in ms ("0,1,2,4,8") or the form
// geom:N:LO:HI — 0, then N-1 time constants from LO to HI ms in geometric
// steps (surrogate.GeomTraces; geom:8:1:64 is 0, 1, 2, 4, 8, 16, 32, 64).
// The values are checked by Config.Validate.
func ParseTraces(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	if rest, ok := strings.CutPrefix(s, "geom:"); ok {
		f := strings.Split(rest, ":")
		if len(f) == 3 {
			n, err1 := strconv.Atoi(f[0])
			lo, err2 := strconv.ParseFloat(f[1], 64)
			hi, err3 := strconv.ParseFloat(f[2], 64)
			if err1 == nil && err2 == nil && err3 == nil && n >= 2 && n <= surrogate.MaxTaps && lo > 0 && hi >= lo && hi <= surrogate.MaxTraceMS {
				return surrogate.GeomTraces(n, lo, hi), nil
			}
		}
		return nil, fmt.Errorf("%q: want geom:N:LO:HI with 2 <= N <= %d and 0 < LO <= HI <= %d (ms)", s, surrogate.MaxTaps, surrogate.MaxTraceMS)
	}
	fields := strings.Split(s, ",")
	if len(fields) > surrogate.MaxTaps {
		return nil, fmt.Errorf("%d time constants: at most %d", len(fields), surrogate.MaxTaps)
	}
	var taus []float64
	for _, f := range fields {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %q is not a number of ms", s, f)
		}
		taus = append(taus, v)
	}
	return taus, nil
}
