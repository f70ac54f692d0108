package dataset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"

	"neurosurrogate/biophys"
)

func loadTestCell(t testing.TB, name string) *biophys.Cell {
	t.Helper()
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// smallConfig is a quick hh job: traces x 100 ms.
func smallConfig(t testing.TB, traces int) Config {
	return Config{Cell: loadTestCell(t, "hh"), Traces: traces, DurationMS: 100, DtMS: 0.025, SampleDtMS: 0.5, Seed: 7, Shards: 1, Workers: 2}
}

func generate(t testing.TB, dir string, cfg Config) *Result {
	t.Helper()
	res, err := Generate(context.Background(), dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// mustMix parses a regime mix the test spells out.
func mustMix(t testing.TB, s string) []MixEntry {
	t.Helper()
	m, err := ParseMix(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// readDir lists a folder that must exist.
func readDir(t testing.TB, dir string) []os.DirEntry {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

// shardRows reads the trace column of a shard file with the Arrow library
// directly (not this package's reader): the traces it holds, in order.
func shardRows(t testing.TB, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	col := r.Schema().FieldIndices(ColTrace)
	if len(col) != 1 {
		t.Fatalf("%s: no %q column", path, ColTrace)
	}
	var out []int
	for i := 0; i < r.NumRecords(); i++ {
		rec, err := r.Record(i)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range rec.Column(col[0]).(*array.Int32).Int32Values() {
			out = append(out, int(x))
		}
	}
	return out
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDeterministicWhateverWorkers(t *testing.T) {
	var first []byte
	for _, w := range []int{1, 2, 5, 1} {
		cfg := smallConfig(t, 13)
		cfg.Workers = w
		cfg.Regimes = &Regimes{}
		*cfg.Regimes = DefaultRegimes(cfg.Cell)
		cfg.Regimes.StepFrac = 0.3 // exercise the clamp channel too
		res := generate(t, t.TempDir(), cfg)
		b := readFile(t, res.Path)
		if first == nil {
			first = b
			continue
		}
		if !bytes.Equal(b, first) {
			t.Fatalf("workers=%d: file differs from workers=1", w)
		}
	}
}

func TestCompressionKeepsData(t *testing.T) {
	plain := t.TempDir()
	generate(t, plain, smallConfig(t, 5))
	a, err := Open(plain)
	if err != nil {
		t.Fatal(err)
	}
	for _, comp := range []string{"lz4"} {
		var first []byte
		dir := ""
		for _, w := range []int{1, 3} {
			dir = t.TempDir()
			cfg := smallConfig(t, 5)
			cfg.Compression, cfg.Workers = comp, w
			res := generate(t, dir, cfg)
			b := readFile(t, res.Path)
			if first != nil && !bytes.Equal(b, first) {
				t.Fatalf("%s: output depends on workers", comp)
			}
			first = b
		}
		ds, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if ds.Meta().Compression != comp {
			t.Fatalf("compression %q, want %q", ds.Meta().Compression, comp)
		}
		for i := 0; i < 5; i++ {
			x, err := a.Trace(i)
			if err != nil {
				t.Fatal(err)
			}
			y, err := ds.Trace(i)
			if err != nil {
				t.Fatal(err)
			}
			tracesEqual(t, x, y)
		}
	}
	cfg := smallConfig(t, 2)
	cfg.Compression = "zstd"
	if _, err := Generate(context.Background(), t.TempDir(), cfg); err == nil || !strings.Contains(err.Error(), `compression "zstd"`) {
		t.Fatalf("error %v", err)
	}
}

func tracesEqual(t *testing.T, a, b *Trace) {
	t.Helper()
	if a.Index != b.Index || !reflect.DeepEqual(a.V, b.V) || !reflect.DeepEqual(a.Drive, b.Drive) ||
		!reflect.DeepEqual(a.Spike, b.Spike) || !reflect.DeepEqual(a.Params, b.Params) {
		t.Fatalf("trace %d differs from trace %d", a.Index, b.Index)
	}
}

func TestShardsPartitionTheDataset(t *testing.T) {
	const n = 11
	whole := t.TempDir()
	generate(t, whole, smallConfig(t, n))
	// Trace j goes to shard j mod shards: with 4 shards, 0 4 8 | 1 5 9 |
	// 2 6 10 | 3 7; with 16, one trace in each of the first 11 and none
	// in the last 5.
	for _, tc := range []struct {
		shards int
		rows   [][]int
	}{
		{4, [][]int{{0, 4, 8}, {1, 5, 9}, {2, 6, 10}, {3, 7}}},
		{16, [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, nil, nil, nil, nil, nil}},
	} {
		shards := tc.shards
		dir := t.TempDir()
		var order []int // the storage order Scan must follow
		for i := 0; i < shards; i++ {
			cfg := smallConfig(t, n)
			cfg.Shard, cfg.Shards = i, shards
			res := generate(t, dir, cfg)
			want := tc.rows[i]
			if res.Traces != len(want) || ShardTraces(n, i, shards) != len(want) {
				t.Fatalf("shard %d/%d: result says %d traces, ShardTraces %d, want %d", i, shards, res.Traces, ShardTraces(n, i, shards), len(want))
			}
			if got := shardRows(t, res.Path); !reflect.DeepEqual(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("shard %d/%d holds traces %v, want %v", i, shards, got, want)
			}
			order = append(order, want...)
		}
		a, err := Open(whole)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		if b.NumTraces() != n || len(b.Meta().Files) != shards {
			t.Fatalf("%d shards: %d traces in %d files", shards, b.NumTraces(), len(b.Meta().Files))
		}
		for i := 0; i < n; i++ {
			ta, err := a.Trace(i)
			if err != nil {
				t.Fatal(err)
			}
			tb, err := b.Trace(i)
			if err != nil {
				t.Fatal(err)
			}
			tracesEqual(t, ta, tb)
		}
		// Scan visits every trace once, shard by shard, each in storage
		// order.
		var scanned []int
		err = b.Scan(func(tr *Trace) error {
			scanned = append(scanned, tr.Index)
			return nil
		})
		if err != nil || !reflect.DeepEqual(scanned, order) {
			t.Fatalf("scan: %v, traces %v; want %v", err, scanned, order)
		}
		a.Close()
		b.Close()
	}
}

// TestSamplingSemantics rebuilds traces independently from the documented
// rules (EventSeeds, biophys.NewPoisson, a plain biophys run) and compares
// every stored sample.
// TestSamplingSemantics rebuilds every stored series from the trace's
// events and a plain simulation: drive, timing (when generated), Vm and
// spike bins.
func TestSamplingSemantics(t *testing.T) {
	for _, timing := range []bool{false, true} {
		t.Run(fmt.Sprintf("timing=%v", timing), func(t *testing.T) { testSamplingSemantics(t, timing) })
	}
}

func testSamplingSemantics(t *testing.T, timing bool) {
	dir := t.TempDir()
	cfg := smallConfig(t, 6)
	reg := DefaultRegimes(cfg.Cell)
	reg.Mix = mustMix(t, "core=0.25,switching=0.25,volleys=0.5")
	reg.SegmentMS = Range{20, 40}
	cfg.Regimes = &reg
	cfg.Timing = timing
	generate(t, dir, cfg)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	m := ds.Meta()
	tmpl, err := biophys.Compile(cfg.Cell)
	if err != nil {
		t.Fatal(err)
	}
	sdt, n := m.SampleDtMS, m.Samples
	if m.HasTiming() != timing || (timing && len(m.Channels) != 2*len(cfg.Cell.Synapses)) {
		t.Fatalf("timing %v: channels %v", timing, m.ChannelNames())
	}
	timingOf := m.TimingOf()
	switching, volleys, rebuiltEvents, rebuiltSpikes := 0, 0, 0, 0
	for i := 0; i < ds.NumTraces(); i++ {
		tr, err := ds.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Segments) > 1 {
			switching++
		}
		DrawnVolleys(&m.Settings, i, &tr.Params)
		if len(tr.VolleysMS) > 0 {
			volleys++
		}
		var events []biophys.Event
		drive := make([][]float64, len(m.Channels))
		for c := range drive {
			drive[c] = make([]float64, n)
		}
		for s, syn := range cfg.Cell.Synapses {
			add := func(te, we float64) {
				events = append(events, biophys.Event{TimeMS: te, Syn: s, WeightUS: we})
				k := int(math.Floor(te / sdt))
				drive[s][k] += we
				if c, ok := timingOf[syn.Name]; ok {
					drive[c][k] += we * (te/sdt - float64(k) - 0.5)
				}
			}
			if SynapseClass(syn) == "exc" {
				for _, te := range VolleyEvents(m.Seed, i, s, tr.Params, m.DurationMS) {
					add(te, tr.ExcWeightUS)
				}
			}
			for j, seg := range tr.Segments {
				end := m.DurationMS
				if j+1 < len(tr.Segments) {
					end = tr.Segments[j+1].StartMS
				}
				rate, w := seg.ExcRateHz, tr.ExcWeightUS
				if SynapseClass(syn) == "inh" {
					rate, w = seg.InhRateHz, tr.InhWeightUS
				}
				s1, s2 := EventSeeds(m.Seed, i, s, j)
				p := biophys.NewPoisson(rate, w, end-seg.StartMS, s1, s2)
				for {
					te, we, ok := p.Next()
					if !ok {
						break
					}
					add(te+seg.StartMS, we)
				}
			}
		}
		for c := range drive {
			for k := range drive[c] {
				if float32(drive[c][k]) != tr.Drive[c][k] {
					t.Fatalf("trace %d channel %s bin %d: stored %g, rebuilt %g", i, m.Channels[c].Name, k, tr.Drive[c][k], drive[c][k])
				}
			}
		}
		sys, err := biophys.NewSystem([]biophys.Instance{{T: tmpl}}, m.DtMS)
		if err != nil {
			t.Fatal(err)
		}
		rebuiltEvents += len(events)
		if got, want := TraceEvents(&m.Settings, cfg.Cell, i, tr.Params), biophys.MergeEvents(events); !slices.Equal(got, want) {
			t.Fatalf("trace %d: TraceEvents gives %d events, the rebuild %d (or other ones)", i, len(got), len(want))
		}
		sys.AddEvents(0, biophys.MergeEvents(events))
		v := []float32{float32(sys.V(0))}
		spikes := make([]uint8, n)
		steps := 0
		perSample := int(math.Round(sdt / m.DtMS))
		err = sys.Run(m.DurationMS, func(s *biophys.System) {
			steps++
			for _, sp := range s.Spikes() {
				// (t_k, t_k+1] by the step's end time
				k := int(math.Ceil(sp.TimeMS/sdt-1e-9)) - 1
				spikes[k]++
			}
			if steps%perSample == 0 && len(v) < n {
				v = append(v, float32(s.V(0)))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v, tr.V) {
			t.Fatalf("trace %d: v_soma differs from a plain run", i)
		}
		if !reflect.DeepEqual(spikes, tr.Spike) {
			t.Fatalf("trace %d: spike bins differ from a plain run", i)
		}
		total := 0
		for _, c := range spikes {
			total += int(c)
		}
		if total != tr.Spikes {
			t.Fatalf("trace %d: params.spikes %d, counted %d", i, tr.Spikes, total)
		}
		rebuiltSpikes += total
	}
	if switching == 0 || volleys == 0 || rebuiltEvents == 0 || rebuiltSpikes == 0 {
		t.Fatalf("checked %d switching and %d volley traces, %d events, %d spikes; want some of each", switching, volleys, rebuiltEvents, rebuiltSpikes)
	}
}

func TestRegimeDraws(t *testing.T) {
	hh := loadTestCell(t, "hh")
	many := &biophys.Cell{}
	*many = *hh
	many.Synapses = nil
	for k := 0; k < 10; k++ {
		s := hh.Synapses[k%2]
		s.Name = []string{"exc_", "inh_"}[k%2] + string(rune('a'+k))
		many.Synapses = append(many.Synapses, s)
	}
	type box struct{ er, ew, ir, iw Range }
	tests := []struct {
		name       string
		cell       *biophys.Cell
		acceptance box
	}{
		// The surrogate's acceptance conditions (see the package doc).
		{"point", hh, box{Range{500, 3000}, Range{0.001, 0.004}, Range{200, 800}, Range{0.001, 0.006}}},
		{"many", many, box{Range{5, 25}, Range{0.004, 0.008}, Range{5, 20}, Range{0.001, 0.002}}},
	}
	in := func(x float64, r Range) bool { return x >= r[0] && x <= r[1] }
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Cell: tc.cell, Traces: 4000, DurationMS: 2000, DtMS: 0.025, SampleDtMS: 0.5, Seed: 3, Shards: 1}
			st, err := cfg.Settings()
			if err != nil {
				t.Fatal(err)
			}
			if want := map[string]string{"point": "none", "many": "lz4"}[tc.name]; st.Compression != want {
				t.Errorf("default compression %q, want %q", st.Compression, want)
			}
			r := st.Regimes
			count := map[string]int{}
			inAcc := 0
			for i := 0; i < cfg.Traces; i++ {
				p := drawParams(st, i).p
				count[p.Regime]++
				if p.Segments[0].StartMS != 0 || math.Abs(p.ExcRateHz) > r.Exc.RateHz[1] {
					t.Fatalf("trace %d: bad segments %+v", i, p.Segments)
				}
				if !in(p.ExcWeightUS, r.Exc.WeightUS) || !in(p.InhWeightUS, r.Inh.WeightUS) {
					t.Fatalf("trace %d (%s): weights %g, %g outside the full ranges", i, p.Regime, p.ExcWeightUS, p.InhWeightUS)
				}
				for _, s := range p.Segments {
					if !in(s.ExcRateHz, r.Exc.RateHz) || !in(s.InhRateHz, r.Inh.RateHz) {
						t.Fatalf("trace %d (%s): rates %+v outside the full ranges", i, p.Regime, s)
					}
				}
				switch p.Regime {
				case Core:
					if !in(p.ExcRateHz, r.CoreExc.RateHz) || !in(p.ExcWeightUS, r.CoreExc.WeightUS) ||
						!in(p.InhRateHz, r.CoreInh.RateHz) || !in(p.InhWeightUS, r.CoreInh.WeightUS) {
						t.Fatalf("core trace %d outside the core box: %+v", i, p)
					}
				case Silent:
					if p.ExcRateHz != 0 {
						t.Fatalf("silent trace %d has excitation", i)
					}
				case Switching:
					if len(p.Segments) < 2 {
						t.Fatalf("switching trace %d has %d segments", i, len(p.Segments))
					}
				}
				a := tc.acceptance
				if len(p.Segments) == 1 && in(p.ExcRateHz, a.er) && in(p.ExcWeightUS, a.ew) && in(p.InhRateHz, a.ir) && in(p.InhWeightUS, a.iw) {
					inAcc++
				}
			}
			if len(r.Mix) == 0 {
				t.Fatal("no regime mix to check")
			}
			for _, m := range r.Mix {
				got := float64(count[m.Regime]) / float64(cfg.Traces)
				if math.Abs(got-m.Frac) > 0.03 {
					t.Errorf("regime %s: %.3f of traces, want %.3f", m.Regime, got, m.Frac)
				}
			}
			if frac := float64(inAcc) / float64(cfg.Traces); frac < 0.5 {
				t.Errorf("only %.2f of traces are stationary inside the acceptance box; want most", frac)
			}
		})
	}
}

func TestSubthresholdTracesDoNotSpike(t *testing.T) {
	for _, cell := range []string{"hh", "ballstick"} {
		cfg := smallConfig(t, 8)
		cfg.Cell = loadTestCell(t, cell)
		reg := DefaultRegimes(cfg.Cell)
		reg.Mix = mustMix(t, "subthreshold=1")
		cfg.Regimes = &reg
		dir := t.TempDir()
		generate(t, dir, cfg)
		ds, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		retried, scanned := 0, 0
		err = ds.Scan(func(tr *Trace) error {
			scanned++
			spikeBins := 0
			for _, s := range tr.Spike {
				spikeBins += int(s)
			}
			if tr.Spikes != 0 || spikeBins != 0 || tr.Regime != Subthreshold {
				t.Errorf("%s trace %d: %s with %d spikes", cell, tr.Index, tr.Regime, tr.Spikes)
			}
			if tr.Attempts > 1 {
				retried++
			}
			return nil
		})
		if err != nil || scanned != 8 {
			t.Fatalf("%s: scanned %d traces of 8: %v", cell, scanned, err)
		}
		if cell == "hh" && retried == 0 {
			t.Errorf("hh: no subthreshold trace needed a retry; the test does not test the retry")
		}
	}
}

func TestCurrentSteps(t *testing.T) {
	cfg := smallConfig(t, 5)
	reg := DefaultRegimes(cfg.Cell)
	reg.StepFrac = 1
	reg.StepAmpNA = Range{0.5, 0.5}
	reg.StepDurMS = Range{20, 20}
	reg.Mix = mustMix(t, "silent=1")
	cfg.Regimes = &reg
	dir := t.TempDir()
	generate(t, dir, cfg)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	names := ds.Meta().ChannelNames()
	if names[len(names)-1] != ColClamp {
		t.Fatalf("channels %v: want %s last", names, ColClamp)
	}
	for i := 0; i < 5; i++ {
		tr, err := ds.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		cl := tr.Drive[len(names)-1]
		k0 := int(math.Round(tr.StepStartMS / 0.5))
		on := 0
		for k, x := range cl {
			inStep := k >= k0 && float64(k)*0.5 < tr.StepStartMS+tr.StepDurMS
			if (x == 0.5) != inStep || (x != 0 && x != 0.5) {
				t.Fatalf("trace %d bin %d: i_clamp %g (step %g ms + %g ms)", i, k, x, tr.StepStartMS, tr.StepDurMS)
			}
			if x != 0 {
				on++
			}
		}
		if on == 0 || tr.StepAmpNA != 0.5 {
			t.Fatalf("trace %d: step of %g nA covers %d bins", i, tr.StepAmpNA, on)
		}
	}
}

func TestSynapseClass(t *testing.T) {
	tests := []struct {
		name string
		e    *float64
		want string
	}{
		{"exc", nil, "exc"}, {"inh", nil, "inh"}, {"exc_apic_0", nil, "exc"}, {"inh_dend_3", nil, "inh"},
		{"INH_x", nil, "inh"}, {"ampa", nil, "exc"}, {"gaba", ptr(-80), "inh"}, {"gaba_a", ptr(-20), "exc"},
		{"gaba_b", ptr(-20.5), "inh"}, {"exc_but_low_e", ptr(-80), "exc"},
	}
	for _, tc := range tests {
		s := biophys.Synapse{Name: tc.name, Kind: "ExpSyn", Params: map[string]float64{}}
		if tc.e != nil {
			s.Params["e"] = *tc.e
		}
		if got := SynapseClass(s); got != tc.want {
			t.Errorf("%s (e %v): %s, want %s", tc.name, tc.e, got, tc.want)
		}
	}
}

func ptr(x float64) *float64 { return &x }

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		i, n int
		err  string
	}{
		{"0/1", 0, 1, ""}, {"3/16", 3, 16, ""}, {" 15 / 16 ", 15, 16, ""},
		{"0/0", 0, 0, "at least 1"}, {"5/4", 0, 0, "0 <= i < n"}, {"4/4", 0, 0, "last of 4 is 3/4"},
		{"-1/4", 0, 0, "0 <= i < n"}, {"text", 0, 0, "want i/n"}, {"1/x", 0, 0, "want i/n"}, {"", 0, 0, "want i/n"},
		{"1", 0, 0, "want i/n"}, {"0/100000", 0, 0, "at most"},
	}
	for _, tc := range tests {
		i, n, err := ParseShard(tc.in)
		if tc.err == "" {
			if err != nil || i != tc.i || n != tc.n {
				t.Errorf("%q: %d/%d, %v; want %d/%d", tc.in, i, n, err, tc.i, tc.n)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.err)
		}
	}
}

func TestParseRangeAndMix(t *testing.T) {
	ranges := []struct {
		in   string
		want Range
		err  bool
	}{
		{"0:3000", Range{0, 3000}, false}, {"0.001 : 0.005", Range{0.001, 0.005}, false}, {"5", Range{5, 5}, false},
		{"-0.1:0.3", Range{-0.1, 0.3}, false}, {"3:1", Range{}, true}, {"a:b", Range{}, true}, {"1:inf", Range{}, true},
		{"NaN:1", Range{}, true}, {"", Range{}, true},
	}
	for _, tc := range ranges {
		got, err := ParseRange(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseRange(%q) = %v, %v", tc.in, got, err)
		}
	}
	mixes := []struct {
		in  string
		err string
	}{
		{"core=1", ""}, {"silent=0.5, core=0.5", ""}, {"core=0.5", "sum to 0.5"}, {"bogus=1", "unknown regime"},
		{"core", "want regime=fraction"}, {"core=x", "not a number"}, {"core=1,core=0", "twice"}, {"core=1.5,silent=-0.5", ">= 0"},
	}
	for _, tc := range mixes {
		m, err := ParseMix(tc.in)
		if tc.err == "" {
			if err != nil || len(m) != len(RegimeNames) {
				t.Errorf("ParseMix(%q) = %v, %v", tc.in, m, err)
			}
		} else if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParseMix(%q): error %v, want %q", tc.in, err, tc.err)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	base := func() Config { return smallConfig(t, 4) }
	tests := []struct {
		name string
		mod  func(c *Config)
		err  string
	}{
		{"sample-dt not a multiple of dt", func(c *Config) { c.SampleDtMS = 0.03 }, "not a multiple of dt"},
		{"duration not a multiple of sample-dt", func(c *Config) { c.DurationMS = 100.2 }, "not a multiple of sample-dt"},
		{"sample-dt below dt", func(c *Config) { c.SampleDtMS = 0.01 }, "not a multiple of dt"},
		{"zero traces", func(c *Config) { c.Traces = 0 }, "traces 0"},
		{"negative traces", func(c *Config) { c.Traces = -3 }, "traces -3"},
		{"zero duration", func(c *Config) { c.DurationMS = 0 }, "duration 0"},
		{"negative dt", func(c *Config) { c.DtMS = -0.025 }, "dt -0.025"},
		{"NaN sample-dt", func(c *Config) { c.SampleDtMS = math.NaN() }, "sample-dt NaN"},
		{"bad shard", func(c *Config) { c.Shard, c.Shards = 4, 4 }, "shard 4/4"},
		{"negative workers", func(c *Config) { c.Workers = -1 }, "workers -1"},
		{"bad range", func(c *Config) {
			r := DefaultRegimes(c.Cell)
			r.Exc.RateHz = Range{-5, 10}
			c.Regimes = &r
		}, "exc rate (Hz) range -5:10"},
		{"bad mix", func(c *Config) {
			r := DefaultRegimes(c.Cell)
			r.Mix = []MixEntry{{Core, 0.7}}
			c.Regimes = &r
		}, "sum to 0.7"},
		{"no synapses", func(c *Config) {
			cell := *c.Cell
			cell.Synapses = nil
			c.Cell = &cell
		}, "no synapses"},
		{"reserved synapse name", func(c *Config) {
			cell := *c.Cell
			cell.Synapses = append([]biophys.Synapse(nil), cell.Synapses...)
			cell.Synapses[0].Name = "v_soma"
			c.Cell = &cell
		}, "reserved column name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base()
			tc.mod(&c)
			dir := t.TempDir()
			_, err := Generate(context.Background(), dir, c)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v; want one containing %q", err, tc.err)
			}
			if ents := readDir(t, dir); len(ents) != 0 {
				t.Fatalf("a failed job left %d files", len(ents))
			}
		})
	}
}

func TestUnwritableOutput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Generate(context.Background(), filepath.Join(file, "out"), smallConfig(t, 2))
	if err == nil || !strings.Contains(err.Error(), "cannot create the output folder") || !strings.Contains(err.Error(), file) {
		t.Fatalf("error %v; want one naming the output folder", err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		_, err := Generate(context.Background(), ro, smallConfig(t, 2))
		if err == nil || !strings.Contains(err.Error(), "cannot write in the output folder") {
			t.Fatalf("read-only folder: error %v", err)
		}
	}
}

func TestRefuseMixedSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(t, 6)
	cfg.Shard, cfg.Shards = 0, 2
	first := generate(t, dir, cfg)
	before := readFile(t, first.Path)
	tests := []struct {
		name string
		mod  func(c *Config)
		want string
	}{
		{"seed", func(c *Config) { c.Seed = 8 }, "seed 7 vs 8"},
		{"shard count", func(c *Config) { c.Shards, c.Shard = 3, 1 }, "shards 2 vs 3"},
		{"dt", func(c *Config) { c.DtMS = 0.05 }, "dt_ms"},
		{"sample_dt", func(c *Config) { c.SampleDtMS = 1 }, "sample_dt_ms"},
		{"traces", func(c *Config) { c.Traces = 7 }, "traces 6 vs 7"},
		{"cell", func(c *Config) { c.Cell = loadTestCell(t, "ballstick") }, "cell"},
		{"ranges", func(c *Config) {
			r := DefaultRegimes(c.Cell)
			r.CoreExc.RateHz = Range{600, 3000}
			c.Regimes = &r
		}, "regimes.core_exc.rate_hz[0] 500 vs 600"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := smallConfig(t, 6)
			c.Shard, c.Shards = 1, 2
			tc.mod(&c)
			_, err := Generate(context.Background(), dir, c)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), first.Path) {
				t.Fatalf("error %v; want one naming %s and %q", err, first.Path, tc.want)
			}
		})
	}
	// The same settings are welcome, and a rerun of a shard rewrites it identically.
	c := smallConfig(t, 6)
	c.Shard, c.Shards = 1, 2
	generate(t, dir, c)
	generate(t, dir, cfg)
	if !bytes.Equal(readFile(t, first.Path), before) {
		t.Fatal("rerunning shard 0 changed it")
	}
	if _, err := Open(dir); err != nil {
		t.Fatal(err)
	}
	if ents := readDir(t, dir); len(ents) != 2 {
		t.Fatalf("%d files in the folder, want the 2 shards", len(ents))
	}
}

func TestInterruptedRunLeavesNoShard(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := smallConfig(t, 40)
	cfg.Progress = func(done, total int) {
		if done == 3 {
			cancel()
		}
	}
	_, err := Generate(ctx, dir, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if ents := readDir(t, dir); len(ents) != 0 {
		t.Fatalf("an interrupted run left %v", ents[0].Name())
	}
	// A killed run leaves only a hidden temporary file, never a shard.
	if err := os.WriteFile(filepath.Join(dir, ".shard-00000-of-00001.arrow.tmp-123"), []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "no shard files") || !strings.Contains(err.Error(), "1 unfinished temporary") {
		t.Fatalf("error %v", err)
	}
}

// TestVolleyEvents: an excitatory synapse joins about VolleyFrac of the
// volleys, near their times, the same way every time; no volleys, no
// events.
func TestVolleyEvents(t *testing.T) {
	p := Params{VolleyFrac: 0.2, VolleyJitterMS: 1}
	for v := 0; v < 100; v++ {
		p.VolleysMS = append(p.VolleysMS, 10+20*float64(v))
	}
	joined := 0
	for syn := 0; syn < 200; syn++ {
		ev := VolleyEvents(3, 7, syn, p, 2000)
		if !slices.Equal(ev, VolleyEvents(3, 7, syn, p, 2000)) || !slices.IsSorted(ev) {
			t.Fatalf("synapse %d: events not reproducible or not sorted", syn)
		}
		for _, te := range ev {
			near := math.Mod(te-10+1000*20, 20) // distance past the nearest volley below
			if d := math.Min(near, 20-near); d > 6 {
				t.Fatalf("synapse %d: event at %g ms, %g ms from every volley (jitter sd 1 ms)", syn, te, d)
			}
		}
		joined += len(ev)
	}
	// 200 synapses x 100 volleys x 0.2: 4000 expected, sd about 57.
	if joined < 3700 || joined > 4300 {
		t.Errorf("%d events joined, want about 4000", joined)
	}
	if len(VolleyEvents(3, 7, 0, Params{}, 2000)) != 0 {
		t.Errorf("events without volleys")
	}
}
