package surrogate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
)

// Regroup returns a copy of m whose inputs are the finer groups given (each
// a subset of the channels of exactly one of m's inputs) and which computes
// the same function: every new input gets the normalization, delay and
// convolution weights of the input it came from. It is the starting point
// for fine-tuning a model on finer inputs (train --init), e.g. one input per
// synapse from a model over groups of synapses.
func (m *Model) Regroup(inputs []Input) (*Model, error) {
	// A channel belongs to at most one plain and one timing input per
	// sub-bin.
	type key struct {
		ch     string
		timing bool
		part   int
	}
	owner := map[key]int{} // channel -> index of m's input holding it
	for i, in := range m.Arch.Inputs {
		for _, ch := range in.Channels {
			owner[key{ch, in.Timing, in.Part}] = i
		}
	}
	from := make([]int, len(inputs))
	covered := map[key]bool{}
	for j, in := range inputs {
		from[j] = -1
		for _, ch := range in.Channels {
			k := key{ch, in.Timing, in.Part}
			i, ok := owner[k]
			if !ok {
				what := "an input"
				if in.Timing {
					what = "a timing input"
				}
				return nil, fmt.Errorf("regroup: channel %q of input %q is not %s of the model", ch, in.Name, what)
			}
			if from[j] >= 0 && from[j] != i {
				return nil, fmt.Errorf("regroup: input %q joins channels of the model's inputs %q and %q; each new input must lie within one",
					in.Name, m.Arch.Inputs[from[j]].Name, m.Arch.Inputs[i].Name)
			}
			if covered[k] {
				return nil, fmt.Errorf("regroup: channel %q is in two inputs", ch)
			}
			from[j], covered[k] = i, true
		}
	}
	if len(covered) != len(owner) {
		for k := range owner {
			if !covered[k] {
				return nil, fmt.Errorf("regroup: channel %q of the model is not in any new input", k.ch)
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
	K, F, nOld, nNew := m.Arch.NumTaps(), m.Arch.Conv, len(m.Arch.Inputs), len(inputs)
	old := m.W[WConvInputs].Data
	wd := NewTensor(K*nNew, F)
	for lag := 0; lag < K; lag++ {
		for j, i := range from {
			copy(wd.Data[(lag*nNew+j)*F:(lag*nNew+j+1)*F], old[(lag*nOld+i)*F:(lag*nOld+i+1)*F])
		}
	}
	c.W[WConvInputs] = wd
	return c, nil
}

// AddTiming returns a copy of m with a timing twin (WithTiming) for every
// plain input that has none, computing the same function: the twins start
// with zero convolution weights and unit scale (train --init --timing sets
// the scale from the data; it does not change the function while the
// weights are zero).
func (m *Model) AddTiming(timed func(channel string) bool) *Model {
	inputs := WithTiming(m.Arch.Inputs, timed)
	c := m.Clone()
	c.Arch.Inputs = inputs
	K, F, nOld, nNew := m.Arch.NumTaps(), m.Arch.Conv, len(m.Arch.Inputs), len(inputs)
	old := m.W[WConvInputs].Data
	wd := NewTensor(K*nNew, F)
	for lag := 0; lag < K; lag++ {
		copy(wd.Data[lag*nNew*F:(lag*nNew+nOld)*F], old[lag*nOld*F:(lag+1)*nOld*F])
	}
	c.W[WConvInputs] = wd
	c.Norm.InputScale = append(append([]float32(nil), m.Norm.InputScale...), make([]float32, nNew-nOld)...)
	for j := nOld; j < nNew; j++ {
		c.Norm.InputScale[j] = 1
	}
	return c
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
	if kernel != K && len(m.Arch.InputLags) > 0 {
		return nil, fmt.Errorf("widen: the model reads its inputs at input_lags %v; lengthen them with WithInputLags, not the kernel", m.Arch.InputLags)
	}
	c := m.Clone()
	c.Arch.Conv, c.Arch.Kernel = conv, kernel
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x31de))
	lim := 1 / math.Sqrt(float64(kernel*m.Arch.Cin()))
	for _, name := range []string{WConvVm, WConvInputs, WConvSpike, WConvBias} {
		old, ok := m.W[name]
		if !ok {
			continue
		}
		// Rows are lag-major (lag 0 newest), so the kernel grows by rows
		// appended at the end.
		lags := K
		if name == WConvInputs {
			lags = m.Arch.NumTaps()
		}
		// Inputs read at input lags or through traces keep their rows.
		fixed := name == WConvInputs && (len(m.Arch.InputLags) > 0 || len(m.Arch.TracesMS) > 0)
		rows, perLag := old.Shape[0], old.Shape[0]/lags
		if name != WConvBias && !fixed {
			rows = perLag * kernel
		}
		t := NewTensor(rows, conv)
		for r := 0; r < rows; r++ {
			if r < old.Shape[0] {
				copy(t.Data[r*conv:r*conv+F], old.Data[r*F:(r+1)*F])
			}
			if name == WConvBias {
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
		name := WLSTM(0, g)
		old := m.W[name]
		t := NewTensor(conv+H, H)
		copy(t.Data[:F*H], old.Data[:F*H])
		copy(t.Data[conv*H:], old.Data[F*H:])
		c.W[name] = t
	}
	return c, nil
}

// SplitSubBins returns a copy of m whose sample bins are split into p
// sub-bins (Arch.SubBins, every input repeated per sub-bin by WithSubBins)
// and which computes the same function. A whole bin's drive is the sum of
// its sub-bins' drives, and its timing is Σ_q ((q+½)/p − ½)·drive_q +
// timing_q/p (an event at offset o in sub-bin q sits at (q+½+o)/p − ½ in
// the bin), so the new weights are linear in the old: the plain input of
// sub-bin q gets the plain weight plus the timing weight times
// ((q+½)/p − ½) (in the plain input's scale), the timing input of sub-bin q
// the timing weight over p. It is the starting point for fine-tuning a
// model on finer input (train --init --sub-bins).
//
// level says which channels hold a level through the bin rather than a sum
// over it (a current clamp, nA: every sub-bin carries the bin's value); an
// input of such channels gets its weight over p on every sub-bin. nil: none.
func (m *Model) SplitSubBins(p int, level func(channel string) bool) (*Model, error) {
	if m.Arch.Parts() != 1 {
		return nil, fmt.Errorf("split: the model's bins are already split into %d sub-bins", m.Arch.Parts())
	}
	if p < 2 || p > MaxSubBins {
		return nil, fmt.Errorf("split: %d sub-bins outside [2, %d]", p, MaxSubBins)
	}
	old := m.Arch.Inputs
	// The timing twin of each plain input (-1: none).
	twin := make([]int, len(old))
	byChannels := map[string]int{}
	for i, in := range old {
		twin[i] = -1
		if in.Timing {
			byChannels[strings.Join(in.Channels, "\x00")] = i
		}
	}
	for i, in := range old {
		if t, ok := byChannels[strings.Join(in.Channels, "\x00")]; ok && !in.Timing {
			twin[i] = t
		}
	}
	isLevel := make([]bool, len(old))
	for i, in := range old {
		n := 0
		for _, c := range in.Channels {
			if level != nil && level(c) {
				n++
			}
		}
		if n > 0 && n < len(in.Channels) {
			return nil, fmt.Errorf("split: input %q sums levels (a current clamp) with drive; group them apart", in.Name)
		}
		isLevel[i] = n > 0
	}
	inputs := WithSubBins(old, p)
	c := m.Clone()
	c.Arch.Inputs, c.Arch.SubBins = inputs, p
	// The training data's settings describe the model before the split.
	if ds, ok := c.Info[InfoDataset]; ok {
		c.Info[InfoDatasetBeforeSplit] = ds
		delete(c.Info, InfoDataset)
	}
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	c.Norm.InputScale = make([]float32, len(inputs))
	K, F, nOld, nNew := m.Arch.NumTaps(), m.Arch.Conv, len(old), len(inputs)
	ow := m.W[WConvInputs].Data
	wd := NewTensor(K*nNew, F)
	for i := range old {
		for q := 0; q < p; q++ {
			j := i*p + q // WithSubBins keeps the order, sub-bins innermost
			c.Norm.InputScale[j] = m.Norm.InputScale[i]
			// The twin's weight in this input's scale, times where
			// sub-bin q sits in the bin.
			var fromTwin float64
			if t := twin[i]; t >= 0 {
				fromTwin = float64(m.Norm.InputScale[t]) / float64(m.Norm.InputScale[i]) * ((float64(q)+0.5)/float64(p) - 0.5)
			}
			for lag := 0; lag < K; lag++ {
				dst := wd.Data[(lag*nNew+j)*F : (lag*nNew+j+1)*F]
				src := ow[(lag*nOld+i)*F : (lag*nOld+i+1)*F]
				if old[i].Timing || isLevel[i] {
					for f := range dst {
						dst[f] = src[f] / float32(p)
					}
					continue
				}
				copy(dst, src)
				if t := twin[i]; t >= 0 {
					for f, w := range ow[(lag*nOld+t)*F : (lag*nOld+t+1)*F] {
						dst[f] += float32(float64(w) * fromTwin)
					}
				}
			}
		}
	}
	c.W[WConvInputs] = wd
	return c, nil
}

// WithInputLags returns a copy of m that reads its inputs at the given lags
// (Arch.InputLags) and computes the same function: the lags must include
// every lag the model reads now, which keep their weights; the new ones
// start at zero weight, for training to find what they carry (train --init
// --input-lags).
func (m *Model) WithInputLags(lags []int) (*Model, error) {
	c := m.Clone()
	c.Arch.InputLags = append([]int(nil), lags...)
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	at := map[int]int{}
	for i, l := range lags {
		at[l] = i
	}
	F, nIn := m.Arch.Conv, len(m.Arch.Inputs)
	old := m.W[WConvInputs].Data
	wd := NewTensor(len(lags)*nIn, F)
	for ti, l := range m.Arch.Taps() {
		i, ok := at[l]
		if !ok {
			return nil, fmt.Errorf("input lags %v leave out lag %d, which the model reads (its lags: %v)", lags, l, m.Arch.Taps())
		}
		copy(wd.Data[i*nIn*F:(i+1)*nIn*F], old[ti*nIn*F:(ti+1)*nIn*F])
	}
	c.W[WConvInputs] = wd
	return c, nil
}

// WidenHidden returns a copy of m with hidden LSTM units per layer and the
// same function: every new unit's gates get small seeded random weights
// from the layer's inputs and state (so that it carries signal from the
// start), its forget gate a bias of 1, and it reaches nothing yet — its
// weights into the old units' gates, into the next layer and into the heads
// start at zero — so the output does not change, and
// training decides what the new units become (train --init with
// --widen-hidden).
func (m *Model) WidenHidden(hidden int, seed uint64) (*Model, error) {
	H := m.Arch.Hidden
	if hidden < H {
		return nil, fmt.Errorf("widen: %d hidden units is fewer than the model's %d", hidden, H)
	}
	c := m.Clone()
	c.Arch.Hidden = hidden
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x41d3))
	in, newIn := m.Arch.Conv, m.Arch.Conv
	for l := 0; l < m.Arch.Layers; l++ {
		lim := 1 / math.Sqrt(float64(newIn+hidden))
		// Rows: the layer's input (the convolution or the layer below),
		// then its own state; old rows keep their place in each block.
		rowOf := func(r int) int {
			if r < in {
				return r
			}
			return newIn + r - in
		}
		for _, g := range Gates {
			name := WLSTM(l, g)
			old := m.W[name]
			t := NewTensor(newIn+hidden, hidden)
			for r := 0; r < in+H; r++ {
				copy(t.Data[rowOf(r)*hidden:rowOf(r)*hidden+H], old.Data[r*H:(r+1)*H])
			}
			for r := 0; r < newIn+hidden; r++ {
				for j := H; j < hidden; j++ {
					t.Data[r*hidden+j] = float32((2*rng.Float64() - 1) * lim)
				}
			}
			c.W[name] = t
			b := NewTensor(1, hidden)
			copy(b.Data, m.W[WLSTMBias(l, g)].Data)
			if g == "f" {
				for j := H; j < hidden; j++ {
					b.Data[j] = 1
				}
			}
			c.W[WLSTMBias(l, g)] = b
		}
		in, newIn = H, hidden
	}
	for _, name := range []string{WHeadVm, WHeadSpike} {
		t := NewTensor(hidden, 1)
		copy(t.Data, m.W[name].Data)
		c.W[name] = t
	}
	return c, nil
}
