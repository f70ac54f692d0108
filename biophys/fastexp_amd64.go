//go:build !purego

package biophys

// expKernel is the widest vector kernel that the processor and the OS
// support: 8 (AVX-512), 4 (AVX2 and FMA) or 0 (none).
var expKernel = vectorWidth()

func vectorWidth() int {
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 {
		return 0
	}
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 { // XMM and YMM state saved by the OS
		return 0
	}
	_, b, _, _ := cpuid(7, 0)
	const avx2, avx512f = 1 << 5, 1 << 16
	switch {
	case b&avx512f != 0 && xcr0&0xe6 == 0xe6: // and opmask, ZMM state
		return 8
	case b&avx2 != 0:
		return 4
	}
	return 0
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// expBlocksAVX2 and expBlocksAVX512 are fastExp on four or eight lanes at a
// time over whole blocks of src, stopping before the first block that has an
// argument outside (-708, 709) or a NaN; they return how many values they
// wrote to dst.
//
//go:noescape
func expBlocksAVX2(dst, src []float64) int

//go:noescape
func expBlocksAVX512(dst, src []float64) int

// expBlocks computes exp over whole blocks from the start of src with the
// vector kernel when there is one, and returns how many it did.
func expBlocks(dst, src []float64) int {
	switch {
	case expKernel == 8 && len(src) >= 8:
		return expBlocksAVX512(dst[:len(src)], src)
	case expKernel >= 4 && len(src) >= 4:
		return expBlocksAVX2(dst[:len(src)], src)
	}
	return 0
}
