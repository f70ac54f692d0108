//go:build unix

package biophys_test

import "syscall"

// cpuSeconds is the CPU time this process has used (user and system): on a
// machine shared with other jobs it measures the work more steadily than
// the wall clock.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
