package dataset

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
)

// FuzzOpen feeds corrupted shard files to the reader: whatever the bytes,
// Open, Trace, Scan and the Batcher must return data or an error, never
// panic or exhaust memory. Run: go test -run XXX -fuzz FuzzOpen ./dataset
func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	cfg := smallConfig(f, 3)
	cfg.DurationMS = 10
	cfg.Regimes = &Regimes{}
	*cfg.Regimes = DefaultRegimes(cfg.Cell)
	cfg.Regimes.Mix = mustMix(f, "core=0.5,switching=0.5")
	cfg.Regimes.SegmentMS = Range{3, 4}
	for _, comp := range []string{"none", "lz4"} {
		cfg.Compression = comp
		res := generate(f, filepath.Join(dir, comp), cfg)
		good := readFile(f, res.Path)
		f.Add(good)
		for _, n := range []int{len(good) / 2, len(good) - 1, len(good) - 10, 8, 0} {
			f.Add(good[:n])
		}
		// A shard without a checksum (as written before there was one):
		// its mutations reach the record batch decoder and the value checks.
		old := filepath.Join(dir, comp, "old.arrow")
		rewrite(f, res.Path, old, func(fs []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
			return fs, c
		})
		f.Add(readFile(f, old))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, ShardFileName(0, 1)), data, 0o644); err != nil {
			t.Fatal(err)
		}
		ds, err := Open(dir)
		if err != nil {
			return
		}
		defer ds.Close()
		if err := ds.Scan(func(*Trace) error { return nil }); err != nil {
			return
		}
		for i := 0; i < ds.NumTraces(); i++ {
			if _, err := ds.Trace(i); err != nil {
				t.Fatalf("Scan read everything but Trace(%d) fails: %v", i, err)
			}
		}
		if ds.Samples() < 2 {
			return
		}
		b, err := NewBatcher(ds, []int{0}, BatchConfig{BatchSize: 2, SeqLen: 1, Shuffle: true})
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := b.Next(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
	})
}
