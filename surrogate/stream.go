package surrogate

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
