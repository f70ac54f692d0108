//go:build amd64 && !purego

package biophys

// useAVX2 says whether the processor and the OS support AVX2 and FMA.
var useAVX2 = hasAVX2FMA()

func hasAVX2FMA() bool {
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 { // XMM and YMM state saved by the OS
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0 // AVX2
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)

// expBlocksAVX2 is fastExp on four lanes at a time over whole blocks of
// src, stopping before the first block that has an argument outside
// (-708, 709) or a NaN; it returns how many values it wrote to dst.
//
//go:noescape
func expBlocksAVX2(dst, src []float64) int

// expBlocks computes exp over whole blocks of four from the start of src
// with the vector kernel when it can, and returns how many it did.
func expBlocks(dst, src []float64) int {
	if !useAVX2 || len(src) < 4 {
		return 0
	}
	return expBlocksAVX2(dst[:len(src)], src)
}
