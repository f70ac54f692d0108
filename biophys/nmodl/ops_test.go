package nmodl

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestKernelsMatchLoops: the vector kernels give the Go loops' bits on
// every length (whole blocks and tails) and on special values.
func TestKernelsMatchLoops(t *testing.T) {
	if !vecOps {
		t.Skip("no vector kernels on this machine")
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1), math.NaN(), 1e-310, 1e308}
	draw := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			if r.IntN(5) == 0 {
				x[i] = special[r.IntN(len(special))]
			} else {
				x[i] = r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4))
			}
		}
		return x
	}
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	for n := 0; n <= 13; n++ {
		x, y := draw(n), draw(n)
		s := r.NormFloat64()
		for _, op := range []string{"+", "-", "*", "/"} {
			for _, form := range []string{"vv", "vs", "sv"} {
				run := func() []float64 {
					dst := make([]float64, n)
					var f func()
					switch form {
					case "vv":
						f = vvOp(op, dst, x, y)
					case "vs":
						f = vsOp(op, dst, x, &s)
					default:
						f = svOp(op, dst, &s, y)
					}
					f()
					return dst
				}
				got := run()
				vecOps = false
				want := run()
				vecOps = true
				for i := range got {
					if !same(got[i], want[i]) {
						t.Fatalf("%s %s n=%d [%d]: vector %v, loop %v", form, op, n, i, got[i], want[i])
					}
				}
			}
		}
		// fused cnexp and the range check
		a, b, e := draw(n), draw(n), draw(n)
		x1, x2 := append([]float64(nil), x...), append([]float64(nil), x...)
		done := cnexpAVX2(x1, a, b, e)
		for k := range x2 {
			xk := x2[k]
			x2[k] = xk + (1-e[k])*((-1*a[k])/b[k]-xk)
		}
		for k := 0; k < done; k++ {
			if !same(x1[k], x2[k]) {
				t.Fatalf("cnexp n=%d [%d]: vector %v, loop %v", n, k, x1[k], x2[k])
			}
		}
		want := false
		for _, v := range x {
			want = want || v < -700 || v > 700
		}
		if got := outside(x, -700, 700); got != want {
			t.Fatalf("outside n=%d: %v, want %v (%v)", n, got, want, x)
		}
	}
}
