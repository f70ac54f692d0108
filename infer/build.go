package infer

import (
	"cmp"
	"fmt"
	"math"
	"neurosurrogate/internal/sysmem"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"unsafe"

	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// Pop is a built population.
type Pop struct {
	Name   string
	Cell   *biophys.Cell
	Model  *surrogate.Model
	N      int
	First  int     // global index of its first cell
	input  [][]int // sub-bin, synapse index -> model input
	timing [][]int // sub-bin, synapse index -> model timing input (-1: none)
	// A surrogate's spike sits in the middle of its bin and delays are
	// whole steps, so recurrent events land in sub-bin mid at offset midOff.
	mid    int
	midOff float64
	// parts are runs of cells with their own background: one for a
	// network, one per variant when networks are stacked (Stack).
	parts []popPart
}

// popPart is a run of a population's cells from local cell lo on whose
// background streams are drawn from seed, counting cells from lo.
type popPart struct {
	lo   int
	seed uint64
	bg   []bgSpec
}

// part returns the part holding local cell c.
func (p *Pop) part(c int) *popPart {
	i, found := slices.BinarySearchFunc(p.parts, c, func(x popPart, c int) int { return cmp.Compare(x.lo, c) })
	if !found {
		i--
	}
	return &p.parts[i]
}

// specs is the number of background specs of each cell and, summed over
// them, its synapses with a stream each.
func (p *Pop) specs() (specs, streams int) {
	for _, s := range p.parts[0].bg {
		streams += len(s.syns)
	}
	return len(p.parts[0].bg), streams
}

type bgSpec struct {
	syns   []int // synapses driven (one stream per cell and synapse)
	rateHz float64
	wUS    float64
}

// Edge is one synapse of the network, stored by source cell.
type Edge struct {
	Target int32 // global target cell
	Syn    int16 // synapse index in the target cell
	Input  int16 // model input of that synapse
	Delay  int16 // in sample steps (>= 1)
	// Plastic is 1 + the index in Built.STP of the connection's short-term
	// plasticity; 0: a static weight.
	Plastic int16
	W       float32 // uS: the weight, or with STP the absolute efficacy
}

// Built is a network with resolved cells and models and its connectivity
// in compressed sparse rows by source cell.
type Built struct {
	Net      *Network
	Pops     []*Pop
	SampleDT float64
	Cells    int
	// Edges of source cell i are Edges[Offsets[i]:Offsets[i+1]].
	Offsets  []int64
	Edges    []Edge
	MaxDelay int // steps
	// STP holds the short-term plasticity of the projections that have it
	// (Edge.Plastic).
	STP []STP
	// Stim holds each cell's stimulus events (Network.Stimuli), by time;
	// nil without stimuli.
	Stim [][]stimEvent

	bytes float64 // estimated footprint of building and running it
}

// Synapses is the number of connections.
func (b *Built) Synapses() int64 { return int64(len(b.Edges)) }

// PopOf returns the population of global cell c and its index in it.
func (b *Built) PopOf(c int) (*Pop, int) {
	for i := len(b.Pops) - 1; i >= 0; i-- {
		if c >= b.Pops[i].First {
			return b.Pops[i], c - b.Pops[i].First
		}
	}
	return nil, -1
}

// bytesPerEdge is what one connection costs while building (edge lists by
// target, then CSR by source).
const bytesPerEdge = 2*12 + 8

// MemoryLimit is the largest estimated footprint Build accepts (bytes); 0
// means 75% of the machine's memory.
var MemoryLimit int64

// EstimateBytes estimates the memory a network needs: connections while
// building plus per-cell state of the engine (streamFloats: the surrogate
// stream's per-cell buffers beyond its LSTM state, in float32 values).
func EstimateBytes(n *Network, hidden, inputs, maxDelaySteps, streamFloats int) (edges float64, bytes float64) {
	counts := map[string]int{}
	for _, p := range n.Populations {
		counts[p.Name] = p.Count
	}
	plastic := 0.0 // connections with STP state (stpState) in a run
	for _, pr := range n.Projections {
		src, tgt := float64(counts[pr.From]), float64(counts[pr.To])
		e := 0.0
		switch pr.Rule {
		case "probability":
			if pr.P != nil {
				e = *pr.P * src * tgt
			}
		case "indegree":
			if pr.K != nil {
				e = float64(*pr.K) * tgt
			}
		}
		edges += e
		if pr.STP != nil {
			plastic += e
		}
	}
	cells := 0.0
	for _, p := range n.Populations {
		cells += float64(p.Count)
	}
	perCell := float64(4*(6*hidden+inputs*(maxDelaySteps+2)+streamFloats+64) + 64)
	return edges, edges*bytesPerEdge + plastic*float64(unsafe.Sizeof(stpState{})) + cells*perCell
}

func memoryLimit() int64 {
	if MemoryLimit > 0 {
		return MemoryLimit
	}
	return int64(0.75 * float64(sysmem.Physical()))
}

// Resolver finds the cells and models a network names: a file (relative
// to base, the network file's folder, when not absolute) or whatever else
// the caller knows by name (the command line knows the shipped artifacts).
type Resolver interface {
	Cell(arg, base string) (*biophys.Cell, error)
	Model(arg, base string) (*surrogate.Model, error)
}

// checkSampleSteps refuses models that do not all share one sample step.
// The step most populations' models have is taken as the network's (the
// first population's on a tie) and the first population whose model
// differs is blamed, with the population that has the network's step
// named beside it, so that with two populations both are named.
func (n *Network) checkSampleSteps(models []*surrogate.Model) error {
	count := map[float64]int{}
	for _, m := range models {
		count[m.Arch.SampleDT]++
	}
	step := models[0].Arch.SampleDT
	for _, m := range models {
		if s := m.Arch.SampleDT; count[s] > count[step] {
			step = s
		}
	}
	ref := -1
	for i, m := range models {
		if m.Arch.SampleDT == step && ref < 0 {
			ref = i
		}
	}
	for i, m := range models {
		if s := m.Arch.SampleDT; s != step {
			return n.errf(fmt.Sprintf("populations[%d].model", i), "model %q has a sample step of %g ms, but populations[%d] (%s) has model %q at %g ms; all models of a network must share one sample step",
				n.Populations[i].Model, s, ref, n.Populations[ref].Name, n.Populations[ref].Model, step)
		}
	}
	return nil
}

// Build resolves cells and models with r (paths relative to the network
// file), checks that every model fits its cell and all share one sample
// step, and draws the connectivity from the network's seed. Each target
// cell's connections come from their own seeded source, so the network
// does not depend on how many cores build it.
func Build(n *Network, r Resolver) (*Built, error) {
	base := ""
	if n.src != "" {
		base = filepath.Dir(n.src)
	}
	b := &Built{Net: n}
	cells := make([]*biophys.Cell, len(n.Populations))
	models := make([]*surrogate.Model, len(n.Populations))
	for i, p := range n.Populations {
		f := fmt.Sprintf("populations[%d]", i)
		cell, err := r.Cell(p.Cell, base)
		if err != nil {
			return nil, n.errf(f+".cell", "%v", err)
		}
		m, err := r.Model(p.Model, base)
		if err != nil {
			return nil, n.errf(f+".model", "%v", err)
		}
		check := CheckModel
		if c, ok := r.(*CachedResolver); ok {
			check = c.checkModel
		}
		if err := check(m, cell, 0.025); err != nil {
			return nil, n.errf(f+".model", "%v", err)
		}
		cells[i], models[i] = cell, m
	}
	if err := n.checkSampleSteps(models); err != nil {
		return nil, err
	}
	b.SampleDT = models[0].Arch.SampleDT
	for i, p := range n.Populations {
		f := fmt.Sprintf("populations[%d]", i)
		cell, m := cells[i], models[i]
		inputs, timing, _ := m.Arch.SubIndex(cell.SynapseNames())
		mid, midOff := m.Arch.PlaceInBin(0.5*m.Arch.SampleDT, 0)
		pop := &Pop{Name: p.Name, Cell: cell, Model: m, N: p.Count, First: b.Cells, input: inputs, timing: timing, mid: mid, midOff: midOff,
			parts: []popPart{{seed: n.Seed}}}
		for j, bg := range p.Background {
			g := fmt.Sprintf("%s.background[%d]", f, j)
			syns, err := pop.targets(bg.Synapse, bg.Class)
			if err != nil {
				return nil, n.errf(g, "%v", err)
			}
			pop.parts[0].bg = append(pop.parts[0].bg, bgSpec{syns: syns, rateHz: bg.RateHz, wUS: bg.WeightUS})
		}
		b.Pops = append(b.Pops, pop)
		b.Cells += p.Count
	}
	if b.Cells > math.MaxInt32 {
		return nil, n.errf("populations", "%d cells is more than the engine indexes", b.Cells)
	}
	var err error
	if b.Stim, err = drawStimuli(n, b); err != nil {
		return nil, err
	}
	if err := CheckWarmup(n.WarmupMS, b.SampleDT); err != nil {
		return nil, n.errf("warmup_ms", "%v", err)
	}
	// Delays in steps; the largest decides the ring buffers.
	type proj struct {
		pr       Projection
		from, to *Pop
		syns     []int
		dConst   int
		plastic  int16 // Edge.Plastic of its connections
	}
	var projs []proj
	for i, pr := range n.Projections {
		f := fmt.Sprintf("projections[%d]", i)
		from, to := b.Pops[n.Population(pr.From)], b.Pops[n.Population(pr.To)]
		syns, err := to.targets(pr.Synapse, pr.Class)
		if err != nil {
			return nil, n.errf(f, "%v", err)
		}
		pj := proj{pr: pr, from: from, to: to, syns: syns}
		if pr.STP != nil {
			if len(b.STP) >= math.MaxInt16 {
				return nil, n.errf(f+".stp", "more than %d plastic projections", math.MaxInt16-1)
			}
			b.STP = append(b.STP, *pr.STP)
			pj.plastic = int16(len(b.STP))
		}
		if pr.DelayMS.Kind == "const" {
			d, ok := StepsPerSample(pr.DelayMS.Value, b.SampleDT)
			if !ok {
				return nil, n.errf(f+".delay_ms", "%g ms is not a multiple of the sample step %g ms", pr.DelayMS.Value, b.SampleDT)
			}
			if d > math.MaxInt16 {
				return nil, n.errf(f+".delay_ms", "%g ms: delays up to %g ms (%d sample steps) are supported", pr.DelayMS.Value, math.MaxInt16*b.SampleDT, math.MaxInt16)
			}
			pj.dConst = d
			b.MaxDelay = max(b.MaxDelay, d)
		} else {
			hi, what := pr.DelayMS.Max, "max"
			if pr.DelayMS.Kind != "uniform" {
				hi, what = pr.DelayMS.Mean+6*pr.DelayMS.SD, "mean + 6 sd"
			}
			if !(hi/b.SampleDT <= math.MaxInt16) {
				return nil, n.errf(f+".delay_ms", "%s %g ms: delays up to %g ms (%d sample steps) are supported", what, hi, math.MaxInt16*b.SampleDT, math.MaxInt16)
			}
			b.MaxDelay = max(b.MaxDelay, int(math.Round(hi/b.SampleDT)))
		}
		projs = append(projs, pj)
	}
	b.MaxDelay = max(1, min(b.MaxDelay, math.MaxInt16))
	hidden, inputs, scatter := 0, 0, 0
	for _, p := range b.Pops {
		a := p.Model.Arch
		hidden = max(hidden, a.Hidden*a.Layers)
		inputs = max(inputs, len(a.Inputs))
		// The stream's buffer of scattered inputs: one slot of conv
		// channels per sample up to the last tap plus the longest delay,
		// or per trace.
		taps := a.Taps()
		slots := taps[len(taps)-1] + 1 + a.MaxDelay()
		if len(a.TracesMS) > 0 {
			slots = len(a.TracesMS)
		}
		scatter = max(scatter, slots*a.Conv)
	}
	edges, need := EstimateBytes(n, hidden, inputs, b.MaxDelay, scatter)
	for _, p := range b.Pops {
		_, streams := p.specs()
		need += float64(p.N*streams) * float64(unsafe.Sizeof(bgStream{}))
	}
	b.bytes = need
	if lim := memoryLimit(); need > float64(lim) {
		return nil, n.errf("", "the network needs about %.1f GB (%d cells, %.3g connections), more than the %.1f GB available; make it smaller",
			need/1e9, b.Cells, edges, float64(lim)/1e9)
	}
	if edges > math.MaxInt32*8 {
		return nil, n.errf("projections", "%.3g connections is more than the engine indexes", edges)
	}

	// Draw incoming connections per target cell, in parallel over targets.
	byTarget := make([][]struct {
		src int32
		e   Edge
	}, b.Cells)
	for pi, pj := range projs {
		workers := runtime.GOMAXPROCS(0)
		done := make(chan int, workers)
		for w := 0; w < workers; w++ {
			go func() {
				defer func() { done <- w }()
				for t := w; t < pj.to.N; t += workers {
					rng := newStreamRNG(n.Seed, 1, uint64(pi), uint64(t))
					tg := pj.to.First + t
					add := func(s int) {
						syn := pj.syns[0]
						if len(pj.syns) > 1 {
							syn = pj.syns[rng.intn(len(pj.syns))]
						}
						d := pj.dConst
						if d == 0 {
							d = max(1, int(math.Round(drawDist(pj.pr.DelayMS, &rng)/b.SampleDT)))
							d = min(d, b.MaxDelay)
						}
						byTarget[tg] = append(byTarget[tg], struct {
							src int32
							e   Edge
						}{int32(pj.from.First + s), Edge{Target: int32(tg), Syn: int16(syn), Input: int16(pj.to.input[pj.to.mid][syn]),
							Delay: int16(d), Plastic: pj.plastic, W: float32(math.Max(0, drawDist(pj.pr.WeightUS, &rng)))}})
					}
					self := -1
					if pj.from == pj.to && !pj.pr.Autapses {
						self = t
					}
					switch pj.pr.Rule {
					case "probability":
						eachBernoulli(pj.from.N, *pj.pr.P, &rng, func(s int) {
							if s != self {
								add(s)
							}
						})
					case "indegree":
						for _, s := range sampleDistinct(pj.from.N, *pj.pr.K, self, &rng) {
							add(s)
						}
					}
				}
			}()
		}
		for range workers {
			<-done
		}
	}
	// Transpose to rows by source.
	b.Offsets = make([]int64, b.Cells+1)
	for _, in := range byTarget {
		for _, x := range in {
			b.Offsets[x.src+1]++
		}
	}
	for i := 0; i < b.Cells; i++ {
		b.Offsets[i+1] += b.Offsets[i]
	}
	b.Edges = make([]Edge, b.Offsets[b.Cells])
	fill := append([]int64(nil), b.Offsets[:b.Cells]...)
	for _, in := range byTarget {
		for _, x := range in {
			b.Edges[fill[x.src]] = x.e
			fill[x.src]++
		}
	}
	return b, nil
}

// targets resolves a synapse name or class to synapse indices of the
// population's cell, each of which must feed an input of its model.
func (p *Pop) targets(name, class string) ([]int, error) {
	syns, err := synapsesOf(p.Cell, name, class)
	if err != nil {
		return nil, err
	}
	for _, s := range syns {
		if p.input[0][s] < 0 {
			return nil, fmt.Errorf("synapse %q feeds no input of population %s's model", p.Cell.Synapses[s].Name, p.Name)
		}
	}
	return syns, nil
}

// synapsesOf resolves a synapse name or class to synapse indices of a cell.
func synapsesOf(c *biophys.Cell, name, class string) ([]int, error) {
	if name != "" {
		i := c.SynapseIndex(name)
		if i < 0 {
			return nil, fmt.Errorf("cell %s has no synapse %q (it has %s)", c.Name, name, listSome(c.SynapseNames(), 8))
		}
		return []int{i}, nil
	}
	var out []int
	for i := range c.Synapses {
		if c.Excitatory(i) == (class == "exc") {
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("cell %s has no %s synapses", c.Name, class)
	}
	return out, nil
}

func listSome(xs []string, n int) string {
	if len(xs) <= n {
		return fmt.Sprint(xs)
	}
	return fmt.Sprint(xs[:n]) + fmt.Sprintf(" and %d more", len(xs)-n)
}

// eachBernoulli calls f for every index in [0, n) chosen independently
// with probability p, skipping ahead geometrically (O(chosen)).
func eachBernoulli(n int, p float64, r *streamRNG, f func(int)) {
	if p <= 0 {
		return
	}
	if p >= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	lq := math.Log1p(-p)
	i := -1
	for {
		i += 1 + int(math.Floor(math.Log(1-r.float())/lq))
		if i >= n || i < 0 {
			return
		}
		f(i)
	}
}

// sampleDistinct draws k distinct indices from [0, n) \ {exclude}
// (Floyd's algorithm), sorted.
func sampleDistinct(n, k, exclude int, r *streamRNG) []int {
	m := n
	if exclude >= 0 {
		m--
	}
	chosen := make(map[int]bool, k)
	out := make([]int, 0, k)
	for j := m - k; j < m; j++ {
		t := r.intn(j + 1)
		if chosen[t] {
			t = j
		}
		chosen[t] = true
		out = append(out, t)
	}
	sort.Ints(out)
	if exclude >= 0 {
		for i, s := range out {
			if s >= exclude {
				out[i] = s + 1
			}
		}
	}
	return out
}

// drawDist samples a distribution.
func drawDist(d Dist, r *streamRNG) float64 {
	switch d.Kind {
	case "uniform":
		return d.Min + (d.Max-d.Min)*r.float()
	case "normal":
		return d.Mean + d.SD*r.norm()
	case "lognormal":
		s2 := math.Log(1 + d.SD*d.SD/(d.Mean*d.Mean))
		return math.Exp(math.Log(d.Mean) - s2/2 + math.Sqrt(s2)*r.norm())
	}
	return d.Value
}

// streamRNG is a small counter-based generator (SplitMix64 over a seeded
// counter): 16 bytes of state, so every cell and synapse can own one.
type streamRNG struct{ key, ctr uint64 }

func newStreamRNG(seed uint64, idx ...uint64) streamRNG {
	return streamRNG{key: biophys.Seed(seed, idx...)}
}

func (r *streamRNG) u64() uint64 {
	r.ctr++
	return biophys.SplitMix64(r.key + r.ctr*0x9e3779b97f4a7c15)
}

// float is uniform in [0, 1).
func (r *streamRNG) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

func (r *streamRNG) intn(n int) int { return int((r.u64() >> 1) % uint64(n)) }

// exp is exponential with mean 1.
func (r *streamRNG) exp() float64 { return -math.Log(1 - r.float()) }

// norm is standard normal (Box-Muller, one of the pair).
func (r *streamRNG) norm() float64 {
	u := 1 - r.float()
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*r.float())
}
