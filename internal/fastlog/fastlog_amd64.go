//go:build !purego

package fastlog

import "neurosurrogate/internal/cpu"

// logKernel is the vector width of logBlocks: 4 with AVX2 (also on AVX-512
// machines), 0 without.
var logKernel = map[bool]int{false: 0, true: 4}[cpu.Best >= cpu.AVX2]

// logBlocksAVX2 is math.Log on four lanes at a time over whole blocks of
// src, with the operations of the standard library's amd64 assembly
// (math/log_amd64.s) in its order and without fused multiply-adds, so the
// same bits; it stops before the first block holding a value that is not
// a positive normal number and returns how many values it wrote.
//
//go:noescape
func logBlocksAVX2(dst, src []float64) int

// logBlocks computes log over whole blocks from the start of src with the
// vector kernel when there is one, and returns how many it did.
func logBlocks(dst, src []float64) int {
	if logKernel == 4 && len(src) >= 4 {
		return logBlocksAVX2(dst[:len(src)], src)
	}
	return 0
}
