package biophys

import (
	"fmt"
	"math"
	"testing"
)

// The Hay et al. 2011 rate functions transcribed literally from the NMODL
// files (ModelDB 139653, mod/*.mod), with math.Exp and math.Pow: the
// kernels' rewritten forms must agree with them.

var litQt = math.Pow(2.3, (34.0-21.0)/10.0)

type gateRef struct{ inf, tau float64 }

func litNaT(v, mV, hV float64) (m, h gateRef) {
	if v == mV {
		v = v + 0.0001
	}
	mAlpha := (0.182 * (v - mV)) / (1 - (math.Exp(-(v - mV) / 6)))
	mBeta := (0.124 * (-v + mV)) / (1 - (math.Exp(-(-v + mV) / 6)))
	m = gateRef{mAlpha / (mAlpha + mBeta), (1 / (mAlpha + mBeta)) / litQt}
	if v == hV {
		v = v + 0.0001
	}
	hAlpha := (-0.015 * (v - hV)) / (1 - (math.Exp((v - hV) / 6)))
	hBeta := (-0.015 * (-v + hV)) / (1 - (math.Exp((-v + hV) / 6)))
	h = gateRef{hAlpha / (hAlpha + hBeta), (1 / (hAlpha + hBeta)) / litQt}
	return
}

func litNapEt2(v float64) (m, h gateRef) {
	m.inf = 1.0 / (1 + math.Exp((v - -52.6)/-4.6))
	if v == -38 {
		v = v + 0.0001
	}
	mAlpha := (0.182 * (v - -38)) / (1 - (math.Exp(-(v - -38) / 6)))
	mBeta := (0.124 * (-v - 38)) / (1 - (math.Exp(-(-v - 38) / 6)))
	m.tau = 6 * (1 / (mAlpha + mBeta)) / litQt
	if v == -17 {
		v = v + 0.0001
	}
	if v == -64.4 {
		v = v + 0.0001
	}
	h.inf = 1.0 / (1 + math.Exp((v - -48.8)/10))
	hAlpha := -2.88e-6 * (v + 17) / (1 - math.Exp((v+17)/4.63))
	hBeta := 6.94e-6 * (v + 64.4) / (1 - math.Exp(-(v+64.4)/2.63))
	h.tau = (1 / (hAlpha + hBeta)) / litQt
	return
}

func litKPst(v float64) (m, h gateRef) {
	v = v + 10
	m.inf = (1 / (1 + math.Exp(-(v+1)/12)))
	if v < -50 {
		m.tau = (1.25 + 175.03*math.Exp(-v*-0.026)) / litQt
	} else {
		m.tau = (1.25 + 13*math.Exp(-v*0.026)) / litQt
	}
	h.inf = 1 / (1 + math.Exp(-(v+54)/-11))
	h.tau = (360 + (1010+24*(v+55))*math.Exp(-math.Pow((v+75)/48, 2))) / litQt
	return
}

func litKTst(v float64) (m, h gateRef) {
	v = v + 10
	m.inf = 1 / (1 + math.Exp(-(v+0)/19))
	m.tau = (0.34 + 0.92*math.Exp(-math.Pow((v+71)/59, 2))) / litQt
	h.inf = 1 / (1 + math.Exp(-(v+66)/-10))
	h.tau = (8 + 49*math.Exp(-math.Pow((v+73)/23, 2))) / litQt
	return
}

func litSKv31(v float64) (m, _ gateRef) {
	m.inf = 1 / (1 + math.Exp(((v - (18.700)) / (-9.700))))
	m.tau = 0.2 * 20.000 / (1 + math.Exp(((v - (-46.560)) / (-44.140))))
	return
}

func litIm(v float64) (m, _ gateRef) {
	mAlpha := 3.3e-3 * math.Exp(2.5*0.04*(v - -35))
	mBeta := 3.3e-3 * math.Exp(-2.5*0.04*(v - -35))
	m = gateRef{mAlpha / (mAlpha + mBeta), (1 / (mAlpha + mBeta)) / litQt}
	return
}

func litIh(v float64) (m, _ gateRef) {
	if v == -154.9 {
		v = v + 0.0001
	}
	mAlpha := 0.001 * 6.43 * (v + 154.9) / (math.Exp((v+154.9)/11.9) - 1)
	mBeta := 0.001 * 193 * math.Exp(v/33.1)
	m = gateRef{mAlpha / (mAlpha + mBeta), 1 / (mAlpha + mBeta)}
	return
}

func litCaHVA(v float64) (m, h gateRef) {
	if v == -27 {
		v = v + 0.0001
	}
	mAlpha := (0.055 * (-27 - v)) / (math.Exp((-27-v)/3.8) - 1)
	mBeta := (0.94 * math.Exp((-75-v)/17))
	m = gateRef{mAlpha / (mAlpha + mBeta), 1 / (mAlpha + mBeta)}
	hAlpha := (0.000457 * math.Exp((-13-v)/50))
	hBeta := (0.0065 / (math.Exp((-v-15)/28) + 1))
	h = gateRef{hAlpha / (hAlpha + hBeta), 1 / (hAlpha + hBeta)}
	return
}

func litCaLVAst(v float64) (m, h gateRef) {
	v = v + 10
	m.inf = 1.0000 / (1 + math.Exp((v - -30.000)/-6))
	m.tau = (5.0000 + 20.0000/(1+math.Exp((v - -25.000)/5))) / litQt
	h.inf = 1.0000 / (1 + math.Exp((v - -80.000)/6.4))
	h.tau = (20.0000 + 50.0000/(1+math.Exp((v - -40.000)/7))) / litQt
	return
}

// hayVoltages are test potentials: a grid over -150..+80 mV plus every
// NMODL guard point (0/0 in the literal form, so v is nudged by 1e-4 mV)
// and points 1e-3 mV either side. Closer to a guard point than that, both
// forms lose digits to cancellation in 1 - exp(u) (NEURON's as much as
// ours: at 1e-9 mV about 1e-7 relative), so they are not compared there.
func hayVoltages() []float64 {
	var vs []float64
	for v := -150.0; v <= 80; v += 0.37 {
		vs = append(vs, v)
	}
	for _, g := range hayGuards {
		vs = append(vs, g, g+1e-3, g-1e-3)
	}
	return append(vs, -60.5, -59.5) // about K_Pst's branch at v+10 = -50 (and v = -60 above)
}

var hayGuards = []float64{-38, -66, -32, -60, -17, -64.4, -27, -154.9}

// hayTol is the tolerance at v: 1e-13 (1e-12 for tau, relative), but 1e-10
// within 0.01 mV of a guard point, where the literal form has lost that much
// (at u = 1e-4 mV, 1e-16 / (1e-4/6) relative).
func hayTol(v float64) (inf, tau float64) {
	for _, g := range hayGuards {
		if math.Abs(v-g) < 0.01 {
			return 1e-10, 1e-10
		}
	}
	return 1e-13, 1e-12
}

func TestHayRatesMatchNMODL(t *testing.T) {
	vs := hayVoltages()
	n := len(vs)
	nodes := make([]int32, n)
	for i := range nodes {
		nodes[i] = int32(i)
	}
	ions := map[string]*Ion{"na": {Name: "na", E: make([]float64, n)}, "k": {Name: "k", E: make([]float64, n)},
		"ca": {Name: "ca", Charge: 2, E: make([]float64, n), Ci: make([]float64, n), Co: make([]float64, n)}}
	c := &Ctx{Dt: 1, V: vs, RHS: make([]float64, n), D: make([]float64, n)}
	type rated interface {
		rates(c *Ctx, dt float64)
		ch() *channel
	}
	cases := []struct {
		mech  string
		gates int
		lit   func(v float64) (gateRef, gateRef)
	}{
		{"NaTa_t", 2, func(v float64) (gateRef, gateRef) { return litNaT(v, -38, -66) }},
		{"NaTs2_t", 2, func(v float64) (gateRef, gateRef) { return litNaT(v, -32, -60) }},
		{"Nap_Et2", 2, litNapEt2},
		{"K_Pst", 2, litKPst},
		{"K_Tst", 2, litKTst},
		{"SKv3_1", 1, litSKv31},
		{"Im", 1, litIm},
		{"Ih", 1, litIh},
		{"Ca_HVA", 2, litCaHVA},
		{"Ca_LVAst", 2, litCaLVAst},
	}
	for _, tc := range cases {
		t.Run(tc.mech, func(t *testing.T) {
			m, ok := LookupMechanism(tc.mech)
			if !ok {
				t.Fatalf("%s not registered", tc.mech)
			}
			b := &Build{Nodes: nodes, P: map[string][]float64{}, Celsius: 6.3, Ions: ions}
			for _, p := range m.Params {
				b.P[p.Name] = make([]float64, n)
			}
			k := m.New(b).(rated)
			k.rates(c, c.Dt)
			ch := k.ch()
			worstInf, worstTau := 0.0, 0.0
			for i, v := range vs {
				gm, gh := tc.lit(v)
				for g, want := range []gateRef{gm, gh}[:tc.gates] {
					inf := ch.inf[g*n+i]
					tau := -c.Dt / ch.decay[g*n+i] // decay holds -dt/tau
					dInf := math.Abs(inf - want.inf)
					dTau := math.Abs(tau-want.tau) / want.tau
					worstInf, worstTau = math.Max(worstInf, dInf), math.Max(worstTau, dTau)
					tolInf, tolTau := hayTol(v)
					if !(dInf <= tolInf && dTau <= tolTau) {
						t.Errorf("v = %v gate %d: inf %v tau %v; NMODL %v %v", v, g, inf, tau, want.inf, want.tau)
					}
				}
			}
			t.Logf("%d potentials: worst |inf - NMODL| %.2g, worst relative tau %.2g", n, worstInf, worstTau)
		})
	}
}

func (p *channel) ch() *channel { return p }

// TestHayCalcium checks SK_E2's zinf and one CaDynamics_E2 step against the
// NMODL expressions, and that eca follows cai through Nernst.
func TestHayCalcium(t *testing.T) {
	cais := []float64{0, 1e-8, 5e-8, 1e-7, 5e-5, 1e-4, 4.3e-4, 1e-3, 0.01}
	n := len(cais)
	nodes := make([]int32, n)
	for i := range nodes {
		nodes[i] = int32(i)
	}
	ca := &Ion{Name: "ca", Charge: 2, E: make([]float64, n), Ci: append([]float64(nil), cais...), Co: make([]float64, n), I: make([]float64, n)}
	ions := map[string]*Ion{"k": {Name: "k", E: make([]float64, n)}, "ca": ca}
	sk := LookupMechanismMust(t, "SK_E2").New(&Build{Nodes: nodes, P: map[string][]float64{"gSK_E2bar": make([]float64, n)}, Ions: ions}).(*skE2)
	sk.zinf()
	for i, cai := range cais {
		x := cai
		if x < 1e-7 {
			x = x + 1e-07
		}
		want := 1 / (1 + math.Pow(0.00043/x, 4.8))
		if d := math.Abs(sk.inf[i] - want); d > 1e-14 {
			t.Errorf("SK_E2 zinf(cai=%v) = %v, NMODL %v", cai, sk.inf[i], want)
		}
	}

	const dt = 0.025
	gamma, decay, depth, minCai := 0.000501, 460.0, 0.1, 1e-4
	P := map[string][]float64{}
	for name, v := range map[string]float64{"gamma": gamma, "decay": decay, "depth": depth, "minCai": minCai} {
		P[name] = make([]float64, n)
		for i := range P[name] {
			P[name][i] = v
		}
	}
	cd := LookupMechanismMust(t, "CaDynamics_E2").New(&Build{Nodes: nodes, P: P, Ions: ions})
	c := &Ctx{Dt: dt, V: make([]float64, n)}
	cd.Init(c)
	for i := range ca.I {
		ca.I[i] = -1e-4 * float64(i) // inward calcium current, mA/cm2
	}
	cd.State(c)
	for i, cai := range cais {
		ica := ca.I[i]
		// nocmodl's cnexp for cai' = -(10000)*(ica*gamma/(2*FARADAY*depth)) - (cai - minCai)/decay
		want := cai + (1.-math.Exp(dt*((-1.0)/decay)))*(-(-(10000.0)*((ica*gamma)/(2.0*Faraday*depth))-(-minCai)/decay)/((-1.0)/decay)-cai)
		if d := math.Abs(ca.Ci[i]-want) / want; d > 1e-12 {
			t.Errorf("cai after one step from %v with ica %v: %v, NMODL %v", cai, ica, ca.Ci[i], want)
		}
	}
	// eca from Nernst at 6.3 C with cao 2 mM and cai 5e-5 mM: 127.59 mV
	// (shared/cells/hay-l5pc/README.md).
	if e := Nernst(KTF(6.3), 2, 5e-5, 2); math.Abs(e-127.59) > 0.005 {
		t.Errorf("eca = %.4f mV, want 127.59", e)
	}
}

func LookupMechanismMust(t *testing.T, name string) *Mechanism {
	t.Helper()
	m, ok := LookupMechanism(name)
	if !ok {
		t.Fatalf("mechanism %s not registered", name)
	}
	return m
}

// TestHayMechanismParams checks that every Hay mechanism is registered with
// its NMODL RANGE parameter names, all required.
func TestHayMechanismParams(t *testing.T) {
	want := map[string][]string{
		"NaTa_t": {"gNaTa_tbar"}, "NaTs2_t": {"gNaTs2_tbar"}, "Nap_Et2": {"gNap_Et2bar"},
		"K_Pst": {"gK_Pstbar"}, "K_Tst": {"gK_Tstbar"}, "SKv3_1": {"gSKv3_1bar"}, "SK_E2": {"gSK_E2bar"},
		"Ca_HVA": {"gCa_HVAbar"}, "Ca_LVAst": {"gCa_LVAstbar"}, "Im": {"gImbar"}, "Ih": {"gIhbar"},
		"CaDynamics_E2": {"gamma", "decay", "depth", "minCai"},
	}
	for name, params := range want {
		m := LookupMechanismMust(t, name)
		if got := fmt.Sprint(paramNames(m.Params)); got != fmt.Sprint(joinNames(params)) {
			t.Errorf("%s parameters %s, want %s", name, got, joinNames(params))
		}
		for _, p := range m.Params {
			if !math.IsNaN(p.Default) {
				t.Errorf("%s.%s has default %v; want it required", name, p.Name, p.Default)
			}
		}
	}
	if m := LookupMechanismMust(t, "CaDynamics_E2"); len(m.Ions) != 1 || m.Ions[0] != (IonUse{Ion: "ca", ReadI: true, WriteConc: true}) {
		t.Errorf("CaDynamics_E2 ions %+v", m.Ions)
	}
}

func joinNames(ps []string) string {
	var q []Param
	for _, p := range ps {
		q = append(q, Param{Name: p})
	}
	return paramNames(q)
}
