//go:build !purego

package fastexp

import "neurosurrogate/internal/cpu"

// expKernel is the widest vector kernel that the processor and the OS
// support: 8 (AVX-512), 4 (AVX2 and FMA) or 0 (none).
var expKernel = map[cpu.Level]int{cpu.Generic: 0, cpu.AVX2: 4, cpu.AVX512: 8}[cpu.Best]

// expBlocksAVX2 and expBlocksAVX512 are Exp on four or eight lanes at a
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
