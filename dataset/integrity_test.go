package dataset

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// fullConfig is a job whose shards have every kind of column: synapses,
// their timing channels and the current clamp.
func fullConfig(t testing.TB, traces int) Config {
	cfg := smallConfig(t, traces)
	reg := DefaultRegimes(cfg.Cell)
	reg.StepFrac = 1
	reg.StepAmpNA = Range{0.2, 0.2}
	cfg.Regimes = &reg
	cfg.Timing = true
	return cfg
}

// readAll opens dir and reads every trace, returning the first error.
func readAll(dir string) error {
	ds, err := Open(dir)
	if err != nil {
		return err
	}
	defer ds.Close()
	return ds.Scan(func(*Trace) error { return nil })
}

// editF32 returns a copy of a float32 list column with edit applied to its
// values (rows x n, row-major).
func editF32(col arrow.Array, rows, n int, edit func(v []float32)) arrow.Array {
	l := col.(*array.FixedSizeList)
	v := append([]float32(nil), l.ListValues().(*array.Float32).Float32Values()...)
	edit(v)
	return fixedList(l.DataType().(*arrow.FixedSizeListType), arrow.PrimitiveTypes.Float32, arrow.Float32Traits.CastToBytes(v), rows, n)
}

// TestValuesNoSimulationProduces: a shard (without a checksum, as written
// before checksums existed) holding a value no simulation produces is
// refused when read, naming the file, the trace, the column and the
// sample; the same shard unedited reads fine.
func TestValuesNoSimulationProduces(t *testing.T) {
	src := generate(t, t.TempDir(), fullConfig(t, 3)).Path
	ds, err := Open(filepath.Dir(src))
	if err != nil {
		t.Fatal(err)
	}
	var traces []*Trace
	if err := ds.Scan(func(tr *Trace) error { traces = append(traces, tr); return nil }); err != nil {
		t.Fatal(err)
	}
	ds.Close()
	const n, row, k = 200, 1, 17 // samples per trace; the trace and sample edited
	at := row*n + k
	// columns: trace, t_ms, v_soma, exc, inh, exc.timing, inh.timing, i_clamp, spike, params
	const colT, colV, colExc, colExcTiming, colClamp, colSpike, colParams = 1, 2, 3, 5, 7, 8, 9
	f32 := func(c int, edit func(v []float32)) func([]arrow.Array) {
		return func(cols []arrow.Array) { cols[c] = editF32(cols[c], len(traces), n, edit) }
	}
	params := func(edit func(p *Params)) func([]arrow.Array) {
		return func(cols []arrow.Array) {
			var rows []*Trace
			for i, tr := range traces {
				c := *tr
				if i == row {
					edit(&c.Params)
				}
				rows = append(rows, &c)
			}
			cols[colParams] = paramsArray(rows)
		}
	}
	tests := []struct {
		name string
		edit func(cols []arrow.Array)
		want []string
	}{
		{"unedited", func([]arrow.Array) {}, nil},
		{"Vm 1e30", f32(colV, func(v []float32) { v[at] = 1e30 }), []string{`"v_soma"`, "sample 17", "1e+30", "outside [-200, 200] mV"}},
		{"Vm NaN", f32(colV, func(v []float32) { v[at] = float32(math.NaN()) }), []string{`"v_soma"`, "sample 17", "NaN"}},
		{"Vm -250", f32(colV, func(v []float32) { v[at] = -250 }), []string{`"v_soma"`, "-250"}},
		{"negative drive", f32(colExc, func(v []float32) { v[at] = -0.001 }), []string{`"exc"`, "sample 17", "-0.001", ">= 0"}},
		{"infinite drive", f32(colExc, func(v []float32) { v[at] = float32(math.Inf(1)) }), []string{`"exc"`, "+Inf"}},
		{"timing beyond half the drive", f32(colExcTiming, func(v []float32) { v[at] = -0.01 }), []string{`"exc.timing"`, "sample 17", "half"}},
		{"clamp off the step", f32(colClamp, func(v []float32) { v[at] = 0.3 }), []string{`"i_clamp"`, "sample 17", "0.3 nA"}},
		{"sample time", f32(colT, func(v []float32) { v[at] += 0.25 }), []string{`"t_ms"`, "sample 17"}},
		{"spike byte", func(cols []arrow.Array) {
			l := cols[colSpike].(*array.FixedSizeList)
			s := append([]byte(nil), l.ListValues().(*array.Uint8).Uint8Values()...)
			s[at] ^= 1
			cols[colSpike] = fixedList(listU8(n), arrow.PrimitiveTypes.Uint8, s, len(traces), n)
		}, []string{`"spike"`, "spikes, but its params say"}},
		{"negative rate", params(func(p *Params) { p.ExcRateHz = -5 }), []string{`"params"`, "exc_rate_hz -5"}},
		{"unknown regime", params(func(p *Params) { p.Regime = "chaos" }), []string{`"params"`, `regime "chaos"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			rewrite(t, src, filepath.Join(dir, ShardFileName(0, 1)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				tc.edit(c)
				return f, c
			})
			err := readAll(dir)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unedited copy: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append(tc.want, ShardFileName(0, 1), "trace 1") {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestChecksum: generate stores a checksum that the reader verifies; a
// byte changed in any record batch, or in the metadata, is an error naming
// the shard, even when every value stays plausible; shards without a
// checksum (written before there was one) are read, and counted by Verify.
func TestChecksum(t *testing.T) {
	for _, comp := range []string{"none", "lz4"} {
		t.Run(comp, func(t *testing.T) {
			cfg := smallConfig(t, 20) // 3 record batches
			cfg.Compression = comp
			res := generate(t, t.TempDir(), cfg)
			good := readFile(t, res.Path)
			h, err := readHeader(res.Path)
			if err != nil {
				t.Fatal(err)
			}
			if !checksumForm.MatchString(h.checksum) || h.records != 3 {
				t.Fatalf("checksum %q, %d record batches", h.checksum, h.records)
			}
			ds, err := Open(filepath.Dir(res.Path))
			if err != nil {
				t.Fatal(err)
			}
			if unchecked, err := ds.Verify(); err != nil || unchecked != 0 {
				t.Fatalf("Verify of a good shard: %d unchecked, %v", unchecked, err)
			}
			ds.Close()
			blocks, err := checkFooter(bytes.NewReader(good), int64(len(good)))
			if err != nil {
				t.Fatal(err)
			}
			type damage struct {
				name string
				at   []int // bytes to flip
			}
			var cases []damage
			for k, b := range blocks {
				mid := int(b.offset + b.meta + b.body/2)
				last := int(b.offset + b.meta + b.body - 1)
				cases = append(cases, damage{fmt.Sprintf("batch %d body", k), []int{mid}},
					damage{fmt.Sprintf("batch %d end", k), []int{last}},
					damage{fmt.Sprintf("batch %d message", k), []int{int(b.offset + b.meta - 2)}})
			}
			// The settings' seed 7 -> 6 in the schema message and the footer:
			// still a valid dataset, but not the one written.
			var seed []int
			for i := 0; ; {
				j := bytes.Index(good[i:], []byte(`"seed":7`))
				if j < 0 {
					break
				}
				seed = append(seed, i+j+len(`"seed":`))
				i += j + 1
			}
			if len(seed) != 2 {
				t.Fatalf("%d copies of the seed in the file, want 2", len(seed))
			}
			cases = append(cases, damage{"metadata", seed})
			for _, d := range cases {
				dir := t.TempDir()
				bad := append([]byte(nil), good...)
				for _, p := range d.at {
					bad[p] ^= 1
				}
				writeFile(t, filepath.Join(dir, ShardFileName(0, 1)), bad)
				for _, how := range []string{"Verify", "Scan"} {
					ds, err := Open(dir)
					if err == nil {
						if how == "Verify" {
							_, err = ds.Verify()
						} else {
							err = ds.Scan(func(*Trace) error { return nil })
						}
						ds.Close()
					}
					if err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), ShardFileName(0, 1)) {
						t.Fatalf("%s: %s: error %v, want a checksum mismatch naming the shard", d.name, how, err)
					}
				}
			}
			// Without the checksum entry (as shards written before it), the
			// same data is read, unverified.
			small := generate(t, t.TempDir(), smallConfig(t, 3)) // one record batch, as rewrite copies
			old := t.TempDir()
			rewrite(t, small.Path, filepath.Join(old, ShardFileName(0, 1)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				return f, c
			})
			ds, err = Open(old)
			if err != nil {
				t.Fatal(err)
			}
			defer ds.Close()
			if unchecked, err := ds.Verify(); err != nil || unchecked != 1 {
				t.Fatalf("Verify of a shard without checksum: %d unchecked, %v", unchecked, err)
			}
		})
	}
}

// TestChecksumMalformed: a checksum entry that is not sha256:HEX is refused
// when the shard is opened.
func TestChecksumMalformed(t *testing.T) {
	res := generate(t, t.TempDir(), smallConfig(t, 2))
	good := readFile(t, res.Path)
	bad := bytes.ReplaceAll(good, []byte(checksumPrefix), []byte("sha257:"))
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ShardFileName(0, 1)), bad)
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), `schema metadata "checksum"`) || !strings.Contains(err.Error(), ShardFileName(0, 1)) {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Stat(res.Path); err != nil {
		t.Fatal(err)
	}
}
