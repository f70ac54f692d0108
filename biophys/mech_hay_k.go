package biophys

import "math"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "K_Pst",
		Doc: "Hay et al. 2011 persistent K current (Korngreen & Sakmann 2000, shifted -10 mV), " +
			"ik = gK_Pstbar m^2 h (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gK_Pstbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &kPst{channel: newChannel(b, "gK_Pstbar", 2), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name: "K_Tst",
		Doc: "Hay et al. 2011 transient K current (Korngreen & Sakmann 2000, shifted -10 mV), " +
			"ik = gK_Tstbar m^4 h (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gK_Tstbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &kTst{channel: newChannel(b, "gK_Tstbar", 2), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name:   "SKv3_1",
		Doc:    "Hay et al. 2011 Kv3.1 fast K current (Rettig et al. 1992), ik = gSKv3_1bar m (v - ek)",
		Params: []Param{gbarParam("gSKv3_1bar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &skv31{channel: newChannel(b, "gSKv3_1bar", 1), k: b.Ions["k"]} },
	})
	RegisterMechanism(&Mechanism{
		Name: "SK_E2",
		Doc: "Hay et al. 2011 small-conductance Ca-activated K current (Kohler et al. 1996), " +
			"ik = gSK_E2bar z (v - ek), zinf = 1 / (1 + (0.43 uM / cai)^4.8), ztau 1 ms",
		Params: []Param{gbarParam("gSK_E2bar")},
		Ions:   []IonUse{{Ion: "k"}, {Ion: "ca"}},
		New: func(b *Build) Kernel {
			return &skE2{channel: newChannel(b, "gSK_E2bar", 1), k: b.Ions["k"], ca: b.Ions["ca"]}
		},
	})
	RegisterMechanism(&Mechanism{
		Name:   "Im",
		Doc:    "Hay et al. 2011 muscarinic K current (Adams et al. 1982), ik = gImbar m (v - ek), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gImbar")},
		Ions:   []IonUse{{Ion: "k"}},
		New:    func(b *Build) Kernel { return &im{channel: newChannel(b, "gImbar", 1), k: b.Ions["k"]} },
	})
}

// K_Pst

type kPst struct {
	channel
	k *Ion
}

func kPstRates(v float64) (mInf, mRate, hInf, hRate float64) {
	v += 10
	mInf = 1 / (1 + math.Exp(-(v+1)/12))
	if v < -50 {
		mRate = hayQt / (1.25 + 175.03*math.Exp(v*0.026))
	} else {
		mRate = hayQt / (1.25 + 13*math.Exp(-v*0.026))
	}
	hInf = 1 / (1 + math.Exp(-(v+54)/-11))
	x := (v + 75) / 48
	hRate = hayQt / (360 + (1010+24*(v+55))*math.Exp(-x*x))
	return
}

func (p *kPst) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = kPstRates(c.V[nd])
	}
}

func (p *kPst) Current(c *Ctx) {
	ek, ik := p.k.E, p.k.I
	for k, nd := range p.node {
		m := p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m*m*p.h[k], ek[nd])
		if ik != nil {
			ik[nd] += i
		}
	}
}

func (p *kPst) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := kPstRates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}

// K_Tst

type kTst struct {
	channel
	k *Ion
}

func kTstRates(v float64) (mInf, mRate, hInf, hRate float64) {
	v += 10
	mInf = 1 / (1 + math.Exp(-(v+0)/19))
	x := (v + 71) / 59
	mRate = hayQt / (0.34 + 0.92*math.Exp(-x*x))
	hInf = 1 / (1 + math.Exp(-(v+66)/-10))
	y := (v + 73) / 23
	hRate = hayQt / (8 + 49*math.Exp(-y*y))
	return
}

func (p *kTst) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = kTstRates(c.V[nd])
	}
}

func (p *kTst) Current(c *Ctx) {
	ek, ik := p.k.E, p.k.I
	for k, nd := range p.node {
		m2 := p.m[k] * p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m2*m2*p.h[k], ek[nd])
		if ik != nil {
			ik[nd] += i
		}
	}
}

func (p *kTst) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := kTstRates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}

// SKv3_1

type skv31 struct {
	channel
	k *Ion
}

func skv31Rates(v float64) (mInf, mRate float64) {
	mInf = 1 / (1 + math.Exp((v-18.7)/-9.7))
	mRate = (1 + math.Exp((v+46.56)/-44.14)) / (0.2 * 20)
	return
}

func (p *skv31) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _ = skv31Rates(c.V[nd])
	}
}

func (p *skv31) Current(c *Ctx) {
	ek, ik := p.k.E, p.k.I
	for k, nd := range p.node {
		i := addCurrent(c, nd, p.gbar[k]*p.m[k], ek[nd])
		if ik != nil {
			ik[nd] += i
		}
	}
}

func (p *skv31) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate := skv31Rates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
	}
}

// SK_E2: the gate z (kept in channel.m) follows cai with the fixed zTau.

type skE2 struct {
	channel
	k, ca    *Ion
	fz, fzDt float64 // 1 - exp(-dt/zTau) and the dt it is for
}

const (
	skE2ZTauMS = 1.0     // zTau, fixed in SK_E2.mod
	skE2KdMM   = 0.00043 // half activation (mM)
)

// skE2Inf is zInf at cai (mM), with the NMODL guard against cai < 1e-7.
func skE2Inf(ca float64) float64 {
	if ca < 1e-7 {
		ca += 1e-07
	}
	// (0.00043 / ca)^4.8
	return 1 / (1 + math.Exp(4.8*math.Log(skE2KdMM/ca)))
}

func (p *skE2) Init(c *Ctx) {
	p.fz, p.fzDt = 1-math.Exp(-c.Dt/skE2ZTauMS), c.Dt
	cai := p.ca.Ci
	for k, nd := range p.node {
		p.m[k] = skE2Inf(cai[nd])
	}
}

func (p *skE2) Current(c *Ctx) {
	ek, ik := p.k.E, p.k.I
	for k, nd := range p.node {
		i := addCurrent(c, nd, p.gbar[k]*p.m[k], ek[nd])
		if ik != nil {
			ik[nd] += i
		}
	}
}

func (p *skE2) State(c *Ctx) {
	if c.Dt != p.fzDt {
		p.fz, p.fzDt = 1-math.Exp(-c.Dt/skE2ZTauMS), c.Dt
	}
	cai, fz := p.ca.Ci, p.fz
	for k, nd := range p.node {
		p.m[k] += fz * (skE2Inf(cai[nd]) - p.m[k])
	}
}

// Im

type im struct {
	channel
	k *Ion
}

func imRates(v float64) (mInf, mRate float64) {
	// alpha = 3.3e-3 a, beta = 3.3e-3 / a, a = exp(2.5 * 0.04 (v + 35))
	a := math.Exp(2.5 * 0.04 * (v + 35))
	mInf = a * a / (a*a + 1)
	mRate = hayQt * 3.3e-3 * (a + 1/a)
	return
}

func (p *im) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _ = imRates(c.V[nd])
	}
}

func (p *im) Current(c *Ctx) {
	ek, ik := p.k.E, p.k.I
	for k, nd := range p.node {
		i := addCurrent(c, nd, p.gbar[k]*p.m[k], ek[nd])
		if ik != nil {
			ik[nd] += i
		}
	}
}

func (p *im) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate := imRates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
	}
}
