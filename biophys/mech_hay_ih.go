package biophys

import "neurosurrogate/internal/fastexp"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "Ih",
		Doc: "Hay et al. 2011 hyperpolarization-activated cation current (Kole et al. 2006), " +
			"ihcn = gIhbar m (v - ehcn), ehcn = -45 mV (fixed in Ih.mod)",
		Params: []Param{gbarParam("gIhbar")},
		New:    func(b *Build) Kernel { return &ih{channel: newChannel(b, "gIhbar", 1, 2)} },
	})
}

const ihEhcnMV = -45.0 // ehcn, fixed in Ih.mod

type ih struct{ channel }

// rates (after the NMODL guard v == -154.9): with u = v + 154.9,
// alpha = 0.001 * 6.43 u / (exp(u / 11.9) - 1), beta = 0.001 * 193 exp(v / 33.1);
// no temperature correction.
func (p *ih) rates(c *Ctx, dt float64) {
	vs, ea, eb := p.vOf(c.V), p.ex(0), p.ex(1)
	i := 0
	if vecRates {
		i = ihArgsAVX2(vs, ea, eb)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k]
		if v == -154.9 {
			v += 0.0001
		}
		ea[k], eb[k] = (v+154.9)*(1/11.9), v*(1/33.1)
	}
	fastexp.ExpAll(p.e, p.e)
	inf, dec := p.gate(0)
	i = 0
	if vecRates {
		i = ihGatesAVX2(vs, ea, eb, inf, dec, -dt)
	}
	for k := i; k < len(vs); k++ {
		v := vs[k]
		if v == -154.9 {
			v += 0.0001
		}
		mAlpha := 0.001 * 6.43 * (v + 154.9) / (ea[k] - 1)
		mBeta := 0.001 * 193 * eb[k]
		inf[k], dec[k] = mAlpha/(mAlpha+mBeta), -dt*(mAlpha+mBeta)
	}
}

func (p *ih) Init(c *Ctx)  { p.rates(c, 0); p.init() }
func (p *ih) State(c *Ctx) { p.rates(c, c.Dt); p.cnexp() }

func (p *ih) Current(c *Ctx) { p.current(c, 1, 0, nil, ihEhcnMV) }
