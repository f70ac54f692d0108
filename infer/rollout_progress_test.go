package infer

import (
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
)

// TestRolloutCellProgress: the progress hook sees the reference time grow
// to twice tstop (the run on the events, then on the binned input), never
// backwards, with the total given each time; the result is RolloutCell's.
func TestRolloutCellProgress(t *testing.T) {
	m, err := artifacts.LoadModel("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := artifacts.LoadCell("hh", "")
	if err != nil {
		t.Fatal(err)
	}
	var evs []biophys.Event
	for k := range 300 {
		evs = append(evs, biophys.Event{TimeMS: float64(k), Syn: k % len(c.Synapses), WeightUS: 0.003})
	}
	var done []float64
	res, err := RolloutCellProgress(m, c, evs, 250, 0.025, func(ms, total float64) {
		if total != 500 {
			t.Errorf("total %v ms, want 500", total)
		}
		done = append(done, ms)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(done) < 4 || done[len(done)-1] != 500 {
		t.Fatalf("progress %v: want several calls ending at 500 ms", done)
	}
	for i := 1; i < len(done); i++ {
		if done[i] < done[i-1] {
			t.Fatalf("progress went backwards: %v", done)
		}
	}
	plain, err := RolloutCell(m, c, evs, 250, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Report != res.Report {
		t.Errorf("with progress %+v, without %+v", res.Report, plain.Report)
	}
}
