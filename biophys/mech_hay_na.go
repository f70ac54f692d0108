package biophys

import "neurosurrogate/internal/fastexp"

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
			return &napEt2{channel: newChannel(b, "gNap_Et2bar", 2, 5), na: b.Ions["na"]}
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
	return &naT{channel: newChannel(b, gbar, 2, 2), mV: mV, hV: hV, na: b.Ions["na"]}
}

// guard applies the NMODL guards against 0/0 in order: v == mV, then
// v == hV, each nudging v by 1e-4 mV; it returns the v for m and for h.
func (p *naT) guard(v float64) (vm, vh float64) {
	if v == p.mV {
		v += 0.0001
	}
	vm = v
	if v == p.hV {
		v += 0.0001
	}
	return vm, v
}

// rates: with u = v - mV, e = exp(-u/6): alpha_m = 0.182 u / (1 - e),
// beta_m = 0.124 (-u) / (1 - 1/e); with w = v - hV, f = exp(w/6):
// alpha_h = -0.015 w / (1 - f), beta_h = -0.015 (-w) / (1 - 1/f);
// tau = 1 / (alpha + beta) / qt.
func (p *naT) rates(c *Ctx, dt float64) {
	v, em, fh := p.vOf(c.V), p.ex(0), p.ex(1)
	i := 0
	if vecRates {
		i = naTArgsAVX2(v, em, fh, p.mV, p.hV)
	}
	for k := i; k < len(v); k++ {
		vm, vh := p.guard(v[k])
		em[k], fh[k] = (vm-p.mV)*(-1.0/6), (vh-p.hV)*(1.0/6)
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	a := -dt * hayQt
	i = 0
	if vecRates {
		i = naTGatesAVX2(v, em, fh, mInf, mDec, hInf, hDec, p.mV, p.hV, a, a*0.015)
	}
	for k := i; k < len(v); k++ {
		vm, vh := p.guard(v[k])
		u, e := vm-p.mV, em[k]
		s := 0.182 + 0.124*e
		mInf[k], mDec[k] = 0.182/s, a*u*s/(1-e)
		w, f := vh-p.hV, fh[k]
		hInf[k], hDec[k] = 1/(1+f), a*0.015*w*(1+f)/(f-1)
	}
}

func (p *naT) Init(c *Ctx)    { p.rates(c, 0); p.init() }
func (p *naT) State(c *Ctx)   { p.rates(c, c.Dt); p.cnexp() }
func (p *naT) Current(c *Ctx) { p.current(c, 3, 1, p.na, 0) }

type napEt2 struct {
	channel
	na *Ion
}

// napEt2Guard applies the NMODL guards in order (v == -38 before the m
// rates, then v == -17 and v == -64.4); it returns the v for m and for h.
func napEt2Guard(v float64) (vm, vh float64) {
	if v == -38 {
		v += 0.0001
	}
	vm = v
	if v == -17 {
		v += 0.0001
	}
	if v == -64.4 {
		v += 0.0001
	}
	return vm, v
}

// rates: minf = 1 / (1 + exp((v + 52.6) / -4.6)), mtau 6 times NaTa_t's;
// hinf = 1 / (1 + exp((v + 48.8) / 10)),
// alpha_h = -2.88e-6 (v + 17) / (1 - exp((v + 17) / 4.63)),
// beta_h = 6.94e-6 (v + 64.4) / (1 - exp(-(v + 64.4) / 2.63)).
func (p *napEt2) rates(c *Ctx, dt float64) {
	V := c.V
	e0, e1, e2, e3, e4 := p.ex(0), p.ex(1), p.ex(2), p.ex(3), p.ex(4)
	for k, nd := range p.node {
		v := V[nd]
		vm, vh := napEt2Guard(v)
		e0[k], e1[k], e2[k], e3[k], e4[k] = (v+52.6)/-4.6, -(vm+38)/6, (vh+48.8)/10, (vh+17)/4.63, -(vh+64.4)/2.63
	}
	fastexp.ExpAll(p.e, p.e)
	mInf, mDec := p.gate(0)
	hInf, hDec := p.gate(1)
	for k, nd := range p.node {
		vm, vh := napEt2Guard(V[nd])
		mInf[k], mDec[k] = 1.0/(1+e0[k]), -dt*hayQt*(vm+38)*(0.182+0.124*e1[k])/(1-e1[k])/6
		hAlpha := -2.88e-6 * (vh + 17) / (1 - e3[k])
		hBeta := 6.94e-6 * (vh + 64.4) / (1 - e4[k])
		hInf[k], hDec[k] = 1.0/(1+e2[k]), -dt*hayQt*(hAlpha+hBeta)
	}
}

func (p *napEt2) Init(c *Ctx)    { p.rates(c, 0); p.init() }
func (p *napEt2) State(c *Ctx)   { p.rates(c, c.Dt); p.cnexp() }
func (p *napEt2) Current(c *Ctx) { p.current(c, 3, 1, p.na, 0) }
