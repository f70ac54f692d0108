package surrogate

import (
	"fmt"
	"math"
)

// Spikes turns per-bin spike probabilities into spike times (ms) as the
// Readout says (Fires), each in the middle of its bin (bin k spans
// (k*dt, (k+1)*dt]) plus ShiftMS. Spikes the shift puts past the trace's
// end (len(p)*sampleDT) are left out.
func (r Readout) Spikes(p []float32, sampleDT float64) []float64 {
	var out []float64
	last := math.Inf(-1)
	end := float64(len(p)) * sampleDT
	for k, x := range p {
		if x <= r.P {
			continue
		}
		t := (float64(k)+0.5)*sampleDT + r.ShiftMS
		if t >= end {
			break
		}
		if r.Fires(x, t-last) {
			out = append(out, t)
			last = t
		}
	}
	return out
}

// Rollout runs the model free (its own Vm fed back) from rest for n cells
// at once. inputs(k, dst) must fill dst (n x len(Arch.Inputs), uS per bin)
// with sample k's drive. It returns each cell's Vm trace (mV, samples
// 0..steps, sample 0 = vInitMV) and per-bin spike probabilities (steps).
func Rollout(m *Model, n, steps int, vInitMV float32, inputs func(k int, dst []float32)) (v, p [][]float32) {
	s := NewStream(m, n, vInitMV)
	v = make([][]float32, n)
	p = make([][]float32, n)
	for i := range v {
		v[i] = make([]float32, 0, steps+1)
		v[i] = append(v[i], vInitMV)
		p[i] = make([]float32, 0, steps)
	}
	drive := make([]float32, n*len(m.Arch.Inputs))
	for k := 0; k < steps; k++ {
		clear(drive)
		inputs(k, drive)
		s.Step(drive)
		for i := 0; i < n; i++ {
			v[i] = append(v[i], s.V[i])
			p[i] = append(p[i], s.P[i])
		}
	}
	return v, p
}

// InputIndex maps each dataset channel name to the plain (not timing)
// model input it feeds (-1: unused), and fails if an input names a channel
// the data lacks. With sub-bins it is the inputs of sub-bin 0 (SubIndex has
// them all).
func (a Arch) InputIndex(channels []string) ([]int, error) {
	return a.index(channels, false, 0)
}

// TimingIndex maps each channel name to the timing input it feeds (-1:
// none), as InputIndex does for plain inputs.
func (a Arch) TimingIndex(channels []string) ([]int, error) {
	return a.index(channels, true, 0)
}

// SubIndex is InputIndex and TimingIndex for every sub-bin:
// plain[part][channel] and timing[part][channel].
func (a Arch) SubIndex(channels []string) (plain, timing [][]int, err error) {
	for q := 0; q < a.Parts(); q++ {
		p, err := a.index(channels, false, q)
		if err != nil {
			return nil, nil, err
		}
		t, err := a.index(channels, true, q)
		if err != nil {
			return nil, nil, err
		}
		plain, timing = append(plain, p), append(timing, t)
	}
	return plain, timing, nil
}

func (a Arch) index(channels []string, timing bool, part int) ([]int, error) {
	idx := make([]int, len(channels))
	pos := map[string]int{}
	for i, c := range channels {
		idx[i] = -1
		pos[c] = i
	}
	for j, in := range a.Inputs {
		if in.Timing != timing || in.Part != part {
			continue
		}
		for _, c := range in.Channels {
			i, ok := pos[c]
			if !ok {
				return nil, fmt.Errorf("model input %q needs channel %q, which the data/cell does not have (it has %d channels)", in.Name, c, len(channels))
			}
			if idx[i] >= 0 {
				return nil, fmt.Errorf("channel %q feeds two model inputs (%q and %q)", c, a.Inputs[idx[i]].Name, in.Name)
			}
			idx[i] = j
		}
	}
	return idx, nil
}
