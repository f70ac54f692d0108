package biophys

import "math"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "Ca_HVA",
		Doc: "Hay et al. 2011 high-voltage-activated Ca current (Reuveni et al. 1993), " +
			"ica = gCa_HVAbar m^2 h (v - eca)",
		Params: []Param{gbarParam("gCa_HVAbar")},
		Ions:   []IonUse{{Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &caHVA{channel: newChannel(b, "gCa_HVAbar", 2), ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name: "Ca_LVAst",
		Doc: "Hay et al. 2011 low-voltage-activated Ca current (Avery & Johnston 1996, shifted -10 mV), " +
			"ica = gCa_LVAstbar m^2 h (v - eca), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gCa_LVAstbar")},
		Ions:   []IonUse{{Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &caLVAst{channel: newChannel(b, "gCa_LVAstbar", 2), ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name: "CaDynamics_E2",
		Doc: "Hay et al. 2011 submembrane calcium pool (after Destexhe et al. 1994): " +
			"dcai/dt = -1e4 ica gamma / (2 F depth) - (cai - minCai) / decay; writes cai, so eca follows Nernst",
		Params: []Param{
			{Name: "gamma", Default: Required, Unit: "1 (free fraction)"},
			{Name: "decay", Default: Required, Unit: "ms"},
			{Name: "depth", Default: Required, Unit: "um"},
			{Name: "minCai", Default: Required, Unit: "mM"},
		},
		Ions: []IonUse{{Ion: "ca", ReadI: true, WriteConc: true}},
		New:  newCaDynamics,
	})
}

// Ca_HVA

type caHVA struct {
	channel
	ca *Ion
}

func caHVARates(v float64) (mInf, mRate, hInf, hRate float64) {
	if v == -27 {
		v += 0.0001
	}
	u := -27 - v
	mAlpha := 0.055 * u / (math.Exp(u/3.8) - 1)
	mBeta := 0.94 * math.Exp((-75-v)/17)
	hAlpha := 0.000457 * math.Exp((-13-v)/50)
	hBeta := 0.0065 / (math.Exp((-v-15)/28) + 1)
	mRate = mAlpha + mBeta
	mInf = mAlpha / mRate
	hRate = hAlpha + hBeta
	hInf = hAlpha / hRate
	return
}

func (p *caHVA) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = caHVARates(c.V[nd])
	}
}

func (p *caHVA) Current(c *Ctx) {
	eca, ica := p.ca.E, p.ca.I
	for k, nd := range p.node {
		m := p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m*m*p.h[k], eca[nd])
		if ica != nil {
			ica[nd] += i
		}
	}
}

func (p *caHVA) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := caHVARates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}

// Ca_LVAst

type caLVAst struct {
	channel
	ca *Ion
}

func caLVAstRates(v float64) (mInf, mRate, hInf, hRate float64) {
	v += 10
	mInf = 1 / (1 + math.Exp((v+30)/-6))
	mRate = hayQt / (5 + 20/(1+math.Exp((v+25)/5)))
	hInf = 1 / (1 + math.Exp((v+80)/6.4))
	hRate = hayQt / (20 + 50/(1+math.Exp((v+40)/7)))
	return
}

func (p *caLVAst) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = caLVAstRates(c.V[nd])
	}
}

func (p *caLVAst) Current(c *Ctx) {
	eca, ica := p.ca.E, p.ca.I
	for k, nd := range p.node {
		m := p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m*m*p.h[k], eca[nd])
		if ica != nil {
			ica[nd] += i
		}
	}
}

func (p *caLVAst) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := caLVAstRates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}

// CaDynamics_E2: cai relaxes to minCai - kI ica with time constant decay,
// kI = 1e4 gamma decay / (2 F depth); cnexp is exact for this linear ODE.
type caDynamics struct {
	node   []int32
	minCai []float64
	decay  []float64
	kI     []float64 // mM per (mA/cm2)
	f      []float64 // 1 - exp(-dt/decay)
	fDt    float64   // the dt f is for
	ca     *Ion
}

func newCaDynamics(b *Build) Kernel {
	n := len(b.Nodes)
	p := &caDynamics{node: b.Nodes, minCai: b.P["minCai"], decay: b.P["decay"], ca: b.Ions["ca"],
		kI: make([]float64, n), f: make([]float64, n)}
	gamma, depth := b.P["gamma"], b.P["depth"]
	for k := range p.kI {
		p.kI[k] = 10000 * gamma[k] * p.decay[k] / (2 * Faraday * depth[k])
	}
	return p
}

func (p *caDynamics) setDt(dt float64) {
	for k, d := range p.decay {
		p.f[k] = 1 - math.Exp(-dt/d)
	}
	p.fDt = dt
}

// Init keeps cai at the ion's cai0, as NEURON's generated code does.
func (p *caDynamics) Init(c *Ctx) { p.setDt(c.Dt) }

func (p *caDynamics) Current(*Ctx) {}

func (p *caDynamics) State(c *Ctx) {
	if c.Dt != p.fDt {
		p.setDt(c.Dt)
	}
	cai, ica := p.ca.Ci, p.ca.I
	for k, nd := range p.node {
		cai[nd] += p.f[k] * (p.minCai[k] - p.kI[k]*ica[nd] - cai[nd])
	}
}
