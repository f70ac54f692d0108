package biophys

import "math"

func init() {
	RegisterPointType(&PointType{
		Name: "ExpSyn", Synapse: true,
		Doc: "NEURON's ExpSyn: an event of weight w (uS) adds w to g; g decays with tau; i = g (v - e)",
		Params: []Param{
			{Name: "tau", Default: 0.1, Unit: "ms", Range: Positive},
			{Name: "e", Default: 0, Unit: "mV"},
		},
		New: func(b *PointBuild) PointKernel {
			return &expSyn{node: b.Nodes, tau: b.P["tau"], e: b.P["e"], g: make([]float64, len(b.Nodes))}
		},
	})
	RegisterPointType(&PointType{
		Name: "Exp2Syn", Synapse: true,
		Doc: "NEURON's Exp2Syn: rise tau1, decay tau2, peak conductance w (uS) per event; i = g (v - e)",
		Params: []Param{
			{Name: "tau1", Default: 0.1, Unit: "ms", Range: Positive},
			{Name: "tau2", Default: 10, Unit: "ms", Range: Positive},
			{Name: "e", Default: 0, Unit: "mV"},
		},
		New: func(b *PointBuild) PointKernel { return newExp2(b.Nodes, b.P["tau1"], b.P["tau2"], b.P["e"], nil) },
	})
	RegisterPointType(&PointType{
		Name: "NMDA", Synapse: true,
		Doc: "NMDA receptor synapse: Exp2Syn conductance times the Mg block of Jahr & Stevens (1990), " +
			"B(v) = 1 / (1 + exp(-0.062 v) [Mg]/3.57); i = g B(v) (v - e)",
		Params: []Param{
			{Name: "tau1", Default: 2, Unit: "ms", Range: Positive},
			{Name: "tau2", Default: 100, Unit: "ms", Range: Positive},
			{Name: "e", Default: 0, Unit: "mV"},
			{Name: "mg", Default: 1, Unit: "mM", Range: NonNegative},
		},
		New: func(b *PointBuild) PointKernel {
			return newExp2(b.Nodes, b.P["tau1"], b.P["tau2"], b.P["e"], b.P["mg"])
		},
	})
	RegisterPointType(&PointType{
		Name: "IClamp",
		Doc:  "NEURON's IClamp: current amp (nA) into the cell while del <= t < del + dur",
		Params: []Param{
			{Name: "del", Default: 0, Unit: "ms"},
			{Name: "dur", Default: 0, Unit: "ms", Range: NonNegative},
			{Name: "amp", Default: 0, Unit: "nA"},
		},
		New: func(b *PointBuild) PointKernel {
			return &iClamp{node: b.Nodes, del: b.P["del"], dur: b.P["dur"], amp: b.P["amp"]}
		},
	})
}

type expSyn struct {
	node   []int32
	tau, e []float64
	g      []float64
	decay  []float64 // 1 - exp(-dt/tau)
}

func (s *expSyn) Init(c *Ctx) {
	clear(s.g)
	s.decay = make([]float64, len(s.node))
	for k := range s.node {
		s.decay[k] = 1 - math.Exp(-c.Dt/s.tau[k])
	}
}

func (s *expSyn) Receive(i int, w, _ float64) { s.g[i] += w }

func (s *expSyn) Current(c *Ctx) {
	for k, nd := range s.node {
		g := s.g[k]
		if g == 0 {
			continue
		}
		f := c.AreaFac[nd]
		c.RHS[nd] -= g * (c.V[nd] - s.e[k]) * f
		c.D[nd] += g * f
	}
}

func (s *expSyn) State(*Ctx) {
	for k := range s.g {
		s.g[k] -= s.decay[k] * s.g[k]
	}
}

// exp2 is Exp2Syn, and with mg set the NMDA synapse.
type exp2 struct {
	node              []int32
	tau1, tau2, e, mg []float64
	a, b, factor      []float64
	decayA, decayB    []float64
}

func newExp2(nodes []int32, tau1, tau2, e, mg []float64) *exp2 {
	n := len(nodes)
	s := &exp2{node: nodes, tau1: append([]float64(nil), tau1...), tau2: tau2, e: e, mg: mg,
		a: make([]float64, n), b: make([]float64, n), factor: make([]float64, n)}
	for k := range nodes {
		if s.tau1[k]/s.tau2[k] > 0.9999 {
			s.tau1[k] = 0.9999 * s.tau2[k]
		}
		if s.tau1[k]/s.tau2[k] < 1e-9 {
			s.tau1[k] = s.tau2[k] * 1e-9
		}
		t1, t2 := s.tau1[k], s.tau2[k]
		tp := (t1 * t2) / (t2 - t1) * math.Log(t2/t1)
		s.factor[k] = 1 / (-math.Exp(-tp/t1) + math.Exp(-tp/t2))
	}
	return s
}

func (s *exp2) Init(c *Ctx) {
	clear(s.a)
	clear(s.b)
	s.decayA = make([]float64, len(s.node))
	s.decayB = make([]float64, len(s.node))
	for k := range s.node {
		s.decayA[k] = 1 - math.Exp(-c.Dt/s.tau1[k])
		s.decayB[k] = 1 - math.Exp(-c.Dt/s.tau2[k])
	}
}

func (s *exp2) Receive(i int, w, _ float64) {
	s.a[i] += w * s.factor[i]
	s.b[i] += w * s.factor[i]
}

// MgBlock is the fraction of NMDA conductance not blocked by magnesium at v
// (mV) and [Mg] (mM), after Jahr & Stevens (1990).
func MgBlock(v, mg float64) float64 { return 1 / (1 + math.Exp(-0.062*v)*(mg/3.57)) }

func (s *exp2) Current(c *Ctx) {
	for k, nd := range s.node {
		g := s.b[k] - s.a[k]
		if g == 0 {
			continue
		}
		v := c.V[nd]
		f := c.AreaFac[nd]
		if s.mg == nil {
			c.RHS[nd] -= g * (v - s.e[k]) * f
			c.D[nd] += g * f
			continue
		}
		// Nonlinear in v: conductance by NEURON's numerical derivative.
		i0 := g * MgBlock(v, s.mg[k]) * (v - s.e[k])
		i1 := g * MgBlock(v+0.001, s.mg[k]) * (v + 0.001 - s.e[k])
		c.RHS[nd] -= i0 * f
		c.D[nd] += (i1 - i0) / 0.001 * f
	}
}

func (s *exp2) State(*Ctx) {
	for k := range s.a {
		s.a[k] -= s.decayA[k] * s.a[k]
		s.b[k] -= s.decayB[k] * s.b[k]
	}
}

type iClamp struct {
	node          []int32
	del, dur, amp []float64
}

func (s *iClamp) Init(*Ctx)                     {}
func (s *iClamp) State(*Ctx)                    {}
func (s *iClamp) Receive(int, float64, float64) {}

func (s *iClamp) Current(c *Ctx) {
	for k, nd := range s.node {
		if c.T >= s.del[k] && c.T < s.del[k]+s.dur[k] {
			c.RHS[nd] += s.amp[k] * c.AreaFac[nd]
		}
	}
}
