package biophys

import (
	"fmt"

	"neurosurrogate/internal/sysmem"
)

// Bytes per node and per cell of a population, rounded up from measured
// heap use (hh 347 B per one-node cell, ballstick 126 B and the Hay cell
// 434 B per node).
const (
	bytesPerNode = 512
	bytesPerCell = 512
)

// CheckMemory refuses a population of cells with nodes nodes in all,
// before anything large is allocated, when it would take more than 75% of
// the machine's memory.
func CheckMemory(cells, nodes int64) error {
	need, have := bytesPerCell*cells+bytesPerNode*nodes, sysmem.Physical()
	if need > have/4*3 || need < 0 {
		return fmt.Errorf("a population of %d cells needs about %.1f GB, more than 75%% of this machine's %.1f GB: use fewer cells",
			cells, float64(need)/1e9, float64(have)/1e9)
	}
	return nil
}
