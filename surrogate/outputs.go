package surrogate

import (
	"encoding/json"
	"fmt"
	"math"

	"neurosurrogate/internal/gemm"
)

// Output is an extra quantity a model predicts beside Vm and spikes (a
// dataset record such as cai@soma[0](0.5) or ina@soma[0](0.5)): a linear
// readout of its last LSTM layer's state after each step, fitted by least
// squares to the reference's value at the next sample (train --outputs),
// value = Mean + Scale·(h·W + B), in Unit. With a Waveform, the output's
// course around every predicted spike is drawn on top (Waveform.Draw) by
// the rollouts and networks that report it.
type Output struct {
	Name     string    `json:"name"`
	Unit     string    `json:"unit"`
	Mean     float64   `json:"mean"`
	Scale    float64   `json:"scale"`
	Waveform *Waveform `json:"waveform,omitempty"`
	W        []float32 `json:"-"` // Hidden weights (tensor OutW)
	B        float32   `json:"-"` // tensor OutB
}

// OutW and OutB name output i's weight tensors in a model file.
func OutW(i int) string { return fmt.Sprintf("out.%d.w", i) }
func OutB(i int) string { return fmt.Sprintf("out.%d.b", i) }

// decodeOutputs reads the outputs' metadata and takes their tensors out of
// ts (the file's tensors beside the architecture's).
func (m *Model) decodeOutputs(meta string, ts map[string]*Tensor) error {
	if err := json.Unmarshal([]byte(meta), &m.Outputs); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range m.Outputs {
		o := &m.Outputs[i]
		if o.Name == "" || seen[o.Name] {
			return fmt.Errorf("output %d: name %q empty or repeated", i, o.Name)
		}
		seen[o.Name] = true
		if !(o.Scale > 0) || math.IsInf(o.Scale, 0) || math.IsNaN(o.Mean) || math.IsInf(o.Mean, 0) {
			return fmt.Errorf("output %q: mean %v and scale %v must be finite, scale > 0", o.Name, o.Mean, o.Scale)
		}
		if o.Waveform != nil {
			if err := o.Waveform.Validate(); err != nil {
				return fmt.Errorf("output %q: %v", o.Name, err)
			}
		}
		w, b := ts[OutW(i)], ts[OutB(i)]
		if w == nil || b == nil || !equalShape(w.Shape, []int{m.Arch.Hidden, 1}) || !equalShape(b.Shape, []int{1, 1}) {
			return fmt.Errorf("output %q: weights %s (hidden x 1) and %s (1 x 1) missing or misshapen", o.Name, OutW(i), OutB(i))
		}
		for _, x := range append(append([]float32(nil), w.Data...), b.Data...) {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("output %q holds a non-finite weight", o.Name)
			}
		}
		o.W, o.B = w.Data, b.Data[0]
		delete(ts, OutW(i))
		delete(ts, OutB(i))
	}
	return nil
}

// hiddener is a Stepper that shows each cell's last-layer state.
type hiddener interface {
	Hidden(i int) []float32
}

// HasHidden says whether the model's family exposes its state to output
// readouts.
func (m *Model) HasHidden() bool {
	_, ok := m.Arch.family().NewStepper(m, 1, 0).(hiddener)
	return ok
}

// Hidden is cell i's last-layer state after the last Step (nil for a
// family that does not show it).
func (s *Stream) Hidden(i int) []float32 {
	if h, ok := s.st.(hiddener); ok {
		return h.Hidden(i)
	}
	return nil
}

// Output is output j of cell i after the last Step: its prediction for
// the next sample, in the output's unit.
func (s *Stream) Output(m *Model, i, j int) float64 {
	o := &m.Outputs[j]
	h := s.Hidden(i)
	acc := float64(o.B)
	for k, x := range h {
		acc += float64(x) * float64(o.W[k])
	}
	return o.Mean + o.Scale*acc
}

// headsGemm holds a model's output weights packed for one matrix product
// over a stream's cells.
type headsGemm struct {
	m    *Model
	w    *gemm.PackedB // Hidden x len(Outputs): column j is output j's W
	tile []float32
	acc  []float32
}

// hiddenRows is a family whose last-layer states form one strided matrix.
type hiddenRows interface {
	HiddenRows() (data []float32, stride int)
}

// OutputRows writes every output of every cell after the last Step into
// dst (cell i's output j at dst[i*len(m.Outputs)+j]), as one float32
// matrix product of the cells' states and the outputs' weights: the form
// for many cells (networks) and the one rollouts use too, so that a
// network's traced cell and its rollout give the same values. It differs
// from Output, which sums in float64, by rounding.
func (s *Stream) OutputRows(m *Model, dst []float32) {
	no := len(m.Outputs)
	if no == 0 {
		return
	}
	hs, ok := s.st.(hiddenRows)
	if !ok {
		for i := range s.N {
			for j := range no {
				dst[i*no+j] = float32(s.Output(m, i, j))
			}
		}
		return
	}
	if s.heads == nil || s.heads.m != m {
		hd := m.Arch.Hidden
		w := make([]float32, hd*no)
		for j, o := range m.Outputs {
			for k, x := range o.W {
				w[k*no+j] = x
			}
		}
		s.heads = &headsGemm{m: m, w: gemm.NewPackedB(w, hd, no), tile: make([]float32, gemm.TileScratch(max(hd, no))), acc: make([]float32, s.N*no)}
	}
	data, stride := hs.HiddenRows()
	s.heads.w.MulTile(s.N, data, stride, s.heads.acc, no, s.heads.tile)
	for i := range s.N {
		for j := range no {
			o := &m.Outputs[j]
			dst[i*no+j] = float32(o.Mean + o.Scale*float64(s.heads.acc[i*no+j]+o.B))
		}
	}
}
