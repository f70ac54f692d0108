package biophys

import "neurosurrogate/internal/fastexp"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "Ca_HVA",
		Doc: "Hay et al. 2011 high-voltage-activated Ca current (Reuveni et al. 1993), " +
			"ica = gCa_HVAbar m^2 h (v - eca)",
		Params: []Param{gbarParam("gCa_HVAbar")},
		Ions:   []IonUse{{Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &caHVA{channel: newChannel(b, "gCa_HVAbar", 2, 4), ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name: "Ca_LVAst",
		Doc: "Hay et al. 2011 low-voltage-activated Ca current (Avery & Johnston 1996, shifted -10 mV), " +
			"ica = gCa_LVAstbar m^2 h (v - eca), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gCa_LVAstbar")},
		Ions:   []IonUse{{Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &caLVAst{channel: newChannel(b, "gCa_LVAstbar", 2, 4), ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name: "CaDynamics_E2",
		Doc: "Hay et al. 2011 submembrane calcium pool (after Destexhe et al. 1994): " +
			"dcai/dt = -1e4 ica gamma / (2 F depth) - (cai - minCai) / decay; writes cai, so eca follows Nernst",
		Params: []Param{
			{Name: "gamma", Default: Required, Unit: "1 (free fraction)", Range: NonNegative},
			{Name: "decay", Default: Required, Unit: "ms", Range: Positive},
			{Name: "depth", Default: Required, Unit: "um", Range: Positive},
			{Name: "minCai", Default: Required, Unit: "mM", Range: NonNegative},
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

// rates (after the NMODL guard v == -27): with u = -27 - v,
// alpha_m = 0.055 u / (exp(u / 3.8) - 1), beta_m = 0.94 exp((-75 - v) / 17),
// alpha_h = 0.000457 exp((-13 - v) / 50), beta_h = 0.0065 / (exp((-v - 15) / 28) + 1);
// no temperature correction.
func (p *caHVA) rates(c *Ctx, dt float64) {
	vs := p.vOf(c.V)
	e0, e1, e2, e3 := p.ex(0), p.ex(1), p.ex(2), p.ex(3)
	i := 0
	if vecRates {
		i = caHVAArgsAVX2(vs, e0, e1, e2, e3)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k]
		if v == -27 {
			v += 0.0001
		}
		e0[k], e1[k], e2[k], e3[k] = (-27-v)*(1/3.8), (-75-v)*(1.0/17), (-13-v)*(1.0/50), (-v-15)*(1.0/28)
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	i = 0
	if vecRates {
		i = caHVAGatesAVX2(vs, e0, e1, e2, e3, mInf, mDec, hInf, hDec, -dt)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k]
		if v == -27 {
			v += 0.0001
		}
		mAlpha := 0.055 * (-27 - v) / (e0[k] - 1)
		mBeta := 0.94 * e1[k]
		hAlpha := 0.000457 * e2[k]
		hBeta := 0.0065 / (e3[k] + 1)
		mInf[k], mDec[k] = mAlpha/(mAlpha+mBeta), -dt*(mAlpha+mBeta)
		hInf[k], hDec[k] = hAlpha/(hAlpha+hBeta), -dt*(hAlpha+hBeta)
	}
}

func (p *caHVA) Init(c *Ctx)    { p.rates(c, 0); p.init() }
func (p *caHVA) State(c *Ctx)   { p.rates(c, c.Dt); p.cnexp() }
func (p *caHVA) Current(c *Ctx) { p.current(c, 2, 1, p.ca, 0) }

// Ca_LVAst

type caLVAst struct {
	channel
	ca *Ion
}

// rates (v shifted by +10 mV): minf = 1 / (1 + exp((v + 30) / -6)),
// mtau = 5 + 20 / (1 + exp((v + 25) / 5)); hinf = 1 / (1 + exp((v + 80) / 6.4)),
// htau = 20 + 50 / (1 + exp((v + 40) / 7)); taus / qt.
func (p *caLVAst) rates(c *Ctx, dt float64) {
	vs := p.vOf(c.V)
	e0, e1, e2, e3 := p.ex(0), p.ex(1), p.ex(2), p.ex(3)
	i := 0
	if vecRates {
		i = caLVAstArgsAVX2(vs, e0, e1, e2, e3)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k] + 10
		e0[k], e1[k], e2[k], e3[k] = (v+30)*(1/-6.0), (v+25)*(1.0/5), (v+80)*(1/6.4), (v+40)*(1.0/7)
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	a := -dt * hayQt
	i = 0
	if vecRates {
		i = caLVAstGatesAVX2(e0, e1, e2, e3, mInf, mDec, hInf, hDec, a)
	}
	for k := i; k < len(vs); k++ {
		// qt / (5 + 20 / (1 + e1)) = qt (1 + e1) / (5 (1 + e1) + 20)
		b1, b3 := 1+e1[k], 1+e3[k]
		mInf[k], mDec[k] = 1/(1+e0[k]), a*b1/(5*b1+20)
		hInf[k], hDec[k] = 1/(1+e2[k]), a*b3/(20*b3+50)
	}
}

func (p *caLVAst) Init(c *Ctx)    { p.rates(c, 0); p.init() }
func (p *caLVAst) State(c *Ctx)   { p.rates(c, c.Dt); p.cnexp() }
func (p *caLVAst) Current(c *Ctx) { p.current(c, 2, 1, p.ca, 0) }

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
		p.f[k] = 1 - fastexp.Exp(-dt/d)
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
