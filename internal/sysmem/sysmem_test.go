package sysmem_test

import (
	"testing"

	"neurosurrogate/internal/sysmem"
)

// TestPhysical: a machine that runs tests has at least 256 MB and, today,
// less than 64 TB.
func TestPhysical(t *testing.T) {
	if m := sysmem.Physical(); m < 256<<20 || m > 64<<40 {
		t.Errorf("Physical() = %d bytes", m)
	}
}
