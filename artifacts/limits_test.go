package artifacts_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/infer"
)

// TestFileLimits: cell and network files resolved by path are refused
// beyond their readers' limits, by size, before they are read (reading
// these sparse files of 1 TiB would run out of memory); the network limit
// is infer's.
func TestFileLimits(t *testing.T) {
	if artifacts.MaxNetworkBytes != infer.MaxNetworkBytes {
		t.Errorf("MaxNetworkBytes %d, infer's is %d", artifacts.MaxNetworkBytes, infer.MaxNetworkBytes)
	}
	dir := t.TempDir()
	sparse := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(size); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return p
	}
	cell := sparse("cell.json", 1<<40)
	if _, err := artifacts.LoadCell(cell, ""); err == nil || !strings.Contains(err.Error(), cell+": 1024 GB, more than the 64 MB limit on cell descriptions") {
		t.Errorf("cell: %v", err)
	}
	net := sparse("net.json", 1<<40)
	if _, _, err := artifacts.ReadNetwork(net); err == nil || !strings.Contains(err.Error(), net+": 1024 GB, more than the 16 MB limit on network descriptions") {
		t.Errorf("network: %v", err)
	}
}
