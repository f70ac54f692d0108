//go:build !unix

package biophys_test

// cpuSeconds is 0 where the process's CPU time is not at hand.
func cpuSeconds() float64 { return 0 }
