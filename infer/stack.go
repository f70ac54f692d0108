package infer

import (
	"fmt"
	"math"
	"sync"
	"unsafe"

	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// Stacked is several networks run as one: each population holds the
// cells of that population in every variant, one after another, so the
// engine steps all variants in one batched pass. Variants stay
// independent (no connection crosses between them) and each draws its
// background, connectivity and stimuli from its own seed exactly as it
// would alone, so a stacked run is, spike for spike, the variants' own runs.
type Stacked struct {
	*Built
	Variants []*Built
	// at[v][c] is the stacked index of variant v's cell c.
	at [][]int32
}

// Stack stacks networks built from one description with different
// numbers: they must have the same populations with the same cells and
// models (the same objects, as a caching Resolver returns), and the same
// background and projection layout.
func Stack(vs []*Built) (*Stacked, error) {
	if len(vs) == 0 {
		return nil, fmt.Errorf("stack: no networks")
	}
	first := vs[0]
	for i, v := range vs {
		if len(v.Pops) != len(first.Pops) || v.SampleDT != first.SampleDT {
			return nil, fmt.Errorf("stack: network %d differs in populations or sample step", i)
		}
		for pi, p := range v.Pops {
			q := first.Pops[pi]
			if p.Cell != q.Cell || p.Model != q.Model || len(p.parts[0].bg) != len(q.parts[0].bg) {
				return nil, fmt.Errorf("stack: network %d, population %s: cell, model or background differ from the first network's", i, p.Name)
			}
			for si, s := range p.parts[0].bg {
				if len(s.syns) != len(q.parts[0].bg[si].syns) {
					return nil, fmt.Errorf("stack: network %d, population %s: background %d drives other synapses", i, p.Name, si)
				}
			}
		}
	}
	// Each variant's own estimate, and the stacked copy of connections
	// and offsets held beside them while the pass runs.
	need := 0.0
	for _, v := range vs {
		need += v.bytes + float64(len(v.Edges))*float64(unsafe.Sizeof(Edge{})) + 8*float64(v.Cells+1)
	}
	if lim := memoryLimit(); need > float64(lim) {
		return nil, fmt.Errorf("stack: %d networks need about %.1f GB together, more than the %.1f GB available; stack fewer at a time (sweep --batch-cells)",
			len(vs), need/1e9, float64(lim)/1e9)
	}
	s := &Stacked{Built: &Built{Net: first.Net, SampleDT: first.SampleDT, bytes: need}, Variants: vs, at: make([][]int32, len(vs))}
	b := s.Built
	for v := range vs {
		s.at[v] = make([]int32, vs[v].Cells)
	}
	for pi, q := range first.Pops {
		p := *q
		p.First, p.N, p.parts = b.Cells, 0, nil
		for v, vb := range vs {
			vp := vb.Pops[pi]
			for _, part := range vp.parts {
				p.parts = append(p.parts, popPart{lo: p.N + part.lo, seed: part.seed, bg: part.bg})
			}
			for c := 0; c < vp.N; c++ {
				s.at[v][vp.First+c] = int32(p.First + p.N + c)
			}
			p.N += vp.N
		}
		b.Pops = append(b.Pops, &p)
		b.Cells += p.N
		if b.Cells > math.MaxInt32 {
			return nil, fmt.Errorf("stack: %d cells is more than the engine indexes", b.Cells)
		}
	}
	// Connections by stacked source cell; plasticity and stimuli carried
	// over with their variant's indices shifted.
	b.Offsets = make([]int64, b.Cells+1)
	stim := false
	for v, vb := range vs {
		for c := 0; c < vb.Cells; c++ {
			b.Offsets[s.at[v][c]+1] = vb.Offsets[c+1] - vb.Offsets[c]
		}
		b.MaxDelay = max(b.MaxDelay, vb.MaxDelay)
		stim = stim || vb.Stim != nil
	}
	for i := 0; i < b.Cells; i++ {
		b.Offsets[i+1] += b.Offsets[i]
	}
	b.Edges = make([]Edge, b.Offsets[b.Cells])
	if stim {
		b.Stim = make([][]stimEvent, b.Cells)
	}
	for v, vb := range vs {
		if len(b.STP)+len(vb.STP) >= math.MaxInt16 {
			return nil, fmt.Errorf("stack: more than %d plastic projections in all; stack fewer networks", math.MaxInt16-1)
		}
		shift := int16(len(b.STP))
		b.STP = append(b.STP, vb.STP...)
		for c := 0; c < vb.Cells; c++ {
			at := s.at[v][c]
			out := b.Edges[b.Offsets[at]:b.Offsets[at+1]]
			copy(out, vb.Edges[vb.Offsets[c]:vb.Offsets[c+1]])
			for i := range out {
				out[i].Target = s.at[v][out[i].Target]
				if out[i].Plastic > 0 {
					out[i].Plastic += shift
				}
			}
			if vb.Stim != nil {
				b.Stim[at] = vb.Stim[c]
			}
		}
	}
	return s, nil
}

// Split divides a run of the stacked network into the variants' runs:
// their spikes (cells numbered as in each variant, in time order), with
// the run's duration and warm-up. The stepping time is not divided.
func (s *Stacked) Split(run *RunResult) []*RunResult {
	back := make([]struct{ v, c int32 }, s.Cells)
	for v, at := range s.at {
		for c, x := range at {
			back[x] = struct{ v, c int32 }{int32(v), int32(c)}
		}
	}
	out := make([]*RunResult, len(s.Variants))
	for v := range out {
		out[v] = &RunResult{Steps: run.Steps, TstopMS: run.TstopMS, WarmupMS: run.WarmupMS}
	}
	for _, sp := range run.Spikes {
		w := back[sp.Cell]
		out[w.v].Spikes = append(out[w.v].Spikes, NetSpike{Cell: w.c, TimeMS: sp.TimeMS})
	}
	return out
}

// CachedResolver resolves each cell and model once and returns the same
// object every time after (Stack needs variants to share them).
type CachedResolver struct {
	R      Resolver
	mu     sync.Mutex
	cells  map[[2]string]*biophys.Cell
	models map[[2]string]*surrogate.Model
	// fits remembers CheckModel's verdict on the pairs it resolved (the
	// cell's fingerprint hashes its whole description, most of the cost of
	// building a small network of detailed cells).
	fits map[fitKey]error
}

type fitKey struct {
	m    *surrogate.Model
	c    *biophys.Cell
	dtMS float64
}

// checkModel is CheckModel, once per model, cell and time step.
func (c *CachedResolver) checkModel(m *surrogate.Model, cell *biophys.Cell, dtMS float64) error {
	k := fitKey{m, cell, dtMS}
	c.mu.Lock()
	err, ok := c.fits[k]
	c.mu.Unlock()
	if ok {
		return err
	}
	err = CheckModel(m, cell, dtMS)
	c.mu.Lock()
	if c.fits == nil {
		c.fits = map[fitKey]error{}
	}
	c.fits[k] = err
	c.mu.Unlock()
	return err
}

// Cell resolves a cell through R the first time it is asked for.
func (c *CachedResolver) Cell(arg, base string) (*biophys.Cell, error) {
	return memo(&c.mu, &c.cells, arg, base, c.R.Cell)
}

// Model resolves a model through R the first time it is asked for.
func (c *CachedResolver) Model(arg, base string) (*surrogate.Model, error) {
	return memo(&c.mu, &c.models, arg, base, c.R.Model)
}

// memo returns (*m)[{arg, base}], loading and keeping it the first time.
func memo[T any](mu *sync.Mutex, m *map[[2]string]T, arg, base string, load func(arg, base string) (T, error)) (T, error) {
	mu.Lock()
	defer mu.Unlock()
	k := [2]string{arg, base}
	if x, ok := (*m)[k]; ok {
		return x, nil
	}
	x, err := load(arg, base)
	if err != nil {
		return x, err
	}
	if *m == nil {
		*m = map[[2]string]T{}
	}
	(*m)[k] = x
	return x, nil
}
