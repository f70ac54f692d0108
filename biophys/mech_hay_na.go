package biophys

import "math"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "NaTa_t",
		Doc: "Hay et al. 2011 transient Na current (Colbert & Pan 2002), " +
			"ina = gNaTa_tbar m^3 h (v - ena), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gNaTa_tbar")},
		Ions:   []IonUse{{Ion: "na"}},
		New:    func(b *Build) Kernel { return newNaT(b, "gNaTa_tbar", -38, -66) },
	})
	RegisterMechanism(&Mechanism{
		Name: "NaTs2_t",
		Doc: "Hay et al. 2011 somatic transient Na current: NaTa_t shifted by 6 mV, " +
			"ina = gNaTs2_tbar m^3 h (v - ena)",
		Params: []Param{gbarParam("gNaTs2_tbar")},
		Ions:   []IonUse{{Ion: "na"}},
		New:    func(b *Build) Kernel { return newNaT(b, "gNaTs2_tbar", -32, -60) },
	})
	RegisterMechanism(&Mechanism{
		Name: "Nap_Et2",
		Doc: "Hay et al. 2011 persistent Na current (Magistretti & Alonso 1999), " +
			"ina = gNap_Et2bar m^3 h (v - ena), q10 2.3 to 34 C",
		Params: []Param{gbarParam("gNap_Et2bar")},
		Ions:   []IonUse{{Ion: "na"}},
		New: func(b *Build) Kernel {
			return &napEt2{channel: newChannel(b, "gNap_Et2bar", 2), na: b.Ions["na"]}
		},
	})
}

// naT is NaTa_t and NaTs2_t: the same kinetics with the activation centred
// at mV and the inactivation at hV.
type naT struct {
	channel
	mV, hV float64
	na     *Ion
}

func newNaT(b *Build, gbar string, mV, hV float64) *naT {
	return &naT{channel: newChannel(b, gbar, 2), mV: mV, hV: hV, na: b.Ions["na"]}
}

// naTRates returns the steady states and rates (1/tau, per ms) of m and h.
// The NMODL guards v == mV and v == hV (0/0) nudge v by 1e-4 mV, in order.
func naTRates(v, mV, hV float64) (mInf, mRate, hInf, hRate float64) {
	if v == mV {
		v += 0.0001
	}
	// alpha = 0.182 u / (1 - e), beta = 0.124 (-u) / (1 - 1/e), e = exp(-u/6)
	u := v - mV
	e := math.Exp(-u / 6)
	s := 0.182 + 0.124*e
	mInf = 0.182 / s
	mRate = hayQt * u * s / (1 - e)
	if v == hV {
		v += 0.0001
	}
	// alpha = -0.015 w / (1 - f), beta = -0.015 (-w) / (1 - 1/f), f = exp(w/6)
	w := v - hV
	f := math.Exp(w / 6)
	hInf = 1 / (1 + f)
	hRate = hayQt * 0.015 * w * (1 + f) / (f - 1)
	return
}

func (p *naT) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = naTRates(c.V[nd], p.mV, p.hV)
	}
}

func (p *naT) Current(c *Ctx) {
	ena, ina := p.na.E, p.na.I
	for k, nd := range p.node {
		m := p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m*m*m*p.h[k], ena[nd])
		if ina != nil {
			ina[nd] += i
		}
	}
}

func (p *naT) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := naTRates(c.V[nd], p.mV, p.hV)
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}

type napEt2 struct {
	channel
	na *Ion
}

func napEt2Rates(v float64) (mInf, mRate, hInf, hRate float64) {
	mInf = 1.0 / (1 + math.Exp((v+52.6)/-4.6))
	if v == -38 {
		v += 0.0001
	}
	u := v + 38
	e := math.Exp(-u / 6)
	// mTau = 6 / (alpha + beta) / qt with NaTa_t's alpha and beta
	mRate = hayQt * u * (0.182 + 0.124*e) / (1 - e) / 6
	if v == -17 {
		v += 0.0001
	}
	if v == -64.4 {
		v += 0.0001
	}
	hInf = 1.0 / (1 + math.Exp((v+48.8)/10))
	hAlpha := -2.88e-6 * (v + 17) / (1 - math.Exp((v+17)/4.63))
	hBeta := 6.94e-6 * (v + 64.4) / (1 - math.Exp(-(v+64.4)/2.63))
	hRate = hayQt * (hAlpha + hBeta)
	return
}

func (p *napEt2) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _, p.h[k], _ = napEt2Rates(c.V[nd])
	}
}

func (p *napEt2) Current(c *Ctx) {
	ena, ina := p.na.E, p.na.I
	for k, nd := range p.node {
		m := p.m[k]
		i := addCurrent(c, nd, p.gbar[k]*m*m*m*p.h[k], ena[nd])
		if ina != nil {
			ina[nd] += i
		}
	}
}

func (p *napEt2) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate, hInf, hRate := napEt2Rates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
		p.h[k] = gateStep(p.h[k], hInf, hRate, dt)
	}
}
