package biophys

import (
	"fmt"
	"sort"
)

// Template is a compiled cell: the node tree with NEURON's matrix
// coefficients, and the mechanism and synapse instances to create for every
// copy of the cell. It is immutable and shared by all copies.
type Template struct {
	Cell    *Cell
	Celsius float64
	N       int       // nodes
	Parent  []int32   // parent node, -1 for the root; parent < child
	Area    []float64 // um2; zero-area nodes carry NEURON's nominal 100
	Diam    []float64 // segment diameter (um; 0 at zero-area nodes)
	Cm      []float64 // uF/cm2; 0 at zero-area nodes
	A, B    []float64 // NEURON's a (effect on parent row) and b (effect of parent)
	NodeSec []int32   // section of each node
	NodeX   []float64 // arc position of each node in its section
	// SpikeNode is the node of the spike site.
	SpikeNode int32
	// Geometry per section, as NEURON computes it.
	Geom []SectionGeometry

	mechs    []mechGroup
	ions     map[string]ionSpec   // the cell's ions (na, k, ca and its NMODL files')
	ionVal   map[string][]float64 // every ion's e, initial inner and outer concentration per node (eKey, ciKey, coKey)
	nernst   map[string][]int32   // per ion, nodes where E follows Nernst every step
	initE    map[string][]int32   // per ion, nodes where E is Nernst's at the start only
	readI    map[string]bool      // ions whose summed current some mechanism reads
	synapses []pointInst
	secNodes [][]int32 // segment-centre nodes of each section, in order
	secEnd   []int32   // x=1 node of each section (-1 if pruned)
	secFrom  []int32   // x=0 node of each section (-1 if pruned)
}

type mechGroup struct {
	m      *Mechanism
	nodes  []int32
	params map[string][]float64
}

type pointInst struct {
	kind   *PointType
	node   int32
	params map[string]float64
}

// raw node kinds while building the tree
const (
	nodeStart = iota // x = 0 of the root section
	nodeSeg          // a segment centre
	nodeEnd          // x = 1 of a section
)

type rawNode struct {
	sec    int
	kind   int
	seg    int
	parent int
	area   float64
	diam   float64
	ri     float64 // MOhm to parent
	pinned bool
}

// Compile turns a validated cell description into a Template.
func Compile(c *Cell) (*Template, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ns := len(c.Sections)
	names := c.sectionNames()
	parentOf := c.parents()
	children := make([][]int, ns)
	root := -1
	for i, p := range parentOf {
		if p < 0 {
			root = i
			continue
		}
		children[p] = append(children[p], i)
	}
	geom := make([]SectionGeometry, ns)
	for i := range c.Sections {
		geom[i] = c.Sections[i].Geometry()
		for j, sg := range geom[i].Seg {
			if !(sg.AreaUM2 > 0) || !(sg.RiMohm > 0) {
				return nil, c.secErr(i, "geometry", "segment %d has area %g um2 and axial resistance %g MOhm; both must be positive", j, sg.AreaUM2, sg.RiMohm)
			}
		}
	}
	// Build NEURON's node tree, sections in depth-first order from the root.
	var nodes []rawNode
	startNode := make([]int, ns) // node index of x=0 of each section
	centre := make([][]int, ns)
	endNode := make([]int, ns)
	attach := func(p int, x float64) int {
		switch x {
		case 0:
			return startNode[p]
		case 1:
			return endNode[p]
		}
		return centre[p][nodeIndex(c.Sections[p].NsegOf(), x)]
	}
	// An explicit stack rather than recursion: a chain of a million
	// sections would otherwise nest a million calls.
	visit := func(s int) {
		sec := &c.Sections[s]
		if parentOf[s] < 0 {
			nodes = append(nodes, rawNode{sec: s, kind: nodeStart, parent: -1, area: 0})
			startNode[s] = len(nodes) - 1
		} else {
			px := 1.0
			if sec.ParentX != nil {
				px = *sec.ParentX
			}
			startNode[s] = attach(parentOf[s], px)
		}
		prev := startNode[s]
		for j, sg := range geom[s].Seg {
			nodes = append(nodes, rawNode{sec: s, kind: nodeSeg, seg: j, parent: prev, area: sg.AreaUM2, diam: sg.Diam, ri: sg.RiMohm})
			prev = len(nodes) - 1
			centre[s] = append(centre[s], prev)
		}
		nodes = append(nodes, rawNode{sec: s, kind: nodeEnd, parent: prev, ri: geom[s].EndRiMohm})
		endNode[s] = len(nodes) - 1
	}
	for stack := []int{root}; len(stack) > 0; {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		visit(s)
		for k := len(children[s]) - 1; k >= 0; k-- { // first child on top
			stack = append(stack, children[s][k])
		}
	}

	locate := func(sec int, x float64) int { return attach(sec, x) }
	site, _ := c.lookup(names, c.SpikeSite.Section)
	spikeRaw := locate(site, c.SpikeSite.X)
	nodes[spikeRaw].pinned = true
	synRaw := make([]int, len(c.Synapses))
	for i, s := range c.Synapses {
		si, _ := c.lookup(names, s.Section)
		synRaw[i] = locate(si, s.X)
		nodes[synRaw[i]].pinned = true
	}
	// Prune zero-area nodes with one neighbour and nothing attached: no
	// current flows through them, so removing them changes nothing.
	deg := make([]int, len(nodes))
	for i, n := range nodes {
		if n.parent >= 0 {
			deg[i]++
			deg[n.parent]++
		}
	}
	keep := make([]bool, len(nodes))
	newIdx := make([]int32, len(nodes))
	cnt := int32(0)
	for i, n := range nodes {
		keep[i] = n.kind == nodeSeg || n.pinned || deg[i] > 1
		newIdx[i] = -1
		if keep[i] {
			newIdx[i] = cnt
			cnt++
		}
	}
	t := &Template{Cell: c, Celsius: c.CelsiusOrDefault(), N: int(cnt), Geom: geom}
	t.Parent = make([]int32, cnt)
	t.Area = make([]float64, cnt)
	t.Diam = make([]float64, cnt)
	t.Cm = make([]float64, cnt)
	t.A = make([]float64, cnt)
	t.B = make([]float64, cnt)
	t.NodeSec = make([]int32, cnt)
	t.NodeX = make([]float64, cnt)
	cms := make([][]float64, ns)
	for i := range c.Sections {
		cms[i], _ = c.Sections[i].Cm.expand(c.Sections[i].NsegOf())
	}
	ri := make([]float64, cnt)
	for i, n := range nodes {
		if !keep[i] {
			continue
		}
		k := newIdx[i]
		p := int32(-1)
		if n.parent >= 0 {
			p = newIdx[n.parent]
		}
		t.Parent[k] = p
		t.NodeSec[k] = int32(n.sec)
		nseg := c.Sections[n.sec].NsegOf()
		switch n.kind {
		case nodeStart:
			t.NodeX[k] = 0
			t.Area[k] = 100
		case nodeEnd:
			t.NodeX[k] = 1
			t.Area[k] = 100
		default:
			t.NodeX[k] = (float64(n.seg) + 0.5) / float64(nseg)
			t.Area[k] = n.area
			t.Diam[k] = n.diam
			t.Cm[k] = cms[n.sec][n.seg]
		}
		ri[k] = n.ri
	}
	for k := int32(0); k < cnt; k++ {
		if p := t.Parent[k]; p >= 0 {
			g := 1 / ri[k] // uS
			t.A[k] = -1e2 * g / t.Area[p]
			t.B[k] = -1e2 * g / t.Area[k]
		}
	}
	t.SpikeNode = newIdx[spikeRaw]
	t.secNodes = make([][]int32, ns)
	t.secEnd = make([]int32, ns)
	t.secFrom = make([]int32, ns)
	for s := 0; s < ns; s++ {
		for _, c := range centre[s] {
			t.secNodes[s] = append(t.secNodes[s], newIdx[c])
		}
		t.secEnd[s] = newIdx[endNode[s]]
		t.secFrom[s] = newIdx[startNode[s]]
	}

	// Mechanisms, grouped by name, instances in section then segment order.
	groups := map[string]*mechGroup{}
	t.readI = map[string]bool{}
	t.ions = c.ionSpecs()
	written := map[string]map[int32]bool{} // ion -> nodes where a mechanism writes a concentration
	for s := range c.Sections {
		sec := &c.Sections[s]
		for _, name := range sortedKeys(sec.Mechanisms) {
			m, _ := c.mechanism(name)
			vals, err := m.resolve(sec.Mechanisms[name], sec.NsegOf())
			if err != nil {
				return nil, c.secErr(s, "mechanisms."+name, "%v", err)
			}
			g := groups[name]
			if g == nil {
				g = &mechGroup{m: m, params: map[string][]float64{}}
				groups[name] = g
			}
			for j := 0; j < sec.NsegOf(); j++ {
				nd := newIdx[centre[s][j]]
				g.nodes = append(g.nodes, nd)
				for _, p := range m.Params {
					g.params[p.Name] = append(g.params[p.Name], vals[p.Name][j])
				}
				for _, u := range m.Ions {
					if u.WriteConc || u.WriteCo {
						if written[u.Ion] == nil {
							written[u.Ion] = map[int32]bool{}
						}
						written[u.Ion][nd] = true
					}
				}
			}
			for _, u := range m.Ions {
				if u.ReadI {
					t.readI[u.Ion] = true
				}
			}
		}
	}
	// Registered mechanisms first, by name; then the cell's NMODL ones in
	// the order it lists them (NEURON runs its built-ins, then the model's).
	for _, name := range sortedKeys(groups) {
		if _, own := c.local[name]; !own {
			t.mechs = append(t.mechs, *groups[name])
		}
	}
	for _, name := range c.localOrder {
		if g := groups[name]; g != nil {
			t.mechs = append(t.mechs, *g)
		}
	}
	// NEURON moves the mechanisms that write an ion concentration ahead of
	// all others (nrn_writes_conc), so that in every phase the readers of
	// a concentration see it as updated in the same step.
	sort.SliceStable(t.mechs, func(i, j int) bool { return writesConc(t.mechs[i].m) && !writesConc(t.mechs[j].m) })
	// The reversal rule of each ion at each node (NEURON's ion_style).
	t.nernst, t.initE = map[string][]int32{}, map[string][]int32{}
	for _, ion := range sortedKeys(t.ions) {
		for s := range c.Sections {
			rule, given := c.Sections[s].Reversal[ion]
			for _, raw := range centre[s] {
				nd := newIdx[raw]
				r := rule
				if !given {
					r = ReversalFixed
					if written[ion][nd] {
						r = ReversalNernst
					}
				}
				switch r {
				case ReversalNernst:
					t.nernst[ion] = append(t.nernst[ion], nd)
				case ReversalNernstInit:
					t.initE[ion] = append(t.initE[ion], nd)
				}
			}
		}
	}

	// Ion values per node.
	t.ionVal = map[string][]float64{}
	for name, def := range ionDefaults(t.ions) {
		vs := make([]float64, cnt)
		for k := range vs {
			vs[k] = def
		}
		t.ionVal[name] = vs
	}
	for s := range c.Sections {
		sec := &c.Sections[s]
		for name, v := range sec.Ions {
			xs, _ := v.expand(sec.NsegOf())
			for j, x := range xs {
				t.ionVal[name][newIdx[centre[s][j]]] = x
			}
		}
	}

	for i, s := range c.Synapses {
		pt, _ := c.pointType(s.Kind)
		params, _ := pt.resolve(s.Params)
		t.synapses = append(t.synapses, pointInst{kind: pt, node: newIdx[synRaw[i]], params: params})
	}
	t.levelOrder()
	return t, nil
}

// writesConc says whether a mechanism writes an ion concentration.
func writesConc(m *Mechanism) bool {
	for _, u := range m.Ions {
		if u.WriteConc || u.WriteCo {
			return true
		}
	}
	return false
}

// levelOrder renumbers the nodes by their depth in the tree (breadth
// first, ties in depth-first order). Parents still precede children, as
// the Hines elimination needs, and nodes side by side now mostly lie on
// different branches, so the elimination's chains of dependent divisions
// overlap in the processor instead of running one after another.
// Mechanism instances are then sorted by node for sequential access.
func (t *Template) levelOrder() {
	n := t.N
	depth := make([]int, n)
	for i := 0; i < n; i++ {
		if p := t.Parent[i]; p >= 0 {
			depth[i] = depth[p] + 1
		}
	}
	order := make([]int32, n) // order[new] = old
	for i := range order {
		order[i] = int32(i)
	}
	sort.SliceStable(order, func(a, b int) bool { return depth[order[a]] < depth[order[b]] })
	pos := make([]int32, n) // pos[old] = new
	for nw, old := range order {
		pos[old] = int32(nw)
	}
	remap := func(x int32) int32 {
		if x < 0 {
			return x
		}
		return pos[x]
	}
	parent, area, cm, a, b := make([]int32, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	sec, xs, diam := make([]int32, n), make([]float64, n), make([]float64, n)
	for nw, old := range order {
		parent[nw] = remap(t.Parent[old])
		area[nw], cm[nw], a[nw], b[nw] = t.Area[old], t.Cm[old], t.A[old], t.B[old]
		sec[nw], xs[nw], diam[nw] = t.NodeSec[old], t.NodeX[old], t.Diam[old]
	}
	t.Parent, t.Area, t.Cm, t.A, t.B, t.NodeSec, t.NodeX, t.Diam = parent, area, cm, a, b, sec, xs, diam
	for name, vals := range t.ionVal {
		nv := make([]float64, n)
		for nw, old := range order {
			nv[nw] = vals[old]
		}
		t.ionVal[name] = nv
	}
	t.SpikeNode = remap(t.SpikeNode)
	for s := range t.secNodes {
		for j := range t.secNodes[s] {
			t.secNodes[s][j] = remap(t.secNodes[s][j])
		}
		t.secEnd[s], t.secFrom[s] = remap(t.secEnd[s]), remap(t.secFrom[s])
	}
	for _, m := range []map[string][]int32{t.nernst, t.initE} {
		for _, nodes := range m {
			for i := range nodes {
				nodes[i] = remap(nodes[i])
			}
			sort.Slice(nodes, func(i, j int) bool { return nodes[i] < nodes[j] })
		}
	}
	for i := range t.synapses {
		t.synapses[i].node = remap(t.synapses[i].node)
	}
	for gi := range t.mechs {
		g := &t.mechs[gi]
		idx := make([]int, len(g.nodes))
		for i := range idx {
			idx[i] = i
			g.nodes[i] = remap(g.nodes[i])
		}
		sort.SliceStable(idx, func(a, b int) bool { return g.nodes[idx[a]] < g.nodes[idx[b]] })
		nodes := make([]int32, len(idx))
		for i, k := range idx {
			nodes[i] = g.nodes[k]
		}
		g.nodes = nodes
		for name, vals := range g.params {
			nv := make([]float64, len(idx))
			for i, k := range idx {
				nv[i] = vals[k]
			}
			g.params[name] = nv
		}
	}
}

// Node returns the node at arc position x of section sec (NEURON's
// convention: x = 0 and x = 1 are the section's ends, other x the centre of
// the segment holding x), or an error when that node was pruned.
func (t *Template) Node(sec int, x float64) (int32, error) {
	if sec < 0 || sec >= len(t.Cell.Sections) {
		return -1, fmt.Errorf("no section %d", sec)
	}
	var nd int32
	switch x {
	case 0:
		nd = t.secFrom[sec]
	case 1:
		nd = t.secEnd[sec]
	default:
		if !(x > 0 && x < 1) {
			return -1, fmt.Errorf("x = %g is outside [0, 1]", x)
		}
		nd = t.secNodes[sec][nodeIndex(t.Cell.Sections[sec].NsegOf(), x)]
	}
	if nd < 0 {
		return -1, fmt.Errorf("section %q x = %g is a free end with no membrane", t.Cell.Sections[sec].Name, x)
	}
	return nd, nil
}

// Describe names the section and position of node nd, for messages.
func (t *Template) Describe(nd int32) string {
	s := t.NodeSec[nd]
	return fmt.Sprintf("section %q x=%.4g", t.Cell.Sections[s].Name, t.NodeX[nd])
}

// Segments is the number of segment-centre nodes (compartments with membrane).
func (t *Template) Segments() int {
	n := 0
	for _, s := range t.Cell.Sections {
		n += s.NsegOf()
	}
	return n
}
