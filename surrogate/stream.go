package surrogate

import (
	"errors"
	"fmt"
)

// Stepper is an architecture family's inference pass over a batch of
// cells (Family.NewStepper).
type Stepper interface {
	// Step advances every cell one sample on drive[i*nIn + j], the summed
	// event weight (uS) of cell i's input j in this bin.
	Step(drive []float32)
	// Reset puts every cell at rest at vInitMV.
	Reset(vInitMV float32)
	// SetVm overrides cell i's fed-back Vm input (mV).
	SetVm(i int, vMV float32)
	// Outputs are the slices Step writes: each cell's predicted Vm at the
	// next sample (mV) and its probability of a spike within the bin.
	Outputs() (v, p []float32)
}

// CellCopier is a Stepper that can take one cell's whole state from
// another stepper of the same model that has stepped as many samples, so
// that the cell goes on exactly as the other would: a network run forks
// into many from a shared warm-up this way.
type CellCopier interface {
	CopyCell(i int, src Stepper, j int) error
}

// errOtherModel is CopyCell's error for a stepper of another model.
var errOtherModel = errors.New("copy cell: the streams run different models")

// Stream runs a model forward one sample at a time for a batch of N
// independent cells, its own Vm prediction fed back as its Vm input, on
// the inference pass of the model's architecture family.
type Stream struct {
	N int
	// After Step: V is each cell's predicted Vm at the next sample (mV), P
	// its probability of a spike within the bin just stepped.
	V, P []float32
	st   Stepper
	// heads caches OutputRows's packed weights and scratch.
	heads *headsGemm
}

// NewStream prepares a batch of n cells, all at rest (Vm = vInitMV, zero
// state).
func NewStream(m *Model, n int, vInitMV float32) *Stream {
	st := m.Arch.family().NewStepper(m, n, vInitMV)
	v, p := st.Outputs()
	return &Stream{N: n, V: v, P: p, st: st}
}

// Step advances every cell one sample. drive holds, per cell, the summed
// event weight (uS) of each model input in this bin: drive[i*nIn + j].
func (s *Stream) Step(drive []float32) { s.st.Step(drive) }

// Reset puts every cell at rest: Vm = vInitMV and the family's rest state.
func (s *Stream) Reset(vInitMV float32) { s.st.Reset(vInitMV) }

// SetVm overrides the fed-back Vm input (mV) of cell i, e.g. to feed the
// reference's Vm during a warm-up.
func (s *Stream) SetVm(i int, vMV float32) { s.st.SetVm(i, vMV) }

// CopyCell gives cell i the whole state of cell j of src, a stream of the
// same model; from then on cell i steps exactly as cell j would on the same
// input. The stream's place in its histories is taken from src, so s must
// have stepped as many samples since its Reset as src, or every one of its
// cells must be copied from streams that have (a fresh stream forked from a
// warmed-up one). It fails for
// another model, or a family whose stepper cannot copy (CellCopier).
func (s *Stream) CopyCell(i int, src *Stream, j int) error {
	c, ok := s.st.(CellCopier)
	if !ok {
		return fmt.Errorf("copy cell: this architecture family's stepper cannot copy a cell's state")
	}
	if i < 0 || i >= s.N || j < 0 || j >= src.N {
		return fmt.Errorf("copy cell: cell %d of %d from cell %d of %d", i, s.N, j, src.N)
	}
	return c.CopyCell(i, src.st, j)
}

// CanCopyCells says whether the stream's family can copy cells (CopyCell).
func (s *Stream) CanCopyCells() bool {
	_, ok := s.st.(CellCopier)
	return ok
}
