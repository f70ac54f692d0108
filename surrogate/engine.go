package surrogate

import (
	"fmt"
	"maps"
	"slices"
)

// Engine is a way of computing a model's training chunk: the loss over the
// chunk, every weight's gradient and the outputs of every step. Engines
// read the model's weights on every Run, so an optimizer updates m.W in
// place between runs. The gorgonia graph (package surrogate/graph) is the
// definition; the others are tested equal to it.
type Engine interface {
	// Run computes the chunk and replaces its carried state (VIn, VHist,
	// SIn, SHist, H, C) with the state after its last step.
	Run(c *Chunk) error
	// Loss is the last Run's loss and its Vm and spike parts; the total
	// also holds the training heads' part (Arch.AuxHeads), Σ WA (aux −
	// Aux)², which is total − vm − spike.
	Loss() (total, vm, spike float64)
	// Grads is each weight's gradient after Run, by name (the engine's
	// memory: valid until the next Run).
	Grads() map[string][]float32
	// PredVm and Logit are step t's outputs after Run (normalized Vm and
	// spike logit, one per cell).
	PredVm(t int) []float32
	Logit(t int) []float32
	// Close releases the engine.
	Close()
}

// Chunk is what one Run of an Engine reads: each step's inputs,
// time-major (row t*B+b), and the recurrent state carried in from the
// chunk before, which Run replaces with the state the next chunk starts
// from.
type Chunk struct {
	DUnf    []float32 // T*B x taps*nIn: normalized drive, column tap*nIn+j (Arch.Taps)
	VTeach  []float32 // T*B: teacher Vm input (normalized)
	Mask    []float32 // T*B: 1 = use the teacher, 0 = own prediction
	InvMask []float32 // T*B: 1 - Mask
	VTarget []float32 // T*B: next-sample Vm target (normalized)
	WV      []float32 // T*B: weight of each Vm error
	Y       []float32 // T*B: spike targets (0/1)
	WS      []float32 // T*B: weight of each spike term
	STeach  []float32 // FeedSpike, T*B: the previous bin's spike
	// Aux and WA (Arch.AuxHeads > 0), T*B x AuxHeads: the training heads'
	// targets (standardized) and the weight of each one's squared error.
	Aux, WA []float32

	VIn   []float32   // B: own prediction feeding step 0
	VHist []float32   // B x (K-1): Vm inputs before step 0, column l-1 at lag l
	SIn   []float32   // FeedSpike, B: own spike probability feeding step 0
	SHist []float32   // FeedSpike, B x (K-1)
	H, C  [][]float32 // per layer B x H
}

// Check says whether the chunk has the sizes the architecture needs for B
// cells and T steps.
func (c *Chunk) Check(a Arch, B, T int) error {
	rows := T * B
	K, nIn := a.Kernel, len(a.Inputs)
	taps := a.NumTaps()
	type arr struct {
		name string
		s    []float32
		n    int
	}
	as := []arr{{"DUnf", c.DUnf, rows * taps * nIn}, {"VTeach", c.VTeach, rows}, {"Mask", c.Mask, rows}, {"InvMask", c.InvMask, rows},
		{"VTarget", c.VTarget, rows}, {"WV", c.WV, rows}, {"Y", c.Y, rows}, {"WS", c.WS, rows},
		{"VIn", c.VIn, B}, {"VHist", c.VHist, B * (K - 1)}}
	if a.FeedSpike {
		as = append(as, arr{"STeach", c.STeach, rows}, arr{"SIn", c.SIn, B}, arr{"SHist", c.SHist, B * (K - 1)})
	}
	if n := a.AuxHeads; n > 0 {
		as = append(as, arr{"Aux", c.Aux, rows * n}, arr{"WA", c.WA, rows * n})
	}
	for _, x := range as {
		if len(x.s) != x.n {
			return fmt.Errorf("chunk %s has %d values, want %d", x.name, len(x.s), x.n)
		}
	}
	if len(c.H) != a.Layers || len(c.C) != a.Layers {
		return fmt.Errorf("chunk state for %d/%d layers, want %d", len(c.H), len(c.C), a.Layers)
	}
	for l := range c.H {
		if len(c.H[l]) != B*a.Hidden || len(c.C[l]) != B*a.Hidden {
			return fmt.Errorf("chunk layer %d state has %d/%d values, want %d", l, len(c.H[l]), len(c.C[l]), B*a.Hidden)
		}
	}
	return nil
}

// NewEngineFunc makes an engine for model m over T samples of B cells.
type NewEngineFunc func(m *Model, B, T int) (Engine, error)

// engines holds the registered engines by family, then name.
var engines = map[string]map[string]NewEngineFunc{}

// RegisterEngine makes an engine of an architecture family available by
// name (NewEngine). It panics if the name is taken for the family:
// registration happens in init functions.
func RegisterEngine(family, name string, f NewEngineFunc) {
	if engines[family] == nil {
		engines[family] = map[string]NewEngineFunc{}
	}
	if _, dup := engines[family][name]; dup {
		panic(fmt.Sprintf("surrogate: engine %q of family %q registered twice", name, family))
	}
	engines[family][name] = f
}

// Engines lists the names of the engines registered for a family, sorted.
func Engines(family string) []string { return slices.Sorted(maps.Keys(engines[family])) }

// NewEngine makes the engine of that name for model m (of its family) over
// T samples of B cells.
func NewEngine(name string, m *Model, B, T int) (Engine, error) {
	fam := m.Arch.FamilyName()
	f, ok := engines[fam][name]
	if !ok {
		return nil, fmt.Errorf("training engine %q is not known for architecture family %q (known: %v)", name, fam, Engines(fam))
	}
	return f(m, B, T)
}

// HasEngine says whether a family has an engine of that name.
func HasEngine(family, name string) bool { return slices.Contains(Engines(family), name) }

func init() {
	RegisterEngine(DefaultFamily, "unrolled", func(m *Model, B, T int) (Engine, error) { return NewUnrolled(m, B, T) })
}
