package infer

import "math"

// SpikeShape compares the action potentials of two Vm traces at matched
// spikes: the peak (the largest sample within PeakWindowMS of the spike
// time) and the half-width (the time Vm spends above half-way from the
// baseline, the value BaselineMS before the spike, to the peak; crossings
// interpolated linearly between samples).
type SpikeShape struct {
	Trace          string  `json:"trace"`   // the surrogate's trace used: "vm" or an output's name
	StepMS         float64 `json:"step_ms"` // the sample step both traces were compared at
	Matched        int     `json:"matched"`
	PeakRefMV      float64 `json:"peak_ref_mV"`
	PeakSurMV      float64 `json:"peak_sur_mV"`
	PeakErrMV      float64 `json:"peak_err_mV"` // mean |peak_sur - peak_ref| over matched spikes
	HalfWidthRefMS float64 `json:"halfwidth_ref_ms"`
	HalfWidthSurMS float64 `json:"halfwidth_sur_ms"`
	HalfWidthErrMS float64 `json:"halfwidth_err_ms"` // mean |width_sur - width_ref|
	MatchWindowMS  float64 `json:"match_window_ms"`
}

// Windows of SpikeShape (ms).
const (
	shapeMatchMS    = 2
	shapePeakMS     = 2
	shapeBaselineMS = 3
)

// CompareSpikeShapes matches every reference spike to the nearest
// surrogate spike within 2 ms (each used once) and compares their shapes
// in ref and sur, sampled every dt ms from t = 0. Fields are NaN without a
// matched spike.
func CompareSpikeShapes(ref, sur []float64, dt float64, refSpikes, surSpikes []float64, trace string) SpikeShape {
	out := SpikeShape{Trace: trace, StepMS: dt, MatchWindowMS: shapeMatchMS}
	used := make([]bool, len(surSpikes))
	var pr, ps, pe, wr, ws, we float64
	var nw int
	for _, tr := range refSpikes {
		best, bi := math.Inf(1), -1
		for i, ts := range surSpikes {
			if d := math.Abs(ts - tr); !used[i] && d <= shapeMatchMS && d < best {
				best, bi = d, i
			}
		}
		if bi < 0 {
			continue
		}
		used[bi] = true
		pkR, kR := peak(ref, dt, tr)
		pkS, kS := peak(sur, dt, surSpikes[bi])
		if kR < 0 || kS < 0 {
			continue
		}
		out.Matched++
		pr, ps, pe = pr+pkR, ps+pkS, pe+math.Abs(pkS-pkR)
		hR, okR := halfWidth(ref, dt, kR, tr)
		hS, okS := halfWidth(sur, dt, kS, surSpikes[bi])
		if okR && okS {
			nw++
			wr, ws, we = wr+hR, ws+hS, we+math.Abs(hS-hR)
		}
	}
	n := float64(out.Matched)
	out.PeakRefMV, out.PeakSurMV, out.PeakErrMV = pr/n, ps/n, pe/n
	m := float64(nw)
	out.HalfWidthRefMS, out.HalfWidthSurMS, out.HalfWidthErrMS = wr/m, ws/m, we/m
	if nw == 0 {
		out.HalfWidthRefMS, out.HalfWidthSurMS, out.HalfWidthErrMS = math.NaN(), math.NaN(), math.NaN()
	}
	return out
}

// peak is the largest sample of v within shapePeakMS of time t and its
// index (-1 outside the trace).
func peak(v []float64, dt, t float64) (float64, int) {
	lo := max(0, int(math.Floor((t-shapePeakMS)/dt)))
	hi := min(len(v)-1, int(math.Ceil((t+shapePeakMS)/dt)))
	best, bi := math.Inf(-1), -1
	for k := lo; k <= hi; k++ {
		if v[k] > best {
			best, bi = v[k], k
		}
	}
	return best, bi
}

// halfWidth is the time around peak sample kp that v stays above half-way
// from its value shapeBaselineMS before spike time t to the peak.
func halfWidth(v []float64, dt float64, kp int, t float64) (float64, bool) {
	kb := int(math.Round((t - shapeBaselineMS) / dt))
	if kb < 0 || kb >= kp {
		return 0, false
	}
	half := (v[kb] + v[kp]) / 2
	if !(v[kp] > v[kb]) {
		return 0, false
	}
	up := -1.0
	for k := kp; k > kb; k-- {
		if v[k-1] <= half && v[k] > half {
			up = (float64(k-1) + (half-v[k-1])/(v[k]-v[k-1])) * dt
			break
		}
	}
	down := -1.0
	for k := kp; k+1 < len(v); k++ {
		if v[k] > half && v[k+1] <= half {
			down = (float64(k) + (v[k]-half)/(v[k]-v[k+1])) * dt
			break
		}
	}
	if up < 0 || down < 0 {
		return 0, false
	}
	return down - up, true
}
