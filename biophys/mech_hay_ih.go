package biophys

import "math"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "Ih",
		Doc: "Hay et al. 2011 hyperpolarization-activated cation current (Kole et al. 2006), " +
			"ihcn = gIhbar m (v - ehcn), ehcn = -45 mV (fixed in Ih.mod)",
		Params: []Param{gbarParam("gIhbar")},
		New:    func(b *Build) Kernel { return &ih{channel: newChannel(b, "gIhbar", 1)} },
	})
}

const ihEhcnMV = -45.0 // ehcn, fixed in Ih.mod

type ih struct{ channel }

func ihRates(v float64) (mInf, mRate float64) {
	if v == -154.9 {
		v += 0.0001
	}
	u := v + 154.9
	mAlpha := 0.001 * 6.43 * u / (math.Exp(u/11.9) - 1)
	mBeta := 0.001 * 193 * math.Exp(v/33.1)
	mRate = mAlpha + mBeta
	mInf = mAlpha / mRate
	return
}

func (p *ih) Init(c *Ctx) {
	for k, nd := range p.node {
		p.m[k], _ = ihRates(c.V[nd])
	}
}

func (p *ih) Current(c *Ctx) {
	for k, nd := range p.node {
		addCurrent(c, nd, p.gbar[k]*p.m[k], ihEhcnMV)
	}
}

func (p *ih) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		mInf, mRate := ihRates(c.V[nd])
		p.m[k] = gateStep(p.m[k], mInf, mRate, dt)
	}
}
