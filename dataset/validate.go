package dataset

import (
	"fmt"
	"math"
	"slices"
)

// Physical bounds of the membrane potential a reader accepts (mV). No
// neuron model simulated here leaves them: action potentials peak below
// +60 mV and reversal potentials lie within ±120 mV, so a value outside is
// a corrupt or foreign file, not data.
const (
	VmMinMV = -200
	VmMaxMV = 200
)

// timingSlack allows for float32 rounding in |timing| <= drive/2.
const timingSlack = 1e-5

// checkValues refuses values no simulation produces, so they never reach
// training or statistics: Vm not finite or outside [VmMinMV, VmMaxMV],
// sample times other than k*sample_dt, a synapse's drive negative or not
// finite, a timing channel beyond half its synapse's drive (every event is
// at most half a bin from the bin's middle), a current clamp other than 0
// or the trace's step amplitude, spike counts that do not add up to the
// trace's spike count, and input parameters out of their ranges. Errors
// name the trace, the column and the sample.
func checkValues(b *batch, times []float32, st *Settings, shard, rec int) error {
	n := st.Samples
	index := make(map[string]int, len(st.Channels))
	for c, ch := range st.Channels {
		index[ch.Name] = c
	}
	for row := 0; row < b.rows; row++ {
		trace := (rec*st.RowsPerBatch+row)*st.Shards + shard
		bad := func(col string, k int, format string, args ...any) error {
			return fmt.Errorf("trace %d, column %q, sample %d (t = %g ms): %s: not a value a simulation produces (corrupt or foreign file)",
				trace, col, k, float64(k)*st.SampleDtMS, fmt.Sprintf(format, args...))
		}
		lo, hi := row*n, (row+1)*n
		for k, t := range times[lo:hi] {
			if want := float32(float64(k) * st.SampleDtMS); t != want {
				return bad(ColTime, k, "%g ms, want k x sample_dt_ms = %g", t, want)
			}
		}
		p := &b.params[row]
		if err := checkParams(p, st); err != nil {
			return fmt.Errorf("trace %d, column %q: %v (corrupt or foreign file)", trace, ColParams, err)
		}
		for k, v := range b.v[lo:hi] {
			if !(v >= VmMinMV && v <= VmMaxMV) { // also NaN
				return bad(ColV, k, "Vm %g mV outside [%d, %d] mV", v, VmMinMV, VmMaxMV)
			}
		}
		for i, r := range st.Records {
			for k, x := range b.records[i][lo:hi] {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return bad(r.Name, k, "%g is not finite", x)
				}
			}
		}
		for c, ch := range st.Channels {
			d := b.drive[c][lo:hi]
			switch {
			case ch.IsSynapse():
				for k, x := range d {
					if !(x >= 0) || math.IsInf(float64(x), 1) {
						return bad(ch.Name, k, "drive %g uS: must be finite and >= 0", x)
					}
				}
			case ch.Class == ClassTiming:
				syn := b.drive[index[ch.Of]][lo:hi]
				for k, x := range d {
					if lim := syn[k] / 2 * (1 + timingSlack); !(math.Abs(float64(x)) <= float64(lim)) {
						return bad(ch.Name, k, "timing %g uS*bin beyond half of %q's drive %g uS", x, ch.Of, syn[k])
					}
				}
			default: // the current clamp: off, or the trace's step
				amp := float32(p.StepAmpNA)
				for k, x := range d {
					if x != 0 && x != amp {
						return bad(ch.Name, k, "current %g nA: the trace's step is %g nA", x, amp)
					}
				}
			}
		}
		total := 0
		for _, s := range b.spike[lo:hi] {
			total += int(s)
		}
		if total != p.Spikes {
			return fmt.Errorf("trace %d, column %q: %d spikes, but its params say %d (corrupt or foreign file)", trace, ColSpike, total, p.Spikes)
		}
	}
	return nil
}

// checkParams checks a trace's drawn inputs against what generation draws.
func checkParams(p *Params, st *Settings) error {
	fin := func(name string, x float64, nonNeg bool) error {
		switch {
		case math.IsNaN(x) || math.IsInf(x, 0):
			return fmt.Errorf("%s %v: must be finite", name, x)
		case nonNeg && x < 0:
			return fmt.Errorf("%s %v: must be >= 0", name, x)
		}
		return nil
	}
	if !slices.Contains(RegimeNames, p.Regime) {
		return fmt.Errorf("regime %q: not one of %v", clip(p.Regime, 40), RegimeNames)
	}
	for _, f := range []struct {
		name   string
		x      float64
		nonNeg bool
	}{
		{"exc_rate_hz", p.ExcRateHz, true}, {"exc_weight_uS", p.ExcWeightUS, true},
		{"inh_rate_hz", p.InhRateHz, true}, {"inh_weight_uS", p.InhWeightUS, true},
		{"step_amp_nA", p.StepAmpNA, false}, {"step_start_ms", p.StepStartMS, true}, {"step_dur_ms", p.StepDurMS, true},
	} {
		if err := fin(f.name, f.x, f.nonNeg); err != nil {
			return err
		}
	}
	if p.Attempts < 1 || p.Spikes < 0 {
		return fmt.Errorf("attempts %d and spikes %d: want >= 1 and >= 0", p.Attempts, p.Spikes)
	}
	prev := math.Inf(-1)
	for j, s := range p.Segments {
		if !(s.StartMS > prev) || !(s.StartMS >= 0 && s.StartMS < st.DurationMS) {
			return fmt.Errorf("segment %d starts at %v ms: want increasing starts in [0, %g)", j, s.StartMS, st.DurationMS)
		}
		prev = s.StartMS
		if err := fin(fmt.Sprintf("segment %d exc_rate_hz", j), s.ExcRateHz, true); err != nil {
			return err
		}
		if err := fin(fmt.Sprintf("segment %d inh_rate_hz", j), s.InhRateHz, true); err != nil {
			return err
		}
	}
	return nil
}
