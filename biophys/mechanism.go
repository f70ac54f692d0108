package biophys

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Param describes one parameter of a mechanism or point process.
type Param struct {
	Name    string
	Default float64 // NaN: required, no default
	Unit    string
	Range   Bound // values allowed (zero value: any)
}

// Bound restricts a parameter's values.
type Bound int

// Bounds of a parameter.
const (
	AnyValue    Bound = iota
	Positive          // > 0 (time constants)
	NonNegative       // >= 0 (durations, concentrations)
)

// check says whether x lies in the parameter's Range.
func (p Param) check(x float64) error {
	switch {
	case p.Range == Positive && !(x > 0):
		return fmt.Errorf("parameter %s = %g %s: must be positive", p.Name, x, p.Unit)
	case p.Range == NonNegative && !(x >= 0):
		return fmt.Errorf("parameter %s = %g %s: must be at least 0", p.Name, x, p.Unit)
	}
	return nil
}

// Required marks a parameter that a cell file must give.
var Required = math.NaN()

// IonUse says how a mechanism uses an ion (NMODL USEION).
type IonUse struct {
	Ion       string  // na, k, ca, or another (then with its Valence)
	ReadI     bool    // reads the summed ion current (e.g. a calcium pool reads ica)
	WriteConc bool    // writes the inner concentration (so E follows Nernst every step)
	WriteCo   bool    // writes the outer concentration (likewise)
	Valence   float64 // the charge of an ion NEURON does not know by name
}

// Ctx is what kernels see while a System steps. Densities are per unit
// membrane area: mechanisms subtract their outward current (mA/cm2) from RHS
// and add their conductance (S/cm2) to D at their node; point processes do
// the same after scaling nA and uS by AreaFac.
type Ctx struct {
	Dt float64 // ms
	T  float64 // ms: mid-step during Current, end of step during State
	V  []float64
	// RHS and D are the right-hand side and diagonal being assembled.
	RHS, D []float64
	// AreaFac converts nA (uS) at a node to mA/cm2 (S/cm2): 100/area_um2.
	AreaFac []float64
	// vStamp changes whenever V does (each step's solve, Init), so that
	// kernels sharing a gather of V know when it is stale.
	vStamp uint64
}

// Kernel steps all instances of one mechanism in a System.
type Kernel interface {
	// Init sets states at the initial potential (NMODL INITIAL).
	Init(c *Ctx)
	// Current adds membrane current and conductance at the present V (BREAKPOINT).
	Current(c *Ctx)
	// State advances states over dt using the new V (SOLVE ... METHOD cnexp).
	State(c *Ctx)
}

// Build is what a mechanism's constructor gets: the nodes of its instances,
// each parameter's value per instance, the temperature and the ions.
type Build struct {
	Nodes   []int32
	P       map[string][]float64
	Celsius float64
	Ions    map[string]*Ion
	// AreaUM2 and DiamUM are each instance's segment area and diameter.
	AreaUM2, DiamUM []float64
	// gathers is shared by all kernels of a System: V gathered once per
	// phase for each distinct list of nodes (NMODL kernels).
	gathers map[string]*sharedGather
}

// Mechanism is a density mechanism type that cell files insert by name.
type Mechanism struct {
	Name   string
	Doc    string
	Params []Param
	Ions   []IonUse
	New    func(b *Build) Kernel
}

var mechanisms = map[string]*Mechanism{}

// RegisterMechanism makes a mechanism available to cell files under its name.
func RegisterMechanism(m *Mechanism) {
	if _, dup := mechanisms[m.Name]; dup {
		panic("biophys: mechanism registered twice: " + m.Name)
	}
	mustBoundConductances(m.Name, m.Params)
	mechanisms[m.Name] = m
}

// conductanceUnits are the units of conductances (densities of mechanisms,
// totals of point processes). A negative conductance is no membrane: it
// feeds energy in, and the run blows up some steps later with an error
// that blames the time step.
var conductanceUnits = map[string]bool{"S/cm2": true, "mS/cm2": true, "uS": true, "nS": true}

// mustBoundConductances panics when a type declares a conductance that
// may be negative, so that every mechanism refuses one at load with the
// section and parameter.
func mustBoundConductances(kind string, ps []Param) {
	for _, p := range ps {
		if conductanceUnits[p.Unit] && p.Range == AnyValue {
			panic(fmt.Sprintf("biophys: %s parameter %s is a conductance (%s) with no Range: give it NonNegative", kind, p.Name, p.Unit))
		}
	}
}

// MechanismNames lists registered mechanisms.
func MechanismNames() []string { return sortedKeys(mechanisms) }

// LookupMechanism returns a registered mechanism.
func LookupMechanism(name string) (*Mechanism, bool) {
	m, ok := mechanisms[name]
	return m, ok
}

// resolve expands a section's parameter values to per-segment arrays,
// filling defaults and rejecting unknown or missing parameters.
func (m *Mechanism) resolve(given map[string]Values, nseg int) (map[string][]float64, error) {
	known := map[string]bool{}
	out := map[string][]float64{}
	for _, p := range m.Params {
		known[p.Name] = true
		v, ok := given[p.Name]
		if !ok {
			if math.IsNaN(p.Default) {
				return nil, fmt.Errorf("parameter %s (%s) missing", p.Name, p.Unit)
			}
			v = Values{p.Default}
		}
		xs, err := v.expand(nseg)
		if err != nil {
			return nil, fmt.Errorf("parameter %s %v", p.Name, err)
		}
		for _, x := range xs {
			if err := p.check(x); err != nil {
				return nil, err
			}
		}
		out[p.Name] = xs
	}
	for _, k := range sortedKeys(given) {
		if !known[k] {
			return nil, fmt.Errorf("unknown parameter %q (known: %s)", k, paramNames(m.Params))
		}
	}
	return out, nil
}

func paramNames(ps []Param) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Name)
	}
	return strings.Join(s, ", ")
}

// PointKernel steps all instances of one point-process kind in a System.
type PointKernel interface {
	Kernel
	// Receive delivers an event of weight w to instance i at its time tMS
	// (NET_RECEIVE, which sees it as t).
	Receive(i int, w, tMS float64)
}

// PointBuild is what a point process's constructor gets.
type PointBuild struct {
	Nodes   []int32
	P       map[string][]float64
	Celsius float64
	// AreaUM2 and DiamUM are the area and diameter of each instance's segment.
	AreaUM2, DiamUM []float64
}

// PointType is a point-process kind (synapse or electrode) that cells name.
type PointType struct {
	Name    string
	Doc     string
	Synapse bool // receives events
	Params  []Param
	New     func(b *PointBuild) PointKernel
	ions    []IonUse // (none yet: NMODL point processes using ions are refused)
}

var pointTypes = map[string]*PointType{}

// RegisterPointType makes a point-process kind available by name.
func RegisterPointType(p *PointType) {
	if _, dup := pointTypes[p.Name]; dup {
		panic("biophys: point type registered twice: " + p.Name)
	}
	mustBoundConductances(p.Name, p.Params)
	pointTypes[p.Name] = p
}

// SynapseKinds lists the registered synapse kinds.
func SynapseKinds() []string {
	var out []string
	for k, p := range pointTypes {
		if p.Synapse {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (p *PointType) resolve(given map[string]float64) (map[string]float64, error) {
	known := map[string]bool{}
	out := map[string]float64{}
	for _, q := range p.Params {
		known[q.Name] = true
		v, ok := given[q.Name]
		if !ok {
			if math.IsNaN(q.Default) {
				return nil, fmt.Errorf("parameter %s (%s) missing", q.Name, q.Unit)
			}
			v = q.Default
		}
		if !finite(v) {
			return nil, fmt.Errorf("parameter %s is not finite", q.Name)
		}
		if err := q.check(v); err != nil {
			return nil, err
		}
		out[q.Name] = v
	}
	for _, k := range sortedKeys(given) {
		if !known[k] {
			return nil, fmt.Errorf("unknown parameter %q (known: %s)", k, paramNames(p.Params))
		}
	}
	return out, nil
}
