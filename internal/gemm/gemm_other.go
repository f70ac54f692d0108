//go:build !amd64 || purego

package gemm

import "neurosurrogate/internal/cpu"

// gemmBlocks is never called without vector kernels (PackedB and Sgemm use
// sgemmGeneric).
func gemmBlocks(kern cpu.Level, k int, a []float32, lda int, b []float32, c []float32, ldc int, nblk, cols int) {
	panic("gemm: no vector GEMM kernels in this build")
}
