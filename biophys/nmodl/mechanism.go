package nmodl

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Param is a PARAMETER of a mechanism: per instance (RANGE) or one value
// for the mechanism (GLOBAL).
type Param struct {
	Name    string
	Default float64
	Unit    string
	Line    int
}

// IonUse is what a mechanism does with one ion (its USEION statement).
type IonUse struct {
	Ion     string
	Valence float64
	// Reads and writes: the reversal potential e<ion>, the summed current
	// i<ion>, the inner and outer concentrations <ion>i and <ion>o.
	ReadE, ReadI, ReadCi, ReadCo bool
	WriteI, WriteCi, WriteCo     bool
}

// Names of the ion's variables: e<ion>, i<ion>, <ion>i, <ion>o.
func (u IonUse) E() string  { return "e" + u.Ion }
func (u IonUse) I() string  { return "i" + u.Ion }
func (u IonUse) Ci() string { return u.Ion + "i" }
func (u IonUse) Co() string { return u.Ion + "o" }

// Mechanism is an NMODL density mechanism or point process, parsed and
// checked: what a cell file sets on it, what it reads and writes, and the
// compiled form New makes instances of.
type Mechanism struct {
	File  *File
	Name  string
	Point bool
	// Params are the PARAMETERs a cell sets per instance (declared RANGE),
	// Globals the others (one value for all instances).
	Params, Globals []Param
	Ions            []IonUse
	// Currents are the currents the mechanism writes (ionic and
	// nonspecific), in the order NEURON sums them.
	Currents []string
	States   []string
	// Geometry lists diam and area where the mechanism declares them: the
	// caller fills them per instance before Init.
	Geometry []string
	// Receives says the mechanism takes events (NET_RECEIVE).
	Receives bool

	vars    map[string]float64 // per-instance variables and their initial values
	consts  map[string]float64 // constants: CONSTANT, DEFINE, UNITS names, PI
	scalars map[string]bool    // t, dt, celsius where declared
	written map[string]bool    // names assigned anywhere
	solves  []*Solve
}

// knownValence is the charge of the ions NEURON knows by name.
var knownValence = map[string]float64{"na": 1, "k": 1, "ca": 2, "cl": -1}

// Load parses NMODL text and checks it by compiling one instance, so that
// an error surfaces with its file and line before any cell uses it.
func Load(file, src string) (*Mechanism, error) {
	f, err := Parse(file, src)
	if err != nil {
		return nil, err
	}
	m, err := newMechanism(f)
	if err != nil {
		return nil, err
	}
	if _, err := m.New(1, nil, 6.3); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Mechanism) errf(line int, format string, args ...any) error {
	return &Error{File: m.File.Name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

func newMechanism(f *File) (*Mechanism, error) {
	m := &Mechanism{File: f, Name: f.Suffix, Point: f.Point, vars: map[string]float64{},
		consts: map[string]float64{"PI": math.Pi}, scalars: map[string]bool{}, written: map[string]bool{}}
	isRange := map[string]bool{}
	for _, r := range f.Range {
		isRange[r] = true
	}
	m.vars["v"] = 0
	// Ions.
	ionVar := map[string]bool{}
	for _, d := range f.Ions {
		u := IonUse{Ion: d.Ion}
		if d.Valence != nil {
			u.Valence = *d.Valence
		} else if z, ok := knownValence[d.Ion]; ok {
			u.Valence = z
		} else {
			return nil, m.errf(d.Line, "USEION %s: an ion NEURON does not know needs a VALENCE", d.Ion)
		}
		set := func(name string, write bool) error {
			switch name {
			case u.E():
				if write {
					return m.errf(d.Line, "USEION %s WRITE %s: writing a reversal potential is not supported", d.Ion, name)
				}
				u.ReadE = true
			case u.I():
				if write {
					u.WriteI = true
				} else {
					u.ReadI = true
				}
			case u.Ci():
				if write {
					u.WriteCi = true
				} else {
					u.ReadCi = true
				}
			case u.Co():
				if write {
					u.WriteCo = true
				} else {
					u.ReadCo = true
				}
			default:
				return m.errf(d.Line, "USEION %s: %s is not one of %s, %s, %s, %s", d.Ion, name, u.E(), u.I(), u.Ci(), u.Co())
			}
			ionVar[name] = true
			m.vars[name] = 0
			return nil
		}
		for _, r := range d.Read {
			if err := set(r, false); err != nil {
				return nil, err
			}
		}
		for _, w := range d.Write {
			if err := set(w, true); err != nil {
				return nil, err
			}
			if w == u.I() {
				m.Currents = append(m.Currents, w)
			}
		}
		m.Ions = append(m.Ions, u)
	}
	for _, nc := range f.Nonspecific {
		m.Currents = append(m.Currents, nc)
		m.vars[nc] = 0
	}
	special := func(name string) bool {
		switch name {
		case "v", "t", "dt", "celsius":
			return true
		}
		return ionVar[name]
	}
	for _, name := range []string{"t", "dt", "celsius"} {
		m.scalars[name] = true
	}
	for _, c := range f.Constants {
		if c.Value == nil {
			return nil, m.errf(c.Line, "CONSTANT %s has no value", c.Name)
		}
		m.consts[c.Name] = *c.Value
	}
	for k, v := range f.Units {
		m.consts[k] = v
	}
	m.written = assignedNames(f)
	for _, p := range f.Params {
		if special(p.Name) {
			continue
		}
		if p.Name == "diam" || p.Name == "area" {
			// the segment's, as NEURON gives it (declared here or in ASSIGNED)
			m.Geometry = append(m.Geometry, p.Name)
			m.vars[p.Name] = 0
			continue
		}
		def := 0.0
		if p.Value != nil {
			def = *p.Value
		}
		q := Param{Name: p.Name, Default: def, Unit: p.Unit, Line: p.Line}
		if isRange[p.Name] {
			m.Params = append(m.Params, q)
			m.vars[p.Name] = def
		} else {
			m.Globals = append(m.Globals, q)
			if m.written[p.Name] {
				m.vars[p.Name] = def
			}
		}
	}
	for _, a := range f.Assigned {
		if special(a.Name) {
			continue
		}
		if a.Name == "diam" || a.Name == "area" {
			m.Geometry = append(m.Geometry, a.Name)
		}
		m.vars[a.Name] = 0
	}
	for _, s := range f.States {
		if s.Name == "v" || m.scalars[s.Name] {
			return nil, m.errf(s.Line, "STATE %s: not a state a mechanism can own", s.Name)
		}
		m.States = append(m.States, s.Name)
		m.vars[s.Name] = 0
	}
	for _, s := range f.Breakpoint {
		if sv, ok := s.(*Solve); ok {
			m.solves = append(m.solves, sv)
		}
	}
	m.Receives = f.NetReceive != nil
	for _, name := range m.Currents {
		if _, ok := m.vars[name]; !ok {
			m.vars[name] = 0
		}
	}
	for _, r := range f.Range {
		if _, ok := m.vars[r]; !ok {
			if _, isConst := m.consts[r]; !isConst && !slices.ContainsFunc(m.Globals, func(p Param) bool { return p.Name == r }) {
				return nil, m.errf(f.Line["NEURON"], "RANGE %s is not declared in PARAMETER, ASSIGNED or STATE", r)
			}
		}
	}
	return m, nil
}

// assignedNames lists every name assigned anywhere in the file.
func assignedNames(f *File) map[string]bool {
	out := map[string]bool{}
	var walk func([]Stmt)
	walk = func(ss []Stmt) {
		for _, s := range ss {
			switch s := s.(type) {
			case *Assign:
				out[s.Name] = true
			case *If:
				walk(s.Then)
				walk(s.Else)
			}
		}
	}
	walk(f.Initial)
	walk(f.Breakpoint)
	for _, fn := range f.Funcs {
		walk(fn.Body)
	}
	if f.NetReceive != nil {
		walk(f.NetReceive.Body)
	}
	return out
}

// Vars lists the mechanism's per-instance variables, sorted.
func (m *Mechanism) Vars() []string {
	var out []string
	for k := range m.vars {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// HasVar says whether name is a per-instance variable.
func (m *Mechanism) HasVar(name string) bool { _, ok := m.vars[name]; return ok }

// Unit is the unit a variable is declared with ("" when none is given).
func (m *Mechanism) Unit(name string) string {
	for _, ds := range [][]VarDecl{m.File.Params, m.File.Assigned, m.File.States} {
		for _, d := range ds {
			if d.Name == name {
				return d.Unit
			}
		}
	}
	return ""
}

// Global is the default of a global parameter.
func (m *Mechanism) Global(name string) (float64, bool) {
	for _, p := range m.Globals {
		if p.Name == name {
			return p.Default, true
		}
	}
	return 0, false
}
