package infer

import (
	"fmt"
	"math"
)

// STP is Tsodyks–Markram short-term plasticity of a projection's
// connections (Markram, Wang & Tsodyks 1998): each connection carries its
// resources R and utilization u from one presynaptic spike to the next, and
// the n-th spike delivers weight × u_n × R_n, where, Δ being the time
// since the previous spike,
//
//	u_1 = U, R_1 = 1
//	u_{n+1} = U + u_n (1 − U) exp(−Δ/τ_facil)
//	R_{n+1} = 1 + (R_n (1 − u_n) − 1) exp(−Δ/τ_rec)
//
// so weight_uS is the absolute efficacy (a first spike delivers U × weight).
// τ_facil = 0 is depression only (u = U at every spike); τ_rec = 0 is no
// depression (R = 1). The surrogate engine and the reference apply it at
// each presynaptic spike time they produce.
type STP struct {
	U          float64 `json:"U"`
	TauRecMS   float64 `json:"tau_rec_ms"`
	TauFacilMS float64 `json:"tau_facil_ms"`
}

// MaxSTPTauMS bounds STP's time constants.
const MaxSTPTauMS = 1e6

// check says what is wrong with the parameters, naming the field.
func (p STP) check() (field string, err error) {
	switch {
	case !(p.U > 0 && p.U <= 1):
		return "U", fmt.Errorf("%v: the utilization must lie in (0, 1]", p.U)
	case !(p.TauRecMS >= 0 && p.TauRecMS <= MaxSTPTauMS):
		return "tau_rec_ms", fmt.Errorf("%v: must lie in [0, %g] ms (0: no depression)", p.TauRecMS, MaxSTPTauMS)
	case !(p.TauFacilMS >= 0 && p.TauFacilMS <= MaxSTPTauMS):
		return "tau_facil_ms", fmt.Errorf("%v: must lie in [0, %g] ms (0: no facilitation)", p.TauFacilMS, MaxSTPTauMS)
	}
	return "", nil
}

// stpState is one connection's utilization and resources at its last
// presynaptic spike (spiked false: none yet).
type stpState struct {
	u, r   float64
	last   float64
	spiked bool
}

// efficacy advances the connection's state to a presynaptic spike at tMS
// (not before its last one) and returns u·R, the fraction of the weight
// the spike delivers.
func (p *STP) efficacy(s *stpState, tMS float64) float64 {
	u, r := p.U, 1.0
	if s.spiked {
		d := tMS - s.last
		if p.TauFacilMS > 0 {
			u = p.U + s.u*(1-p.U)*math.Exp(-d/p.TauFacilMS)
		}
		if p.TauRecMS > 0 {
			r = 1 + (s.r*(1-s.u)-1)*math.Exp(-d/p.TauRecMS)
		}
	}
	s.u, s.r, s.last, s.spiked = u, r, tMS, true
	return u * r
}

// plasticity is a run's STP state: per connection (b.Edges' order), for
// networks with a plastic projection; nil otherwise.
type plasticity struct {
	state []stpState
}

// newPlasticity prepares fresh STP state for a run of b (nil if no
// projection has STP).
func newPlasticity(b *Built) *plasticity {
	if len(b.STP) == 0 {
		return nil
	}
	return &plasticity{state: make([]stpState, len(b.Edges))}
}

// weight is what connection i of b (an index into b.Edges) delivers for
// a presynaptic spike at tMS; pl nil: every connection is static.
func (pl *plasticity) weight(b *Built, i int64, tMS float64) float32 {
	e := &b.Edges[i]
	if pl == nil || e.Plastic == 0 {
		return e.W
	}
	return float32(float64(e.W) * b.STP[e.Plastic-1].efficacy(&pl.state[i], tMS))
}
