package nmodl_test

import (
	"math"
	"strings"
	"testing"

	"neurosurrogate/biophys/nmodl"
)

// TestRegressions covers what a review found: each case failed before its
// fix.
func TestRegressions(t *testing.T) {
	t.Run("kinetic rates do not share a stale subexpression", func(t *testing.T) {
		run := func(rates string) []float64 {
			in := mech(t, `
NEURON { SUFFIX mk RANGE am, bm, tadj }
PARAMETER { am = 0.3 bm = 0.05 tadj = 1.5 }
STATE { C1 C2 O I1 I2 I3 }
INITIAL { C1 = 0.5 I1 = 0.5 }
BREAKPOINT { SOLVE kin METHOD sparse }
KINETIC kin {`+rates+`}`, 1, nil)
			in.SetTime(0, 0.1)
			in.Init()
			in.State()
			return []float64{in.Var("I1")[0], in.Var("I2")[0], in.Var("I3")[0]}
		}
		got := run("~ C1 <-> C2 (2*am*tadj, bm*tadj)\n~ C2 <-> O (am*tadj, 2*bm*tadj)\n~ I1 <-> I2 (2*am*tadj, bm*tadj)\n~ I2 <-> I3 (am*tadj, 2*bm*tadj)\n")
		want := run("~ C1 <-> C2 (2*am*tadj, bm*tadj)\n~ C2 <-> O (am*tadj, 2*bm*tadj)\n~ I1 <-> I2 (am*2*tadj, bm*tadj)\n~ I2 <-> I3 (am*tadj, bm*2*tadj)\n")
		for i := range got {
			if math.Abs(got[i]-want[i]) > 1e-12 {
				t.Fatalf("%v, want %v", got, want)
			}
		}
	})
	t.Run("LINEAR coefficients do not share a stale subexpression", func(t *testing.T) {
		in := mech(t, `
NEURON { SUFFIX k RANGE a, b, c, d }
PARAMETER { a = 2 b = 3 c = 5 d = 7 }
STATE { A B }
INITIAL { SOLVE ss }
LINEAR ss {
  ~ A*(a*b+1) = 1
  ~ B*(c*d + a*b) = 1
}`, 1, nil)
		in.Init()
		if b := in.Var("B")[0]; math.Abs(b-1.0/41) > 1e-15 {
			t.Errorf("B = %v, want 1/41", b)
		}
	})
	t.Run("x = x^y in place", func(t *testing.T) {
		in := mech(t, `
NEURON { SUFFIX p RANGE x, w }
ASSIGNED { x w }
BREAKPOINT { SOLVE s }
PROCEDURE s() { x = -2  x = x^3  w = 0  w = w^(-1) }`, 1, nil)
		in.State()
		if in.Var("x")[0] != -8 || !math.IsInf(in.Var("w")[0], 1) {
			t.Errorf("x = %v (want -8), w = %v (want +Inf)", in.Var("x")[0], in.Var("w")[0])
		}
	})
	t.Run("a = a inside if", func(t *testing.T) {
		in := mech(t, `
NEURON { SUFFIX q RANGE a }
ASSIGNED { a v }
BREAKPOINT { SOLVE s }
PROCEDURE s() { if (v > 0) { a = a } }`, 2, nil)
		in.State()
	})
	t.Run("a KINETIC concentration state is the ion's", func(t *testing.T) {
		in := mech(t, `
NEURON { SUFFIX buf USEION ca READ cai WRITE cai RANGE kf, kb }
PARAMETER { kf = 1 kb = 0.1 }
STATE { cai (mM) CaB (mM) }
BREAKPOINT { SOLVE sch METHOD sparse }
KINETIC sch { ~ cai <-> CaB (kf, kb) }`, 1, nil)
		if !in.Reads(nmodl.PhaseState, "cai") {
			t.Error("the state phase does not touch cai")
		}
	})
	t.Run("a TABLE's side effects reach the instances", func(t *testing.T) {
		in := mech(t, `
NEURON { SUFFIX kv USEION k READ ek WRITE ik RANGE gk, gbar GLOBAL tadj, q10, temp, vmin, vmax }
PARAMETER { gbar = 5 temp = 23 q10 = 2.3 vmin = -120 vmax = 100 }
ASSIGNED { v ik ek gk ninf ntau tadj }
STATE { n }
INITIAL { trates(v) n = ninf }
BREAKPOINT { SOLVE states METHOD cnexp  gk = tadj*gbar*n  ik = 1e-4*gk*(v-ek) }
DERIVATIVE states { trates(v) n' = (ninf-n)/ntau }
PROCEDURE trates(v) { TABLE ninf, ntau DEPEND celsius FROM vmin TO vmax WITH 199  rates(v) }
PROCEDURE rates(v) { tadj = q10^((celsius - temp)/10)  ninf = 1/(1+exp(-(v-25)/9))  ntau = 1/tadj }`, 1, nil)
		in.SetTime(0, 0.025)
		in.Init()
		if want := math.Pow(2.3, (6.3-23)/10); math.Abs(in.Var("tadj")[0]-want) > 1e-12 {
			t.Errorf("tadj = %v, want %v (set by building the table)", in.Var("tadj")[0], want)
		}
	})
	t.Run("a TABLE that DEPENDs on dt sees it", func(t *testing.T) {
		var ms [2]float64
		for i, ut := range []float64{1, 0} {
			in := mech(t, `
NEURON { SUFFIX oldhh RANGE m }
ASSIGNED { v minf mexp }
STATE { m }
INITIAL { m = 0 }
BREAKPOINT { SOLVE states }
PROCEDURE states() { rates(v)  m = m + mexp*(minf - m) }
PROCEDURE rates(v) {
  TABLE minf, mexp DEPEND dt, celsius FROM -100 TO 100 WITH 200
  minf = 1/(1 + exp(-(v + 40)/5))
  mexp = 1 - exp(-dt/0.5)
}`, 1, map[string]float64{"usetable": ut})
			in.SetTime(0, 0.025)
			in.Init()
			for range 10 {
				in.State()
			}
			ms[i] = in.Var("m")[0]
		}
		if !(ms[0] > 0.3) || math.Abs(ms[0]-ms[1]) > 1e-6 {
			t.Errorf("m after 10 steps: %v with the table, %v without", ms[0], ms[1])
		}
	})
	t.Run("NET_RECEIVE sees the event's time", func(t *testing.T) {
		in := mech(t, `
NEURON { POINT_PROCESS s RANGE tl }
ASSIGNED { tl }
NET_RECEIVE(w) { tl = t }`, 1, nil)
		in.SetTime(10, 0.025)
		in.ReceiveAt(0, 1, 10.0125)
		if in.Var("tl")[0] != 10.0125 {
			t.Errorf("t in NET_RECEIVE = %v, want the event's 10.0125", in.Var("tl")[0])
		}
	})
	t.Run("deep nesting is an error", func(t *testing.T) {
		src := "NEURON { SUFFIX d }\nASSIGNED { y }\nBREAKPOINT { y = " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000) + " }"
		if _, err := nmodl.Load("d.mod", src); err == nil || !strings.Contains(err.Error(), "nesting") {
			t.Errorf("%v", err)
		}
	})
}
