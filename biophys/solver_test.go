package biophys

import (
	"math"
	"testing"
)

func ptr(x float64) *float64 { return &x }

// passiveCell is one cylinder with pas, optionally with nseg segments.
func passiveCell(L, diam float64, nseg int, g, e float64) *Cell {
	return &Cell{
		Name: "passive", VInitMV: ptr(e), SpikeThresholdMV: ptr(1000),
		SpikeSite: &Location{Section: SecRef{Name: "cable"}, X: 0.5},
		Sections: []Section{{Name: "cable", L: ptr(L), Diam: Values{diam}, Nseg: nseg, Ra: ptr(100), Cm: Values{1},
			Mechanisms: map[string]map[string]Values{"pas": {"g": {g}, "e": {e}}}}},
	}
}

func runClamp(t *testing.T, c *Cell, sec int, x, amp, tstop, dt float64, probe func(*System, *Template)) {
	t.Helper()
	tm, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	nd, err := tm.Node(sec, x)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSystem([]Instance{{T: tm, Clamps: []Clamp{{Node: nd, AmpNA: amp, DelMS: 0, DurMS: 1e9}}}}, dt)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Run(tstop, func(s *System) { probe(s, tm) })
	if err != nil {
		t.Fatal(err)
	}
}

// TestRCCharging: a single compartment charged by a current step follows
// backward Euler's discrete solution exactly and the analytic one to O(dt).
func TestRCCharging(t *testing.T) {
	for _, tc := range []struct {
		name       string
		g, amp, dt float64
	}{
		{"tau10ms", 1e-4, 0.05, 0.025},
		{"tau1ms", 1e-3, 0.2, 0.025},
		{"coarse", 1e-4, 0.05, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := passiveCell(20, 20, 1, tc.g, -70)
			area := math.Pi * 20 * 20       // um2
			rin := 1 / (tc.g * area * 1e-2) // MOhm = mV/nA
			tau := 1 / tc.g * 1e-3          // ms (cm = 1 uF/cm2)
			vinf := -70 + tc.amp*rin
			step := 0
			maxBE, maxA := 0.0, 0.0
			runClamp(t, c, 0, 0.5, tc.amp, 8*tau, tc.dt, func(s *System, tm *Template) {
				step++
				v := s.V(0)
				be := vinf + (-70-vinf)*math.Pow(1/(1+tc.dt/tau), float64(step))
				an := vinf + (-70-vinf)*math.Exp(-s.T()/tau)
				maxBE = math.Max(maxBE, math.Abs(v-be))
				maxA = math.Max(maxA, math.Abs(v-an))
			})
			if maxBE > 1e-9 {
				t.Errorf("differs from the backward-Euler solution by %g mV", maxBE)
			}
			// Backward Euler's global error is about (dt/2tau)/e of the step size.
			if bound := (vinf + 70) * tc.dt / tau * 0.25; maxA > bound {
				t.Errorf("differs from the analytic solution by %g mV, want <= %g", maxA, bound)
			}
		})
	}
}

// TestPassiveCable: current into the end of a sealed passive cable gives the
// analytic steady state V(x) ∝ cosh((L-x)/λ) and input resistance
// r_a λ coth(L/λ); a long cable decays e-fold over one length constant.
func TestPassiveCable(t *testing.T) {
	const (
		diam = 2.0  // um
		g    = 1e-4 // S/cm2
		ra   = 100.0
		amp  = 0.1 // nA
	)
	lambda := math.Sqrt(diam*1e-4/(4*ra*g)) * 1e4 // um
	for _, tc := range []struct {
		name    string
		lengths float64 // in units of lambda
		nseg    int
	}{
		{"short", 0.5, 101},
		{"one", 1, 201},
		{"long", 6, 601},
	} {
		t.Run(tc.name, func(t *testing.T) {
			L := tc.lengths * lambda
			c := passiveCell(L, diam, tc.nseg, g, -65)
			var vs []float64
			var xs []float64
			// Current into the first segment: at steady state no current flows in
			// the half segment beyond it, so every centre sees the sealed-end profile.
			runClamp(t, c, 0, 0.5/float64(tc.nseg), amp, 250, 0.025, func(s *System, tm *Template) {
				if s.T() < 250-0.01 {
					return
				}
				vs, xs = vs[:0], xs[:0]
				for nd := int32(0); nd < int32(tm.N); nd++ {
					vs = append(vs, s.VNode(0, nd)+65)
					xs = append(xs, tm.NodeX[nd]*L)
				}
			})
			ri := 4 * ra / (math.Pi * diam * diam * 1e-8) * 1e-6 // MOhm per cm
			rin := ri * lambda * 1e-4 / math.Tanh(L/lambda)      // MOhm
			v0 := amp * rin
			worst := 0.0
			for k := range vs {
				want := v0 * math.Cosh((L-xs[k])/lambda) / math.Cosh(L/lambda)
				worst = math.Max(worst, math.Abs(vs[k]-want)/v0)
			}
			if worst > 2e-3 {
				t.Errorf("steady state differs from cosh profile by %.2g of V(0)", worst)
			}
			if tc.lengths >= 6 {
				// e-fold decay over one length constant
				var at float64
				for k := range xs {
					if math.Abs(xs[k]-lambda) < L/float64(tc.nseg) {
						at = vs[k] / vs[0]
					}
				}
				if math.Abs(at-math.Exp(-1)) > 5e-3 {
					t.Errorf("V(λ)/V(0) = %.4f, want e^-1 = %.4f", at, math.Exp(-1))
				}
			}
		})
	}
}
