//go:build unix

package atomicfile

import (
	"errors"
	"syscall"
)

// processAlive says whether process pid exists on this host (a process of
// another user counts); known is always true here.
func processAlive(pid int) (alive, known bool) {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM), true
}
