package surrogate

import (
	"fmt"

	"neurosurrogate/internal/cpu"
)

// The CNN-LSTM's weights, by name (its Layout says their shapes and joins).
const (
	WConvInputs = "conv.wd"    // taps·nIn x F: the inputs, row tap·nIn + j (Arch.Taps)
	WConvVm     = "conv.wv"    // K x F: the fed-back Vm, row = lag
	WConvSpike  = "conv.wsp"   // K x F: the fed-back spike (FeedSpike), row = lag
	WConvBias   = "conv.b"     // 1 x F
	WHeadVm     = "head.v.w"   // H x 1
	WHeadVmB    = "head.v.b"   // 1 x 1
	WHeadSpike  = "head.s.w"   // H x 1
	WHeadSpikeB = "head.s.b"   // 1 x 1
	WHeadAux    = "head.aux.w" // H x AuxHeads: the training heads (Arch.AuxHeads)
	WHeadAuxB   = "head.aux.b" // 1 x AuxHeads
)

// The CNN-LSTM's joined matrices: the convolution over [inputs, Vm, spike,
// 1] (rows in that order), each LSTM layer's [x h 1] x 4H gates (JoinLSTM),
// and the heads' [h 1] x 2 (Vm, spike).
const (
	JoinConv    = "conv"
	JoinHead    = "head"
	JoinHeadAux = "head.aux" // [h 1] x AuxHeads
)

// JoinLSTM names LSTM layer l's joined gate matrix.
func JoinLSTM(l int) string { return fmt.Sprintf("lstm%d", l) }

// WLSTM names LSTM layer l's input-and-recurrent weights of a gate (one of
// Gates): (in + H) x H.
func WLSTM(l int, gate string) string { return fmt.Sprintf("lstm%d.w%s", l, gate) }

// WLSTMBias names LSTM layer l's bias of a gate: 1 x H.
func WLSTMBias(l int, gate string) string { return fmt.Sprintf("lstm%d.b%s", l, gate) }

// Gates of an LSTM layer, in the order of their columns in the joined
// matrices.
var Gates = []string{"i", "f", "g", "o"}

func init() { RegisterFamily(DefaultFamily, cnnLSTM{}) }

// cnnLSTM is the CNN-LSTM family: a causal 1-D convolution over the fed-back
// Vm (and spike) and the inputs, Layers LSTM layers of Hidden units, and
// the two dense heads.
type cnnLSTM struct{}

func (cnnLSTM) NewStepper(m *Model, n int, vInitMV float32) Stepper {
	return newCNNLSTMStream(cpu.Best, m, n, vInitMV)
}

func (cnnLSTM) Validate(a Arch) error {
	switch {
	case a.Kernel < 1 || a.Kernel > 32:
		return fmt.Errorf("architecture: kernel %d outside [1, 32]", a.Kernel)
	case a.Conv < 1 || a.Conv > 4096:
		return fmt.Errorf("architecture: conv %d outside [1, 4096]", a.Conv)
	case a.Hidden < 1 || a.Hidden > 4096:
		return fmt.Errorf("architecture: hidden %d outside [1, 4096]", a.Hidden)
	case a.Layers < 1 || a.Layers > 4:
		return fmt.Errorf("architecture: layers %d outside [1, 4]", a.Layers)
	case len(a.TracesMS) > 0 && a.FamilyName() != TraceFamily:
		return fmt.Errorf("architecture family %s: traces_ms %v belong to family %s", a.FamilyName(), a.TracesMS, TraceFamily)
	}
	return nil
}

// Layout is the CNN-LSTM's table of weights.
func (cnnLSTM) Layout(a Arch) Layout {
	K, F, H := a.Kernel, a.Conv, a.Hidden
	var l Layout
	add := func(name string, rows, cols, fanIn int) string {
		l.Tensors = append(l.Tensors, TensorSpec{Name: name, Rows: rows, Cols: cols, FanIn: fanIn})
		return name
	}
	// bias adds a tensor of offsets.
	bias := func(name string, cols, fanIn int) string {
		add(name, 1, cols, fanIn)
		l.Tensors[len(l.Tensors)-1].Bias = true
		return name
	}
	// init sets the last tensor's Init.
	init := func(f func([]float32)) { l.Tensors[len(l.Tensors)-1].Init = f }
	conv := Join{Name: JoinConv}
	fan := K*a.fed() + a.NumTaps()*len(a.Inputs)
	conv.Rows = append(conv.Rows, []string{add(WConvInputs, a.NumTaps()*len(a.Inputs), F, fan)}, []string{add(WConvVm, K, F, fan)})
	if a.FeedSpike {
		conv.Rows = append(conv.Rows, []string{add(WConvSpike, K, F, fan)})
	}
	conv.Rows = append(conv.Rows, []string{bias(WConvBias, F, fan)})
	l.Joins = append(l.Joins, conv)
	in := F
	for layer := 0; layer < a.Layers; layer++ {
		var ws, bs []string
		for _, g := range Gates {
			ws = append(ws, add(WLSTM(layer, g), in+H, H, in+H))
		}
		for _, g := range Gates {
			bs = append(bs, bias(WLSTMBias(layer, g), H, in+H))
			if g == "f" {
				init(fill(1)) // forget gates start open, as usual for LSTMs
			}
		}
		l.Joins = append(l.Joins, Join{Name: JoinLSTM(layer), Rows: [][]string{ws, bs}})
		in = H
	}
	vm := add(WHeadVm, H, 1, H)
	init(scale(0.1)) // the Vm head starts near "stay where you are"
	l.Joins = append(l.Joins, Join{Name: JoinHead, Rows: [][]string{
		{vm, add(WHeadSpike, H, 1, H)},
		{bias(WHeadVmB, 1, H), bias(WHeadSpikeB, 1, H)},
	}})
	if n := a.AuxHeads; n > 0 {
		l.Joins = append(l.Joins, Join{Name: JoinHeadAux, Rows: [][]string{{add(WHeadAux, H, n, H)}, {bias(WHeadAuxB, n, H)}}})
	}
	return l
}

// fill is an Init that sets every value to v.
func fill(v float32) func([]float32) {
	return func(d []float32) {
		for i := range d {
			d[i] = v
		}
	}
}

// scale is an Init that multiplies every value by f.
func scale(f float32) func([]float32) {
	return func(d []float32) {
		for i := range d {
			d[i] *= f
		}
	}
}
