package infer

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"

	"neurosurrogate/artifacts"
)

func mustAxis(t *testing.T, s string) Axis {
	t.Helper()
	a, err := ParseAxis(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSweepPlanErrors: a plan is refused, with the axis and the reason,
// when an axis misses the description, addresses no number, gives a
// value the network does not accept, repeats, or sweeps the warm-up.
func TestSweepPlanErrors(t *testing.T) {
	for _, tc := range []struct {
		axes []string
		want string
	}{
		{[]string{"projections.0.stp.V=0.1:0.5:3"}, `has no field "V"`},
		{[]string{"projections.7.p=0.1:0.5:3"}, `is a list of 3; "7" is not an index`},
		{[]string{"populations.0.name=1,2"}, "not a number (a string)"},
		{[]string{"projections.0.stp=1,2"}, "not a number (a object)"},
		{[]string{"projections.0.p=0.1,1.5"}, "variant projections.0.p = 1.5"},
		{[]string{"projections.0.stp.U=0:1:3"}, "utilization must lie in (0, 1]"},
		{[]string{"warmup_ms=0,100"}, "one warm-up"},
		{[]string{"seed=1,2", "seed=3"}, "given twice"},
		{[]string{"seed=0:1000:1001", "projections.0.p=0:1:2000"}, "more than"},
	} {
		var axes []Axis
		for _, s := range tc.axes {
			axes = append(axes, mustAxis(t, s))
		}
		_, err := NewSweepPlan("stack.json", []byte(stackBase), axes, 100, 50, 5, 1000, false, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "stack.json:1:") {
			t.Errorf("%v: error %v, want %q", tc.axes, err, tc.want)
		}
	}
}

// smallPlan is a 2 x 3 sweep of stackBase run in batches of 2 variants.
func smallPlan(t *testing.T, psth bool) *SweepPlan {
	t.Helper()
	axes := []Axis{mustAxis(t, "projections.0.stp.U=0.1,0.9"), mustAxis(t, "populations.0.background.0.rate_hz=500:1500:3")}
	p, err := NewSweepPlan("stack.json", []byte(stackBase), axes, 150, 40, 5, 100, psth, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.Batch != 2 {
		t.Fatalf("batch %d, want 2 (100 cells per pass, 50 per variant)", p.Batch)
	}
	return p
}

func runPlan(t *testing.T, p *SweepPlan) []SweepRow {
	t.Helper()
	r := &CachedResolver{R: artifacts.Resolver{}}
	var rows []SweepRow
	n := len(p.Points())
	for lo := 0; lo < n; lo += p.Batch {
		got, err := p.RunBatch(lo, min(n, lo+p.Batch), r, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := p.Variant(lo, r)
		if err != nil {
			t.Fatal(err)
		}
		if want := float64(50*len(got.Rows)) * math.Round((p.Tstop+20)/b.SampleDT); got.CellSteps != want {
			t.Fatalf("cell-steps %g, want %g", got.CellSteps, want)
		}
		rows = append(rows, got.Rows...)
	}
	return rows
}

// TestSweepRows: every row is its variant's network run alone and read
// out: values in grid order, readouts equal to ComputeReadouts of the
// variant's own run, and the readouts follow the swept background rate.
func TestSweepRows(t *testing.T) {
	p := smallPlan(t, true)
	rows := runPlan(t, p)
	if len(rows) != 6 || p.Len() != 6 {
		t.Fatalf("%d rows, want 6", len(rows))
	}
	for i, v := range p.Points() {
		if !slices.Equal(p.Point(i), v) {
			t.Fatalf("Point(%d) = %v, Points()[%d] = %v", i, p.Point(i), i, v)
		}
	}
	r := &CachedResolver{R: artifacts.Resolver{}}
	for i, row := range rows {
		if row.Variant != i || !slices.Equal(row.Values, p.Points()[i]) {
			t.Fatalf("row %d: variant %d, values %v", i, row.Variant, row.Values)
		}
		b, err := p.Variant(i, r)
		if err != nil {
			t.Fatal(err)
		}
		run, err := RunSurrogate(b, p.Tstop, EngineOptions{WarmupMS: b.Net.WarmupMS})
		if err != nil {
			t.Fatal(err)
		}
		want := ComputeReadouts(b, run, ReadoutOptions{StimMS: 60, WindowMS: 40, BinMS: 5})
		for _, n := range ReadoutNames([]string{"E", "I"}) {
			if g, w := row.R.Value(n), want.Value(n); g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
				t.Errorf("variant %d %s: %g, alone %g", i, n, g, w)
			}
		}
		if row.Spikes != len(run.Spikes) || len(row.PSTH) != 30 {
			t.Errorf("variant %d: %d spikes (alone %d), PSTH of %d bins", i, row.Spikes, len(run.Spikes), len(row.PSTH))
		}
	}
	// More background drive, more E firing, at both U.
	for _, u := range []int{0, 3} {
		if !(rows[u].R.RateHz["E"] < rows[u+2].R.RateHz["E"]) {
			t.Errorf("E rate does not grow with its background: %g, %g", rows[u].R.RateHz["E"], rows[u+2].R.RateHz["E"])
		}
	}
}

// TestSweepArrow: the table reads back with the Arrow library: one row
// per variant, the axes and readouts as float64 columns with units, NaN
// kept, the PSTH as a fixed-size list, the plan in the metadata.
func TestSweepArrow(t *testing.T) {
	p := smallPlan(t, true)
	rows := runPlan(t, p)
	rows[1].R.ISICV = math.NaN()
	names := ReadoutNames([]string{"E", "I"})
	path := filepath.Join(t.TempDir(), "sweep.arrow")
	if err := WriteSweepArrow(path, p, names, rows); err != nil {
		t.Fatal(err)
	}
	rd := openArrowFile(t, path)
	sc := rd.Schema()
	want := append([]string{"variant", "projections.0.stp.U", "populations.0.background.0.rate_hz", "spikes"}, names...)
	want = append(want, "psth_hz")
	var got []string
	for _, fl := range sc.Fields() {
		got = append(got, fl.Name)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	md, _ := sc.Metadata().GetValue(SweepMetadataKey)
	var back SweepPlan
	if err := json.Unmarshal([]byte(md), &back); err != nil || back.Tstop != 150 || len(back.Axes) != 2 {
		t.Fatalf("plan metadata %q: %v", md, err)
	}
	if u, _ := sc.Field(4).Metadata.GetValue("unit"); u != "Hz" {
		t.Errorf("unit of %s: %q", sc.Field(4).Name, u)
	}
	n := 0
	for i := 0; i < rd.NumRecords(); i++ {
		rec, err := rd.Record(i)
		if err != nil {
			t.Fatal(err)
		}
		for r := 0; r < int(rec.NumRows()); r++ {
			row := rows[n]
			if v := rec.Column(0).(*array.Int32).Value(r); int(v) != row.Variant {
				t.Fatalf("row %d: variant %d", n, v)
			}
			if v := rec.Column(2).(*array.Float64).Value(r); v != row.Values[1] {
				t.Errorf("row %d: rate axis %g, want %g", n, v, row.Values[1])
			}
			for j, name := range names {
				v, w := rec.Column(4+j).(*array.Float64).Value(r), row.R.Value(name)
				if v != w && !(math.IsNaN(v) && math.IsNaN(w)) {
					t.Errorf("row %d %s: %g, want %g", n, name, v, w)
				}
			}
			ps := rec.Column(4 + len(names)).(*array.FixedSizeList)
			if ps.DataType().(*arrow.FixedSizeListType).Len() != 30 {
				t.Fatalf("psth type %v", ps.DataType())
			}
			vals := ps.ListValues().(*array.Float32)
			if x := vals.Value(r*30 + 13); x != float32(row.PSTH[13]) {
				t.Errorf("row %d psth bin 13: %g, want %g", n, x, row.PSTH[13])
			}
			n++
		}
	}
	if n != len(rows) {
		t.Fatalf("%d rows read, %d written", n, len(rows))
	}
}

// TestSweepDir: a folder keeps its plan and refuses another; saved batches
// and checks come back as saved; a damaged part is named in the error.
func TestSweepDir(t *testing.T) {
	dir := t.TempDir()
	p := smallPlan(t, false)
	d, err := OpenSweepDir(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := d.Batch(0); ok || err != nil {
		t.Fatalf("a new folder has batch 0 (%v)", err)
	}
	rows := []SweepRow{{Variant: 0, Values: []float64{1, 2}, Spikes: 3, R: Readouts{RateHz: map[string]float64{"E": 4}, ISICV: math.NaN()}}}
	if err := d.SaveBatch(0, rows); err != nil {
		t.Fatal(err)
	}
	if err := d.SaveCheck(CheckRow{Variant: 5, DtMS: 0.025, Ref: Readouts{Synchrony: 0.5}}); err != nil {
		t.Fatal(err)
	}
	d2, err := OpenSweepDir(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := d2.Batch(0)
	if !ok || err != nil || got[0].R.RateHz["E"] != 4 || !math.IsNaN(got[0].R.ISICV) || got[0].Spikes != 3 {
		t.Fatalf("batch 0 back: %v %v %+v", ok, err, got)
	}
	if c, ok, err := d2.Check(5, 0.025); !ok || err != nil || c.Ref.Synchrony != 0.5 {
		t.Fatalf("check 5 back: %v %v %+v", ok, err, c)
	}
	if _, ok, err := d2.Check(5, 0.01); ok || err != nil {
		t.Fatalf("a check at another time step is taken for this one (%v)", err)
	}
	other := *p
	other.Tstop = 200
	if _, err := OpenSweepDir(dir, &other); !errors.Is(err, ErrOtherSweep) {
		t.Fatalf("another plan in the same folder: %v", err)
	}
	if err := os.WriteFile(d.part("batch", 1), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Batch(1); err == nil || !strings.Contains(err.Error(), "batch-000001.gob") {
		t.Fatalf("damaged part: %v", err)
	}
}

// TestCheckPoints: k distinct points of the grid, ascending, that cover
// the range of every axis (each axis's lower and upper half both visited).
func TestCheckPoints(t *testing.T) {
	for _, tc := range []struct {
		dims []int
		k    int
	}{
		{[]int{20, 20}, 10},
		{[]int{20, 20, 20}, 12},
		{[]int{400}, 10},
		{[]int{3}, 10},
		{[]int{2, 2}, 4},
		{[]int{7}, 1},
	} {
		got := CheckPoints(tc.dims, tc.k)
		n := 1
		for _, d := range tc.dims {
			n *= d
		}
		if len(got) != min(tc.k, n) || !slices.IsSorted(got) || got[0] != 0 || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("CheckPoints(%v, %d) = %v", tc.dims, tc.k, got)
		}
		if len(got) < 4 {
			continue
		}
		for a := range tc.dims {
			stride := 1
			for _, d := range tc.dims[a+1:] {
				stride *= d
			}
			low, high := false, false
			for _, i := range got {
				v := i / stride % tc.dims[a]
				low = low || v < tc.dims[a]/2
				high = high || v >= tc.dims[a]/2
			}
			if !low || !high {
				t.Errorf("CheckPoints(%v, %d) = %v: axis %d not covered", tc.dims, tc.k, got, a)
			}
		}
	}
}

// TestCompareChecks: correlation and mean difference per readout over the
// checked variants, undefined readouts left out.
func TestCompareChecks(t *testing.T) {
	rows := make([]SweepRow, 6)
	var checks []CheckRow
	for i := range rows {
		x := float64(i)
		rows[i] = SweepRow{Variant: i, R: Readouts{RateHz: map[string]float64{"E": x}, Synchrony: x, ISICV: math.NaN()}}
		if i%2 == 1 || i == 0 {
			checks = append(checks, CheckRow{Variant: i, Ref: Readouts{RateHz: map[string]float64{"E": 2*x + 1}, Synchrony: -x, ISICV: 1}})
		}
	}
	st := CompareChecks([]string{"rate_hz.E", "synchrony", "isi_cv"}, rows, checks)
	if math.Abs(st[0].Corr-1) > 1e-12 || math.Abs(st[0].MeanAbsDiff-(1+2+4+6)/4.0) > 1e-12 {
		t.Errorf("rate: %+v", st[0])
	}
	if math.Abs(st[1].Corr+1) > 1e-12 {
		t.Errorf("synchrony: %+v", st[1])
	}
	if !math.IsNaN(st[2].Corr) || !math.IsNaN(st[2].MeanAbsDiff) || len(st[2].Sur) != 4 {
		t.Errorf("isi_cv (undefined in the surrogate): %+v", st[2])
	}
}

// TestSweepPlots: one PNG per readout for sweeps of 1 to 3 axes, none
// beyond.
func TestSweepPlots(t *testing.T) {
	for _, tc := range []struct {
		axes  []string
		files int
	}{
		{[]string{"seed=1:4:4"}, 2},
		{[]string{"seed=1:4:4", "projections.0.p=0.1:0.3:3"}, 2},
		{[]string{"seed=1:4:4", "projections.0.p=0.1:0.3:3", "projections.1.weight_uS=1,2"}, 2},
		{[]string{"seed=1,2", "projections.0.p=0.1,0.2", "projections.1.weight_uS=1,2", "projections.2.p=0,1"}, 0},
		{[]string{"seed=5,1,3", "projections.0.p=0.3,0.1,0.1"}, 2},
		{[]string{"seed=5,1,3"}, 2},
	} {
		var axes []Axis
		for _, s := range tc.axes {
			axes = append(axes, mustAxis(t, s))
		}
		p := &SweepPlan{Name: "t"}
		for _, a := range axes {
			p.Axes = append(p.Axes, SweepAxis(a))
		}
		var rows []SweepRow
		for i, v := range p.Points() {
			rows = append(rows, SweepRow{Variant: i, Values: v, R: Readouts{RateHz: map[string]float64{"E": float64(i)}, Synchrony: math.NaN()}})
		}
		dir := t.TempDir()
		files, err := WriteSweepPlots(dir, p, []string{"rate_hz.E", "synchrony"}, rows)
		if err != nil || len(files) != tc.files {
			t.Fatalf("%d axes: %d files (%v), want %d", len(axes), len(files), err, tc.files)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Fatalf("%s: not a PNG (%v)", f, err)
			}
		}
	}
}

// TestSweepCheck: a reference spot check of an hh variant reads out close
// to its surrogate row (the hh surrogate is spike for spike right).
func TestSweepCheck(t *testing.T) {
	p := smallPlan(t, false)
	r := &CachedResolver{R: artifacts.Resolver{}}
	br, err := p.RunBatch(4, 6, r, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := br.Rows
	c, err := p.RunCheck(5, r, 0.025, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Variant != 5 {
		t.Fatalf("variant %d", c.Variant)
	}
	sur, ref := rows[1].R.RateHz["E"], c.Ref.RateHz["E"]
	if !(ref > 5) || math.Abs(sur-ref) > 0.15*ref {
		t.Errorf("E rate: surrogate %g Hz, reference %g Hz", sur, ref)
	}
}

// TestAxisOrder: heat maps place unsorted values in order, and repeated
// values by rank.
func TestAxisOrder(t *testing.T) {
	pos, order, label := axisOrder(SweepAxis{Path: "seed", Values: []float64{5, 1, 3}})
	if !slices.Equal(pos, []float64{1, 3, 5}) || !slices.Equal(order, []int{1, 2, 0}) || label != "seed" {
		t.Errorf("5,1,3: %v %v %q", pos, order, label)
	}
	pos, order, label = axisOrder(SweepAxis{Path: "p", Values: []float64{0.3, 0.1, 0.1}})
	if !slices.Equal(pos, []float64{0, 1, 2}) || !slices.Equal(order, []int{1, 2, 0}) || !strings.Contains(label, "by rank") {
		t.Errorf("0.3,0.1,0.1: %v %v %q", pos, order, label)
	}
}

// TestSweepArrowNode: the JavaScript Arrow implementation (npm
// apache-arrow, installed for the dataset's interop test) reads the table
// with the same columns, units, values (NaN included) and plan. With
// NEUROSURROGATE_INTEROP=1 (CI) a missing node or module fails the test.
func TestSweepArrowNode(t *testing.T) {
	skip := func(msg string) {
		t.Helper()
		if os.Getenv("NEUROSURROGATE_INTEROP") == "1" {
			t.Fatal(msg + " (NEUROSURROGATE_INTEROP=1 requires it)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skip("node is not installed")
	}
	mod, err := filepath.Abs(filepath.Join("..", "dataset", "testdata", "interop", "node_modules", "apache-arrow", "Arrow.node.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mod); err != nil {
		skip("apache-arrow is not installed: run npm ci --prefix dataset/testdata/interop")
	}
	p := smallPlan(t, true)
	rows := runPlan(t, p)
	rows[2].R.Synchrony = math.NaN()
	names := ReadoutNames([]string{"E", "I"})
	path := filepath.Join(t.TempDir(), "sweep.arrow")
	if err := WriteSweepArrow(path, p, names, rows); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, filepath.Join("testdata", "read_sweep.mjs"), path, mod).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var js struct {
		Columns []string         `json:"columns"`
		Types   []string         `json:"types"`
		Units   []string         `json:"units"`
		Plan    string           `json:"plan"`
		Rows    []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatalf("node output: %v\n%.300s", err, out)
	}
	want := append([]string{"variant", "projections.0.stp.U", "populations.0.background.0.rate_hz", "spikes"}, names...)
	if !slices.Equal(js.Columns, append(want, "psth_hz")) || js.Types[len(js.Types)-1] != "FixedSizeList[30]<Float32>" || js.Units[4] != "Hz" {
		t.Fatalf("node sees %v %v %v", js.Columns, js.Types, js.Units)
	}
	var plan SweepPlan
	if err := json.Unmarshal([]byte(js.Plan), &plan); err != nil || plan.Tstop != p.Tstop {
		t.Fatalf("plan %q: %v", js.Plan, err)
	}
	if len(js.Rows) != len(rows) {
		t.Fatalf("node reads %d rows, want %d", len(js.Rows), len(rows))
	}
	for i, r := range rows {
		got := js.Rows[i]
		if got["variant"] != float64(r.Variant) || got["spikes"] != float64(r.Spikes) || got["rate_hz.E"] != r.R.RateHz["E"] ||
			got["projections.0.stp.U"] != r.Values[0] {
			t.Errorf("row %d: node %v, wrote %+v", i, got, r)
		}
	}
	if js.Rows[2]["synchrony"] != "NaN" {
		t.Errorf("NaN synchrony reads as %v", js.Rows[2]["synchrony"])
	}
}

// TestSweepSharedWarmup: with a shared warm-up every row is its variant
// taking over from the base network at the end of the warm-up (a switched
// run alone, read out), the cell-steps count one warm-up per pass, and the
// modes are chosen and refused by axis.
func TestSweepSharedWarmup(t *testing.T) {
	axes := []Axis{mustAxis(t, "projections.0.stp.U=0.1,0.9"), mustAxis(t, "stimuli.0.weight_uS=0.005,0.01,0.02")}
	p, err := NewSweepPlan("stack.json", []byte(stackBase), axes, 150, 40, 5, 100, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.SetWarmupMode(WarmupAuto); err != nil || !p.SharedWarmup {
		t.Fatalf("auto over plasticity and stimuli: shared %v, %v", p.SharedWarmup, err)
	}
	r := &CachedResolver{R: artifacts.Resolver{}}
	base, err := p.BaseBuilt(r)
	if err != nil {
		t.Fatal(err)
	}
	warm := math.Round(20 / base.SampleDT)
	steps := math.Round(150 / base.SampleDT)
	distinct := map[int]bool{}
	for lo := 0; lo < p.Len(); lo += p.Batch {
		got, err := p.RunBatch(lo, min(p.Len(), lo+p.Batch), r, 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want := 50*warm + float64(50*len(got.Rows))*steps; got.CellSteps != want {
			t.Fatalf("cell-steps %g, want %g", got.CellSteps, want)
		}
		for _, row := range got.Rows {
			b, err := p.Variant(row.Variant, r)
			if err != nil {
				t.Fatal(err)
			}
			run, err := RunSurrogate(base, p.Tstop, EngineOptions{WarmupMS: 20, After: b})
			if err != nil {
				t.Fatal(err)
			}
			want := ComputeReadouts(b, run, ReadoutOptions{StimMS: 60, WindowMS: 40, BinMS: 5})
			for _, n := range ReadoutNames([]string{"E", "I"}) {
				if g, w := row.R.Value(n), want.Value(n); g != w && !(math.IsNaN(g) && math.IsNaN(w)) {
					t.Errorf("variant %d %s: %g, switched run alone %g", row.Variant, n, g, w)
				}
			}
			if row.Spikes != len(run.Spikes) {
				t.Errorf("variant %d: %d spikes, switched run alone %d", row.Variant, row.Spikes, len(run.Spikes))
			}
			distinct[row.Spikes] = true
		}
	}
	if len(distinct) < 3 {
		t.Errorf("spike counts %v: the axes must matter", distinct)
	}
	own := smallPlan(t, false) // sweeps a background rate
	if err := own.SetWarmupMode(WarmupAuto); err != nil || own.SharedWarmup {
		t.Errorf("auto over a background rate: shared %v, %v", own.SharedWarmup, err)
	}
	if err := own.SetWarmupMode(WarmupShared); err == nil || !strings.Contains(err.Error(), "populations.0.background.0.rate_hz changes the network before") {
		t.Errorf("shared over a background rate: %v", err)
	}
	if err := p.SetWarmupMode("sometimes"); err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("unknown mode: %v", err)
	}
	if err := p.SetWarmupMode(WarmupOwn); err != nil || p.SharedWarmup {
		t.Errorf("own: shared %v, %v", p.SharedWarmup, err)
	}
	for path, after := range map[string]bool{"projections.3.weight_uS": true, "projections.0.stp.tau_facil_ms": true, "stimuli.1.rate_hz": true,
		"projections.0.p": false, "projections.0.delay_ms": false, "seed": false, "populations.0.count": false, "stimuli.0": false} {
		if AfterWarmup(path) != after {
			t.Errorf("AfterWarmup(%s) = %v", path, !after)
		}
	}
}
