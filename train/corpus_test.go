package train

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/dataset"
	"neurosurrogate/surrogate"
)

// TestCorpus: several dataset folders train as one. Traces are numbered
// one after another; each dataset keeps the split it has alone; folders
// that differ in cell or sampling, doubled or empty names are refused; a
// model trained on two remembers both, and recalibrating it needs both in
// the same order.
func TestCorpus(t *testing.T) {
	a := tinyData(t)
	b, err := makeTinyDataSeed(false, 0.5, 8, 4)
	t.Cleanup(func() { os.RemoveAll(b) })
	if err != nil {
		t.Fatal(err)
	}
	c, err := openCorpus(a + "," + b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.NumTraces() != 24 {
		t.Fatalf("%d traces, want 16 + 8", c.NumTraces())
	}
	alone, err := dataset.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer alone.Close()
	for _, i := range []int{0, 3, 7} {
		want, err := alone.Trace(i)
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.Trace(16 + i)
		if err != nil {
			t.Fatal(err)
		}
		if got.Index != 16+i || !slices.Equal(got.V, want.V) || !slices.Equal(got.Drive[0], want.Drive[0]) {
			t.Errorf("corpus trace %d (index %d) is not the second dataset's trace %d", 16+i, got.Index, i)
		}
	}
	if _, err := c.Trace(24); err == nil {
		t.Error("trace 24 of 24 read without error")
	}

	// Splits: the first dataset's is its own alone; the second's is offset.
	tr, val, test, err := c.split(24, 1, 0.25, 0.25)
	if err != nil {
		t.Fatal(err)
	}
	trA, valA, testA, _ := dataset.Split(16, 3^1, 0.25, 0.25)
	trB, valB, testB, _ := dataset.Split(8, 4^1, 0.25, 0.25)
	shift := func(x []int) []int {
		out := slices.Clone(x)
		for i := range out {
			out[i] += 16
		}
		return out
	}
	for _, k := range []struct {
		name      string
		got, want []int
	}{
		{"training", tr, append(slices.Clone(trA), shift(trB)...)},
		{"validation", val, append(slices.Clone(valA), shift(valB)...)},
		{"test", test, append(slices.Clone(testA), shift(testB)...)},
	} {
		if !slices.Equal(k.got, k.want) {
			t.Errorf("%s split %v, want %v", k.name, k.got, k.want)
		}
	}
	// A cap on traces takes the first dataset first.
	if tr, val, test, _ := c.split(16, 1, 0.25, 0.25); !slices.Equal(tr, trA) || !slices.Equal(val, valA) || !slices.Equal(test, testA) {
		t.Errorf("the first 16 traces split as %v %v %v, want the first dataset's own split", tr, val, test)
	}

	for _, tc := range []struct{ spec, want string }{
		{a + "," + a, "same folder"},
		{a + ",", "empty folder name"},
		{a + "," + tinyFineData(t), "cannot train as one: channels"},
		{a + "," + filepath.Join(t.TempDir(), "none"), "no such file"},
	} {
		c, err := openCorpus(tc.spec)
		if err == nil {
			c.Close()
			t.Errorf("%q: opened", tc.spec)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want it to say %q", tc.spec, err, tc.want)
		}
	}

	// Training on both, then recalibrating.
	out := filepath.Join(t.TempDir(), "m.safetensors")
	cfg := tinyConfig(t, out)
	cfg.Data, cfg.Epochs = a+","+b, 1
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	m, err := surrogate.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Info[InfoMoreDatasets] == "" || !strings.Contains(m.Info[InfoMoreDatasets], `"seed":4`) {
		t.Errorf("the model does not name the second dataset: %q", m.Info[InfoMoreDatasets])
	}
	if _, err := Recalibrate(a+","+b, out, ReadoutGoal{RateTol: 0.1, SettleMS: 100}); err != nil {
		t.Errorf("recalibrating on the data it was trained on: %v", err)
	}
	for _, spec := range []string{a, b + "," + a} {
		if _, err := Recalibrate(spec, out, ReadoutGoal{RateTol: 0.1, SettleMS: 100}); err == nil || !strings.Contains(err.Error(), "other data") {
			t.Errorf("recalibrating on %s: %v, want a refusal", spec, err)
		}
	}
}
