//go:build !purego

package gemm

//go:generate go run gemm_gen.go

import "neurosurrogate/internal/cpu"

// The kernels compute C = A B for nblk tiles of rows stacked down A and C:
// see gemm_amd64.s.

//go:noescape
func gemm12x32AVX512(k int, a *float32, lda int, b *float32, c *float32, ldc int, nblk int, cols int)

//go:noescape
func gemm6x16AVX2(k int, a *float32, lda int, b *float32, c *float32, ldc int, nblk int, cols int)

// gemmBlocks runs kernel kern over nblk tiles of rows: rows [0, nblk*mr) of
// a (row stride lda, k >= 1 columns) times the packed panel b (k x nr)
// into the first cols columns of the same rows of c (row stride ldc).
func gemmBlocks(kern cpu.Level, k int, a []float32, lda int, b []float32, c []float32, ldc int, nblk, cols int) {
	mr, nr := kernelShape(kern)
	if nblk <= 0 {
		return
	}
	if k < 1 || cols < 1 || cols > nr {
		panic("gemm: gemmBlocks: bad tile")
	}
	// Bounds of everything the kernel touches (it stores only cols columns).
	_ = a[(nblk*mr-1)*lda+k-1]
	_ = b[k*nr-1]
	_ = c[(nblk*mr-1)*ldc+cols-1]
	switch kern {
	case cpu.AVX512:
		gemm12x32AVX512(k, &a[0], lda, &b[0], &c[0], ldc, nblk, cols)
	case cpu.AVX2:
		gemm6x16AVX2(k, &a[0], lda, &b[0], &c[0], ldc, nblk, cols)
	default:
		panic("gemm: gemmBlocks: no such kernel")
	}
}
