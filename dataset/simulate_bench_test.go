package dataset

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkGenerateHay is a Hay L5PC generate job on all cores, 8 traces
// of 500 ms (default regimes), the work of
//
//	neurosurrogate generate --cell hay-l5pc --traces 8 --duration 500 --out DIR
//
// with batch 1 (one cell per System) and automatic batches. It reports
// traces of 2 s per wall second (as the figures in docs/results.md count
// them) and the CPU time per simulated cell-second.
func BenchmarkGenerateHay(b *testing.B) {
	const traces, durationMS = 8, 500.0
	for _, batch := range []int{1, 0} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			cfg := Config{Cell: loadTestCell(b, "hay-l5pc"), Traces: traces, DurationMS: durationMS, DtMS: 0.025,
				SampleDtMS: 0.5, Seed: 1, Shards: 1, Workers: runtime.NumCPU(), Batch: batch}
			simMS := 0.0
			cpu0 := cpuSeconds()
			for b.Loop() {
				res, err := Generate(context.Background(), b.TempDir(), cfg)
				if err != nil {
					b.Fatal(err)
				}
				simMS += res.SimulatedMS
			}
			cpu := cpuSeconds() - cpu0
			b.ReportMetric(float64(b.N)*traces*durationMS/2000/b.Elapsed().Seconds(), "2s-traces/s")
			b.ReportMetric(cpu/(simMS/1000), "cpu-s/cell-s")
		})
	}
}
