package biophys

import "math"

// Shared pieces of the Hay et al. (2011) channel library (ModelDB 139653):
// the layer-5 pyramidal cell's NaTa_t, NaTs2_t, Nap_Et2, K_Pst, K_Tst,
// SKv3_1, SK_E2, Ca_HVA, Ca_LVAst, Im, Ih and CaDynamics_E2. Each is a
// registered mechanism whose parameters carry the NMODL RANGE names. The
// channel files fix their temperature internally (34 C from data at 21 C),
// so none of them reads the cell's celsius.
//
// The gates are integrated as NEURON's cnexp does: in the State phase, with
// rates evaluated at the new v, each gate x moves exactly along its linear
// ODE, x += (1 - exp(-dt/tau)) (xinf - x). Rates are written with one
// exponential per pair of mutually reciprocal terms (the NMODL text evaluates
// both), which is the same function up to rounding.

// hayQt is the q10 correction 2.3^((34-21)/10) of the files that have one.
var hayQt = math.Pow(2.3, (34.0-21.0)/10.0)

// gateStep is cnexp's exact update of a gate with steady state inf and rate
// 1/tau over dt.
func gateStep(x, inf, rate, dt float64) float64 {
	return x + (1-math.Exp(-dt*rate))*(inf-x)
}

// gbarParam is a required peak conductance density.
func gbarParam(name string) Param { return Param{Name: name, Default: Required, Unit: "S/cm2"} }

// channel is the common layout of a gated channel: instances at nodes, the
// peak conductance of each, and up to two gates m and h.
type channel struct {
	node []int32
	gbar []float64
	m, h []float64
}

func newChannel(b *Build, gbar string, gates int) channel {
	n := len(b.Nodes)
	c := channel{node: b.Nodes, gbar: b.P[gbar], m: make([]float64, n)}
	if gates > 1 {
		c.h = make([]float64, n)
	}
	return c
}

// addCurrent adds i = g (v - e) of instance-conductances g (S/cm2) at node nd.
func addCurrent(c *Ctx, nd int32, g, e float64) float64 {
	i := g * (c.V[nd] - e)
	c.RHS[nd] -= i
	c.D[nd] += g
	return i
}
