package surrogate

import (
	"errors"
	"fmt"
	"math"
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

// SpikeSetter is a Stepper whose model can hear a spike its caller
// decides (Arch.HearsFired): SetSpike sets the spike (0 or 1) cell i hears
// at its next step.
type SpikeSetter interface {
	SetSpike(i int, x float32)
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
	// Fired (models that hear their fired spikes, Arch.HearsFired; nil for
	// others): after Step, whether each cell's readout (the model's
	// Readout, as Readout.Spikes reads P) fired in the bin just stepped.
	// The model hears a spike in the bin the readout reports it in (bin
	// k + ShiftMS/SampleDT for bin k), at the step after, as it heard the
	// reference's spikes in training.
	Fired []bool
	st    Stepper
	// heads caches OutputRows's packed weights and scratch.
	heads *headsGemm
	hear  *hearing // HearsFired: the readout's state
}

// hearing is a HearsFired stream's readout (the model's at NewStream) and
// its state: each cell's last spike and the spikes fired but not yet heard
// (the readout's shift).
type hearing struct {
	r     Readout
	dt    float64
	set   SpikeSetter
	steps int       // steps since Reset
	last  []float64 // per cell, the time of its last spike (ms from Reset)
	due   [][]bool  // shift+1 slots of N: slot b%len holds spikes reported in bin b
}

func newHearing(m *Model, set SpikeSetter, n int) *hearing {
	sh := max(0, int(math.Round(m.Readout.ShiftMS/m.Arch.SampleDT)))
	h := &hearing{r: m.Readout, dt: m.Arch.SampleDT, set: set, last: make([]float64, n), due: make([][]bool, sh+1)}
	for b := range h.due {
		h.due[b] = make([]bool, n)
	}
	h.reset()
	return h
}

func (h *hearing) reset() {
	h.steps = 0
	for i := range h.last {
		h.last[i] = math.Inf(-1)
	}
	for _, d := range h.due {
		clear(d)
	}
}

// step reads the bin just stepped out (as Readout.Spikes does) into fired
// and gives each cell the spike it hears at its next step.
func (h *hearing) step(p []float32, fired []bool) {
	r, dt := h.r, h.dt
	k, S := h.steps, len(h.due)
	t := (float64(k)+0.5)*dt + r.ShiftMS
	ahead := h.due[(k+S-1)%S]
	for i, x := range p {
		fired[i] = x > r.P && r.Fires(x, t-h.last[i])
		if fired[i] {
			h.last[i] = t
			ahead[i] = true
		}
	}
	now := h.due[k%S]
	for i, f := range now {
		x := float32(0)
		if f {
			x = 1
		}
		h.set.SetSpike(i, x)
	}
	clear(now)
	h.steps++
}

// NewStream prepares a batch of n cells, all at rest (Vm = vInitMV, zero
// state).
func NewStream(m *Model, n int, vInitMV float32) *Stream {
	st := m.Arch.family().NewStepper(m, n, vInitMV)
	v, p := st.Outputs()
	s := &Stream{N: n, V: v, P: p, st: st}
	if set, ok := st.(SpikeSetter); ok && m.Arch.HearsFired {
		s.Fired, s.hear = make([]bool, n), newHearing(m, set, n)
	}
	return s
}

// Step advances every cell one sample. drive holds, per cell, the summed
// event weight (uS) of each model input in this bin: drive[i*nIn + j].
// A model that hears its fired spikes then hears what its readout fired
// (Fired).
func (s *Stream) Step(drive []float32) {
	s.st.Step(drive)
	if s.hear != nil {
		s.hear.step(s.P, s.Fired)
	}
}

// Reset puts every cell at rest: Vm = vInitMV and the family's rest state.
func (s *Stream) Reset(vInitMV float32) {
	s.st.Reset(vInitMV)
	if s.hear != nil {
		s.hear.reset()
		clear(s.Fired)
	}
}

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
	if err := c.CopyCell(i, src.st, j); err != nil {
		return err
	}
	if h, o := s.hear, src.hear; h != nil && o != nil {
		h.steps, h.last[i], s.Fired[i] = o.steps, o.last[j], src.Fired[j]
		for b := range h.due {
			h.due[b][i] = o.due[b][j]
		}
	}
	return nil
}

// CanCopyCells says whether the stream's family can copy cells (CopyCell).
func (s *Stream) CanCopyCells() bool {
	_, ok := s.st.(CellCopier)
	return ok
}
