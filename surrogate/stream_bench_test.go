package surrogate

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkStream: one step of 1000 cells (ns per cell-step) for a model
// with few dense inputs (as hh: every bin has input) and one with 200
// sparse inputs (as the per-synapse Hay model: about 1 event per cell and
// step among 200 synapses), without and with input delays, and with the
// inputs read at 16 lags out to 100 samples (Arch.InputLags, geom:8:100),
// or through 8 traces (TraceFamily, GeomTraces(8, 1, 64)).
func BenchmarkStream(b *testing.B) {
	for _, c := range []struct {
		nIn     int
		density float64
		delay   int       // inputs delayed by 0..delay-1 samples (Input.DelaySteps)
		lags    []int     // Arch.InputLags
		traces  []float64 // Arch.TracesMS (a trace-lstm)
	}{{2, 1, 0, nil, nil}, {12, 0.1, 0, nil, nil}, {200, 0.005, 0, nil, nil}, {200, 0.005, 24, nil, nil},
		{200, 0.005, 0, []int{0, 1, 2, 3, 4, 5, 6, 7, 10, 14, 19, 27, 38, 53, 74, 100}, nil},
		{200, 0.005, 0, nil, GeomTraces(8, 1, 64)}} {
		name := fmt.Sprintf("inputs=%d", c.nIn)
		if c.delay > 0 {
			name += fmt.Sprintf("/delays=0-%d", c.delay-1)
		}
		if c.lags != nil {
			name += fmt.Sprintf("/taps=%d", len(c.lags))
		}
		if c.traces != nil {
			name += fmt.Sprintf("/traces=%d", len(c.traces))
		}
		b.Run(name, func(b *testing.B) {
			in := make([]Input, c.nIn)
			scale := make([]float32, c.nIn)
			for j := range in {
				in[j] = Input{Name: fmt.Sprint("s", j), Channels: []string{fmt.Sprint("s", j)}}
				if c.delay > 0 {
					in[j].DelaySteps = j % c.delay
				}
				scale[j] = 100
			}
			a := Arch{Inputs: in, Kernel: 8, Conv: 16, Hidden: 64, Layers: 1, SampleDT: 0.5, FeedSpike: true, InputLags: c.lags}
			if c.traces != nil {
				a.Family, a.TracesMS = TraceFamily, c.traces
			}
			m, err := New(a, Norm{VOffset: -65, VScale: 20, InputScale: scale}, 1)
			if err != nil {
				b.Fatal(err)
			}
			const n = 1000
			s := NewStream(m, n, -65)
			rng := rand.New(rand.NewPCG(1, 1))
			drives := make([][]float32, 64)
			for k := range drives {
				drives[k] = make([]float32, n*c.nIn)
				for i := range drives[k] {
					if rng.Float64() < c.density {
						drives[k][i] = 0.005
					}
				}
			}
			b.ResetTimer()
			for k := 0; k < b.N; k++ {
				s.Step(drives[k%len(drives)])
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/cell-step")
		})
	}
}
