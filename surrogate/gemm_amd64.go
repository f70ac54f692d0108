//go:build !purego

package surrogate

//go:generate go run gemm_gen.go

// gemmKernel is the widest matrix-product kernel that the processor and the
// OS support.
var gemmKernel = gemmDetect()

func gemmDetect() int {
	_, _, c, _ := gemmCPUID(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 {
		return kernGeneric
	}
	xcr0, _ := gemmXGETBV()
	if xcr0&6 != 6 { // XMM and YMM state saved by the OS
		return kernGeneric
	}
	_, b, _, _ := gemmCPUID(7, 0)
	const avx2, avx512f = 1 << 5, 1 << 16
	switch {
	case b&avx512f != 0 && xcr0&0xe6 == 0xe6: // and opmask, ZMM state
		return kernAVX512
	case b&avx2 != 0:
		return kernAVX2
	}
	return kernGeneric
}

// gemmKernels lists the kernels this machine can run, for tests and
// benchmarks.
func gemmKernels() []int {
	ks := []int{kernGeneric}
	if gemmKernel >= kernAVX2 {
		ks = append(ks, kernAVX2)
	}
	if gemmKernel >= kernAVX512 {
		ks = append(ks, kernAVX512)
	}
	return ks
}

func gemmCPUID(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func gemmXGETBV() (eax, edx uint32)

// The kernels compute C = A B for nblk tiles of rows stacked down A and C:
// see gemm_amd64.s.

//go:noescape
func gemm12x32AVX512(k int, a *float32, lda int, b *float32, c *float32, ldc int, nblk int, cols int)

//go:noescape
func gemm6x16AVX2(k int, a *float32, lda int, b *float32, c *float32, ldc int, nblk int, cols int)

// gemmBlocks runs kernel kern over nblk tiles of rows: rows [0, nblk*mr) of
// a (row stride lda, k >= 1 columns) times the packed panel b (k x nr)
// into the first cols columns of the same rows of c (row stride ldc).
func gemmBlocks(kern, k int, a []float32, lda int, b []float32, c []float32, ldc int, nblk, cols int) {
	mr, nr := kernelShape(kern)
	if nblk <= 0 {
		return
	}
	if k < 1 || cols < 1 || cols > nr {
		panic("surrogate: gemmBlocks: bad tile")
	}
	// Bounds of everything the kernel touches (it stores only cols columns).
	_ = a[(nblk*mr-1)*lda+k-1]
	_ = b[k*nr-1]
	_ = c[(nblk*mr-1)*ldc+cols-1]
	switch kern {
	case kernAVX512:
		gemm12x32AVX512(k, &a[0], lda, &b[0], &c[0], ldc, nblk, cols)
	case kernAVX2:
		gemm6x16AVX2(k, &a[0], lda, &b[0], &c[0], ldc, nblk, cols)
	default:
		panic("surrogate: gemmBlocks: no such kernel")
	}
}
