package dataset

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// nodeResult is what testdata/interop/read.mjs prints.
type nodeResult struct {
	NumRows       int                          `json:"numRows"`
	Batches       int                          `json:"batches"`
	Columns       []string                     `json:"columns"`
	Types         []string                     `json:"types"`
	Nullable      []bool                       `json:"nullable"`
	Metadata      map[string]string            `json:"metadata"`
	FieldMetadata map[string]map[string]string `json:"fieldMetadata"`
	Rows          []struct {
		Trace       int          `json:"trace"`
		TMS         []float64    `json:"t_ms"`
		VSoma       []float64    `json:"v_soma"`
		Drive       [][]float64  `json:"drive"`
		Spike       []int        `json:"spike"`
		Regime      string       `json:"regime"`
		ExcRateHz   float64      `json:"exc_rate_hz"`
		InhWeightUS float64      `json:"inh_weight_uS"`
		Segments    [][3]float64 `json:"segments"`
		Spikes      int          `json:"spikes"`
	} `json:"rows"`
}

// TestInteropNode reads a shard with the JavaScript Arrow implementation
// (npm apache-arrow, pinned in testdata/interop) and compares everything it
// sees with the Go reader. With NEUROSURROGATE_INTEROP=1 (CI) a missing
// node or module fails the test; otherwise it skips.
func TestInteropNode(t *testing.T) {
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
	if _, err := os.Stat(filepath.Join("testdata", "interop", "node_modules", "apache-arrow", "package.json")); err != nil {
		skip("apache-arrow is not installed: run npm ci --prefix dataset/testdata/interop")
	}
	dir := t.TempDir()
	cfg := smallConfig(t, 7)
	cfg.DurationMS = 20
	cfg.Shard, cfg.Shards = 1, 2
	reg := DefaultRegimes(cfg.Cell)
	reg.Mix = mustMix(t, "core=0.5,switching=0.5")
	reg.SegmentMS = Range{5, 8}
	reg.StepFrac = 0.5
	cfg.Regimes = &reg
	cfg.Timing = true
	res := generate(t, dir, cfg)
	out, err := exec.Command(node, filepath.Join("testdata", "interop", "read.mjs"), res.Path).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("node: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	var js nodeResult
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatalf("node output: %v\n%.500s", err, out)
	}

	h, err := readHeader(res.Path)
	if err != nil {
		t.Fatal(err)
	}
	st := &h.settings
	wantCols := []string{"trace", "t_ms", "v_soma", "exc", "inh", "exc.timing", "inh.timing", "i_clamp", "spike", "params"}
	if js.NumRows != 3 || !reflect.DeepEqual(js.Columns, wantCols) {
		t.Fatalf("node sees %d rows, columns %v; want 3 rows, %v", js.NumRows, js.Columns, wantCols)
	}
	if js.Types[1] != "FixedSizeList[40]<Float32>" || js.Types[len(js.Types)-2] != "FixedSizeList[40]<Uint8>" {
		t.Errorf("node sees types %v", js.Types)
	}
	for i, n := range js.Nullable {
		if n {
			t.Errorf("node sees column %s as nullable", js.Columns[i])
		}
	}
	for _, k := range []string{MetaFormat, MetaGenerator, MetaSettings, MetaShard, MetaCell, MetaSampling} {
		if js.Metadata[k] == "" {
			t.Errorf("node does not see metadata %q", k)
		}
	}
	if js.Metadata[MetaSettings] != h.settingsJSON || js.Metadata[MetaCell] != h.cellJSON {
		t.Error("node reads different settings or cell metadata")
	}
	if js.FieldMetadata["v_soma"]["unit"] != "mV" || js.FieldMetadata["exc"]["class"] != "exc" ||
		js.FieldMetadata["exc.timing"]["class"] != ClassTiming || js.FieldMetadata["exc.timing"]["of"] != "exc" {
		t.Errorf("field metadata %v", js.FieldMetadata)
	}
	// Compare every value with the Go reader (this file is shard 1 of 2:
	// traces 1, 3, 5).
	cfg.Shard = 0
	generate(t, dir, cfg)
	ds, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	for r, row := range js.Rows {
		i := 1 + 2*r
		tr, err := ds.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		if row.Trace != i || row.Regime != tr.Regime || row.ExcRateHz != tr.ExcRateHz || row.InhWeightUS != tr.InhWeightUS || row.Spikes != tr.Spikes {
			t.Fatalf("row %d: node %d %s %g %g %d, go %d %s %g %g %d", r, row.Trace, row.Regime, row.ExcRateHz, row.InhWeightUS, row.Spikes,
				i, tr.Regime, tr.ExcRateHz, tr.InhWeightUS, tr.Spikes)
		}
		if len(row.Segments) != len(tr.Segments) {
			t.Fatalf("row %d: %d segments in node, %d in go", r, len(row.Segments), len(tr.Segments))
		}
		for j, s := range tr.Segments {
			if row.Segments[j] != [3]float64{s.StartMS, s.ExcRateHz, s.InhRateHz} {
				t.Fatalf("row %d segment %d: node %v, go %+v", r, j, row.Segments[j], s)
			}
		}
		for k := 0; k < st.Samples; k++ {
			if row.TMS[k] != float64(float32(float64(k)*st.SampleDtMS)) || row.VSoma[k] != float64(tr.V[k]) || row.Spike[k] != int(tr.Spike[k]) {
				t.Fatalf("row %d sample %d: node t %g v %g spike %d; go v %g spike %d", r, k, row.TMS[k], row.VSoma[k], row.Spike[k], tr.V[k], tr.Spike[k])
			}
			for c := range tr.Drive {
				if row.Drive[c][k] != float64(tr.Drive[c][k]) {
					t.Fatalf("row %d channel %d sample %d: node %g, go %g", r, c, k, row.Drive[c][k], tr.Drive[c][k])
				}
			}
		}
	}
}
