//go:build !amd64 || purego

package fastexp

// expKernel is the vector width of expBlocks: none here.
var expKernel = 0

// expBlocks does nothing without the amd64 vector kernels; ExpAll then uses
// Exp for everything.
func expBlocks(dst, src []float64) int { return 0 }
