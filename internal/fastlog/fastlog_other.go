//go:build !amd64 || purego

package fastlog

// logKernel is the vector width of logBlocks: none here.
var logKernel = 0

// logBlocks does nothing without the amd64 vector kernel; LogAll then uses
// math.Log for everything.
func logBlocks(dst, src []float64) int { return 0 }
