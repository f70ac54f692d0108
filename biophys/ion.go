package biophys

import (
	"math"

	"neurosurrogate/internal/fastlog"
)

// Physical constants as NEURON 8.2 uses them (2019 SI values).
const (
	Faraday   = 96485.33212    // C/mol
	GasConst  = 8.314462618    // J/(K mol)
	ZeroCKelv = 273.15         // K
	ecaRest   = 132.4579341637 // NEURON's default eca (mV)
	caiRest   = 5e-5           // NEURON's default cai0 (mM)
	caoRest   = 2.0            // NEURON's default cao (mM)
)

// ionDefaults are NEURON's default ion values, overridable per section.
var ionDefaults = map[string]float64{
	"ena":  50,
	"ek":   -77,
	"eca":  ecaRest,
	"cai0": caiRest,
	"cao":  caoRest,
}

// ionSpecies maps an ion to its valence and the names of its settable values.
var ionSpecies = map[string]struct {
	charge     float64
	e, ci0, co string
}{
	"na": {1, "ena", "", ""},
	"k":  {1, "ek", "", ""},
	"ca": {2, "eca", "cai0", "cao"},
}

// Ion holds one ion species' per-node values in a System.
type Ion struct {
	Name   string
	Charge float64
	E      []float64 // reversal potential (mV)
	Ci, Co []float64 // concentrations (mM); nil for ions without concentrations
	// I is the summed ionic current density (mA/cm2) at each node, rebuilt
	// during every Current phase; nil when no mechanism reads it.
	I []float64
	// computed lists the nodes whose E follows Nernst(Ci, Co) every step
	// because a mechanism there writes the concentration.
	computed []int32
	ktf      []float64 // 1e3 R T / F at each computed node (mV)
	scratch  []float64 // one per computed node
	// atInit lists the nodes whose E is Nernst's at the start only
	// (NEURON's einit without eadvance), with 1e3 R T / F at each.
	atInit  []int32
	ktfInit []float64
}

// Nernst is the reversal potential (mV) for valence z at ktf = 1e3 R T / F.
func Nernst(ktf, z, ci, co float64) float64 {
	if ci <= 0 {
		return 1e6
	}
	if co <= 0 {
		return -1e6
	}
	return ktf / z * math.Log(co/ci)
}

// KTF is 1e3 R T / F in mV at temperature celsius.
func KTF(celsius float64) float64 { return 1e3 * GasConst * (celsius + ZeroCKelv) / Faraday }

// begin zeroes summed currents and refreshes computed reversal potentials
// (NEURON's ion mechanism, first in every Current phase): Nernst at every
// computed node, with the logarithms taken together (fastlog.LogAll, the
// bits of math.Log).
func (ion *Ion) begin() {
	if ion.I != nil {
		clear(ion.I)
	}
	n := len(ion.computed)
	if n == 0 {
		return
	}
	if len(ion.scratch) != n {
		ion.scratch = make([]float64, n)
	}
	r, ci, co, e := ion.scratch, ion.Ci, ion.Co, ion.E
	for k, nd := range ion.computed {
		r[k] = co[nd] / ci[nd]
	}
	fastlog.LogAll(r, r)
	for k, nd := range ion.computed {
		switch {
		case ci[nd] <= 0:
			e[nd] = 1e6
		case co[nd] <= 0:
			e[nd] = -1e6
		default: // as Nernst
			e[nd] = ion.ktf[k] / ion.Charge * r[k]
		}
	}
}
