//go:build !amd64 || purego

package biophys

// expBlocks does nothing without the amd64 vector kernel; expAll then uses
// fastExp for everything.
func expBlocks(dst, src []float64) int { return 0 }
