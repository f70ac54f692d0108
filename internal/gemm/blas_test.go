package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// TestBLASSgemm checks BLAS.Sgemm against gonum's for every transpose
// combination, sizes below and above a kernel tile, padded strides, and
// alpha/beta other than 1/0 (which go to gonum), and that nothing outside
// C is written. Calls alternate between shapes, so reused scratch memory
// must not leak values from one product into the next.
func TestBLASSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	sizes := []int{1, 5, 6, 16, 17, 64, 80}
	type ab struct{ alpha, beta float32 }
	for _, tA := range trans {
		for _, tB := range trans {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{1, 16, 65} {
						for _, s := range []ab{{1, 0}, {0.5, 0}, {1, 2}} {
							name := fmt.Sprintf("%c%c_%dx%dx%d_alpha%g_beta%g", tA, tB, m, n, k, s.alpha, s.beta)
							ar, ac := m, k
							if tA != blas.NoTrans {
								ar, ac = k, m
							}
							br, bc := k, n
							if tB != blas.NoTrans {
								br, bc = n, k
							}
							lda, ldb, ldc := ac+3, bc+1, n+2
							a, b := randMatrix(rng, ar, ac, lda), randMatrix(rng, br, bc, ldb)
							c0 := randMatrix(rng, m, n, ldc)
							got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
							BLAS{}.Sgemm(tA, tB, m, n, k, s.alpha, a, lda, b, ldb, s.beta, got, ldc)
							gonum.Implementation{}.Sgemm(tA, tB, m, n, k, s.alpha, a, lda, b, ldb, s.beta, want, ldc)
							for i := range got {
								if i%ldc >= n || i/ldc >= m {
									if got[i] != c0[i] {
										t.Fatalf("%s: wrote outside C at %d", name, i)
									}
									continue
								}
								if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*float64(k)*(1+math.Abs(float64(want[i])))) {
									t.Fatalf("%s: C[%d] = %g, gonum %g", name, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

func TestTranspose(t *testing.T) {
	for _, rows := range []int{1, 7, 8, 9, 17, 64, 129} {
		for _, cols := range []int{1, 5, 63, 64, 65, 130} {
			ld := cols + 3
			src := make([]float32, rows*ld)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, rows*cols)
			transpose(dst, src, rows, cols, ld, rows)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					if got, want := dst[j*rows+i], src[i*ld+j]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %g, want %g", rows, cols, j, i, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkTranspose copies the transposed operands of the training
// graph's products: a gate matrix (for the input gradient) and a batch of
// inputs (for the weight gradient).
func BenchmarkTranspose(b *testing.B) {
	for _, s := range []struct{ rows, cols int }{{129, 384}, {64, 129}} {
		b.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(b *testing.B) {
			src := make([]float32, s.rows*s.cols)
			dst := make([]float32, s.rows*s.cols)
			for i := range src {
				src[i] = float32(i)
			}
			b.SetBytes(int64(4 * len(src)))
			for b.Loop() {
				transpose(dst, src, s.rows, s.cols, s.cols, s.rows)
			}
		})
	}
}
