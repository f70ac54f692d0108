package train

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neurosurrogate/surrogate"
)

// BenchmarkFeedFill fills one training chunk of the Hay model's size (32
// traces × 128 samples, 200 inputs, one per synapse, sparse as synaptic
// drive is) through 8 taps (the CNN-LSTM) and 8 traces (the trace-LSTM).
func BenchmarkFeedFill(b *testing.B) {
	const nIn, n, B, T = 200, 4000, 32, 128
	var inputs []surrogate.Input
	scale := make([]float32, nIn)
	for j := range scale {
		inputs = append(inputs, surrogate.Input{Name: fmt.Sprint("s", j), Channels: []string{fmt.Sprint("s", j)}})
		scale[j] = 300
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var tr []*series
	for i := 0; i < B; i++ {
		var in [][]float32
		for j := 0; j < nIn; j++ {
			x := make([]float32, n)
			for k := range x {
				if rng.Float64() < 0.005 {
					x[k] = 0.006
				}
			}
			in = append(in, x)
		}
		tr = append(tr, newSeries(i, make([]float32, n), make([]float32, n), in))
	}
	for _, tc := range []struct {
		name   string
		traces []float64
	}{{"taps8", nil}, {"traces8", surrogate.GeomTraces(8, 1, 64)}} {
		b.Run(tc.name, func(b *testing.B) {
			a := surrogate.Arch{Inputs: inputs, Kernel: 8, Conv: 16, Hidden: 64, Layers: 1, SampleDT: 0.5, FeedSpike: true}
			if tc.traces != nil {
				a.Family, a.TracesMS = surrogate.TraceFamily, tc.traces
			}
			m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: scale}, 1)
			if err != nil {
				b.Fatal(err)
			}
			cfg := DefaultConfig()
			cfg.Seq = T
			f, err := newFeed(m, B, a, m.Norm, cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer f.close()
			rng := rand.New(rand.NewPCG(2, 2))
			f.startBatch(tr, -65, nil, nil)
			k0 := 0
			for b.Loop() {
				f.fill(k0, B, 0, rng)
				if k0 += T; k0+T > n {
					f.startBatch(tr, -65, nil, nil)
					k0 = 0
				}
			}
		})
	}
}
