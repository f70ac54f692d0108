// Package gru is a small architecture family, "gru", added to show what a
// new family needs: a layout, a validation and an inference pass
// (surrogate.Family), registered by name. Its training graph, the gorgonia
// engine, is in package grugraph; this package does not link gorgonia.
//
// At each sample step a cell's input row is x = [inputs, Vm]: the model's
// inputs normalized (drive × InputScale) and its fed-back Vm normalized.
// One GRU layer of Hidden units updates the state h:
//
//	z = σ([x h] Wz + bz)            update gate
//	r = σ([x h] Wr + br)            reset gate
//	n = tanh([x r⊙h] Wh + bh)       candidate
//	h' = (1 − z)⊙h + z⊙n            computed as h + z⊙(n − h)
//
// and two dense heads read h': the next sample's Vm (normalized; plus the
// Vm input if Arch.Residual) and the logit of a spike within the bin.
//
// The family has no convolution and no history: Kernel and Layers must be
// 1 and Conv 0; it does not support FeedSpike, SubBins > 1 or input delays.
package gru

import (
	"fmt"

	"neurosurrogate/surrogate"
)

// Family is the family's registered name.
const Family = "gru"

// The GRU layer's weights, by name; the heads are the CNN-LSTM's
// (surrogate.WHeadVm, WHeadVmB, WHeadSpike, WHeadSpikeB), H x 1 and 1 x 1.
const (
	WZ = "gru.wz" // (nIn+1+H) x H: update gate, rows [inputs, Vm, h]
	WR = "gru.wr" // (nIn+1+H) x H: reset gate, rows [inputs, Vm, h]
	WH = "gru.wh" // (nIn+1+H) x H: candidate, rows [inputs, Vm, r⊙h]
	BZ = "gru.bz" // 1 x H
	BR = "gru.br" // 1 x H
	BH = "gru.bh" // 1 x H
)

// The joined matrices the engines multiply: the gates' [x h 1] x 2H
// (update gate's columns first), the candidate's [x r⊙h 1] x H, and the
// heads' [h' 1] x 2 (Vm, spike), as the CNN-LSTM's surrogate.JoinHead.
const (
	JoinGates     = "gru.zr"
	JoinCandidate = "gru.h"
	JoinHead      = surrogate.JoinHead
)

func init() { surrogate.RegisterFamily(Family, family{}) }

// family is the GRU family (surrogate.Family).
type family struct{}

// Validate rejects the settings the family does not support.
func (family) Validate(a surrogate.Arch) error {
	switch {
	case a.Kernel != 1:
		return fmt.Errorf("architecture family %s: kernel %d, want 1 (the GRU sees the current sample only)", Family, a.Kernel)
	case a.Conv != 0:
		return fmt.Errorf("architecture family %s: conv %d, want 0 (the GRU has no convolution)", Family, a.Conv)
	case a.Layers != 1:
		return fmt.Errorf("architecture family %s: layers %d, want 1", Family, a.Layers)
	case a.Hidden < 1 || a.Hidden > 4096:
		return fmt.Errorf("architecture family %s: hidden %d outside [1, 4096]", Family, a.Hidden)
	case a.FeedSpike:
		return fmt.Errorf("architecture family %s: feed_spike is not supported", Family)
	case a.AuxHeads > 0:
		return fmt.Errorf("architecture family %s: aux_heads %d are not supported (no engine trains them)", Family, a.AuxHeads)
	case a.SubBins > 1:
		return fmt.Errorf("architecture family %s: sub_bins %d is not supported (want 0 or 1)", Family, a.SubBins)
	case len(a.InputLags) > 0:
		return fmt.Errorf("architecture family %s: input_lags %v are not supported (the GRU sees the current sample only)", Family, a.InputLags)
	case len(a.TracesMS) > 0:
		return fmt.Errorf("architecture family %s: traces_ms %v are not supported (they belong to family %s)", Family, a.TracesMS, surrogate.TraceFamily)
	}
	for _, in := range a.Inputs {
		if in.DelaySteps != 0 {
			return fmt.Errorf("architecture family %s: input %q: delay_steps %d is not supported (want 0)", Family, in.Name, in.DelaySteps)
		}
	}
	return nil
}

// inWidth is the width of the GRU's input row x: the inputs and the Vm.
func inWidth(a surrogate.Arch) int { return len(a.Inputs) + 1 }

// Layout is the family's table of weights.
func (family) Layout(a surrogate.Arch) surrogate.Layout {
	in, H := inWidth(a), a.Hidden
	var l surrogate.Layout
	add := func(name string, rows, cols, fanIn int, init func([]float32)) string {
		l.Tensors = append(l.Tensors, surrogate.TensorSpec{Name: name, Rows: rows, Cols: cols, FanIn: fanIn, Init: init})
		return name
	}
	fan := in + H
	bias := func(name string, cols, fanIn int) string {
		l.Tensors = append(l.Tensors, surrogate.TensorSpec{Name: name, Rows: 1, Cols: cols, FanIn: fanIn, Bias: true})
		return name
	}
	l.Joins = []surrogate.Join{
		{Name: JoinGates, Rows: [][]string{
			{add(WZ, in+H, H, fan, nil), add(WR, in+H, H, fan, nil)},
			{bias(BZ, H, fan), bias(BR, H, fan)},
		}},
		{Name: JoinCandidate, Rows: [][]string{{add(WH, in+H, H, fan, nil)}, {bias(BH, H, fan)}}},
		{Name: JoinHead, Rows: [][]string{
			// the Vm head starts near "stay where you are" (as the CNN-LSTM's)
			{add(surrogate.WHeadVm, H, 1, H, scale(0.1)), add(surrogate.WHeadSpike, H, 1, H, nil)},
			{bias(surrogate.WHeadVmB, 1, H), bias(surrogate.WHeadSpikeB, 1, H)},
		}},
	}
	return l
}

// NewStepper prepares the inference pass for n cells at rest.
func (family) NewStepper(m *surrogate.Model, n int, vInitMV float32) surrogate.Stepper {
	return newStepper(m, n, vInitMV)
}

// scale is an Init that multiplies every value by f.
func scale(f float32) func([]float32) {
	return func(d []float32) {
		for i := range d {
			d[i] *= f
		}
	}
}

// joined is a layout's joined matrix gathered from the model's weights:
// rows x cols, row-major. Its last row holds the biases.
func joined(m *surrogate.Model, name string) (data []float32, rows, cols int) {
	lay := m.Arch.Layout()
	j := lay.Join(name)
	rows, cols = j.Dims(lay)
	data = make([]float32, rows*cols)
	j.Gather(m.W, data, cols)
	return data, rows, cols
}
