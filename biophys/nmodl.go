package biophys

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"neurosurrogate/biophys/nmodl"
)

// ModFile is an NMODL mechanism carried by a cell description: the .mod
// file's name and text, and values for its GLOBAL parameters (NEURON's
// name without the _<mechanism> suffix; usetable too). A cell's own
// mechanisms take precedence over registered ones of the same name and run
// after the registered ones, in the order listed (NEURON's order: the
// built-in mechanisms, then the model's, in the order nrnivmodl compiled
// them), which is the order their INITIAL and SOLVE blocks run in.
type ModFile struct {
	File    string             `json:"file"`
	Text    string             `json:"text"`
	Globals map[string]float64 `json:"globals,omitempty"`
}

// ionSpecs are the ions of the cell: NEURON's na, k and ca, and those
// its NMODL files introduce (with their valence).
func (c *Cell) ionSpecs() map[string]ionSpec {
	out := map[string]ionSpec{}
	for k, v := range knownIons {
		out[k] = v
	}
	for _, name := range sortedKeys(c.local) {
		for _, u := range c.local[name].Ions {
			if _, ok := out[u.Ion]; !ok {
				out[u.Ion] = ionSpec{charge: u.Valence, e: 0, ci: 1, co: 1}
			}
		}
	}
	for _, name := range sortedKeys(c.localPts) {
		for _, u := range c.localPts[name].ions {
			if _, ok := out[u.Ion]; !ok {
				out[u.Ion] = ionSpec{charge: u.Valence, e: 0, ci: 1, co: 1}
			}
		}
	}
	return out
}

// loadNMODL compiles the cell's NMODL files into mechanisms (once).
func (c *Cell) loadNMODL() error {
	if c.local != nil || len(c.NMODL) == 0 {
		return nil
	}
	local := map[string]*Mechanism{}
	points := map[string]*PointType{}
	var order []string
	for i, mf := range c.NMODL {
		field := fmt.Sprintf("nmodl[%d]", i)
		if mf.File == "" {
			return c.topErr(field+".file", "missing (the .mod file's name)")
		}
		m, pt, err := fromNMODL(mf)
		if err != nil {
			var ne *nmodl.Error
			if errors.As(err, &ne) {
				return c.topErr(field, "%s, line %d: %s", ne.File, ne.Line, ne.Msg)
			}
			return c.topErr(field, "%s: %v", mf.File, err)
		}
		name := ""
		if m != nil {
			name = m.Name
		} else {
			name = pt.Name
		}
		if _, dup := local[name]; dup {
			return c.topErr(field, "%s: mechanism %s is defined twice", mf.File, name)
		}
		if _, dup := points[name]; dup {
			return c.topErr(field, "%s: mechanism %s is defined twice", mf.File, name)
		}
		if m != nil {
			local[m.Name] = m
			order = append(order, m.Name)
		} else {
			points[pt.Name] = pt
		}
	}
	c.local, c.localOrder, c.localPts = local, order, points
	return nil
}

// pointType is the point process a synapse names: the cell's own NMODL
// POINT_PROCESS of that name, else a registered one.
func (c *Cell) pointType(name string) (*PointType, bool) {
	if p, ok := c.localPts[name]; ok {
		return p, true
	}
	p, ok := pointTypes[name]
	return p, ok
}

// synapseKinds lists the synapse kinds a cell's synapses may name.
func (c *Cell) synapseKinds() []string {
	kinds := SynapseKinds()
	for n, p := range c.localPts {
		if _, ok := pointTypes[n]; !ok && p.Synapse {
			kinds = append(kinds, n)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// mechanism is the density mechanism a section names: the cell's own
// NMODL mechanism of that name, else a registered one.
func (c *Cell) mechanism(name string) (*Mechanism, bool) {
	if m, ok := c.local[name]; ok {
		return m, true
	}
	m, ok := mechanisms[name]
	return m, ok
}

// mechanismNames lists the mechanisms a section may name.
func (c *Cell) mechanismNames() []string {
	names := MechanismNames()
	for n := range c.local {
		if _, ok := mechanisms[n]; !ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// fromNMODL compiles an NMODL file into a density mechanism, or into a
// point process (a synapse when it has NET_RECEIVE).
func fromNMODL(mf ModFile) (*Mechanism, *PointType, error) {
	nm, err := nmodl.Load(mf.File, mf.Text)
	if err != nil {
		return nil, nil, err
	}
	var uses []IonUse
	for _, u := range nm.Ions {
		if k, ok := knownIons[u.Ion]; ok && k.charge != u.Valence {
			return nil, nil, fmt.Errorf("%s: USEION %s VALENCE %g: %s has valence %g", mf.File, u.Ion, u.Valence, u.Ion, k.charge)
		}
		uses = append(uses, IonUse{Ion: u.Ion, ReadI: u.ReadI, WriteConc: u.WriteCi, WriteCo: u.WriteCo, Valence: u.Valence})
	}
	for g := range mf.Globals {
		if _, ok := nm.Global(g); !ok && g != "usetable" {
			return nil, nil, fmt.Errorf("%s: globals.%s: %s has no such GLOBAL parameter", mf.File, g, nm.Name)
		}
	}
	if _, err := nm.New(1, mf.Globals, 6.3); err != nil {
		return nil, nil, err
	}
	var params []Param
	for _, p := range nm.Params {
		params = append(params, Param{Name: p.Name, Default: p.Default, Unit: p.Unit})
	}
	globals := mf.Globals
	if nm.Point {
		pt := &PointType{Name: nm.Name, Doc: "NMODL " + mf.File, Synapse: nm.Receives, Params: params}
		pt.New = func(b *PointBuild) PointKernel { return newNMODLPoint(nm, globals, b) }
		if len(uses) > 0 {
			return nil, nil, fmt.Errorf("%s: POINT_PROCESS %s uses ions: not supported for point processes yet", mf.File, nm.Name)
		}
		pt.ions = uses
		return nil, pt, nil
	}
	m := &Mechanism{Name: nm.Name, Doc: "NMODL " + mf.File, Ions: uses, Params: params}
	m.New = func(b *Build) Kernel { return newNMODLKernel(nm, globals, b) }
	return m, nil, nil
}

// nmodlPoint runs an NMODL point process: currents in nA and
// conductances in uS, turned into densities at each node (NEURON's
// 1e2/area), and events to NET_RECEIVE.
type nmodlPoint struct {
	in   *nmodl.Instance
	node []int32
	v    []float64
}

func newNMODLPoint(nm *nmodl.Mechanism, globals map[string]float64, b *PointBuild) PointKernel {
	in, err := nm.New(len(b.Nodes), globals, b.Celsius)
	if err != nil {
		panic("biophys: NMODL point process failed to compile after loading: " + err.Error())
	}
	for _, p := range nm.Params {
		copy(in.Var(p.Name), b.P[p.Name])
	}
	setGeometry(in, b.AreaUM2, b.DiamUM)
	return &nmodlPoint{in: in, node: b.Nodes, v: in.Var("v")}
}

func (p *nmodlPoint) gather(c *Ctx) {
	for k, nd := range p.node {
		p.v[k] = c.V[nd]
	}
}

func (p *nmodlPoint) Init(c *Ctx) {
	p.gather(c)
	p.in.SetTime(c.T, c.Dt)
	p.in.Init()
}

func (p *nmodlPoint) Current(c *Ctx) {
	if !p.in.HasCurrent() {
		return
	}
	p.gather(c)
	p.in.SetTime(c.T, c.Dt)
	p.in.Current()
	cur, g := p.in.Cur, p.in.G
	for k, nd := range p.node {
		f := c.AreaFac[nd]
		c.RHS[nd] -= cur[k] * f
		c.D[nd] += g[k] * f
	}
}

func (p *nmodlPoint) State(c *Ctx) {
	if !p.in.HasState() {
		return
	}
	p.gather(c)
	p.in.SetTime(c.T, c.Dt)
	p.in.State()
}

func (p *nmodlPoint) Receive(i int, w, tMS float64) { p.in.ReceiveAt(i, w, tMS) }

// setGeometry gives the instances that declare diam or area (ASSIGNED)
// their segment's values, as NEURON does.
func setGeometry(in *nmodl.Instance, area, diam []float64) {
	if a := in.Var("area"); a != nil {
		copy(a, area)
	}
	if d := in.Var("diam"); d != nil {
		copy(d, diam)
	}
}

// nmodlKernel runs an NMODL mechanism's instances: it gathers each
// instance's v and ion values into the instance arrays, runs the compiled
// blocks, and scatters currents and written concentrations back.
type nmodlKernel struct {
	in   *nmodl.Instance
	node []int32
	v    []float64
	ions []nmodlIon
	sg   *sharedGather
}

// sharedGather is V at a list of nodes, gathered once per change of V for
// every kernel whose instances sit on those nodes.
type sharedGather struct {
	nodes []int32
	v     []float64
	stamp uint64 // vStamp + 1 of the gather (0: never)
}

// sharedGatherFor is the System's gather of these nodes (nil without a
// System's map).
func sharedGatherFor(m map[string]*sharedGather, nodes []int32) *sharedGather {
	if m == nil {
		return nil
	}
	key := make([]byte, 4*len(nodes))
	for i, nd := range nodes {
		binary.LittleEndian.PutUint32(key[4*i:], uint32(nd))
	}
	sg := m[string(key)]
	if sg == nil {
		sg = &sharedGather{nodes: nodes, v: make([]float64, len(nodes))}
		m[string(key)] = sg
	}
	return sg
}

type nmodlIon struct {
	ion  *Ion
	use  nmodl.IonUse
	e    []float64 // instance arrays, nil where unused
	i    []float64
	ci   []float64
	co   []float64
	conc bool // ci is also written (a STATE or ASSIGNED the mechanism updates)
	// eMoves says the reversal potential follows Nernst at some node
	// (set at Init, when every kernel of the System exists): E is then
	// gathered every phase, else once at Init.
	eMoves bool
	// need[phase] says which of e, ci, co, i the phase touches.
	need [3][4]bool
}

func newNMODLKernel(nm *nmodl.Mechanism, globals map[string]float64, b *Build) Kernel {
	in, err := nm.New(len(b.Nodes), globals, b.Celsius)
	if err != nil {
		// Checked when the cell was loaded, with the same globals.
		panic("biophys: NMODL mechanism failed to compile after loading: " + err.Error())
	}
	for _, p := range nm.Params {
		copy(in.Var(p.Name), b.P[p.Name])
	}
	setGeometry(in, b.AreaUM2, b.DiamUM)
	k := &nmodlKernel{in: in, node: b.Nodes, v: in.Var("v"), sg: sharedGatherFor(b.gathers, b.Nodes)}
	for _, u := range nm.Ions {
		bi := nmodlIon{ion: b.Ions[u.Ion], use: u, e: in.Var(u.E()), i: in.Var(u.I()), ci: in.Var(u.Ci()), co: in.Var(u.Co()), conc: u.WriteCi}
		for ph := range bi.need {
			for j, name := range []string{u.E(), u.Ci(), u.Co(), u.I()} {
				bi.need[ph][j] = in.Reads(ph, name)
			}
		}
		k.ions = append(k.ions, bi)
	}
	return k
}

// gather loads v and the ion values the mechanism reads. readI: the
// phase reads the summed ion currents (State, for the mechanisms that
// READ them).
func (p *nmodlKernel) gather(c *Ctx, readI, init bool) {
	phase := nmodl.PhaseState
	switch {
	case init:
		phase = nmodl.PhaseInit
	case !readI:
		phase = nmodl.PhaseCurrent
	}
	if sg := p.sg; sg != nil {
		if sg.stamp != c.vStamp+1 {
			for k, nd := range sg.nodes {
				sg.v[k] = c.V[nd]
			}
			sg.stamp = c.vStamp + 1
		}
		copy(p.v, sg.v)
	} else {
		for k, nd := range p.node {
			p.v[k] = c.V[nd]
		}
	}
	for _, bi := range p.ions {
		ion := bi.ion
		need := bi.need[phase]
		if bi.e != nil && (init || bi.eMoves && need[0]) {
			for k, nd := range p.node {
				bi.e[k] = ion.E[nd]
			}
		}
		if bi.ci != nil && (init || need[1]) {
			for k, nd := range p.node {
				bi.ci[k] = ion.Ci[nd]
			}
		}
		if bi.co != nil && (init || need[2]) {
			for k, nd := range p.node {
				bi.co[k] = ion.Co[nd]
			}
		}
		if bi.use.ReadI && ion.I != nil && (init || need[3]) { // the sum so far, as NEURON's nrn_cur reads it
			for k, nd := range p.node {
				bi.i[k] = ion.I[nd]
			}
		}
	}
}

// scatterConc writes back the concentrations the mechanism writes.
func (p *nmodlKernel) scatterConc(phase int) {
	for _, bi := range p.ions {
		if bi.conc && bi.need[phase][1] {
			for k, nd := range p.node {
				bi.ion.Ci[nd] = bi.ci[k]
			}
		}
		if bi.use.WriteCo && bi.need[phase][2] {
			for k, nd := range p.node {
				bi.ion.Co[nd] = bi.co[k]
			}
		}
	}
}

func (p *nmodlKernel) Init(c *Ctx) {
	for i := range p.ions {
		p.ions[i].eMoves = len(p.ions[i].ion.computed) > 0
	}
	p.gather(c, true, true)
	p.in.SetTime(c.T, c.Dt)
	p.in.Init()
	p.scatterConc(nmodl.PhaseInit)
}

func (p *nmodlKernel) Current(c *Ctx) {
	if !p.in.HasCurrent() {
		return
	}
	p.gather(c, false, false)
	p.in.SetTime(c.T, c.Dt)
	p.in.Current()
	rhs, d := c.RHS, c.D
	cur, g := p.in.Cur, p.in.G
	for k, nd := range p.node {
		rhs[nd] -= cur[k]
		d[nd] += g[k]
	}
	for _, bi := range p.ions {
		if bi.use.WriteI && bi.ion.I != nil {
			I := bi.ion.I
			for k, nd := range p.node {
				I[nd] += bi.i[k]
			}
		}
	}
	p.scatterConc(nmodl.PhaseCurrent) // NEURON's nrn_cur writes the concentrations back too
}

func (p *nmodlKernel) State(c *Ctx) {
	if !p.in.HasState() {
		return
	}
	p.gather(c, true, false)
	p.in.SetTime(c.T, c.Dt)
	p.in.State()
	p.scatterConc(nmodl.PhaseState)
}
