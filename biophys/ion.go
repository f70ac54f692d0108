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

// ionSpec is an ion's valence and NEURON's default values: reversal
// potential (mV) and inner and outer concentrations (mM).
type ionSpec struct {
	charge, e, ci, co float64
}

// knownIons are the ions NEURON knows by name. An ion that a cell's NMODL
// files introduce (USEION x ... VALENCE z) starts, as in NEURON, at
// concentrations of 1 mM inside and out and a reversal potential of 0 mV,
// unless its sections set them.
var knownIons = map[string]ionSpec{
	"na": {1, 50, 10, 140},
	"k":  {1, -77, 54.4, 2.5},
	"ca": {2, ecaRest, caiRest, caoRest},
}

// The names of an ion's settable values in a section's ions: its
// reversal potential, initial inner concentration and outer concentration.
func eKey(ion string) string  { return "e" + ion }
func ciKey(ion string) string { return ion + "i0" }
func coKey(ion string) string { return ion + "o" }

// ionDefaults are the default values of the ions in specs, by key.
func ionDefaults(specs map[string]ionSpec) map[string]float64 {
	out := map[string]float64{}
	for name, sp := range specs {
		out[eKey(name)], out[ciKey(name)], out[coKey(name)] = sp.e, sp.ci, sp.co
	}
	return out
}

// isConcKey says whether key names a concentration of one of the ions.
func isConcKey(key string, specs map[string]ionSpec) bool {
	for name := range specs {
		if key == ciKey(name) || key == coKey(name) {
			return true
		}
	}
	return false
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
