package biophys

import (
	"fmt"
	"math"
)

// Clamp is a current step (NEURON IClamp) into one cell at a node.
type Clamp struct {
	Node                int32 // node in the cell's template (e.g. Template.SpikeNode)
	DelMS, DurMS, AmpNA float64
}

// Instance is one cell to place in a System.
type Instance struct {
	T      *Template
	Clamps []Clamp
}

// Spike is a threshold crossing of a cell's spike site.
type Spike struct {
	Cell   int     // cell index in the System
	TimeMS float64 // end of the step in which it crossed (or interpolated)
}

// UnstableError reports a membrane potential that stopped being finite.
type UnstableError struct {
	Cell   int
	Where  string // section and position
	TimeMS float64
	V      float64
}

func (e *UnstableError) Error() string {
	return fmt.Sprintf("numerically unstable: cell %d %s has Vm = %v at t = %.4f ms (try a smaller --dt, or check the cell's parameters)", e.Cell, e.Where, e.V, e.TimeMS)
}

type cellInfo struct {
	t         *Template
	base      int32 // global node of the template's node 0
	stride    int32 // global node of template node k is base + k*stride
	spikeNode int32 // global node
	threshold float64
	above     bool
	vOld      float64
	synBase   int32
}

type target struct {
	k    PointKernel
	inst int32
}

// System is a set of cells stepped together with NEURON's fixed-step
// backward Euler: one Hines matrix over all their nodes, mechanism instances
// in flat arrays per type (structure of arrays), and one event queue.
// It is NEURON's NrnThread; a Population spreads cells over several.
type System struct {
	Dt float64
	t  float64

	ctx      Ctx
	v        []float64
	parent   []int32
	a, b     []float64
	cfac     []float64 // cm * 1e-3 / dt per node
	kernels  []Kernel
	kernelOf []kernelInfo // what each kernel is, for Recorder
	points   []PointKernel
	ions     []*Ion
	cells    []cellInfo
	targets  []target

	queue   eventQueue
	streams []streamSlot
	seq     uint64

	// Interpolate records spike times by linear interpolation of the
	// crossing inside the step instead of NEURON's end-of-step time.
	Interpolate bool
	spikes      []Spike
}

type streamSlot struct {
	s      Stream
	target int32
}

// NewSystem places the given cells in one System with time step dtMS.
func NewSystem(cells []Instance, dtMS float64) (*System, error) {
	if !(dtMS > 0) || math.IsInf(dtMS, 0) {
		return nil, fmt.Errorf("dt = %v ms: must be positive", dtMS)
	}
	s := &System{Dt: dtMS}
	n := 0
	for _, c := range cells {
		n += c.T.N
	}
	s.v = make([]float64, n)
	s.parent = make([]int32, n)
	s.a = make([]float64, n)
	s.b = make([]float64, n)
	s.cfac = make([]float64, n)
	areaFac := make([]float64, n)
	s.ctx = Ctx{Dt: dtMS, V: s.v, RHS: make([]float64, n), D: make([]float64, n), AreaFac: areaFac}

	// Ions: every System carries na, k and ca, and the ions its cells'
	// NMODL files introduce, at every node.
	ionByName := map[string]*Ion{}
	addIon := func(name string, sp ionSpec) error {
		if ion, ok := ionByName[name]; ok {
			if ion.Charge != sp.charge {
				return fmt.Errorf("ion %s has valence %g in one cell and %g in another", name, ion.Charge, sp.charge)
			}
			return nil
		}
		ion := &Ion{Name: name, Charge: sp.charge, E: make([]float64, n), Ci: make([]float64, n), Co: make([]float64, n)}
		ionByName[name] = ion
		s.ions = append(s.ions, ion)
		return nil
	}
	for _, name := range []string{"na", "k", "ca"} {
		addIon(name, knownIons[name])
	}
	for _, c := range cells {
		for _, name := range sortedKeys(c.T.ions) {
			if err := addIon(name, c.T.ions[name]); err != nil {
				return nil, err
			}
		}
	}

	// Cells of the same template are interleaved node-major (node k of all
	// of them side by side), so consecutive rows of the Hines elimination
	// belong to different cells and do not wait on each other. Each
	// mechanism gets one kernel per template (temperature and tables are per
	// template).
	type group struct {
		t     *Template
		cells []int
		base  int32
	}
	var groups []*group
	byT := map[*Template]*group{}
	for ci, c := range cells {
		if byT[c.T] == nil {
			byT[c.T] = &group{t: c.T}
			groups = append(groups, byT[c.T])
		}
		byT[c.T].cells = append(byT[c.T].cells, ci)
	}
	s.cells = make([]cellInfo, len(cells))
	off := int32(0)
	for _, g := range groups {
		t := g.t
		g.base = off
		stride := int32(len(g.cells))
		for j, ci := range g.cells {
			base := off + int32(j)
			s.cells[ci] = cellInfo{t: t, base: base, stride: stride, spikeNode: base + t.SpikeNode*stride, threshold: t.Cell.Threshold()}
			for k := int32(0); k < int32(t.N); k++ {
				gi := base + k*stride
				if p := t.Parent[k]; p >= 0 {
					s.parent[gi] = base + p*stride
				} else {
					s.parent[gi] = -1
				}
				s.a[gi], s.b[gi] = t.A[k], t.B[k]
				s.cfac[gi] = t.Cm[k] * 1e-3 / dtMS
				areaFac[gi] = 100 / t.Area[k]
			}
		}
		off += int32(t.N) * stride
	}
	synBase := int32(0)
	for ci := range s.cells {
		s.cells[ci].synBase = synBase
		synBase += int32(len(s.cells[ci].t.synapses))
	}
	s.targets = make([]target, synBase)

	gathers := map[string]*sharedGather{}
	for _, g := range groups {
		t := g.t
		for name, ion := range ionByName {
			if t.readI[name] && ion.I == nil {
				ion.I = make([]float64, n)
			}
		}
		stride := int32(len(g.cells))
		for _, name := range sortedKeys(t.nernst) {
			ion := ionByName[name]
			for _, nd := range t.nernst[name] {
				for j := range g.cells {
					ion.computed = append(ion.computed, g.base+int32(j)+nd*stride)
					ion.ktf = append(ion.ktf, KTF(t.Celsius))
				}
			}
		}
		for _, name := range sortedKeys(t.initE) {
			ion := ionByName[name]
			for _, nd := range t.initE[name] {
				for j := range g.cells {
					ion.atInit = append(ion.atInit, g.base+int32(j)+nd*stride)
					ion.ktfInit = append(ion.ktfInit, KTF(t.Celsius))
				}
			}
		}
		// Density mechanisms.
		for _, mg := range t.mechs {
			b := &Build{Celsius: t.Celsius, Ions: ionByName, P: map[string][]float64{}, gathers: gathers}
			for k, nd := range mg.nodes {
				for j := range g.cells {
					b.Nodes = append(b.Nodes, g.base+int32(j)+nd*stride)
					b.AreaUM2 = append(b.AreaUM2, t.Area[nd])
					b.DiamUM = append(b.DiamUM, t.Diam[nd])
					for name, vals := range mg.params {
						b.P[name] = append(b.P[name], vals[k])
					}
				}
			}
			s.kernels = append(s.kernels, mg.m.New(b))
			s.kernelOf = append(s.kernelOf, kernelInfo{mech: mg.m, t: t, nodes: b.Nodes})
		}
		// Synapses, one kernel per kind.
		kinds := map[*PointType][]int{} // kind -> synapse indices in template
		var kindOrder []*PointType
		for j, p := range t.synapses {
			if kinds[p.kind] == nil {
				kindOrder = append(kindOrder, p.kind)
			}
			kinds[p.kind] = append(kinds[p.kind], j)
		}
		for _, kind := range kindOrder {
			pb := &PointBuild{P: map[string][]float64{}, Celsius: t.Celsius}
			var tg []int32
			for _, ci := range g.cells {
				c := &s.cells[ci]
				for _, j := range kinds[kind] {
					p := t.synapses[j]
					pb.Nodes = append(pb.Nodes, c.base+p.node*c.stride)
					pb.AreaUM2 = append(pb.AreaUM2, t.Area[p.node])
					pb.DiamUM = append(pb.DiamUM, t.Diam[p.node])
					for _, q := range kind.Params {
						pb.P[q.Name] = append(pb.P[q.Name], p.params[q.Name])
					}
					tg = append(tg, s.cells[ci].synBase+int32(j))
				}
			}
			k := kind.New(pb)
			s.points = append(s.points, k)
			for i, id := range tg {
				s.targets[id] = target{k: k, inst: int32(i)}
			}
		}
	}
	// Current clamps.
	clamp := pointTypes["IClamp"]
	pb := &PointBuild{P: map[string][]float64{}}
	for ci, c := range cells {
		for _, cl := range c.Clamps {
			if cl.Node < 0 || int(cl.Node) >= c.T.N {
				return nil, fmt.Errorf("clamp on cell %d: node %d out of range", ci, cl.Node)
			}
			pb.Nodes = append(pb.Nodes, s.cells[ci].base+cl.Node*s.cells[ci].stride)
			pb.P["del"] = append(pb.P["del"], cl.DelMS)
			pb.P["dur"] = append(pb.P["dur"], cl.DurMS)
			pb.P["amp"] = append(pb.P["amp"], cl.AmpNA)
		}
	}
	if len(pb.Nodes) > 0 {
		s.points = append(s.points, clamp.New(pb))
	}
	s.Init()
	return s, nil
}

// Init is NEURON's finitialize: t = 0, every node at its cell's v_init, ion
// values reset, every mechanism's INITIAL, spike detectors re-armed, event
// queue emptied (streams must be added again).
func (s *System) Init() {
	s.t = 0
	s.ctx.T = 0
	for _, c := range s.cells {
		v0 := c.t.Cell.VInit()
		for k := 0; k < c.t.N; k++ {
			g := c.base + int32(k)*c.stride
			s.v[g] = v0
			for _, ion := range s.ions {
				if vals, ok := c.t.ionVal[eKey(ion.Name)]; ok {
					ion.E[g] = vals[k]
					ion.Ci[g] = c.t.ionVal[ciKey(ion.Name)][k]
					ion.Co[g] = c.t.ionVal[coKey(ion.Name)][k]
				} else { // an ion only other cells of the System have
					ion.E[g], ion.Ci[g], ion.Co[g] = 0, 1, 1
				}
			}
		}
	}
	s.ctx.vStamp++
	for _, ion := range s.ions {
		for k, nd := range ion.atInit {
			ion.E[nd] = Nernst(ion.ktfInit[k], ion.Charge, ion.Ci[nd], ion.Co[nd])
		}
		ion.begin()
	}
	for _, k := range s.kernels {
		k.Init(&s.ctx)
	}
	for _, k := range s.points {
		k.Init(&s.ctx)
	}
	for i := range s.cells {
		s.cells[i].above = false
		s.cells[i].vOld = s.v[s.cells[i].spikeNode]
	}
	s.queue = s.queue[:0]
	s.streams = s.streams[:0]
	s.spikes = s.spikes[:0]
}

// T is the current time (ms).
func (s *System) T() float64 { return s.t }

// Cells is the number of cells.
func (s *System) Cells() int { return len(s.cells) }

// Nodes is the number of nodes in the matrix.
func (s *System) Nodes() int { return len(s.v) }

// V is the membrane potential at cell c's spike site.
func (s *System) V(c int) float64 { return s.v[s.cells[c].spikeNode] }

// VNode is the membrane potential at node nd of cell c's template.
func (s *System) VNode(c int, nd int32) float64 {
	ci := &s.cells[c]
	return s.v[ci.base+nd*ci.stride]
}

// SynapseID is the system-wide id of synapse syn of cell c.
func (s *System) SynapseID(c, syn int) int32 { return s.cells[c].synBase + int32(syn) }

// Queue schedules an event of weight w (uS) onto system synapse id at t (ms).
// It is delivered at the start of the step [t0, t0+dt] with t <= t0 + dt/2.
func (s *System) Queue(id int32, tMS, wUS float64) {
	s.seq++
	s.queue.push(queued{t: tMS, w: wUS, target: id, stream: -1, seq: s.seq})
}

// AddEvents queues a cell's input events.
func (s *System) AddEvents(c int, evs []Event) {
	for _, e := range evs {
		s.Queue(s.SynapseID(c, e.Syn), e.TimeMS, e.WeightUS)
	}
}

// AddStream attaches an event stream to synapse syn of cell c.
func (s *System) AddStream(c, syn int, st Stream) {
	id := s.SynapseID(c, syn)
	s.streams = append(s.streams, streamSlot{s: st, target: id})
	s.pull(int32(len(s.streams) - 1))
}

func (s *System) pull(si int32) {
	sl := s.streams[si]
	if t, w, ok := sl.s.Next(); ok {
		s.seq++
		s.queue.push(queued{t: t, w: w, target: sl.target, stream: si, seq: s.seq})
	}
}

// Spikes returns the spikes detected since the last call and forgets them.
func (s *System) Spikes() []Spike {
	out := s.spikes
	s.spikes = s.spikes[len(s.spikes):]
	return out
}

// DrainSpikes appends pending spikes to dst and clears them.
func (s *System) DrainSpikes(dst []Spike) []Spike {
	dst = append(dst, s.spikes...)
	s.spikes = s.spikes[:0]
	return dst
}

// Step advances one time step exactly as NEURON's fixed step (secondorder 0).
func (s *System) Step() error {
	dt := s.Dt
	// Events due by the middle of the step.
	tm := s.t + 0.5*dt
	for len(s.queue) > 0 && s.queue[0].t <= tm {
		e := s.queue.pop()
		tg := s.targets[e.target]
		tg.k.Receive(int(tg.inst), e.w, e.t)
		if e.stream >= 0 {
			s.pull(e.stream)
		}
	}
	s.t += 0.5 * dt
	c := &s.ctx
	c.T = s.t
	rhs, d, v := c.RHS, c.D, s.v
	clear(rhs)
	clear(d)
	for _, ion := range s.ions {
		ion.begin()
	}
	for _, k := range s.kernels {
		k.Current(c)
	}
	for _, k := range s.points {
		k.Current(c)
	}
	// Axial currents, capacitance, and the Hines elimination.
	a, b, parent, cfac := s.a, s.b, s.parent, s.cfac
	for i := range v {
		d[i] += cfac[i]
		if p := parent[i]; p >= 0 {
			dv := v[p] - v[i]
			rhs[i] -= b[i] * dv
			rhs[p] += a[i] * dv
			d[i] -= b[i]
			d[p] -= a[i]
		}
	}
	// One reciprocal per node: d[i] is final once its children are
	// eliminated, and both sweeps divide by it.
	for i := len(v) - 1; i >= 0; i-- {
		inv := 1 / d[i]
		d[i] = inv
		if p := parent[i]; p >= 0 {
			f := a[i] * inv
			d[p] -= f * b[i]
			rhs[p] -= f * rhs[i]
		}
	}
	sum := 0.0
	for i := range v {
		if p := parent[i]; p >= 0 {
			rhs[i] -= b[i] * rhs[p]
		}
		rhs[i] *= d[i]
		v[i] += rhs[i]
		sum += v[i]
	}
	s.t += 0.5 * dt
	c.T = s.t
	c.vStamp++
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return s.unstable()
	}
	for _, k := range s.kernels {
		k.State(c)
	}
	for _, k := range s.points {
		k.State(c)
	}
	for i := range s.cells {
		ci := &s.cells[i]
		vn := v[ci.spikeNode]
		if math.Abs(vn) > maxAbsVm {
			return s.unstable()
		}
		if vn > ci.threshold {
			if !ci.above {
				ci.above = true
				ts := s.t
				if s.Interpolate && vn != ci.vOld {
					ts = s.t - dt + dt*(ci.threshold-ci.vOld)/(vn-ci.vOld)
				}
				s.spikes = append(s.spikes, Spike{Cell: i, TimeMS: ts})
			}
		} else {
			ci.above = false
		}
		ci.vOld = vn
	}
	return nil
}

// maxAbsVm is where a membrane potential stops being physiology (mV):
// past it the run is reported unstable rather than left to overflow.
const maxAbsVm = 1e4

func (s *System) unstable() error {
	// Report the first non-finite node, else the largest |Vm| (the sum of
	// several huge but finite values can overflow first).
	worst, wc, wk := -1.0, -1, int32(0)
	for ci, c := range s.cells {
		for k := int32(0); k < int32(c.t.N); k++ {
			x := s.v[c.base+k*c.stride]
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return &UnstableError{Cell: ci, Where: c.t.Describe(k), TimeMS: s.t, V: x}
			}
			if math.Abs(x) > worst {
				worst, wc, wk = math.Abs(x), ci, k
			}
		}
	}
	c := s.cells[wc]
	return &UnstableError{Cell: wc, Where: c.t.Describe(wk), TimeMS: s.t, V: s.v[c.base+wk*c.stride]}
}

// Run steps until t reaches tstopMS (NEURON's continuerun: the last step is
// the one that brings t within dt/2 of tstop). after, if not nil, is called
// after every step.
func (s *System) Run(tstopMS float64, after func(*System)) error {
	for s.t+0.5*s.Dt < tstopMS {
		if err := s.Step(); err != nil {
			return err
		}
		if after != nil {
			after(s)
		}
	}
	return nil
}

// StepsFor is the number of steps Run takes to reach tstopMS from 0.
func StepsFor(tstopMS, dtMS float64) int {
	n, t := 0, 0.0
	for t+0.5*dtMS < tstopMS {
		t += 0.5 * dtMS
		t += 0.5 * dtMS
		n++
	}
	return n
}
