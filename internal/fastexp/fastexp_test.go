package fastexp

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// expRef is exp(x) to 200 bits, from a Taylor series.
func expRef(x float64) *big.Float {
	const prec = 200
	// exp(x) = exp(x/2^k)^(2^k) with |x/2^k| < 2^-8
	k := 0
	for math.Abs(x)/math.Ldexp(1, k) >= 1.0/256 {
		k++
	}
	y := new(big.Float).SetPrec(prec).SetFloat64(math.Ldexp(x, -k))
	sum := new(big.Float).SetPrec(prec).SetInt64(1)
	term := new(big.Float).SetPrec(prec).SetInt64(1)
	for i := 1; i < 40; i++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(int64(i)))
		sum.Add(sum, term)
	}
	for ; k > 0; k-- {
		sum.Mul(sum, sum)
	}
	return sum
}

// ulpsOff is |got - exact| in units of the last place of exact's float64.
func ulpsOff(got float64, exact *big.Float) float64 {
	w, _ := exact.Float64()
	ulp := math.Nextafter(math.Abs(w), math.Inf(1)) - math.Abs(w)
	d := new(big.Float).SetPrec(200).Sub(new(big.Float).SetPrec(200).SetFloat64(got), exact)
	f, _ := d.Float64()
	return math.Abs(f) / ulp
}

// TestFastExpAccuracy checks Exp against correctly rounded exp over the
// range the kernels use: within 1 ulp everywhere.
func TestFastExpAccuracy(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	worst, at := 0.0, 0.0
	for i := 0; i < 20000; i++ {
		x := (r.Float64()*2 - 1) * 3
		if i%2 == 1 {
			x = (r.Float64()*2 - 1) * 700
		}
		if u := ulpsOff(Exp(x), expRef(x)); u > worst {
			worst, at = u, x
		}
	}
	t.Logf("worst error %.3f ulp at x = %v", worst, at)
	if worst >= 1 {
		t.Errorf("Exp is off by %.3f ulp at x = %v; want < 1", worst, at)
	}
	for _, x := range []float64{0, 1, -1, 1e-300, -1e-300, 707.9, -707.9} {
		if u := ulpsOff(Exp(x), expRef(x)); u >= 1 {
			t.Errorf("Exp(%v) = %v, want %v (%.2f ulp)", x, Exp(x), expRef(x).Text('g', 20), u)
		}
	}
}

// TestExpAll checks that the batch gives Exp's bits for every input,
// including out-of-range ones, NaN and infinities at any position, in place
// and not, with each vector kernel this processor has and without.
func TestExpAll(t *testing.T) {
	defer func(w int) { expKernel = w }(expKernel)
	for _, w := range []int{8, 4, 0} {
		if w > expKernel {
			continue
		}
		expKernel = w
		t.Run(fmt.Sprintf("width %d", w), func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			special := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 709, -708, 708.999, -707.999, 710, -750, 0}
			for _, n := range []int{0, 1, 3, 4, 5, 8, 13, 17, 1000} {
				src := make([]float64, n)
				for i := range src {
					src[i] = (r.Float64()*2 - 1) * 50
					if r.IntN(10) == 0 {
						src[i] = special[r.IntN(len(special))]
					}
				}
				dst := make([]float64, n)
				ExpAll(dst, src)
				in := append([]float64(nil), src...)
				ExpAll(in, in)
				for i, x := range src {
					want := Exp(x)
					if math.Float64bits(dst[i]) != math.Float64bits(want) || math.Float64bits(in[i]) != math.Float64bits(want) {
						t.Errorf("n=%d: exp(%v) = %v (in place %v), Exp %v", n, x, dst[i], in[i], want)
					}
				}
			}
			// Every table entry and both scaling directions, lane by lane.
			src := make([]float64, 0, 4096)
			for i := 0; i < 4096; i++ {
				src = append(src, -700+float64(i)*(1400.0/4096)+r.Float64()*1e-3)
			}
			dst := make([]float64, len(src))
			ExpAll(dst, src)
			for i, x := range src {
				if want := Exp(x); math.Float64bits(dst[i]) != math.Float64bits(want) {
					t.Errorf("exp(%v) = %v, Exp %v", x, dst[i], want)
				}
			}
		})
	}
	if g := Exp(math.NaN()); !math.IsNaN(g) {
		t.Errorf("Exp(NaN) = %v", g)
	}
	if Exp(800) != math.Inf(1) || Exp(-800) != 0 {
		t.Errorf("Exp(800) = %v, Exp(-800) = %v", Exp(800), Exp(-800))
	}
}

func BenchmarkExpAll(b *testing.B) {
	xs := make([]float64, 1000)
	for i := range xs {
		xs[i] = -float64(i) / 100
	}
	ys := make([]float64, len(xs))
	for b.Loop() {
		ExpAll(ys, xs)
	}
}
