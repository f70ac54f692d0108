package train

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
)

// TestScoreData: scoring on a dataset's stored traces is the validation
// rollouts' scoring, on the traces each split names, in batches or not;
// bad requests are refused.
func TestScoreData(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	cfg := tinyConfig(t, out)
	// Two folders, the validation list truncated (ValMax) and the corpus
	// cut inside the second folder (MaxTraces): the cases where the split
	// is easy to get wrong.
	second, err := makeTinyDataSeed(false, 0.5, 12, 9)
	t.Cleanup(func() { os.RemoveAll(second) })
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data += "," + second
	cfg.ValFrac, cfg.TestFrac, cfg.ValMax, cfg.MaxTraces = 0.25, 0.2, 2, 22
	cfg.Epochs = 1
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	m, err := surrogate.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := openCorpus(cfg.Data)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	vInit := float32(-65)
	if c, err := ds.Meta().Cell(); err == nil {
		vInit = float32(c.VInit())
	}
	// What each split must hold: the training run's own split of the first
	// MaxTraces traces; the validation list as stored in the model.
	tr, val, test, err := (&run{cfg: cfg}).split(ds, cfg.MaxTraces)
	if err != nil {
		t.Fatal(err)
	}
	var stored struct{ Validation, Test []int }
	json.Unmarshal([]byte(m.Info["split"]), &stored)
	if !slices.Equal(val, stored.Validation) || len(val) != cfg.ValMax || len(test) == 0 || slices.Max(tr) < 16 || slices.Max(tr) >= cfg.MaxTraces {
		t.Fatalf("the test's split: training %v, validation %v (stored %v), test %v", tr, val, stored.Validation, test)
	}
	want := map[string][]int{SplitTraining: tr, SplitValidation: val, SplitTest: test, SplitAll: {}}
	for i := range ds.NumTraces() {
		want[SplitAll] = append(want[SplitAll], i)
	}
	for _, x := range slices.Concat(val, test) {
		if slices.Contains(tr, x) {
			t.Fatalf("trace %d is both training and held out", x)
		}
	}
	same := func(name string, got, want metrics.Report) {
		t.Helper()
		if got.SpikesRef != want.SpikesRef || got.SpikesSur != want.SpikesSur || got.SubSamples != want.SubSamples ||
			got.F1At2ms != want.F1At2ms || got.F1At5ms != want.F1At5ms || got.RMSESubMV != want.RMSESubMV {
			t.Errorf("%s: scored %+v, want %+v", name, got, want)
		}
	}
	for _, split := range []string{SplitAll, SplitTraining, SplitValidation, SplitTest} {
		for _, maxTr := range []int{0, 3} {
			idx := want[split]
			if maxTr > 0 && maxTr < len(idx) {
				// evenly spaced, from the first
				n := len(idx)
				idx = []int{idx[0], idx[n/3], idx[2*n/3]}
			}
			set, err := load(ds, idx, m.Arch.Inputs, m.Arch.Parts(), nil)
			if err != nil {
				t.Fatal(err)
			}
			ref := validate(m, set, vInit)
			var calls int
			got, err := ScoreData(cfg.Data, m, split, maxTr, func(done, total int) {
				calls++
				if total != len(idx) || done > total {
					t.Errorf("%s: progress %d of %d, want of %d", split, done, total, len(idx))
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Traces != len(idx) || got.Split != split || calls < 2 {
				t.Errorf("%s max %d: %d traces (%s), progress told %d times; want %d traces", split, maxTr, got.Traces, got.Split, calls, len(idx))
			}
			same(split, got.Report, ref)
			if maxTr == 0 && (split == SplitAll || split == SplitTraining) && ref.SpikesRef == 0 {
				t.Errorf("%s: no reference spikes, the comparison tells little", split)
			}
			// In batches of 2 the pooled figures are the same.
			scoreBatch = 2
			got2, err := ScoreData(cfg.Data, m, split, maxTr, nil)
			scoreBatch = 256
			if err != nil {
				t.Fatal(err)
			}
			same(split+" in batches", got2.Report, ref)
		}
	}
	reseeded := m.Clone()
	var tc Config
	json.Unmarshal([]byte(m.Info["training"]), &tc)
	tc.Seed++
	b, _ := json.Marshal(tc)
	reseeded.Info["training"] = string(b)

	bare := m.Clone()
	delete(bare.Info, "split")
	other := m.Clone()
	other.Info["cell_hash"] = "another"
	for _, c := range []struct {
		name  string
		data  string
		m     *surrogate.Model
		split string
		max   int
		want  string
	}{
		{"unknown split", cfg.Data, m, "tests", 0, `split "tests"`},
		{"split not reproduced", cfg.Data, reseeded, SplitTraining, 0, "do not follow from its training settings"},
		{"one folder of two", tinyData(t), m, SplitTraining, 0, "other data"},
		{"negative max", cfg.Data, m, SplitAll, -1, "max traces -1"},
		{"no split stored", cfg.Data, bare, SplitTraining, 0, "no split"},
		{"another cell", cfg.Data, other, SplitAll, 0, "another cell"},
		{"other data", tinyTimingData(t), m, SplitValidation, 0, "other data"},
		{"other sample step", tinyFineData(t), m, SplitAll, 0, "sampled every 0.25 ms"},
		{"no such folder", filepath.Join(t.TempDir(), "none"), m, SplitAll, 0, "none"},
	} {
		_, err := ScoreData(c.data, c.m, c.split, c.max, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
		}
	}
	// A model without a split scores all of any data of its cell.
	if r, err := ScoreData(cfg.Data, bare, SplitAll, 2, nil); err != nil || r.Traces != 2 {
		t.Errorf("no split stored, all: %d traces, %v", r.Traces, err)
	}
}
