package surrogate

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Regroup returns a copy of m whose inputs are the finer groups given (each
// a subset of the channels of exactly one of m's inputs) and which computes
// the same function: every new input gets the normalization, delay and
// convolution weights of the input it came from. It is the starting point
// for fine-tuning a model on finer inputs (train --init), e.g. one input per
// synapse from a model over groups of synapses.
func (m *Model) Regroup(inputs []Input) (*Model, error) {
	owner := map[string]int{} // channel -> index of m's input holding it
	for i, in := range m.Arch.Inputs {
		for _, ch := range in.Channels {
			owner[ch] = i
		}
	}
	from := make([]int, len(inputs))
	covered := map[string]bool{}
	for j, in := range inputs {
		from[j] = -1
		for _, ch := range in.Channels {
			i, ok := owner[ch]
			if !ok {
				return nil, fmt.Errorf("regroup: channel %q of input %q is not an input of the model", ch, in.Name)
			}
			if from[j] >= 0 && from[j] != i {
				return nil, fmt.Errorf("regroup: input %q joins channels of the model's inputs %q and %q; each new input must lie within one",
					in.Name, m.Arch.Inputs[from[j]].Name, m.Arch.Inputs[i].Name)
			}
			if covered[ch] {
				return nil, fmt.Errorf("regroup: channel %q is in two inputs", ch)
			}
			from[j], covered[ch] = i, true
		}
	}
	if len(covered) != len(owner) {
		for ch := range owner {
			if !covered[ch] {
				return nil, fmt.Errorf("regroup: channel %q of the model is not in any new input", ch)
			}
		}
	}
	c := m.Clone()
	c.Arch.Inputs = append([]Input(nil), inputs...)
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	c.Norm.InputScale = make([]float32, len(inputs))
	for j, i := range from {
		c.Norm.InputScale[j] = m.Norm.InputScale[i]
		c.Arch.Inputs[j].DelaySteps = m.Arch.Inputs[i].DelaySteps
	}
	K, F, nOld, nNew := m.Arch.Kernel, m.Arch.Conv, len(m.Arch.Inputs), len(inputs)
	old := m.W["conv.wd"].Data
	wd := NewTensor(K*nNew, F)
	for lag := 0; lag < K; lag++ {
		for j, i := range from {
			copy(wd.Data[(lag*nNew+j)*F:(lag*nNew+j+1)*F], old[(lag*nOld+i)*F:(lag*nOld+i+1)*F])
		}
	}
	c.W["conv.wd"] = wd
	return c, nil
}

// Widen returns a copy of m with conv convolution channels and a
// convolution kernel samples long (0 keeps the model's) and the same
// function: the new lags (older samples) start at zero weight, the new
// channels get small seeded random kernels (so that they carry signal) and
// zero weights into the first LSTM layer (so that the output does not
// change), and training decides what they become (train --init with
// --widen-conv, --widen-kernel).
func (m *Model) Widen(conv, kernel int, seed uint64) (*Model, error) {
	F, K := m.Arch.Conv, m.Arch.Kernel
	if conv == 0 {
		conv = F
	}
	if kernel == 0 {
		kernel = K
	}
	if conv < F {
		return nil, fmt.Errorf("widen: %d conv channels is fewer than the model's %d", conv, F)
	}
	if kernel < K {
		return nil, fmt.Errorf("widen: a kernel of %d samples is shorter than the model's %d", kernel, K)
	}
	c := m.Clone()
	c.Arch.Conv, c.Arch.Kernel = conv, kernel
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x31de))
	lim := 1 / math.Sqrt(float64(kernel*m.Arch.Cin()))
	for _, name := range []string{"conv.wv", "conv.wd", "conv.wsp", "conv.b"} {
		old, ok := m.W[name]
		if !ok {
			continue
		}
		// Rows are lag-major (lag 0 newest), so the kernel grows by rows
		// appended at the end.
		rows, perLag := old.Shape[0], old.Shape[0]/K
		if name != "conv.b" {
			rows = perLag * kernel
		}
		t := NewTensor(rows, conv)
		for r := 0; r < rows; r++ {
			if r < old.Shape[0] {
				copy(t.Data[r*conv:r*conv+F], old.Data[r*F:(r+1)*F])
			}
			if name == "conv.b" {
				continue // new channels start unbiased
			}
			for j := F; j < conv; j++ {
				t.Data[r*conv+j] = float32((2*rng.Float64() - 1) * lim)
			}
		}
		c.W[name] = t
	}
	// Rows of an LSTM weight: the F conv channels, then the hidden state.
	H := m.Arch.Hidden
	for _, g := range Gates {
		name := fmt.Sprintf("lstm0.w%s", g)
		old := m.W[name]
		t := NewTensor(conv+H, H)
		copy(t.Data[:F*H], old.Data[:F*H])
		copy(t.Data[conv*H:], old.Data[F*H:])
		c.W[name] = t
	}
	return c, nil
}
