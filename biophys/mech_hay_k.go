package biophys

import (
	"math"

	"neurosurrogate/internal/fastexp"
	"neurosurrogate/internal/fastlog"
)

func init() {
	RegisterMechanism(&Mechanism{
		Name: "K_Pst",
		Doc: "Hay et al. 2011 persistent K current (Korngreen & Sakmann 2000, shifted -10 mV), " +
			"ik = gK_Pstbar m^2 h (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gK_Pstbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &kPst{channel: newChannel(b, "gK_Pstbar", 2, 4), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name: "K_Tst",
		Doc: "Hay et al. 2011 transient K current (Korngreen & Sakmann 2000, shifted -10 mV), " +
			"ik = gK_Tstbar m^4 h (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gK_Tstbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &kTst{channel: newChannel(b, "gK_Tstbar", 2, 4), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name:   "SKv3_1",
		Doc:    "Hay et al. 2011 Kv3.1 fast K current (Rettig et al. 1992), ik = gSKv3_1bar m (v - ek)",
		Params: []Param{gbarParam("gSKv3_1bar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &skv31{channel: newChannel(b, "gSKv3_1bar", 1, 2), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name: "SK_E2",
		Doc: "Hay et al. 2011 small-conductance Ca-activated K current (Kohler et al. 1996), " +
			"ik = gSK_E2bar z (v - ek), zinf = 1 / (1 + (0.43 uM / cai)^4.8), ztau 1 ms",
		Params: []Param{gbarParam("gSK_E2bar")},
		Ions:   []IonUse{{Ion: "k"}, {Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &skE2{channel: newChannel(b, "gSK_E2bar", 1, 1), k: b.Ions["k"], ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name:   "Im",
		Doc:    "Hay et al. 2011 muscarinic K current (Adams et al. 1982), ik = gImbar m (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gImbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &im{channel: newChannel(b, "gImbar", 1, 1), k: b.Ions["k"]} },
	})
}

// K_Pst

type kPst struct {
	channel
	k *Ion
}

// rates (v shifted by +10 mV): minf = 1 / (1 + exp(-(v + 1) / 12)),
// mtau = 1.25 + 175.03 exp(0.026 v) below -50 mV, else 1.25 + 13 exp(-0.026 v);
// hinf = 1 / (1 + exp(-(v + 54) / -11)),
// htau = 360 + (1010 + 24 (v + 55)) exp(-((v + 75) / 48)^2); taus / qt.
func (p *kPst) rates(c *Ctx, dt float64) {
	V := c.V
	e0, e1, e2, e3 := p.ex(0), p.ex(1), p.ex(2), p.ex(3)
	for k, nd := range p.node {
		v := V[nd] + 10
		e0[k] = -(v + 1) / 12
		if v < -50 {
			e1[k] = -v * -0.026
		} else {
			e1[k] = -v * 0.026
		}
		x := (v + 75) / 48
		e2[k], e3[k] = -(v+54)/-11, -(x * x)
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	for k, nd := range p.node {
		v := V[nd] + 10
		tau := 1.25 + 13*e1[k]
		if v < -50 {
			tau = 1.25 + 175.03*e1[k]
		}
		mInf[k], mDec[k] = 1/(1+e0[k]), -dt*hayQt/tau
		hInf[k], hDec[k] = 1/(1+e2[k]), -dt*hayQt/(360+(1010+24*(v+55))*e3[k])
	}
}

func (p *kPst) Init(c *Ctx)  { p.rates(c, 0); p.init() }
func (p *kPst) State(c *Ctx) { p.rates(c, c.Dt); p.cnexp() }

func (p *kPst) Current(c *Ctx) { p.current(c, 2, 1, p.k, 0) }

// K_Tst

type kTst struct {
	channel
	k *Ion
}

// rates (v shifted by +10 mV): minf = 1 / (1 + exp(-v / 19)),
// mtau = 0.34 + 0.92 exp(-((v + 71) / 59)^2); hinf = 1 / (1 + exp(-(v + 66) / -10)),
// htau = 8 + 49 exp(-((v + 73) / 23)^2); taus / qt.
func (p *kTst) rates(c *Ctx, dt float64) {
	V := c.V
	e0, e1, e2, e3 := p.ex(0), p.ex(1), p.ex(2), p.ex(3)
	for k, nd := range p.node {
		v := V[nd] + 10
		x, y := (v+71)/59, (v+73)/23
		e0[k], e1[k], e2[k], e3[k] = -(v+0)/19, -(x * x), -(v+66)/-10, -(y * y)
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	for k := range p.node {
		mInf[k], mDec[k] = 1/(1+e0[k]), -dt*hayQt/(0.34+0.92*e1[k])
		hInf[k], hDec[k] = 1/(1+e2[k]), -dt*hayQt/(8+49*e3[k])
	}
}

func (p *kTst) Init(c *Ctx)  { p.rates(c, 0); p.init() }
func (p *kTst) State(c *Ctx) { p.rates(c, c.Dt); p.cnexp() }

func (p *kTst) Current(c *Ctx) { p.current(c, 4, 1, p.k, 0) }

// SKv3_1

type skv31 struct {
	channel
	k *Ion
}

// rates: minf = 1 / (1 + exp((v - 18.7) / -9.7)),
// mtau = 0.2 * 20 / (1 + exp((v + 46.56) / -44.14)).
func (p *skv31) rates(c *Ctx, dt float64) {
	vs, e0, e1 := p.vOf(c.V), p.ex(0), p.ex(1)
	i := 0
	if vecRates {
		i = skv31ArgsAVX2(vs, e0, e1)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k]
		e0[k], e1[k] = (v-18.7)*(1/-9.7), (v+46.56)*(1/-44.14)
	}
	fastexp.ExpAll(p.e, p.e)
	inf, dec := p.gate(0)
	i = 0
	if vecRates {
		i = skv31GatesAVX2(e0, e1, inf, dec, -dt)
	}
	for k := i; k < len(vs); k++ {
		inf[k], dec[k] = 1/(1+e0[k]), -dt*(1+e1[k])*(1/(0.2*20))
	}
}

func (p *skv31) Init(c *Ctx)  { p.rates(c, 0); p.init() }
func (p *skv31) State(c *Ctx) { p.rates(c, c.Dt); p.cnexp() }

func (p *skv31) Current(c *Ctx) { p.current(c, 1, 0, p.k, 0) }

// SK_E2: the gate z (channel.m) follows cai with the fixed zTau.

type skE2 struct {
	channel
	k, ca    *Ion
	fz, fzDt float64 // 1 - exp(-dt/zTau) and the dt it is for
}

const (
	skE2ZTauMS = 1.0     // zTau, fixed in SK_E2.mod
	skE2KdMM   = 0.00043 // half activation (mM)
)

var skE2LogKd = math.Log(skE2KdMM)

// zinf sets inf to zinf = 1 / (1 + (0.00043 / ca)^4.8) at every instance's
// cai, with the NMODL guard adding 1e-7 mM to cai below 1e-7 mM.
func (p *skE2) zinf() {
	cai, e := p.ca.Ci, p.ex(0)
	for k, nd := range p.node {
		ca := cai[nd]
		if ca < 1e-7 {
			ca += 1e-07
		}
		e[k] = ca
	}
	fastlog.LogAll(e, e)
	for k, l := range e {
		e[k] = 4.8 * (skE2LogKd - l)
	}
	fastexp.ExpAll(e, e)
	inf, _ := p.gate(0)
	for k, x := range e {
		inf[k] = 1 / (1 + x)
	}
}

func (p *skE2) Init(c *Ctx) {
	p.fz, p.fzDt = 1-fastexp.Exp(-c.Dt/skE2ZTauMS), c.Dt
	p.zinf()
	p.init()
}

func (p *skE2) State(c *Ctx) {
	if c.Dt != p.fzDt {
		p.fz, p.fzDt = 1-fastexp.Exp(-c.Dt/skE2ZTauMS), c.Dt
	}
	p.zinf()
	z, inf, fz := p.m, p.inf[:len(p.m)], p.fz
	for k := range z {
		z[k] += fz * (inf[k] - z[k])
	}
}

func (p *skE2) Current(c *Ctx) { p.current(c, 1, 0, p.k, 0) }

// Im

type im struct {
	channel
	k *Ion
}

// rates: with a = exp(2.5 * 0.04 (v + 35)), alpha = 3.3e-3 a,
// beta = 3.3e-3 / a, tau = 1 / (alpha + beta) / qt.
func (p *im) rates(c *Ctx, dt float64) {
	vs, e := p.vOf(c.V), p.ex(0)
	i := 0
	if vecRates {
		i = imArgsAVX2(vs, e)
	}
	for k := i; k < len(vs); k++ {
		e[k] = 2.5 * 0.04 * (vs[k] + 35)
	}
	fastexp.ExpAll(e, e)
	inf, dec := p.gate(0)
	b := -dt * hayQt * 3.3e-3
	i = 0
	if vecRates {
		i = imGatesAVX2(e, inf, dec, b)
	}
	for k := i; k < len(e); k++ {
		a := e[k]
		inf[k], dec[k] = a*a/(a*a+1), b*(a+1/a)
	}
}

func (p *im) Init(c *Ctx)  { p.rates(c, 0); p.init() }
func (p *im) State(c *Ctx) { p.rates(c, c.Dt); p.cnexp() }

func (p *im) Current(c *Ctx) { p.current(c, 1, 0, p.k, 0) }
