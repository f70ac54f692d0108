package dataset

import (
	"context"
	"testing"
)

// TestRecords: generate --record adds a column per probe, sampled as
// v_soma is: the spike site's own Vm recorded as a probe equals v_soma,
// the sodium current is outward-negative through spikes, ena is the
// section's; the columns come back from the files with their units.
func TestRecords(t *testing.T) {
	c := loadTestCell(t, "hh")
	dir := t.TempDir()
	cfg := Config{Cell: c, Traces: 4, DurationMS: 200, DtMS: 0.025, SampleDtMS: 0.5, Seed: 3, Shards: 1,
		Record: []string{"v@soma", "ina@soma(0.5)", "ena@soma"}, Batch: 3}
	if _, err := Generate(context.Background(), dir, cfg); err != nil {
		t.Fatal(err)
	}
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	m := d.Meta()
	if len(m.Records) != 3 || m.Records[0].Name != "v@soma(0.5)" || m.Records[0].Unit != "mV" || m.Records[1].Unit != "mA/cm2" {
		t.Fatalf("records %+v", m.Records)
	}
	spiked := false
	err = d.Scan(func(tr *Trace) error {
		if len(tr.Rec) != 3 {
			t.Fatalf("trace %d: %d recorded series", tr.Index, len(tr.Rec))
		}
		for k, v := range tr.V {
			if tr.Rec[0][k] != v {
				t.Fatalf("trace %d sample %d: recorded v %v, v_soma %v", tr.Index, k, tr.Rec[0][k], v)
			}
			if tr.Rec[2][k] != 50 {
				t.Fatalf("trace %d sample %d: ena %v, want 50", tr.Index, k, tr.Rec[2][k])
			}
			if tr.Rec[1][k] < -0.1 {
				spiked = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !spiked {
		t.Error("no sodium current below -0.1 mA/cm2 (spikes) in any trace")
	}
	// A probe the cell cannot give is refused before anything is written.
	cfg.Record = []string{"cai@dend"}
	if _, err := Generate(context.Background(), t.TempDir(), cfg); err == nil {
		t.Error("probe of a missing section: no error")
	}
}
