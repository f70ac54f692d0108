package fastlog

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestLogAll checks that LogAll gives math.Log's bits for every input:
// positive numbers over the whole range, the values where the reduction
// doubles or not (mantissa at and beside sqrt(2)/2), and zeros, subnormals,
// negatives, infinities and NaN at any position; in place and not, with the
// vector kernel this processor has and without.
func TestLogAll(t *testing.T) {
	defer func(w int) { logKernel = w }(logKernel)
	for _, w := range []int{4, 0} {
		if w > logKernel {
			continue
		}
		logKernel = w
		t.Run(fmt.Sprintf("width %d", w), func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			h := math.Sqrt2 / 2
			special := []float64{0, math.Copysign(0, -1), -1, 5e-324, 2.2e-308, math.SmallestNonzeroFloat64 * 3,
				math.Inf(1), math.Inf(-1), math.NaN(), 1, math.MaxFloat64, 2.2250738585072014e-308,
				h, math.Nextafter(h, 0), math.Nextafter(h, 1), 2 * h, h / 4, math.Ldexp(h, 1000)}
			for _, n := range []int{0, 1, 3, 4, 5, 8, 13, 17, 1000} {
				src := make([]float64, n)
				for i := range src {
					switch r.IntN(4) {
					case 0:
						src[i] = special[r.IntN(len(special))]
					case 1:
						src[i] = math.Ldexp(0.5+r.Float64()/2, r.IntN(2040)-1020) // any exponent
					default:
						src[i] = 1e-5 + r.Float64()*1e-2 // calcium concentrations and ratios, mM
					}
				}
				dst := make([]float64, n)
				LogAll(dst, src)
				in := append([]float64(nil), src...)
				LogAll(in, in)
				for i, x := range src {
					want := math.Log(x)
					if math.Float64bits(dst[i]) != math.Float64bits(want) || math.Float64bits(in[i]) != math.Float64bits(want) {
						t.Errorf("n=%d: log(%v) = %v (in place %v), math.Log %v", n, x, dst[i], in[i], want)
					}
				}
			}
			// Mantissas at sqrt(2)/2 and a million random positive normals.
			src := make([]float64, 0, 1<<20)
			for k := -1020; k < 1020; k++ {
				src = append(src, math.Ldexp(h, k), math.Ldexp(math.Nextafter(h, 1), k), math.Ldexp(math.Nextafter(h, 0), k))
			}
			for len(src) < cap(src) {
				src = append(src, math.Float64frombits(r.Uint64N(0x7fe0000000000000)+1<<52))
			}
			dst := make([]float64, len(src))
			LogAll(dst, src)
			bad := 0
			for i, x := range src {
				if want := math.Log(x); math.Float64bits(dst[i]) != math.Float64bits(want) {
					if bad++; bad <= 5 {
						t.Errorf("log(%v) = %v, math.Log %v", x, dst[i], want)
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d values differ from math.Log", bad, len(src))
			}
		})
	}
}

func BenchmarkLogAll(b *testing.B) {
	xs := make([]float64, 1000)
	for i := range xs {
		xs[i] = 1e-4 + float64(i)*1e-5
	}
	ys := make([]float64, len(xs))
	b.Run("vector", func(b *testing.B) {
		for b.Loop() {
			LogAll(ys, xs)
		}
	})
	b.Run("math.Log", func(b *testing.B) {
		for b.Loop() {
			for i, x := range xs {
				ys[i] = math.Log(x)
			}
		}
	})
}
