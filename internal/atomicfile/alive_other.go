//go:build !unix

package atomicfile

// processAlive cannot tell on this system (known false): a lease is stale
// only by age.
func processAlive(pid int) (alive, known bool) { return false, false }
