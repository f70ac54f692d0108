package dataset

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"neurosurrogate/biophys"
)

// TestBatchesMatchSingleCells checks that simulating traces together (many
// cells in one System, Config.Batch) writes the very bytes of simulating
// each trace alone (Batch 1, one cell per System), with subthreshold
// retries, current steps, timing channels and spikes in the data.
func TestBatchesMatchSingleCells(t *testing.T) {
	tests := []struct {
		cell       string
		traces     int
		durationMS float64
		mix        string
		batches    []int
	}{
		{"hh", 24, 200, "silent=0.1,subthreshold=0.4,core=0.3,switching=0.2", []int{3, 7, 24}},
		{"ballstick", 9, 100, "subthreshold=0.5,core=0.5", []int{4}},
		{"hay-l5pc", 6, 60, "subthreshold=0.5,driven=0.5", []int{6}},
	}
	for _, tc := range tests {
		t.Run(tc.cell, func(t *testing.T) {
			cfg := smallConfig(t, tc.traces)
			cfg.Cell = loadTestCell(t, tc.cell)
			cfg.DurationMS = tc.durationMS
			cfg.Timing = true
			reg := DefaultRegimes(cfg.Cell)
			reg.Mix = mustMix(t, tc.mix)
			reg.StepFrac = 0.5
			cfg.Regimes = &reg
			cfg.Batch = 1
			dir := t.TempDir()
			alone := readFile(t, generate(t, dir, cfg).Path)
			ds, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			retried, spiking, stepped := 0, 0, 0
			err = ds.Scan(func(tr *Trace) error {
				if tr.Attempts > 1 {
					retried++
				}
				if tr.Spikes > 0 {
					spiking++
				}
				if tr.StepAmpNA != 0 {
					stepped++
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if retried == 0 || spiking == 0 || stepped == 0 {
				t.Fatalf("%d retried, %d spiking, %d stepped traces: the data tests too little", retried, spiking, stepped)
			}
			for _, b := range tc.batches {
				for _, workers := range []int{1, 2} {
					cfg.Batch, cfg.Workers = b, workers
					got := readFile(t, generate(t, t.TempDir(), cfg).Path)
					if !bytes.Equal(got, alone) {
						t.Errorf("batch %d, %d workers: the file differs from one cell per system", b, workers)
					}
				}
			}
		})
	}
}

// TestBatchSize checks the automatic batch: point cells in large batches,
// at most what the memory budget allows, and every worker busy.
func TestBatchSize(t *testing.T) {
	for _, tc := range []struct {
		cell             string
		traces, workers  int
		durationMS, want float64
	}{
		{"hh", 401, 2, 2000, 201},                    // every worker gets work
		{"hh", 10000, 2, 500, batchNodes},            // one node per cell
		{"hh", 10000, 2, 2000, 1048},                 // 4 channels x 4000 samples: 128 kB per trace
		{"hay-l5pc", 400, 2, 2000, batchNodes / 735}, // 735 nodes per cell
		{"hay-l5pc", 400, 2, 20000, 1},               // 200 channels x 40 000 samples: 64 MB per trace
		{"hay-l5pc", 1, 2, 2000, 1},
	} {
		t.Run(fmt.Sprintf("%s/%d/%d", tc.cell, tc.traces, tc.workers), func(t *testing.T) {
			cfg := smallConfig(t, tc.traces)
			cfg.Cell = loadTestCell(t, tc.cell)
			cfg.DurationMS = tc.durationMS
			st, err := cfg.Settings()
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := biophys.Compile(cfg.Cell)
			if err != nil {
				t.Fatal(err)
			}
			if got := BatchSize(st, tmpl, tc.traces, tc.workers); float64(got) != tc.want {
				t.Errorf("batch %d, want %v", got, tc.want)
			}
		})
	}
}

// TestExplicitBatchBound checks that an explicit batch is used as given
// unless its drive accumulators would pass the 64 MB of the automatic
// batch: then it is lowered to that, with a notice naming the limit, in
// Generate too.
func TestExplicitBatchBound(t *testing.T) {
	for _, tc := range []struct {
		cell                string
		durationMS          float64
		batch, traces, want int
		notice              bool
	}{
		{"hh", 2000, 0, 10000, 1048, false},   // automatic: 2 channels x 4000 samples, 64 kB per trace
		{"hh", 2000, 500, 10000, 500, false},  // within the bound
		{"hh", 2000, 5000, 10000, 1048, true}, // lowered
		{"hh", 2000, 5000, 1000, 5000, false}, // fewer traces than the bound
		{"hay-l5pc", 20000, 8, 400, 1, true},  // 200 channels x 40 000 samples: 64 MB per trace
	} {
		t.Run(fmt.Sprintf("%s/%d/%d", tc.cell, tc.batch, tc.traces), func(t *testing.T) {
			cfg := smallConfig(t, tc.traces)
			cfg.Cell = loadTestCell(t, tc.cell)
			cfg.DurationMS, cfg.Batch = tc.durationMS, tc.batch
			var notices []string
			cfg.Notice = func(m string) { notices = append(notices, m) }
			st, err := cfg.Settings()
			if err != nil {
				t.Fatal(err)
			}
			tmpl, err := biophys.Compile(cfg.Cell)
			if err != nil {
				t.Fatal(err)
			}
			if got := batchFor(&cfg, st, tmpl, tc.traces, 2); got != tc.want {
				t.Errorf("batch %d, want %d", got, tc.want)
			}
			want := fmt.Sprintf("batch %d lowered to %d: the drive accumulators of a batch are limited to 64 MB", tc.batch, tc.want)
			if tc.notice != (len(notices) == 1 && strings.Contains(notices[0], want)) || len(notices) > 1 {
				t.Errorf("notices %q, want a notice %v", notices, tc.notice)
			}
		})
	}
	t.Run("Generate", func(t *testing.T) {
		cfg := smallConfig(t, 2)
		cfg.Cell = loadTestCell(t, "hay-l5pc")
		cfg.DurationMS, cfg.Batch = 20000, 8
		// The notice comes before any simulation, which it stops (without
		// one, the time limit does, before the 75 s the traces take).
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var notices []string
		cfg.Notice = func(m string) { notices = append(notices, m); cancel() }
		if _, err := Generate(ctx, t.TempDir(), cfg); err != context.Canceled {
			t.Fatalf("error %v, want the cancellation", err)
		}
		if len(notices) != 1 || !strings.Contains(notices[0], "batch 8 lowered to 1") {
			t.Fatalf("notices %q, want the batch lowered", notices)
		}
	})
}

// TestBatchFailureAsAlone checks that a trace whose cell becomes unstable
// (a current step of 1e6 nA) fails generation with the error it gives
// simulated alone, whichever batch it is in (its batch is redone one trace
// per System).
func TestBatchFailureAsAlone(t *testing.T) {
	cfg := smallConfig(t, 12)
	reg := DefaultRegimes(cfg.Cell)
	reg.StepFrac = 0.3
	reg.StepAmpNA = Range{1e6, 1e6}
	cfg.Regimes = &reg
	var first string
	for _, b := range []int{1, 4, 12} {
		cfg.Batch = b
		_, err := Generate(context.Background(), t.TempDir(), cfg)
		if err == nil || !strings.Contains(err.Error(), "numerically unstable: cell 0 ") {
			t.Fatalf("batch %d: error %v, want an unstable cell 0", b, err)
		}
		if first == "" {
			first = err.Error()
		} else if err.Error() != first {
			t.Errorf("batch %d: error %q, alone %q", b, err, first)
		}
	}
}

// TestBatchFailureTime checks the simulated time of traces whose batch
// failed (a cell became unstable, here by a current step of 1e6 nA): each
// counts the failed batch's time (the time at which the first unstable
// cell failed alone) and that of its simulation alone.
func TestBatchFailureTime(t *testing.T) {
	const n = 8
	cfg := smallConfig(t, n)
	reg := DefaultRegimes(cfg.Cell)
	reg.Mix = mustMix(t, "core=1") // no subthreshold retries: all traces in one batch
	reg.StepFrac = 0.3
	reg.StepAmpNA = Range{1e6, 1e6}
	cfg.Regimes = &reg
	st, err := cfg.Settings()
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := biophys.Compile(cfg.Cell)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := newSim(st, tmpl)
	alone := make([]outcome, n)
	failMS := math.Inf(1) // when the batch fails
	var failed, fine int
	for i := range alone {
		alone[i] = s.run(ctx, []plan{drawParams(st, i)})[0]
		if alone[i].err != nil {
			failMS = min(failMS, alone[i].simMS)
			failed++
		} else {
			fine++
		}
	}
	if failed == 0 || fine == 0 || !(failMS > 0 && failMS < cfg.DurationMS) {
		t.Fatalf("%d traces fail alone, %d do not, the first at %g ms: the batch tests too little", failed, fine, failMS)
	}
	pls := make([]plan, n)
	for i := range pls {
		pls[i] = drawParams(st, i)
	}
	for i, o := range s.run(ctx, pls) {
		if want := alone[i].simMS + failMS; math.Abs(o.simMS-want) > 1e-9*want {
			t.Errorf("trace %d: simulated %g ms, want %g (%g alone + %g of the failed batch)", i, o.simMS, want, alone[i].simMS, failMS)
		}
	}
}
