package nmodl_test

import (
	"math"
	"strings"
	"testing"

	"neurosurrogate/biophys/nmodl"
)

// mech loads NMODL text and makes n instances at 6.3 C.
func mech(t *testing.T, src string, n int, globals map[string]float64) *nmodl.Instance {
	t.Helper()
	m, err := nmodl.Load("test.mod", src)
	if err != nil {
		t.Fatal(err)
	}
	in, err := m.New(n, globals, 6.3)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

const decaySrc = `
NEURON { SUFFIX decay RANGE tau, x0 }
PARAMETER { tau = 5 (ms) x0 = 1 }
STATE { x }
INITIAL { x = x0 }
BREAKPOINT { SOLVE s METHOD %s }
DERIVATIVE s { x' = (0.25 - x)/tau }
`

// TestIntegrators checks each method's step against its closed form for
// x' = (a - x)/tau: cnexp exact, derivimplicit (backward Euler)
// x1 = (x0 + dt a/tau)/(1 + dt/tau), euler x1 = x0 + dt (a - x0)/tau.
func TestIntegrators(t *testing.T) {
	const a, tau, dt, steps = 0.25, 5.0, 0.1, 50
	cases := []struct {
		method string
		step   func(x float64) float64
		tol    float64
	}{
		{"cnexp", func(x float64) float64 { return a + (x-a)*math.Exp(-dt/tau) }, 1e-14},
		{"derivimplicit", func(x float64) float64 { return (x + dt*a/tau) / (1 + dt/tau) }, 1e-12},
		{"euler", func(x float64) float64 { return x + dt*(a-x)/tau }, 1e-14},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			in := mech(t, strings.Replace(decaySrc, "%s", tc.method, 1), 3, nil)
			copy(in.Var("x0"), []float64{1, -2, 0.25})
			in.SetTime(0, dt)
			in.Init()
			want := []float64{1, -2, 0.25}
			for s := 0; s < steps; s++ {
				in.State()
				for k := range want {
					want[k] = tc.step(want[k])
				}
			}
			for k, w := range want {
				if got := in.Var("x")[k]; math.Abs(got-w) > tc.tol {
					t.Errorf("instance %d after %d steps: x = %.17g, want %.17g", k, steps, got, w)
				}
			}
		})
	}
}

// TestCurrent checks NEURON's di/dv: the current at v and its difference
// quotient over 0.001 mV, summed over the mechanism's currents.
func TestCurrent(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX q NONSPECIFIC_CURRENT i, j RANGE g }
PARAMETER { g = 0.002 }
ASSIGNED { v i j }
BREAKPOINT { i = g*(v + 70)  j = g*v*v/100 }`, 2, nil)
	v := in.Var("v")
	copy(v, []float64{-65, 10})
	in.Current()
	for k, v0 := range []float64{-65, 10} {
		cur := func(v float64) float64 { return 0.002*(v+70) + 0.002*v*v/100 }
		if got, want := in.Cur[k], cur(v0); got != want {
			t.Errorf("Cur[%d] = %v, want %v", k, got, want)
		}
		if got, want := in.G[k], (cur(v0+.001)-cur(v0))/.001; math.Abs(got-want) > 1e-12 {
			t.Errorf("G[%d] = %v, want %v", k, got, want)
		}
		if in.Var("v")[k] != v0 {
			t.Errorf("v[%d] changed to %v", k, in.Var("v")[k])
		}
	}
}

// TestConditionals: each instance takes its own branch, nested and with
// else if; a FUNCTION's arguments are copies.
func TestConditionals(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX c RANGE y, z }
ASSIGNED { v y z }
BREAKPOINT { SOLVE p }
PROCEDURE p() {
	if (v < 0) {
		if (v < -50) { y = 1 } else { y = 2 }
	} else if (v == 0) {
		y = 3
	} else {
		y = f(v)
	}
	z = v
}
FUNCTION f(x) { x = x + 1  f = x * 10 }`, 4, nil)
	copy(in.Var("v"), []float64{-60, -10, 0, 4})
	in.State()
	for k, want := range []float64{1, 2, 3, 50} {
		if got := in.Var("y")[k]; got != want {
			t.Errorf("y[%d] = %v, want %v", k, got, want)
		}
	}
	if in.Var("z")[3] != 4 {
		t.Errorf("the FUNCTION changed its caller's v: %v", in.Var("z")[3])
	}
}

// TestTable: a tabulated PROCEDURE gives the function's values at the
// table's points and NEURON's linear interpolation between them, clamped
// at the ends; usetable 0 computes the function itself.
func TestTable(t *testing.T) {
	src := `
NEURON { SUFFIX tb RANGE a }
ASSIGNED { v a }
BREAKPOINT { SOLVE p }
PROCEDURE p() { r(v) }
PROCEDURE r(x) {
	TABLE a FROM -10 TO 10 WITH 4
	a = exp(x / 7)
}`
	vs := []float64{-10, -5, -2.5, 0, 3, 10, 20, -30}
	in := mech(t, src, len(vs), nil)
	copy(in.Var("v"), vs)
	in.State()
	f := func(x float64) float64 { return math.Exp(x / 7) }
	grid := []float64{-10, -5, 0, 5, 10}
	for k, x := range vs {
		var want float64
		switch {
		case x <= -10:
			want = f(-10)
		case x >= 10:
			want = f(10)
		default:
			i := int((x + 10) / 5)
			th := (x+10)/5 - float64(i)
			want = f(grid[i]) + th*(f(grid[i+1])-f(grid[i]))
		}
		if got := in.Var("a")[k]; math.Abs(got-want) > 1e-15 {
			t.Errorf("table at %v: %v, want %v", x, got, want)
		}
	}
	off := mech(t, src, len(vs), map[string]float64{"usetable": 0})
	copy(off.Var("v"), vs)
	off.State()
	for k, x := range vs {
		if got := off.Var("a")[k]; math.Abs(got-f(x)) > 1e-15*f(x) {
			t.Errorf("usetable 0 at %v: %v, want %v", x, got, f(x))
		}
	}
}

// TestKinetic: A <-> B (kf, kb) by backward Euler, whose step is
// x1 = M^-1 x0 with M = [[1 + dt kf, -dt kb], [-dt kf, 1 + dt kb]]; the sum
// is conserved; the LINEAR block of INITIAL solves the steady state.
func TestKinetic(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX kin RANGE kf, kb }
PARAMETER { kf = 0.3 kb = 0.1 }
ASSIGNED { v }
STATE { A B }
INITIAL { SOLVE ss }
BREAKPOINT { SOLVE sch METHOD sparse }
KINETIC sch {
	~ A <-> B (kf, kb)
	CONSERVE A + B = 1
}
LINEAR ss {
	~ A*kf - B*kb = 0
	~ A + B = 1
}`, 2, nil)
	copy(in.Var("kf"), []float64{0.3, 2})
	copy(in.Var("kb"), []float64{0.1, 0.5})
	const dt = 0.5
	in.SetTime(0, dt)
	in.Init()
	for k := range 2 {
		kf, kb := in.Var("kf")[k], in.Var("kb")[k]
		if got, want := in.Var("A")[k], kb/(kf+kb); math.Abs(got-want) > 1e-15 {
			t.Errorf("LINEAR steady state A[%d] = %v, want %v", k, got, want)
		}
	}
	// From A = 1, B = 0.
	copy(in.Var("A"), []float64{1, 1})
	copy(in.Var("B"), []float64{0, 0})
	a, b := []float64{1, 1}, []float64{0, 0}
	for s := 0; s < 20; s++ {
		in.State()
		for k := range a {
			kf, kb := in.Var("kf")[k], in.Var("kb")[k]
			m00, m01, m10, m11 := 1+dt*kf, -dt*kb, -dt*kf, 1+dt*kb
			det := m00*m11 - m01*m10
			a[k], b[k] = (m11*a[k]-m01*b[k])/det, (-m10*a[k]+m00*b[k])/det
		}
	}
	for k := range a {
		if got := in.Var("A")[k]; math.Abs(got-a[k]) > 1e-13 {
			t.Errorf("A[%d] = %v, want %v", k, got, a[k])
		}
		if s := in.Var("A")[k] + in.Var("B")[k]; math.Abs(s-1) > 1e-15 {
			t.Errorf("A + B = %v, want 1", s)
		}
	}
}

// TestUnits: the UNITS block's named constants and numbers written with
// a unit.
func TestUnits(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX u RANGE a, b, c, d }
UNITS { FARADAY = (faraday) (coulomb) R = (k-mole) (joule/degC) kF = (faraday) (kilocoulombs) }
ASSIGNED { a b c d }
BREAKPOINT { SOLVE p }
PROCEDURE p() { a = FARADAY  b = R  c = kF  d = 2^((34-21)/(10 (degC))) }`, 1, nil)
	in.State()
	for _, c := range []struct {
		name string
		want float64
	}{{"a", 96485.33212}, {"b", 8.314462618}, {"c", 96.48533212}, {"d", math.Pow(2, 1.3)}} {
		if got := in.Var(c.name)[0]; math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("%s = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestErrors: what is not supported, or wrong, is an error naming the
// file, the line and the construct.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"verbatim", "NEURON { SUFFIX a }\nPROCEDURE p() {\nVERBATIM\nstatic double z;\nENDVERBATIM\n}", "test.mod:3: VERBATIM"},
		{"verbatim return mid-block", "NEURON { SUFFIX a }\nASSIGNED { y }\nPROCEDURE p() {\nVERBATIM\nreturn 0;\nENDVERBATIM\ny = 1\n}", "test.mod:4: VERBATIM return 0"},
		{"no suffix", "PARAMETER { x = 1 }", "no SUFFIX"},
		{"unknown block", "NEURON { SUFFIX a }\nFUNCTION_TABLE tau(v)", "test.mod:2: FUNCTION_TABLE block: not supported"},
		{"undeclared", "NEURON { SUFFIX a }\nASSIGNED { y }\nBREAKPOINT { y = zz + 1 }", "test.mod:3: zz is not declared"},
		{"recursion", "NEURON { SUFFIX a }\nASSIGNED { y }\nBREAKPOINT { y = f(1) }\nFUNCTION f(x) {\n f = f(x) }", "f calls itself"},
		{"bad method", "NEURON { SUFFIX a }\nSTATE { x }\nBREAKPOINT { SOLVE s METHOD runge }\nDERIVATIVE s { x' = -x }", "METHOD runge: not supported"},
		{"unknown unit constant", "NEURON { SUFFIX a }\nUNITS { Q = (quux) (coulomb) }", "test.mod:2: UNITS Q"},
		{"arity", "NEURON { SUFFIX a }\nASSIGNED { y }\nBREAKPOINT { y = exp(1, 2) }", "exp takes 1 argument"},
		{"unterminated comment", "NEURON { SUFFIX a }\nCOMMENT\nno end", "COMMENT without ENDCOMMENT"},
		{"array", "NEURON { SUFFIX a }\nPARAMETER { w[4] }", "array variables are not supported"},
		{"ion without valence", "NEURON { SUFFIX a USEION zz READ ezz }", "needs a VALENCE"},
		{"kinetic rate on a state", "NEURON { SUFFIX a }\nSTATE { A B }\nBREAKPOINT { SOLVE k METHOD sparse }\nKINETIC k {\n ~ A <-> B (A, 1) }", "depends on the state A"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := nmodl.Load("test.mod", tc.src)
			if err == nil {
				t.Fatalf("no error; want one containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want it to contain %q", err, tc.want)
			}
		})
	}
}

// TestNMODLIdioms: what old published files do and NEURON accepts — a
// PROCEDURE ending in VERBATIM return 0; ENDVERBATIM, and cnexp asked of
// an equation that is not linear (NEURON uses derivimplicit then).
func TestNMODLIdioms(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX idiom RANGE y }
ASSIGNED { y }
STATE { x }
INITIAL { x = 1 }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s { p()  x' = -x*x }
PROCEDURE p() {
	y = 2
	VERBATIM
	return 0;
	ENDVERBATIM
}`, 1, nil)
	const dt = 0.1
	in.SetTime(0, dt)
	in.Init()
	in.State()
	// backward Euler: x1 = x0 - dt x1^2, x1 = (-1 + sqrt(1 + 4 dt x0)) / (2 dt)
	want := (-1 + math.Sqrt(1+4*dt)) / (2 * dt)
	if got := in.Var("x")[0]; math.Abs(got-want) > 1e-12 {
		t.Errorf("x after one step = %.15g, want backward Euler's %.15g", got, want)
	}
	if in.Var("y")[0] != 2 {
		t.Errorf("the PROCEDURE did not run: y = %v", in.Var("y")[0])
	}
}

// TestSteadyState: SOLVE ... STEADYSTATE derivimplicit in INITIAL puts
// the states where their derivatives vanish.
func TestSteadyState(t *testing.T) {
	in := mech(t, `
NEURON { SUFFIX ss RANGE a }
PARAMETER { a = 2 }
STATE { x y }
INITIAL { SOLVE s STEADYSTATE derivimplicit }
BREAKPOINT { SOLVE s METHOD derivimplicit }
DERIVATIVE s {
	x' = a - x
	y' = x*x - y
}`, 1, nil)
	in.SetTime(0, 0.025)
	in.Init()
	if x, y := in.Var("x")[0], in.Var("y")[0]; math.Abs(x-2) > 1e-9 || math.Abs(y-4) > 1e-9 {
		t.Errorf("steady state x, y = %v, %v; want 2, 4", x, y)
	}
}
