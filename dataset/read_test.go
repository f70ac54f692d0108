package dataset

import (
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// twoShards generates a 2-shard hh dataset of n traces into a new folder.
func twoShards(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		cfg := smallConfig(t, n)
		cfg.Shard, cfg.Shards = i, 2
		generate(t, dir, cfg)
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	writeFile(t, to, readFile(t, from))
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenReadsWhatWasWritten(t *testing.T) {
	dir := twoShards(t, 5)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	m := ds.Meta()
	if m.Traces != 5 || m.Samples != 200 || m.Shards != 2 || m.CellName != "hh" || m.Seed != 7 ||
		!reflect.DeepEqual(m.ChannelNames(), []string{"exc", "inh"}) || len(m.Files) != 2 {
		t.Fatalf("meta %+v", m.Settings)
	}
	cell, err := m.Cell()
	if err != nil || cell.Name != "hh" || len(cell.Synapses) != 2 {
		t.Fatalf("cell %v, %v", cell, err)
	}
	for i := 0; i < ds.NumTraces(); i++ {
		tr, err := ds.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Index != i || len(tr.V) != 200 || len(tr.Spike) != 200 || len(tr.Drive) != 2 || tr.V[0] != -65 {
			t.Fatalf("trace %d: %d samples, v[0] = %g", i, len(tr.V), tr.V[0])
		}
		for _, v := range tr.V {
			if math.IsNaN(float64(v)) || v < -100 || v > 60 {
				t.Fatalf("trace %d: v %g", i, v)
			}
		}
		// The caller owns the slices: changing them changes nothing stored.
		tr.V[5] = 1234
		again, err := ds.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		if again.V[5] == 1234 {
			t.Fatal("Trace returned a slice aliasing the cache")
		}
	}
	for _, i := range []int{-1, 5, 1 << 40} {
		if _, err := ds.Trace(i); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("Trace(%d): %v", i, err)
		}
	}
}

// writeArrow writes an Arrow file with the given schema and one record.
func writeArrow(t testing.TB, path string, schema *arrow.Schema, cols []arrow.Array, rows int, opts ...ipc.Option) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ipc.NewFileWriter(f, append([]ipc.Option{ipc.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	rec := array.NewRecord(schema, cols, int64(rows))
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// rewrite copies shard src to dst with its columns and metadata edited.
func rewrite(t testing.TB, src, dst string, edit func(fields []arrow.Field, cols []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array), opts ...ipc.Option) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Record(0)
	if err != nil {
		t.Fatal(err)
	}
	md := r.Schema().Metadata().ToMap()
	fields, cols := edit(append([]arrow.Field(nil), r.Schema().Fields()...), append([]arrow.Array(nil), rec.Columns()...), md)
	var keys, vals []string
	for _, k := range []string{MetaFormat, MetaGenerator, MetaSettings, MetaShard, MetaCell, MetaSampling} {
		if v, ok := md[k]; ok {
			keys, vals = append(keys, k), append(vals, v)
		}
	}
	meta := arrow.NewMetadata(keys, vals)
	writeArrow(t, dst, arrow.NewSchema(fields, &meta), cols, int(rec.NumRows()), opts...)
}

func TestOpenErrors(t *testing.T) {
	good := twoShards(t, 4)
	s0 := filepath.Join(good, ShardFileName(0, 2))
	s1 := filepath.Join(good, ShardFileName(1, 2))
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) // fills an empty folder
		want  []string                       // substrings of the error
	}{
		{"empty folder", func(t *testing.T, dir string) {}, []string{"no shard files"}},
		{"missing shard", func(t *testing.T, dir string) { copyFile(t, s0, filepath.Join(dir, ShardFileName(0, 2))) },
			[]string{"1 of 2 shards are missing (1)", "--shard i/2"}},
		{"doubled shard", func(t *testing.T, dir string) {
			copyFile(t, s0, filepath.Join(dir, ShardFileName(0, 2)))
			copyFile(t, s0, filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{ShardFileName(1, 2), "named as another shard", "renamed"}},
		{"different dataset", func(t *testing.T, dir string) {
			copyFile(t, s0, filepath.Join(dir, ShardFileName(0, 2)))
			cfg := smallConfig(t, 4)
			cfg.Seed, cfg.Shard, cfg.Shards = 99, 1, 2
			other := t.TempDir()
			generate(t, other, cfg)
			copyFile(t, filepath.Join(other, ShardFileName(1, 2)), filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{"different datasets", "seed 7 vs 99", ShardFileName(1, 2)}},
		{"truncated", func(t *testing.T, dir string) {
			copyFile(t, s0, filepath.Join(dir, ShardFileName(0, 2)))
			b := readFile(t, s1)
			writeFile(t, filepath.Join(dir, ShardFileName(1, 2)), b[:len(b)/2])
		}, []string{ShardFileName(1, 2), "not a readable Arrow IPC file"}},
		{"empty file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ShardFileName(0, 1)), nil)
		}, []string{ShardFileName(0, 1), "not a readable Arrow IPC file"}},
		{"text file", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ShardFileName(0, 1)), []byte(strings.Repeat("time_ms,synapse,weight_uS\n", 20)))
		}, []string{ShardFileName(0, 1), "not a readable Arrow IPC file"}},
		{"foreign arrow file", func(t *testing.T, dir string) {
			schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil)
			b := array.NewFloat64Builder(memory.DefaultAllocator)
			b.AppendValues([]float64{1, 2, 3}, nil)
			writeArrow(t, filepath.Join(dir, ShardFileName(0, 1)), schema, []arrow.Array{b.NewArray()}, 3)
		}, []string{ShardFileName(0, 1), "not a neurosurrogate dataset shard"}},
		{"different schema", func(t *testing.T, dir string) {
			copyFile(t, s0, filepath.Join(dir, ShardFileName(0, 2)))
			rewrite(t, s1, filepath.Join(dir, ShardFileName(1, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				return append(f[:3], f[4:]...), append(c[:3], c[4:]...) // drop "exc"
			})
		}, []string{ShardFileName(1, 2), "schema differs", `"exc"`}},
		{"renamed column", func(t *testing.T, dir string) {
			rewrite(t, s0, filepath.Join(dir, ShardFileName(0, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				f[2].Name = "v"
				return f, c
			})
			copyFile(t, s1, filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{ShardFileName(0, 2), `column 2 is "v", want "v_soma"`}},
		{"bad settings", func(t *testing.T, dir string) {
			rewrite(t, s0, filepath.Join(dir, ShardFileName(0, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				md[MetaSettings] = strings.Replace(md[MetaSettings], `"samples":200`, `"samples":-1`, 1)
				return f, c
			})
			copyFile(t, s1, filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{ShardFileName(0, 2), "settings", "samples -1"}},
		{"other format", func(t *testing.T, dir string) {
			rewrite(t, s0, filepath.Join(dir, ShardFileName(0, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				md[MetaFormat] = "neurosurrogate-traces/9"
				return f, c
			})
			copyFile(t, s1, filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{ShardFileName(0, 2), `"neurosurrogate-traces/9"`}},
		{"cell does not match", func(t *testing.T, dir string) {
			rewrite(t, s0, filepath.Join(dir, ShardFileName(0, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
				md[MetaCell] = strings.Replace(md[MetaCell], "35.4", "35.5", 1)
				return f, c
			})
			copyFile(t, s1, filepath.Join(dir, ShardFileName(1, 2)))
		}, []string{ShardFileName(0, 2), "cell_sha256"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.setup(t, dir)
			ds, err := Open(dir)
			if err == nil {
				// Some damage only shows when the data is read.
				err = ds.Scan(func(*Trace) error { return nil })
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Fatalf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	for _, p := range []string{filepath.Join(good, "nope"), s0} {
		if _, err := Open(p); err == nil {
			t.Errorf("Open(%s): no error", p)
		}
	}
}

// TestCorruptRecordIsAnError damages trace data, not the header: Open
// works, reading the trace fails with the file's name.
func TestCorruptRecordIsAnError(t *testing.T) {
	good := twoShards(t, 4)
	dir := t.TempDir()
	copyFile(t, filepath.Join(good, ShardFileName(1, 2)), filepath.Join(dir, ShardFileName(1, 2)))
	rewrite(t, filepath.Join(good, ShardFileName(0, 2)), filepath.Join(dir, ShardFileName(0, 2)), func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
		b := array.NewInt32Builder(memory.DefaultAllocator)
		b.AppendValues([]int32{42, 2}, nil) // the first trace of shard 0 should be 0
		c[0] = b.NewArray()
		return f, c
	})
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ds.Trace(0)
	if err == nil || !strings.Contains(err.Error(), ShardFileName(0, 2)) || !strings.Contains(err.Error(), "row 0 is trace 42, want 0") {
		t.Fatalf("error %v", err)
	}
	if _, err := ds.Trace(1); err != nil {
		t.Fatalf("trace 1 (shard 1): %v", err)
	}
}

// TestForeignCompression: record batches compressed otherwise than the
// settings say are refused before any decompressor sees them.
func TestForeignCompression(t *testing.T) {
	keep := func(f []arrow.Field, c []arrow.Array, md map[string]string) ([]arrow.Field, []arrow.Array) {
		return f, c
	}
	tests := []struct {
		compression string
		opt         ipc.Option
		want        string
	}{
		{"none", ipc.WithLZ4(), `compressed record batch in a dataset whose settings say compression "none"`},
		{"lz4", ipc.WithZstd(), "codec other than LZ4"},
		{"none", ipc.WithZstd(), `settings say compression "none"`},
	}
	for _, tc := range tests {
		src := t.TempDir()
		cfg := smallConfig(t, 2)
		cfg.Compression = tc.compression
		res := generate(t, src, cfg)
		dir := t.TempDir()
		rewrite(t, res.Path, filepath.Join(dir, ShardFileName(0, 1)), keep, tc.opt)
		ds, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ds.Trace(0)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), ShardFileName(0, 1)) {
			t.Errorf("%s data rewritten: error %v, want %q", tc.compression, err, tc.want)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		n          int
		val, test  float64
		nv, nt, nr int
	}{
		{100, 0.1, 0.1, 10, 10, 80}, {7, 0.2, 0.2, 1, 1, 5}, {10, 0, 0, 0, 0, 10}, {10, 0.5, 0.5, 5, 5, 0}, {0, 0.1, 0.1, 0, 0, 0},
	}
	for _, tc := range tests {
		tr, va, te, err := Split(tc.n, 1, tc.val, tc.test)
		if err != nil {
			t.Fatal(err)
		}
		if len(va) != tc.nv || len(te) != tc.nt || len(tr) != tc.nr {
			t.Fatalf("n %d: %d/%d/%d, want %d/%d/%d", tc.n, len(tr), len(va), len(te), tc.nr, tc.nv, tc.nt)
		}
		seen := map[int]int{}
		for _, l := range [][]int{tr, va, te} {
			for k, i := range l {
				seen[i]++
				if k > 0 && l[k-1] >= i {
					t.Fatal("not sorted")
				}
			}
		}
		if len(seen) != tc.n {
			t.Fatalf("split covers %d of %d traces", len(seen), tc.n)
		}
		for i, c := range seen {
			if c != 1 || i < 0 || i >= tc.n {
				t.Fatalf("trace %d appears %d times", i, c)
			}
		}
		tr2, va2, te2, err := Split(tc.n, 1, tc.val, tc.test)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tr, tr2) || !reflect.DeepEqual(va, va2) || !reflect.DeepEqual(te, te2) {
			t.Fatal("split not stable")
		}
	}
	// Pinned: the split must not change between versions (trained models
	// record which traces they validated on).
	_, va, te, err := Split(20, 42, 0.1, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{13, 16}; !reflect.DeepEqual(va, want) {
		t.Errorf("validation set of Split(20, 42) is %v, was %v", va, want)
	}
	if want := []int{5, 19}; !reflect.DeepEqual(te, want) {
		t.Errorf("test set of Split(20, 42) is %v, was %v", te, want)
	}
	_, va3, _, err3 := Split(100, 2, 0.1, 0.1)
	_, va1, _, err1 := Split(100, 1, 0.1, 0.1)
	if err1 != nil || err3 != nil || len(va1) != 10 {
		t.Fatalf("Split(100): %v, %v, %d validation traces", err1, err3, len(va1))
	}
	if reflect.DeepEqual(va1, va3) {
		t.Error("seeds 1 and 2 give the same split")
	}
	for _, f := range [][2]float64{{-0.1, 0}, {0.6, 0.5}, {math.NaN(), 0}, {0, math.Inf(1)}} {
		if _, _, _, err := Split(10, 1, f[0], f[1]); err == nil {
			t.Errorf("fractions %v: no error", f)
		}
	}
}

func TestBatcher(t *testing.T) {
	dir := twoShards(t, 9)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	traces := []int{0, 2, 3, 5, 6, 8}
	const L, stride = 50, 40 // 200 samples: starts 0, 40, 80, 120 (<= 149)
	cfg := BatchConfig{BatchSize: 7, SeqLen: L, Stride: stride, Shuffle: true, Seed: 5, ShuffleTraces: 4}
	b, err := NewBatcher(ds, traces, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if b.WindowsPerTrace() != 4 || b.NumWindows() != 24 {
		t.Fatalf("%d windows per trace, %d per epoch", b.WindowsPerTrace(), b.NumWindows())
	}
	cache := map[int]*Trace{}
	epoch := func(e int) (order [][2]int) {
		b.Epoch(e)
		seen := map[[2]int]bool{}
		for {
			bt, err := b.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			nc := len(ds.Meta().Channels)
			if bt.SeqLen != L || bt.NumIn != 1+nc || bt.NumOut != 2 || len(bt.X) != bt.Size*L*bt.NumIn || len(bt.Y) != bt.Size*L*2 {
				t.Fatalf("batch shape %d x %d x %d", bt.Size, bt.SeqLen, bt.NumIn)
			}
			for w := 0; w < bt.Size; w++ {
				id, s := bt.Trace[w], bt.Start[w]
				key := [2]int{id, s}
				if seen[key] {
					t.Fatalf("window %v twice in an epoch", key)
				}
				seen[key] = true
				order = append(order, key)
				tr := cache[id]
				if tr == nil {
					if tr, err = ds.Trace(id); err != nil {
						t.Fatal(err)
					}
					cache[id] = tr
				}
				for k := 0; k < L; k++ {
					x := bt.X[(w*L+k)*bt.NumIn:]
					y := bt.Y[(w*L+k)*2:]
					if x[0] != tr.V[s+k] || x[1] != tr.Drive[0][s+k] || x[2] != tr.Drive[1][s+k] ||
						y[0] != tr.V[s+k+1] || y[1] != float32(tr.Spike[s+k]) {
						t.Fatalf("window %v step %d: wrong values", key, k)
					}
				}
			}
		}
		if len(seen) != 24 {
			t.Fatalf("epoch %d served %d windows, want 24", e, len(seen))
		}
		return order
	}
	e0, e1, e0again := epoch(0), epoch(1), epoch(0)
	if !reflect.DeepEqual(e0, e0again) {
		t.Fatal("epoch 0 differs between runs")
	}
	if reflect.DeepEqual(e0, e1) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	// Without shuffling: trace list order, then time.
	cfg.Shuffle = false
	cfg.BatchSize = 5
	cfg.DropLast = true
	b2, err := NewBatcher(ds, traces, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int
	for {
		bt, err := b2.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if bt.Size != 5 {
			t.Fatalf("DropLast served a batch of %d", bt.Size)
		}
		for w := 0; w < bt.Size; w++ {
			got = append(got, [2]int{bt.Trace[w], bt.Start[w]})
		}
	}
	if len(got) != 20 || got[0] != [2]int{0, 0} || got[1] != [2]int{0, 40} || got[4] != [2]int{2, 0} {
		t.Fatalf("sequential order %v", got)
	}
	// Jitter moves the window grid but keeps windows inside the trace.
	cfg = BatchConfig{BatchSize: 3, SeqLen: L, Stride: stride, Shuffle: true, Jitter: true, Seed: 5}
	b3, err := NewBatcher(ds, traces, cfg)
	if err != nil {
		t.Fatal(err)
	}
	shifted := false
	for {
		bt, err := b3.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range bt.Start {
			if s < 0 || s+L > ds.Samples()-1 {
				t.Fatalf("jittered window starts at %d", s)
			}
			if s%stride != 0 {
				shifted = true
			}
		}
	}
	if !shifted {
		t.Fatal("jitter moved no window")
	}
	bad := []struct {
		cfg    BatchConfig
		traces []int
		want   string
	}{
		{BatchConfig{BatchSize: 0, SeqLen: 10}, traces, "batch size"},
		{BatchConfig{BatchSize: 1, SeqLen: 200}, traces, "sequence length 200: want 1..199"},
		{BatchConfig{BatchSize: 1, SeqLen: 10, Stride: -1}, traces, "stride"},
		{BatchConfig{BatchSize: 1, SeqLen: 10}, nil, "no traces"},
		{BatchConfig{BatchSize: 1, SeqLen: 10}, []int{9}, "trace 9: out of range"},
	}
	for _, tc := range bad {
		if _, err := NewBatcher(ds, tc.traces, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(t, 20)
	reg := DefaultRegimes(cfg.Cell)
	reg.Mix = mustMix(t, "silent=0.5,core=0.5")
	cfg.Regimes = &reg
	generate(t, dir, cfg)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ds.Summarize(nil)
	if err != nil {
		t.Fatal(err)
	}
	silent, total := 0, 0
	for _, g := range s.Regimes {
		total += g.Traces
		if g.Regime == Silent {
			silent = g.Traces
			if g.FracSilent != 1 || g.MeanRateHz != 0 {
				t.Errorf("silent regime: %+v", g)
			}
		}
		if g.Regime == Core && g.MeanRateHz < 10 {
			t.Errorf("core regime fires at %g Hz", g.MeanRateHz)
		}
	}
	hist := 0
	for _, h := range s.Hist {
		hist += h.Count
	}
	if total != 20 || silent == 0 || s.FracSilent < float64(silent)/20 || hist != 20 {
		t.Errorf("summary %+v", s)
	}
	if s.Hist[0].Count != int(math.Round(s.FracSilent*20)) || s.VMin >= s.VMax || len(s.Channels) != 2 {
		t.Errorf("summary %+v", s)
	}
}
