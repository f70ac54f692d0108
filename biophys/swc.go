package biophys

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"neurosurrogate/internal/inputerr"
	"sort"
	"strconv"
	"strings"
)

// NsegRule decides how many segments each section gets.
type NsegRule struct {
	Kind    string  // "fixed", "L40" or "dlambda"
	N       int     // fixed: segments per section
	DLambda float64 // dlambda: largest segment as a fraction of the AC length constant
	FreqHz  float64 // dlambda: frequency of that length constant
}

// ParseNsegRule reads "fixed:N", "L40" (nseg = 1 + 2*int(L/40), as the Hay
// model uses) or "dlambda[:0.1[:100]]" (NEURON's d_lambda rule at 100 Hz).
func ParseNsegRule(s string) (NsegRule, error) {
	p := strings.Split(s, ":")
	bad := fmt.Errorf("nseg rule %q: want fixed:N, L40, or dlambda[:D[:FREQ_HZ]]", s)
	switch p[0] {
	case "fixed":
		if len(p) != 2 {
			return NsegRule{}, bad
		}
		n, err := strconv.Atoi(p[1])
		if err != nil || n < 1 || n > 32767 {
			return NsegRule{}, fmt.Errorf("nseg rule %q: N must be an integer in [1, 32767]", s)
		}
		return NsegRule{Kind: "fixed", N: n}, nil
	case "L40":
		if len(p) != 1 {
			return NsegRule{}, bad
		}
		return NsegRule{Kind: "L40"}, nil
	case "dlambda":
		r := NsegRule{Kind: "dlambda", DLambda: 0.1, FreqHz: 100}
		if len(p) > 3 {
			return NsegRule{}, bad
		}
		for i, dst := range []*float64{&r.DLambda, &r.FreqHz} {
			if len(p) > i+1 {
				x, err := strconv.ParseFloat(p[i+1], 64)
				if err != nil || !(x > 0) || math.IsInf(x, 0) {
					return NsegRule{}, fmt.Errorf("nseg rule %q: %q must be a positive number", s, p[i+1])
				}
				*dst = x
			}
		}
		return r, nil
	}
	return NsegRule{}, bad
}

func (r NsegRule) String() string {
	switch r.Kind {
	case "fixed":
		return fmt.Sprintf("fixed:%d", r.N)
	case "dlambda":
		return fmt.Sprintf("dlambda:%g:%g", r.DLambda, r.FreqHz)
	}
	return r.Kind
}

// Apply sets the section's nseg by the rule (the section needs its
// geometry, Ra and cm).
func (r NsegRule) Apply(s *Section) {
	switch r.Kind {
	case "fixed":
		s.Nseg = r.N
	case "L40":
		s.Nseg = 1 + 2*int(s.length()/40)
	case "dlambda":
		L := s.length()
		lam := s.lambdaF(r.FreqHz)
		s.Nseg = int((L/(r.DLambda*lam)+0.9)/2)*2 + 1
	}
}

func (s *Section) length() float64 {
	if len(s.Pt3d) > 1 {
		return arcLength(s.Pt3d)
	}
	return *s.L
}

// lambdaF is NEURON's lambda_f (fixnseg.hoc): the AC length constant (um)
// at freq, integrated over the 3-D points when there are any.
func (s *Section) lambdaF(freq float64) float64 {
	ra, cm := *s.Ra, s.Cm[0]
	if len(s.Pt3d) < 2 {
		return 1e5 * math.Sqrt(s.Diam[0]/(4*math.Pi*freq*ra*cm))
	}
	lam := 0.0
	x1, d1 := 0.0, s.Pt3d[0][3]
	arc := 0.0
	for i := 1; i < len(s.Pt3d); i++ {
		dx, dy, dz := s.Pt3d[i][0]-s.Pt3d[i-1][0], s.Pt3d[i][1]-s.Pt3d[i-1][1], s.Pt3d[i][2]-s.Pt3d[i-1][2]
		arc += math.Sqrt(dx*dx + dy*dy + dz*dz)
		x2, d2 := arc, s.Pt3d[i][3]
		lam += (x2 - x1) / math.Sqrt(d1+d2)
		x1, d1 = x2, d2
	}
	lam *= math.Sqrt(2) * 1e-5 * math.Sqrt(4*math.Pi*freq*ra*cm)
	return arc / lam
}

// SWC structure-identifier types (NeuroMorpho.org).
const (
	swcSoma   = 1
	swcAxon   = 2
	swcBasal  = 3
	swcApical = 4
)

// SWCOptions says how to turn a morphology into a cell: axial resistivity,
// capacitance, the nseg rule, and the mechanisms inserted by section type
// (soma, axon, dend, apic).
type SWCOptions struct {
	Name       string
	RaOhmCm    float64
	CmUFcm2    float64
	Nseg       NsegRule
	Mechanisms map[string]map[string]map[string]Values // type -> mechanism -> params
	VInitMV    float64
	Threshold  float64
}

// DefaultSWCOptions: Ra 100 ohm cm, cm 1 uF/cm2, d_lambda 0.1 at 100 Hz,
// hh in soma and axon, pas (g 1e-4 S/cm2, e -65 mV) in dendrites,
// v_init -65 mV, spike threshold 0 mV at soma(0.5).
func DefaultSWCOptions(name string) SWCOptions {
	pas := map[string]map[string]Values{"pas": {"g": {1e-4}, "e": {-65}}}
	hh := map[string]map[string]Values{"hh": {}}
	return SWCOptions{Name: name, RaOhmCm: 100, CmUFcm2: 1, Nseg: NsegRule{Kind: "dlambda", DLambda: 0.1, FreqHz: 100},
		Mechanisms: map[string]map[string]map[string]Values{"soma": hh, "axon": hh, "dend": pas, "apic": pas},
		VInitMV:    -65, Threshold: 0}
}

type swcPoint struct {
	id, typ, parent int
	x, y, z, r      float64
	line            int
	children        []int // indices into points
}

// ReadSWC imports an SWC morphology (NeuroMorpho.org conventions) as a
// cell: unbranched runs of points become sections, split at branch points
// and where the point type changes; a child section starts at its parent's
// last point; the soma (one point: a cylinder with L = diam = 2r; three
// points: NeuroMorpho's cylinder; more: a path through its points) is the
// root and other sections attach at its middle. Sections are named and
// ordered as NEURON's Import3d does (soma, axon, dend, apic; breadth-first).
// A leading UTF-8 byte-order mark is skipped; more than MaxSWCBytes is
// refused.
func ReadSWC(name string, r io.Reader, opt SWCOptions) (*Cell, error) {
	sc := bufio.NewScanner(inputerr.LimitReader(r, name, MaxSWCBytes, "SWC files"))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var pts []swcPoint
	byID := map[int]int{}
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, inputerr.BOM)
		}
		text = strings.TrimSpace(text)
		if i := strings.IndexByte(text, '#'); i >= 0 {
			text = strings.TrimSpace(text[:i])
		}
		if text == "" {
			continue
		}
		f := strings.Fields(text)
		if len(f) < 7 {
			return nil, &InputError{File: name, Line: line, Msg: fmt.Sprintf("want 7 fields (id type x y z radius parent), got %d", len(f))}
		}
		var p swcPoint
		p.line = line
		ints := []*int{&p.id, &p.typ}
		for i, dst := range ints {
			v, err := strconv.Atoi(f[i])
			if err != nil {
				return nil, &InputError{File: name, Line: line, Field: []string{"id", "type"}[i], Msg: fmt.Sprintf("%q is not an integer", f[i])}
			}
			*dst = v
		}
		for i, dst := range []*float64{&p.x, &p.y, &p.z, &p.r} {
			v, err := strconv.ParseFloat(f[2+i], 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, &InputError{File: name, Line: line, Field: []string{"x", "y", "z", "radius"}[i], Msg: fmt.Sprintf("%q is not a finite number", f[2+i])}
			}
			*dst = v
		}
		if p.r < 0 {
			return nil, &InputError{File: name, Line: line, Field: "radius", Msg: fmt.Sprintf("%g is negative", p.r)}
		}
		pv, err := strconv.Atoi(f[6])
		if err != nil {
			return nil, &InputError{File: name, Line: line, Field: "parent", Msg: fmt.Sprintf("%q is not an integer", f[6])}
		}
		p.parent = pv
		if j, dup := byID[p.id]; dup {
			return nil, &InputError{File: name, Line: line, Field: "id", Msg: fmt.Sprintf("id %d already used on line %d", p.id, pts[j].line)}
		}
		byID[p.id] = len(pts)
		pts = append(pts, p)
	}
	if err := sc.Err(); err != nil {
		var big *inputerr.TooLargeError
		switch {
		case errors.As(err, &big):
			return nil, err
		case errors.Is(err, bufio.ErrTooLong):
			return nil, &InputError{File: name, Line: line + 1, Msg: "line too long"}
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(pts) == 0 {
		return nil, &InputError{File: name, Msg: "no points"}
	}
	var roots []int
	for i := range pts {
		p := &pts[i]
		if p.parent < 0 {
			roots = append(roots, i)
			continue
		}
		j, ok := byID[p.parent]
		if !ok {
			return nil, &InputError{File: name, Line: p.line, Field: "parent", Msg: fmt.Sprintf("point %d names parent %d, which is not in the file", p.id, p.parent)}
		}
		if j == i {
			return nil, &InputError{File: name, Line: p.line, Field: "parent", Msg: fmt.Sprintf("point %d is its own parent", p.id)}
		}
		pts[j].children = append(pts[j].children, i)
	}
	hasSoma := false
	for _, p := range pts {
		if p.typ == swcSoma {
			hasSoma = true
			break
		}
	}
	if !hasSoma {
		return nil, &InputError{File: name, Msg: "no soma: no point has type 1"}
	}
	if len(roots) != 1 {
		if len(roots) == 0 {
			return nil, &InputError{File: name, Msg: "no root point (parent -1): the parent links form a cycle"}
		}
		return nil, &InputError{File: name, Line: pts[roots[1]].line, Msg: fmt.Sprintf("%d root points (parent -1); want one connected tree", len(roots))}
	}
	root := roots[0]
	if pts[root].typ != swcSoma {
		return nil, &InputError{File: name, Line: pts[root].line, Msg: fmt.Sprintf("the root point %d has type %d; want the soma (type 1) as the root", pts[root].id, pts[root].typ)}
	}
	// Every point must be reachable from the root (else a cycle).
	reached := 0
	stack := []int{root}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		reached++
		stack = append(stack, pts[i].children...)
	}
	if reached != len(pts) {
		return nil, &InputError{File: name, Msg: fmt.Sprintf("%d points are not connected to the root: their parent links form a cycle", len(pts)-reached)}
	}

	cell := &Cell{Name: opt.Name, src: name}
	vinit, th := opt.VInitMV, opt.Threshold
	cell.VInitMV, cell.SpikeThresholdMV = &vinit, &th
	counters := map[string]int{}
	typeName := func(t int) string {
		switch t {
		case swcSoma:
			return "soma"
		case swcAxon:
			return "axon"
		case swcApical:
			return "apic"
		}
		return "dend"
	}
	newSection := func(typ string, parent string, px float64, pt3d [][4]float64) string {
		n := fmt.Sprintf("%s[%d]", typ, counters[typ])
		counters[typ]++
		ra := opt.RaOhmCm
		s := Section{Name: n, Type: typ, Pt3d: pt3d, Ra: &ra, Cm: Values{opt.CmUFcm2}}
		if parent != "" {
			x := px
			s.Parent = &SecRef{Name: parent}
			s.ParentX = &x
		}
		if m := opt.Mechanisms[typ]; len(m) > 0 {
			s.Mechanisms = map[string]map[string]Values{}
			for k, v := range m {
				s.Mechanisms[k] = v
			}
		}
		cell.Sections = append(cell.Sections, s)
		return n
	}
	pt := func(i int) [4]float64 { p := pts[i]; return [4]float64{p.x, p.y, p.z, 2 * p.r} }

	// Soma: the connected soma points from the root.
	var somaPts []int
	var frontier []int // first non-soma points hanging off the soma
	stack = []int{root}
	for len(stack) > 0 {
		i := stack[0]
		stack = stack[1:]
		somaPts = append(somaPts, i)
		for _, ch := range pts[i].children {
			if pts[ch].typ == swcSoma {
				stack = append(stack, ch)
			} else {
				frontier = append(frontier, ch)
			}
		}
	}
	var somaPt3d [][4]float64
	rp := pts[root]
	switch {
	case len(somaPts) == 1:
		somaPt3d = [][4]float64{{rp.x, rp.y - rp.r, rp.z, 2 * rp.r}, {rp.x, rp.y + rp.r, rp.z, 2 * rp.r}}
	case len(somaPts) == 3 && len(pts[root].children) >= 2 && pts[somaPts[1]].parent == rp.id && pts[somaPts[2]].parent == rp.id:
		a, b := pts[somaPts[1]], pts[somaPts[2]]
		somaPt3d = [][4]float64{{a.x, a.y, a.z, 2 * rp.r}, {rp.x, rp.y, rp.z, 2 * rp.r}, {b.x, b.y, b.z, 2 * rp.r}}
	default:
		for _, i := range somaPts {
			somaPt3d = append(somaPt3d, pt(i))
		}
	}
	if arcLength(somaPt3d) <= 0 {
		return nil, &InputError{File: name, Line: rp.line, Msg: "the soma has zero length (radius 0?)"}
	}
	soma := newSection("soma", "", 0, somaPt3d)
	cell.SpikeSite = &Location{Section: SecRef{Name: soma}, X: 0.5}

	// Neurites: follow each unbranched run from its first point.
	type job struct {
		start  int
		parent string
		px     float64
		lead   *[4]float64 // parent's branch point, repeated as the first 3-D point
	}
	sort.Ints(frontier)
	var jobs []job
	for _, f := range frontier {
		jobs = append(jobs, job{start: f, parent: soma, px: 0.5})
	}
	for len(jobs) > 0 {
		j := jobs[0]
		jobs = jobs[1:]
		var p3 [][4]float64
		if j.lead != nil {
			p3 = append(p3, *j.lead)
		}
		i := j.start
		typ := pts[i].typ
		for {
			p3 = append(p3, pt(i))
			ch := pts[i].children
			if len(ch) == 1 && pts[ch[0]].typ == typ {
				i = ch[0]
				continue
			}
			break
		}
		if len(p3) == 1 {
			// A single point hanging off the soma: a stub as long as its radius.
			q := p3[0]
			p3 = append(p3, [4]float64{q[0], q[1], q[2] + math.Max(q[3]/2, 0.5), q[3]})
		}
		if arcLength(p3) <= 0 {
			return nil, &InputError{File: name, Line: pts[j.start].line, Msg: fmt.Sprintf("the section starting at point %d has zero length", pts[j.start].id)}
		}
		sec := newSection(typeName(typ), j.parent, j.px, p3)
		last := pt(i)
		for _, ch := range pts[i].children {
			jobs = append(jobs, job{start: ch, parent: sec, px: 1, lead: &last})
		}
	}
	// NEURON's Import3d order: by type, breadth-first within a type.
	rank := map[string]int{"soma": 0, "axon": 1, "dend": 2, "apic": 3}
	sort.SliceStable(cell.Sections, func(i, j int) bool { return rank[cell.Sections[i].Type] < rank[cell.Sections[j].Type] })
	for k := range cell.Sections {
		opt.Nseg.Apply(&cell.Sections[k])
	}
	if err := cell.Validate(); err != nil {
		return nil, err
	}
	return cell, nil
}
