//go:build !purego

package cpu

func detect() Level {
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 {
		return Generic
	}
	xcr0, _ := xgetbv()
	if xcr0&6 != 6 { // XMM and YMM state saved by the OS
		return Generic
	}
	_, b, _, _ := cpuid(7, 0)
	const avx2, avx512f = 1 << 5, 1 << 16
	switch {
	case b&avx512f != 0 && xcr0&0xe6 == 0xe6: // and opmask, ZMM state
		return AVX512
	case b&avx2 != 0:
		return AVX2
	}
	return Generic
}

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
func xgetbv() (eax, edx uint32)
