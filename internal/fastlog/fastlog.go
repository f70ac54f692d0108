// Package fastlog is the natural logarithm over arrays for the reference
// simulator's kernels, which take one per calcium compartment and step (the
// Nernst potential of calcium, SK_E2's activation): LogAll gives exactly
// math.Log's bits, four at a time with AVX2 on amd64 processors that have
// it, so results do not change with the machine or with this package.
package fastlog

import "math"

// LogAll sets dst[i] = math.Log(src[i]) for all i; dst may be src.
func LogAll(dst, src []float64) {
	dst = dst[:len(src)]
	for i := 0; i < len(src); {
		// Whole blocks by the vector kernel, which stops before a block
		// with an argument that is not a positive normal number; that
		// block and the tail here.
		i += logBlocks(dst[i:], src[i:])
		for end := min(i+4, len(src)); i < end; i++ {
			dst[i] = math.Log(src[i])
		}
	}
}
