package biophys

func init() {
	RegisterMechanism(&Mechanism{
		Name: "pas",
		Doc:  "passive leak i = g (v - e), as NEURON's pas",
		Params: []Param{
			{Name: "g", Default: 0.001, Unit: "S/cm2", Range: NonNegative},
			{Name: "e", Default: -70, Unit: "mV"},
		},
		New: func(b *Build) Kernel { return &pas{node: b.Nodes, g: b.P["g"], e: b.P["e"]} },
	})
}

type pas struct {
	node []int32
	g, e []float64
}

func (p *pas) Init(*Ctx)  {}
func (p *pas) State(*Ctx) {}

func (p *pas) Current(c *Ctx) {
	for k, n := range p.node {
		c.RHS[n] -= p.g[k] * (c.V[n] - p.e[k])
		c.D[n] += p.g[k]
	}
}
