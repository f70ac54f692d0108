package biophys

import "math"

func init() {
	RegisterMechanism(&Mechanism{
		Name: "hh",
		Doc: "NEURON's hh: squid Na, K and leak channels, q10 = 3 from 6.3 C, " +
			"rates from 201-point tables over [-100, 100] mV as NEURON's usetable_hh",
		Params: []Param{
			{Name: "gnabar", Default: 0.12, Unit: "S/cm2", Range: NonNegative},
			{Name: "gkbar", Default: 0.036, Unit: "S/cm2", Range: NonNegative},
			{Name: "gl", Default: 0.0003, Unit: "S/cm2", Range: NonNegative},
			{Name: "el", Default: -54.3, Unit: "mV"},
		},
		Ions: []IonUse{{Ion: "na"}, {Ion: "k"}},
		New:  newHH,
	})
}

// hhTable holds NEURON's TABLE for hh's rates: minf, mtau, hinf, htau, ninf,
// ntau at 201 potentials from -100 to 100 mV, interpolated linearly.
type hhTable [6][201]float64

const (
	hhTmin = -100.0
	hhTmax = 100.0
	hhTn   = 200
)

func vtrap(x, y float64) float64 {
	if math.Abs(x/y) < 1e-6 {
		return y * (1 - x/y/2)
	}
	return x / (math.Exp(x/y) - 1)
}

// hhRatesExact evaluates hh's rate functions without the table.
func hhRatesExact(v, q10 float64) (r [6]float64) {
	alpha := .1 * vtrap(-(v+40), 10)
	beta := 4 * math.Exp(-(v+65)/18)
	sum := alpha + beta
	r[1] = 1 / (q10 * sum)
	r[0] = alpha / sum
	alpha = .07 * math.Exp(-(v+65)/20)
	beta = 1 / (math.Exp(-(v+35)/10) + 1)
	sum = alpha + beta
	r[3] = 1 / (q10 * sum)
	r[2] = alpha / sum
	alpha = .01 * vtrap(-(v+55), 10)
	beta = .125 * math.Exp(-(v+65)/80)
	sum = alpha + beta
	r[5] = 1 / (q10 * sum)
	r[4] = alpha / sum
	return r
}

func hhQ10(celsius float64) float64 { return math.Pow(3, (celsius-6.3)/10) }

func newHHTable(celsius float64) *hhTable {
	t := new(hhTable)
	q10 := hhQ10(celsius)
	dx := (hhTmax - hhTmin) / hhTn
	x := hhTmin
	for i := 0; i <= hhTn; i++ {
		r := hhRatesExact(x, q10)
		for k := range r {
			t[k][i] = r[k]
		}
		x += dx
	}
	return t
}

// lookup interpolates the table at v exactly as NEURON's generated code does.
func (t *hhTable) lookup(v float64) (r [6]float64) {
	xi := (v - hhTmin) * (hhTn / (hhTmax - hhTmin))
	if xi <= 0 || math.IsNaN(xi) {
		for k := range r {
			r[k] = t[k][0]
		}
		return r
	}
	if xi >= hhTn {
		for k := range r {
			r[k] = t[k][hhTn]
		}
		return r
	}
	i := int(xi)
	th := xi - float64(i)
	for k := range r {
		r[k] = t[k][i] + th*(t[k][i+1]-t[k][i])
	}
	return r
}

type hh struct {
	node              []int32
	gnabar, gkbar, gl []float64
	el                []float64
	m, h, n           []float64
	tab               *hhTable
	ena, ek           []float64
	na, k             *Ion
}

func newHH(b *Build) Kernel {
	n := len(b.Nodes)
	return &hh{
		node: b.Nodes, gnabar: b.P["gnabar"], gkbar: b.P["gkbar"], gl: b.P["gl"], el: b.P["el"],
		m: make([]float64, n), h: make([]float64, n), n: make([]float64, n),
		tab: newHHTable(b.Celsius), na: b.Ions["na"], k: b.Ions["k"],
		ena: b.Ions["na"].E, ek: b.Ions["k"].E,
	}
}

func (p *hh) Init(c *Ctx) {
	for k, nd := range p.node {
		r := p.tab.lookup(c.V[nd])
		p.m[k], p.h[k], p.n[k] = r[0], r[2], r[4]
	}
}

func (p *hh) Current(c *Ctx) {
	ina, ik := p.na.I, p.k.I
	for k, nd := range p.node {
		v := c.V[nd]
		m, n := p.m[k], p.n[k]
		gna := p.gnabar[k] * m * m * m * p.h[k]
		gk := p.gkbar[k] * n * n * n * n
		iNa := gna * (v - p.ena[nd])
		iK := gk * (v - p.ek[nd])
		c.RHS[nd] -= iNa + iK + p.gl[k]*(v-p.el[k])
		c.D[nd] += gna + gk + p.gl[k]
		if ina != nil {
			ina[nd] += iNa
		}
		if ik != nil {
			ik[nd] += iK
		}
	}
}

func (p *hh) State(c *Ctx) {
	dt := c.Dt
	for k, nd := range p.node {
		r := p.tab.lookup(c.V[nd])
		p.m[k] += (1 - math.Exp(-dt/r[1])) * (r[0] - p.m[k])
		p.h[k] += (1 - math.Exp(-dt/r[3])) * (r[2] - p.h[k])
		p.n[k] += (1 - math.Exp(-dt/r[5])) * (r[4] - p.n[k])
	}
}
