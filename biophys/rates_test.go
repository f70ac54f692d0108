package biophys

import (
	"math"
	"math/rand/v2"
	"testing"
)

// vectorTestVoltages are n potentials over -160..+80 mV with every NMODL
// guard point of the Hay channels (and 0, -0) at random positions.
func vectorTestVoltages(r *rand.Rand, n int) []float64 {
	special := append([]float64{0, math.Copysign(0, -1), -80, 10}, hayGuards...)
	vs := make([]float64, n)
	for i := range vs {
		vs[i] = -160 + 240*r.Float64()
		if r.IntN(8) == 0 {
			vs[i] = special[r.IntN(len(special))]
		}
	}
	return vs
}

// sameBits reports the first index where got and want differ in any bit.
func sameBits(got, want []float64) (int, bool) {
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			return i, false
		}
	}
	return -1, len(got) == len(want)
}

// TestRatesVectorMatchScalar checks that the AVX2 kernels of the Hay
// channels (rates_amd64.s) give the Go code's bits: exponent arguments,
// steady states and cnexp exponents at the Init (dt = 0) and State
// (dt = 0.025 ms) rates, the cnexp update and the currents, for every
// instance of arrays whose lengths are not multiples of four.
func TestRatesVectorMatchScalar(t *testing.T) {
	if !vecRates {
		t.Skip("no vector kernels on this machine")
	}
	type rated interface {
		Kernel
		rates(c *Ctx, dt float64)
		ch() *channel
	}
	for _, name := range []string{"NaTa_t", "NaTs2_t", "Ca_HVA", "Ca_LVAst", "Ih", "Im", "SKv3_1", "K_Tst", "Nap_Et2"} {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{1, 4, 7, 1003, 4099} {
				r := rand.New(rand.NewPCG(uint64(n), 9))
				vs := vectorTestVoltages(r, n)
				nodes := make([]int32, n)
				gbar := make([]float64, n)
				for i := range nodes {
					nodes[i] = int32(n - 1 - i) // instances need not follow the node order
					gbar[i] = r.Float64() * 0.01
				}
				m, _ := LookupMechanism(name)
				ion := func(name string, z float64) *Ion {
					ion := &Ion{Name: name, Charge: z, E: make([]float64, n), I: make([]float64, n)}
					for i := range ion.E {
						ion.E[i] = -90 + 150*r.Float64()
					}
					return ion
				}
				ions := map[string]*Ion{"na": ion("na", 1), "k": ion("k", 1), "ca": ion("ca", 2)}
				build := func() rated {
					b := &Build{Nodes: nodes, P: map[string][]float64{}, Celsius: 34, Ions: ions}
					for _, p := range m.Params {
						b.P[p.Name] = gbar
					}
					return m.New(b).(rated)
				}
				// run returns the kernel's arrays after Init (rates at dt = 0)
				// and after Current, State and Current again, with or without
				// the vector kernels.
				run := func(vec bool) (out [][]float64) {
					defer func(v bool) { vecRates = v }(vecRates)
					vecRates = vec
					for _, ion := range ions {
						clear(ion.I)
					}
					c := &Ctx{Dt: 0.025, V: vs, RHS: make([]float64, n), D: make([]float64, n)}
					k := build()
					snap := func() {
						ch := k.ch()
						out = append(out, append([]float64(nil), ch.e...), append([]float64(nil), ch.inf...),
							append([]float64(nil), ch.decay...), append([]float64(nil), ch.x...))
					}
					k.Init(c)
					snap()
					k.Current(c)
					k.State(c)
					k.Current(c)
					snap()
					out = append(out, c.RHS, c.D)
					for _, name := range []string{"na", "k", "ca"} {
						out = append(out, append([]float64(nil), ions[name].I...))
					}
					return out
				}
				vec, scalar := run(true), run(false)
				what := []string{"Init: exponentials", "Init: steady states", "Init: -dt/tau", "Init: gates",
					"State: exponentials", "State: steady states", "State: exp(-dt/tau)", "State: gates",
					"RHS", "D", "ina", "ik", "ica"}
				for j := range vec {
					if i, ok := sameBits(vec[j], scalar[j]); !ok {
						t.Errorf("n = %d: %s differ at %d: vector %v, Go %v (v = %v)", n, what[j], i, vec[j][i], scalar[j][i], vs[i%n])
					}
				}
			}
		})
	}
}
