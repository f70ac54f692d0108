package biophys

import (
	"math"
	"neurosurrogate/internal/fastexp"
)

// Shared pieces of the Hay et al. (2011) channel library (ModelDB 139653):
// the layer-5 pyramidal cell's NaTa_t, NaTs2_t, Nap_Et2, K_Pst, K_Tst,
// SKv3_1, SK_E2, Ca_HVA, Ca_LVAst, Im, Ih and CaDynamics_E2. Each is a
// registered mechanism whose parameters carry the NMODL RANGE names. The
// channel files fix their temperature internally (34 C from data at 21 C),
// so none of them reads the cell's celsius.
//
// The gates are integrated as NEURON's cnexp does: in the State phase, with
// rates evaluated at the new v, each gate x moves exactly along its linear
// ODE, x += (1 - exp(-dt/tau)) (xinf - x). The NMODL guards (if v == -38,
// v = v + 0.0001, ...) nudge only the local v of the rates. Rates are
// written with one exponential per pair of mutually reciprocal terms (the
// NMODL text evaluates both) and with divisions by constants as products by
// their reciprocals: the same functions up to rounding, which
// TestHayRatesMatchNMODL checks against the literal NMODL forms.
//
// Exponentials dominate the cost, so each kernel evaluates them in batches
// (internal/fastexp.ExpAll): a first pass writes every instance's exponent
// arguments to scratch, ExpAll evaluates them all (eight or four at a time
// with the amd64 vector kernels), a second pass turns them into steady
// states and rates, and cnexp advances all gates with one more batch for the
// exp(-dt/tau).

// hayQt is the q10 correction 2.3^((34-21)/10) of the files that have one.
var hayQt = math.Pow(2.3, (34.0-21.0)/10.0)

// gbarParam is a required peak conductance density.
func gbarParam(name string) Param {
	return Param{Name: name, Default: Required, Unit: "S/cm2", Range: NonNegative}
}

// channel is the common layout of a gated channel with n instances:
// each instance's node and peak conductance, its gates, and scratch space,
// all as flat arrays of n per quantity (gate g of instance k at x[g*n+k]).
type channel struct {
	node []int32
	gbar []float64
	x    []float64 // gate values
	m, h []float64 // views of the first two gates
	v    []float64 // scratch: each instance's v (vOf)
	// scratch: every gate's steady state and -dt/tau (laid out as x), then
	// exp(-dt/tau); the exponent arguments of the rates (argument j of
	// instance k at e[j*n+k]), then their exponentials
	inf, decay, e []float64
}

func newChannel(b *Build, gbar string, gates, exps int) channel {
	n := len(b.Nodes)
	c := channel{node: b.Nodes, gbar: b.P[gbar], x: make([]float64, gates*n), v: make([]float64, n),
		inf: make([]float64, gates*n), decay: make([]float64, gates*n), e: make([]float64, exps*n)}
	c.m = c.x[:n]
	if gates > 1 {
		c.h = c.x[n : 2*n]
	}
	return c
}

// ex is exponent argument j of every instance (length n).
func (p *channel) ex(j int) []float64 {
	n := len(p.node)
	return p.e[j*n:][:n]
}

// gate is gate g's steady state and cnexp exponent -dt/tau of every
// instance (length n), for the rates to fill.
func (p *channel) gate(g int) (inf, dec []float64) {
	n := len(p.node)
	return p.inf[g*n:][:n], p.decay[g*n:][:n]
}

// vOf gathers every instance's membrane potential into p.v and returns it.
func (p *channel) vOf(V []float64) []float64 {
	v := p.v[:len(p.node)]
	for k, nd := range p.node {
		v[k] = V[nd]
	}
	return v
}

// init sets every gate to its steady state (NMODL INITIAL: rates(); x = xinf).
func (p *channel) init() { copy(p.x, p.inf) }

// cnexp advances every gate over the step towards its steady state:
// x += (1 - exp(-dt/tau)) (xinf - x).
func (p *channel) cnexp() {
	x := p.x
	inf, d := p.inf[:len(x)], p.decay[:len(x)]
	fastexp.ExpAll(d, d)
	i := 0
	if vecRates {
		i = cnexpAVX2(x, inf, d)
	}
	for ; i < len(x); i++ {
		x[i] += (1 - d[i]) * (inf[i] - x[i])
	}
}

// current adds each instance's g (v - E), g = gbar m^mp h^hp (S/cm2), to
// the matrix and, when some mechanism reads it, to the ion's summed
// current; E is the ion's reversal potential at the node, or fixedE when
// ion is nil. The conductances go through the scratch e, free during the
// Current phase.
func (p *channel) current(c *Ctx, mp, hp int, ion *Ion, fixedE float64) {
	n := len(p.node)
	g, gbar, m := p.e[:n], p.gbar[:n], p.m[:n]
	i := 0
	switch {
	case mp == 1 && hp == 0:
		if vecRates {
			i = gM1AVX2(g, gbar, m)
		}
		for k := i; k < n; k++ {
			g[k] = gbar[k] * m[k]
		}
	case mp == 2 && hp == 1:
		h := p.h[:n]
		if vecRates {
			i = gM2H1AVX2(g, gbar, m, h)
		}
		for k := i; k < n; k++ {
			g[k] = gbar[k] * m[k] * m[k] * h[k]
		}
	case mp == 3 && hp == 1:
		h := p.h[:n]
		if vecRates {
			i = gM3H1AVX2(g, gbar, m, h)
		}
		for k := i; k < n; k++ {
			g[k] = gbar[k] * m[k] * m[k] * m[k] * h[k]
		}
	case mp == 4 && hp == 1:
		h := p.h[:n]
		if vecRates {
			i = gM4H1AVX2(g, gbar, m, h)
		}
		for k := i; k < n; k++ {
			m2 := m[k] * m[k]
			g[k] = gbar[k] * m2 * m2 * h[k]
		}
	default:
		panic("biophys: no such gate powers")
	}
	V, rhs, d := c.V, c.RHS, c.D
	switch {
	case ion == nil:
		for k, nd := range p.node {
			rhs[nd] -= g[k] * (V[nd] - fixedE)
			d[nd] += g[k]
		}
	case ion.I == nil:
		E := ion.E
		for k, nd := range p.node {
			rhs[nd] -= g[k] * (V[nd] - E[nd])
			d[nd] += g[k]
		}
	default:
		E, I := ion.E, ion.I
		for k, nd := range p.node {
			i := g[k] * (V[nd] - E[nd])
			rhs[nd] -= i
			d[nd] += g[k]
			I[nd] += i
		}
	}
}
