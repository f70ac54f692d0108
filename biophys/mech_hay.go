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
//
// Exponentials dominate the cost, so each kernel evaluates them in batches:
// a first pass writes every instance's exponent arguments to a scratch
// array, expAll evaluates them in one tight loop (which lets the processor
// overlap them), a second pass turns them into steady states and rates, and
// cnexp advances all gates with one more batch for the exp(-dt/tau).

// hayQt is the q10 correction 2.3^((34-21)/10) of the files that have one.
var hayQt = math.Pow(2.3, (34.0-21.0)/10.0)

// gbarParam is a required peak conductance density.
func gbarParam(name string) Param { return Param{Name: name, Default: Required, Unit: "S/cm2"} }

// channel is the common layout of a gated channel with n instances and g
// gates: each instance's node and peak conductance, the gates (gate i of
// instance k at x[i*n+k]; m and h view the first two), and scratch space.
type channel struct {
	node []int32
	gbar []float64
	x    []float64 // gate values
	m, h []float64 // views of x
	// scratch: every gate's steady state and -dt/tau (laid out as x), then
	// exp(-dt/tau); the exponent arguments of the rates (exps per instance,
	// instance k's at e[k*exps:]), then their exponentials
	inf, decay, e []float64
}

func newChannel(b *Build, gbar string, gates, exps int) channel {
	n := len(b.Nodes)
	c := channel{node: b.Nodes, gbar: b.P[gbar], x: make([]float64, gates*n),
		inf: make([]float64, gates*n), decay: make([]float64, gates*n), e: make([]float64, exps*n)}
	c.m = c.x[:n]
	if gates > 1 {
		c.h = c.x[n : 2*n]
	}
	return c
}

// init sets every gate to its steady state (NMODL INITIAL: rates(); x = xinf).
func (p *channel) init() { copy(p.x, p.inf) }

// set records gate i's steady state and rate (1/tau, per ms) for a step of dt.
func (p *channel) set(i int, inf, rate, dt float64) {
	p.inf[i] = inf
	p.decay[i] = -dt * rate
}

// cnexp advances every gate over the step towards its steady state.
func (p *channel) cnexp() {
	d := p.decay
	expAll(d, d)
	for i, x := range p.x {
		p.x[i] = x + (1-d[i])*(p.inf[i]-x)
	}
}

// addCurrent adds i = g (v - e) (mA/cm2) with conductance g (S/cm2) at node
// nd and returns i.
func addCurrent(c *Ctx, nd int32, g, e float64) float64 {
	i := g * (c.V[nd] - e)
	c.RHS[nd] -= i
	c.D[nd] += g
	return i
}
