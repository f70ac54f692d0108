//go:build !amd64 || purego

package surrogate

// gemmKernel is the pure-Go loop: there are no vector kernels here.
var gemmKernel = kernGeneric

func gemmKernels() []int { return []int{kernGeneric} }

// gemmBlocks is never called without vector kernels (PackedB and Sgemm use
// sgemmGeneric).
func gemmBlocks(kern, k int, a []float32, lda int, b []float32, c []float32, ldc int, nblk, cols int) {
	panic("surrogate: no vector GEMM kernels in this build")
}
