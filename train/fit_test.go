package train

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/dataset"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
)

// TestScoreData: scoring on a dataset's stored traces is the validation
// rollouts' scoring, on the traces each split names, in batches or not;
// bad requests are refused.
func TestScoreData(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m.safetensors")
	cfg := tinyConfig(t, out)
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
	// What each split must hold, from the dataset's own split function.
	tr, val, test, err := dataset.Split(ds.NumTraces(), ds.Meta().Seed^cfg.Seed, cfg.ValFrac, cfg.TestFrac)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]int{SplitTraining: tr, SplitValidation: val[:min(len(val), cfg.ValMax)], SplitAll: {}}
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
	for _, split := range []string{SplitAll, SplitTraining, SplitValidation} {
		for _, maxTr := range []int{0, 3} {
			idx := want[split]
			if maxTr > 0 {
				idx = idx[:maxTr]
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
			if maxTr == 0 && ref.SpikesRef == 0 {
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
	// The training split differs from the validation split's figures.
	a, _ := ScoreData(cfg.Data, m, SplitTraining, 0, nil)
	b, _ := ScoreData(cfg.Data, m, SplitValidation, 0, nil)
	if a.SubSamples == b.SubSamples {
		t.Errorf("training and validation scored the same number of samples (%d)", a.SubSamples)
	}

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
		{"unknown split", cfg.Data, m, "test", 0, `split "test"`},
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
