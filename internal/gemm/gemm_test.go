package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"neurosurrogate/internal/cpu"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

func kernelName(kern cpu.Level) string { return kern.String() }

func randMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	s := make([]float32, max(rows*ld, 1))
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

// checkProduct compares c (m x n, stride ldc) with A B computed in float64.
// Each value must be within the worst-case bound of float32 summation in
// any order, (k+1) u sum_l |a_il b_lj| with u = 2^-24 (a sharp bound for
// a k-term dot product with or without fused multiply-adds), and the
// root-mean-square error must look like rounding, not like a bug.
func checkProduct(t *testing.T, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	t.Helper()
	const u = 1.0 / (1 << 24)
	var sq, sqRef float64
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var want, mag float64
			for l := 0; l < k; l++ {
				p := float64(a[i*lda+l]) * float64(b[l*ldb+j])
				want += p
				mag += math.Abs(p)
			}
			got := float64(c[i*ldc+j])
			e := math.Abs(got - want)
			if !(e <= float64(k+1)*u*mag) { // also catches NaN
				if bad < 5 {
					t.Errorf("C[%d,%d] = %g, want %g (error %g, bound %g)", i, j, got, want, e, float64(k+1)*u*mag)
				}
				bad++
			}
			sq += e * e
			sqRef += mag * mag
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d values out of bounds", bad, m*n)
	}
	// Rounding errors add like a random walk: rms about sqrt(k) u |a||b|.
	if sqRef > 0 {
		if rel := math.Sqrt(sq / sqRef); rel > 4*math.Sqrt(float64(k)+1)*u {
			t.Fatalf("rms relative error %g, more than rounding (%g)", rel, 4*math.Sqrt(float64(k)+1)*u)
		}
	}
}

var gemmSizes = []int{1, 3, 5, 16, 17, 63, 64, 65, 130, 257}

// TestSgemm covers every kernel on this machine, Sgemm and PackedB.Mul,
// with every combination of sizes (dense and padded strides), checking the
// product, that C is overwritten and that nothing outside C is touched.
func TestSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, kern := range cpu.Levels() {
		t.Run(kernelName(kern), func(t *testing.T) {
			cases := 0
			for _, m := range gemmSizes {
				for _, n := range gemmSizes {
					for _, k := range gemmSizes {
						// The full cube is 1000 products; keep one in three of
						// the big ones, and every edge mix of the small ones.
						if m*n*k > 64*64*64 && (m+n+k)%3 != 0 {
							continue
						}
						pad := 0
						if (m+2*n+3*k)%2 == 1 {
							pad = 3 // strides larger than the widths
						}
						lda, ldb, ldc := k+pad, n+2*pad, n+pad
						a, b := randMatrix(rng, m, k, lda), randMatrix(rng, k, n, ldb)
						for _, packed := range []bool{false, true} {
							c := make([]float32, m*ldc)
							for i := range c {
								c[i] = float32(math.NaN()) // must all be overwritten or left alone
							}
							if packed {
								newPackedB(kern, b, k, n, ldb).Mul(m, a, lda, c, ldc)
							} else {
								sgemmWith(kern, m, n, k, a, lda, b, ldb, c, ldc)
							}
							checkProduct(t, m, n, k, a, lda, b, ldb, c, ldc)
							for i := 0; i < m; i++ {
								for j := n; j < ldc; j++ {
									if v := c[i*ldc+j]; !math.IsNaN(float64(v)) {
										t.Fatalf("m=%d n=%d k=%d packed=%v: wrote %g at padding C[%d,%d]", m, n, k, packed, v, i, j)
									}
								}
							}
							cases++
						}
					}
				}
			}
			t.Logf("%d products", cases)
		})
	}
}

// TestSgemmKernelPaths exercises the kernels' own edges directly: row
// counts that are and are not whole tiles (one tile, many tiles across the
// row chunk of mulPanels) and every column count of the last panel.
func TestSgemmKernelPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, kern := range cpu.Levels() {
		mr, nr := kernelShape(kern)
		if nr == 0 {
			continue
		}
		t.Run(kernelName(kern), func(t *testing.T) {
			for _, k := range []int{1, 2, 3, 4, 5, 7, 8, 80} {
				for n := 1; n <= 2*nr+1; n++ {
					m := 2*mr + n%mr
					a, b := randMatrix(rng, m, k, k), randMatrix(rng, k, n, n)
					c := make([]float32, m*n)
					newPackedB(kern, b, k, n, n).Mul(m, a, k, c, n)
					checkProduct(t, m, n, k, a, k, b, n, c, n)
				}
			}
			// More rows than one chunk of mulPanels, not a whole number of
			// tiles or chunks.
			k, n := 208, 40
			m := 3*gemmChunkBytes/(4*k) + 7
			a, b := randMatrix(rng, m, k, k), randMatrix(rng, k, n, n)
			c := make([]float32, m*n)
			newPackedB(kern, b, k, n, n).Mul(m, a, k, c, n)
			checkProduct(t, m, n, k, a, k, b, n, c, n)
		})
	}
}

// TestSgemmExact checks values that every order of summation gets exactly
// (small integers), including k = 0 (C = 0) and special rows.
func TestSgemmExact(t *testing.T) {
	for _, kern := range cpu.Levels() {
		t.Run(kernelName(kern), func(t *testing.T) {
			for _, sh := range [][3]int{{13, 33, 0}, {13, 33, 1}, {25, 70, 9}, {1, 1, 1}, {12, 32, 4}} {
				m, n, k := sh[0], sh[1], sh[2]
				a := make([]float32, max(m*k, 1))
				b := make([]float32, max(k*n, 1))
				for i := 0; i < m; i++ {
					for l := 0; l < k; l++ {
						a[i*k+l] = float32((i+2*l)%7 - 3)
					}
				}
				for l := 0; l < k; l++ {
					for j := 0; j < n; j++ {
						b[l*n+j] = float32((3*l+j)%5 - 2)
					}
				}
				c := make([]float32, m*n)
				for i := range c {
					c[i] = 99
				}
				sgemmWith(kern, m, n, k, a, max(k, 1), b, n, c, n)
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						var want float32
						for l := 0; l < k; l++ {
							want += a[i*k+l] * b[l*n+j]
						}
						if c[i*n+j] != want {
							t.Fatalf("%v: C[%d,%d] = %g, want %g", sh, i, j, c[i*n+j], want)
						}
					}
				}
			}
		})
	}
}

// TestSgemmPublic: the exported entry points (the machine's own choice of
// kernel, narrow and wide B) against float64.
func TestSgemmPublic(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, sh := range [][3]int{{500, 24, 16}, {37, 24, 15}, {100, 80, 256}, {29, 48, 17}} {
		m, k, n := sh[0], sh[1], sh[2]
		a, b := randMatrix(rng, m, k, k), randMatrix(rng, k, n, n)
		c := make([]float32, m*n)
		Sgemm(m, n, k, a, k, b, n, c, n)
		checkProduct(t, m, n, k, a, k, b, n, c, n)
		clear(c)
		p := NewPackedB(b, k, n)
		if p.K() != k || p.N() != n {
			t.Fatalf("PackedB is %d x %d, want %d x %d", p.K(), p.N(), k, n)
		}
		p.Mul(m, a, k, c, n)
		checkProduct(t, m, n, k, a, k, b, n, c, n)
	}
}

func TestSgemmPanics(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	a, b, c := make([]float32, 16), make([]float32, 16), make([]float32, 16)
	Sgemm(4, 4, 4, a, 4, b, 4, c, 4) // fits exactly
	mustPanic("short A", func() { Sgemm(4, 4, 4, a[:15], 4, b, 4, c, 4) })
	mustPanic("short B", func() { Sgemm(4, 4, 4, a, 4, b[:15], 4, c, 4) })
	mustPanic("short C", func() { Sgemm(4, 4, 4, a, 4, b, 4, c[:15], 4) })
	mustPanic("stride", func() { Sgemm(4, 4, 4, a, 3, b, 4, c, 4) })
	mustPanic("Mul short A", func() { NewPackedB(b, 4, 4).Mul(4, a[:15], 4, c, 4) })
	mustPanic("Mul short C", func() { NewPackedB(b, 4, 4).Mul(4, a, 4, c[:15], 4) })
}

// gemmShapes are the stream's products: rows of the batch, then K x M of
// the weights (LSTM gates for F+H = 80, H = 64; F+H = 48, H = 32; and a
// large model, F+H = 208, H = 128).
var gemmShapes = []struct{ m, k, n int }{
	{500, 80, 256}, {500, 48, 128}, {500, 208, 512},
	{5000, 80, 256}, {5000, 48, 128}, {5000, 208, 512},
	{500, 24, 16}, // hh's convolution
}

// BenchmarkSgemm compares PackedB.Mul (the stream's use: B packed once)
// with each kernel on this machine and gonum's blas32.Gemm.
func BenchmarkSgemm(b *testing.B) {
	for _, sh := range gemmShapes {
		rng := rand.New(rand.NewPCG(1, 2))
		a, w := randMatrix(rng, sh.m, sh.k, sh.k), randMatrix(rng, sh.k, sh.n, sh.n)
		c := make([]float32, sh.m*sh.n)
		flops := 2 * float64(sh.m) * float64(sh.k) * float64(sh.n)
		report := func(b *testing.B) {
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		}
		name := fmt.Sprintf("N=%d_K=%d_M=%d", sh.m, sh.k, sh.n)
		for _, kern := range cpu.Levels() {
			if kernelFor(kern, sh.n) != kern {
				continue // not used for this shape
			}
			b.Run(name+"/"+kernelName(kern), func(b *testing.B) {
				p := newPackedB(kern, w, sh.k, sh.n, sh.n)
				for b.Loop() {
					p.Mul(sh.m, a, sh.k, c, sh.n)
				}
				report(b)
			})
		}
		b.Run(name+"/unpacked", func(b *testing.B) {
			for b.Loop() {
				Sgemm(sh.m, sh.n, sh.k, a, sh.k, w, sh.n, c, sh.n)
			}
			report(b)
		})
		b.Run(name+"/gonum", func(b *testing.B) {
			ga := blas32.General{Rows: sh.m, Cols: sh.k, Stride: sh.k, Data: a}
			gb := blas32.General{Rows: sh.k, Cols: sh.n, Stride: sh.n, Data: w}
			gc := blas32.General{Rows: sh.m, Cols: sh.n, Stride: sh.n, Data: c}
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, ga, gb, 0, gc)
			}
			report(b)
		})
	}
}
