package biophys

import (
	"fmt"
	"strconv"
	"strings"
)

// Probe names a quantity to record at a place on a cell: the membrane
// potential ("v"), an ion's total current density, reversal potential or
// concentration ("ica", "ena", "cai", "cao"), or a variable of one of the
// cell's NMODL mechanisms ("cad.ca", "NaTa_t.gNaTa_t" when NaTa_t is the
// cell's own NMODL).
type Probe struct {
	Name string
	At   Location
}

// String is the probe as ParseProbe reads it: NAME@SECTION(X).
func (p Probe) String() string {
	return fmt.Sprintf("%s@%s(%s)", p.Name, p.At.Section.Name, strconv.FormatFloat(p.At.X, 'g', -1, 64))
}

// ParseProbe reads NAME@SECTION(X), e.g. v@soma(0.5), cai@apic[36](0.5),
// ica@soma; X defaults to 0.5.
func ParseProbe(s string) (Probe, error) {
	name, where, ok := strings.Cut(strings.TrimSpace(s), "@")
	if !ok || name == "" || where == "" {
		return Probe{}, fmt.Errorf("probe %q: want NAME@SECTION(X), e.g. v@soma(0.5) or cai@apic[36](0.5)", s)
	}
	p := Probe{Name: name, At: Location{Section: SecRef{Name: where}, X: 0.5}}
	if strings.HasSuffix(where, ")") {
		i := strings.LastIndex(where, "(")
		if i <= 0 {
			return Probe{}, fmt.Errorf("probe %q: want NAME@SECTION(X)", s)
		}
		x, err := strconv.ParseFloat(where[i+1:len(where)-1], 64)
		if err != nil || !(x >= 0 && x <= 1) {
			return Probe{}, fmt.Errorf("probe %q: x %q must be a number in [0, 1]", s, where[i+1:len(where)-1])
		}
		p.At = Location{Section: SecRef{Name: where[:i]}, X: x}
	}
	return p, nil
}

// kernelInfo is what a kernel of a System is: its mechanism, template and
// the nodes of its instances.
type kernelInfo struct {
	mech  *Mechanism
	t     *Template
	nodes []int32
}

// Recorder reads probes of one cell of a System, each step or when asked.
type Recorder struct {
	Probes []Probe
	Units  []string
	read   []func() float64
}

// Recorder prepares the probes of cell c. A probe of an ion's current
// makes the System sum that current from now on.
func (s *System) Recorder(c int, probes []Probe) (*Recorder, error) {
	if c < 0 || c >= len(s.cells) {
		return nil, fmt.Errorf("no cell %d", c)
	}
	ci := &s.cells[c]
	t := ci.t
	r := &Recorder{Probes: probes}
	for _, p := range probes {
		sec, ok := t.Cell.SectionIndex(p.At.Section)
		if !ok {
			return nil, fmt.Errorf("probe %s: cell %s has no section %s", p, t.Cell.Name, p.At.Section)
		}
		nd, err := t.Node(sec, p.At.X)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %v", p, err)
		}
		g := ci.base + nd*ci.stride
		read, unit, err := s.probe(p, t, g)
		if err != nil {
			return nil, fmt.Errorf("probe %s: %v", p, err)
		}
		r.read = append(r.read, read)
		r.Units = append(r.Units, unit)
	}
	return r, nil
}

// probe is the reader of one probe at template node nd, global node g.
func (s *System) probe(p Probe, t *Template, g int32) (func() float64, string, error) {
	if p.Name == "v" {
		return func() float64 { return s.v[g] }, "mV", nil
	}
	if mech, v, ok := strings.Cut(p.Name, "."); ok {
		for ki, k := range s.kernelOf {
			if k.mech.Name != mech || k.t != t {
				continue
			}
			nk, isNMODL := s.kernels[ki].(*nmodlKernel)
			if !isNMODL {
				return nil, "", fmt.Errorf("%s is a hand-written mechanism: record its ions' currents and concentrations instead", mech)
			}
			arr := nk.in.Var(v)
			if arr == nil {
				return nil, "", fmt.Errorf("%s has no variable %s (it has %s)", mech, v, strings.Join(nk.in.Mechanism().Vars(), ", "))
			}
			for i, node := range k.nodes {
				if node == g {
					return func() float64 { return arr[i] }, nk.in.Mechanism().Unit(v), nil
				}
			}
		}
		return nil, "", fmt.Errorf("mechanism %s is not inserted there", mech)
	}
	for _, ion := range s.ions {
		switch p.Name {
		case "i" + ion.Name:
			if ion.I == nil {
				ion.I = make([]float64, len(s.v))
			}
			return func() float64 { return ion.I[g] }, "mA/cm2", nil
		case eKey(ion.Name):
			return func() float64 { return ion.E[g] }, "mV", nil
		case ion.Name + "i":
			return func() float64 { return ion.Ci[g] }, "mM", nil
		case ion.Name + "o":
			return func() float64 { return ion.Co[g] }, "mM", nil
		}
	}
	var ions []string
	for _, ion := range s.ions {
		ions = append(ions, ion.Name)
	}
	return nil, "", fmt.Errorf("unknown quantity %q (v; for an ion X of %s: iX, eX, Xi, Xo; MECH.VAR of an NMODL mechanism)", p.Name, strings.Join(ions, ", "))
}

// Sample appends every probe's present value to dst.
func (r *Recorder) Sample(dst []float64) []float64 {
	for _, f := range r.read {
		dst = append(dst, f())
	}
	return dst
}
