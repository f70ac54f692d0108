package surrogate

import "fmt"

// Regroup returns a copy of m whose inputs are the finer groups given (each
// a subset of the channels of exactly one of m's inputs) and which computes
// the same function: every new input gets the normalization and
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
