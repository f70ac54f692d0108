package dataset

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"neurosurrogate/biophys"
)

// The benchmarks of the issue: go test ./dataset -run XXX -bench . -benchtime 1x
//
// BenchmarkSimulator is the reference simulator alone on one core (the
// same inputs, no recording, no output); BenchmarkGenerate is the whole
// generate job (--traces 200 --duration 2000) on 1 and on all cores. Both
// report simulated ms per wall second.

const benchTraces, benchDurationMS = 200, 2000

func benchConfig(b *testing.B, cell string, workers int) Config {
	return Config{Cell: loadTestCell(b, cell), Traces: benchTraces, DurationMS: benchDurationMS, DtMS: 0.025,
		SampleDtMS: 0.5, Seed: 1, Shards: 1, Workers: workers}
}

func BenchmarkSimulator(b *testing.B) {
	for _, cell := range []string{"hh", "ballstick"} {
		b.Run(cell, func(b *testing.B) {
			cfg := benchConfig(b, cell, 1)
			st, err := cfg.Settings()
			if err != nil {
				b.Fatal(err)
			}
			tmpl, err := biophys.Compile(cfg.Cell)
			if err != nil {
				b.Fatal(err)
			}
			// The same trace inputs as generate, drawn up front.
			inputs := make([][]biophys.Event, 0, b.N)
			for i := 0; i < b.N; i++ {
				p := drawParams(st, i%benchTraces).p
				var evs []biophys.Event
				for s, syn := range cfg.Cell.Synapses {
					rate, w := p.ExcRateHz, p.ExcWeightUS
					if SynapseClass(syn) == "inh" {
						rate, w = p.InhRateHz, p.InhWeightUS
					}
					s1, s2 := EventSeeds(st.Seed, i, s, 0)
					evs = append(evs, biophys.PoissonEvents(rate, w, benchDurationMS, s, s1, s2)...)
				}
				inputs = append(inputs, evs)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sys, err := biophys.NewSystem([]biophys.Instance{{T: tmpl}}, cfg.DtMS)
				if err != nil {
					b.Fatal(err)
				}
				sys.AddEvents(0, inputs[i])
				if err := sys.Run(benchDurationMS, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)*benchDurationMS/b.Elapsed().Seconds(), "sim-ms/s")
		})
	}
}

func BenchmarkGenerate(b *testing.B) {
	for _, cell := range []string{"hh", "ballstick"} {
		for _, workers := range []int{1, runtime.NumCPU()} {
			b.Run(fmt.Sprintf("%s/workers=%d", cell, workers), func(b *testing.B) {
				cfg := benchConfig(b, cell, workers)
				simMS, bytes := 0.0, int64(0)
				for i := 0; i < b.N; i++ {
					dir := b.TempDir()
					res, err := Generate(context.Background(), dir, cfg)
					if err != nil {
						b.Fatal(err)
					}
					simMS += res.SimulatedMS
					fi, err := os.Stat(res.Path)
					if err != nil {
						b.Fatal(err)
					}
					bytes += fi.Size()
				}
				s := b.Elapsed().Seconds()
				b.ReportMetric(simMS/s, "sim-ms/s")
				b.ReportMetric(float64(b.N*benchTraces)/s, "traces/s")
				b.ReportMetric(float64(bytes)/1e6/s, "MB/s")
			})
		}
	}
}

// BenchmarkRead streams a 200-trace hh dataset through Scan and a shuffling
// Batcher.
func BenchmarkRead(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "hh")
	cfg := benchConfig(b, "hh", runtime.NumCPU())
	res, err := Generate(context.Background(), dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(res.Path)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("scan", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			ds, err := Open(dir)
			if err != nil {
				b.Fatal(err)
			}
			if err := ds.Scan(func(*Trace) error { return nil }); err != nil {
				b.Fatal(err)
			}
			ds.Close()
		}
		b.ReportMetric(float64(b.N)*float64(fi.Size())/1e6/b.Elapsed().Seconds(), "MB/s")
	})
	b.Run("batcher", func(b *testing.B) {
		ds, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		defer ds.Close()
		all := make([]int, ds.NumTraces())
		for i := range all {
			all[i] = i
		}
		bt, err := NewBatcher(ds, all, BatchConfig{BatchSize: 32, SeqLen: 200, Shuffle: true, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		windows := 0
		for i := 0; i < b.N; i++ {
			bt.Epoch(i)
			for {
				batch, err := bt.Next()
				if err != nil {
					break
				}
				windows += batch.Size
			}
		}
		b.ReportMetric(float64(windows)/b.Elapsed().Seconds(), "windows/s")
	})
}
