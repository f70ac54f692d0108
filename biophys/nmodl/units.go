package nmodl

import (
	"fmt"
	"strconv"
	"strings"
)

// Physical quantities a UNITS block can name, in SI, with the values of
// NEURON 8.2's units library (2019 SI definitions).
var unitQuantities = map[string]struct {
	v    float64
	kind string // the dimension its unit must have
}{
	"faraday":  {96485.33212, "charge"},            // C/mol
	"k-mole":   {8.314462618, "energy/temp"},       // J/(K mol): the gas constant R
	"R":        {8.314462618, "energy/temp"},       // ditto
	"e":        {1.602176634e-19, "charge"},        // C
	"k":        {1.380649e-23, "energy/temp"},      // J/K
	"boltzman": {1.380649e-23, "energy/temp"},      // J/K (units library spelling)
	"pi":       {3.14159265358979323846, "number"}, // 1
	"avogadro": {6.02214076e23, "number"},          // 1/mol
	"mole":     {6.02214076e23, "number"},
}

// unitScales are the units such a quantity may be expressed in.
var unitScales = map[string]struct {
	scale float64
	kind  string
}{
	"coulomb": {1, "charge"}, "coulombs": {1, "charge"}, "coul": {1, "charge"}, "C": {1, "charge"},
	"kilocoulomb": {1e3, "charge"}, "kilocoulombs": {1e3, "charge"}, "kC": {1e3, "charge"},
	"joule/degC": {1, "energy/temp"}, "joule/kelvin": {1, "energy/temp"}, "J/degC": {1, "energy/temp"},
	"J/K": {1, "energy/temp"}, "joule/K": {1, "energy/temp"},
	"millijoule/degC": {1e-3, "energy/temp"}, "mJ/degC": {1e-3, "energy/temp"},
	"1": {1, "number"}, "": {1, "number"},
}

// unitConstant is the value of a UNITS block constant NAME = (quantity)
// (unit), e.g. (faraday) (coulomb) = 96485.33212 or (k-mole)
// (joule/degC) = 8.314462618; the unit may start with a factor, as in
// (faraday) (10000 coulomb).
func unitConstant(quantity, unit string) (float64, error) {
	q, ok := unitQuantities[strings.TrimSpace(quantity)]
	if !ok {
		return 0, fmt.Errorf("unknown quantity (known: faraday, k-mole, R, e, k, pi, avogadro)")
	}
	unit = strings.TrimSpace(unit)
	factor := 1.0
	if f := strings.Fields(unit); len(f) == 2 {
		x, err := strconv.ParseFloat(f[0], 64)
		if err != nil || !(x > 0) {
			return 0, fmt.Errorf("unit %q: want a positive factor before the unit", unit)
		}
		factor, unit = x, f[1]
	}
	s, ok := unitScales[unit]
	if !ok {
		return 0, fmt.Errorf("unit %q is not known for this quantity", unit)
	}
	if s.kind != q.kind && !(q.kind == "number" && unit == "") {
		return 0, fmt.Errorf("unit %q does not fit the quantity (%s, not %s)", unit, q.kind, s.kind)
	}
	return q.v / (factor * s.scale), nil
}
