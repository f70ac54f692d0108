package infer

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
)

// benchNet is the shipped hh model in an E/I network of n cells with 100
// recurrent inputs per cell (indegree) and Poisson background.
func benchNet(b *testing.B, n int) *Built { return benchNetK(b, n, 80, 20) }

// benchNetK is benchNet with kE excitatory and kI inhibitory recurrent
// inputs per cell.
func benchNetK(b *testing.B, n, kE, kI int) *Built {
	b.Helper()
	var proj []string
	if kE > 0 {
		proj = append(proj, fmt.Sprintf(`{"from": "A", "to": "A", "synapse": "exc", "rule": "indegree", "k": %d, "weight_uS": %g, "delay_ms": {"dist": "uniform", "min": 1, "max": 5}}`, kE, 0.016/float64(kE)))
	}
	if kI > 0 {
		proj = append(proj, fmt.Sprintf(`{"from": "A", "to": "A", "synapse": "inh", "rule": "indegree", "k": %d, "weight_uS": %g, "delay_ms": 1}`, kI, 0.01/float64(kI)))
	}
	body := fmt.Sprintf(`"populations": [{"name": "A", "cell": "hh", "model": "hh", "count": %d,
	  "background": [{"synapse": "exc", "rate_hz": 1000, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]}],
	  "projections": [%s]`, n, strings.Join(proj, ","))
	net, err := ParseNetwork("bench.json", netJSON(body))
	if err != nil {
		b.Fatal(err)
	}
	bl, err := Build(net, artifacts.Resolver{})
	if err != nil {
		b.Fatal(err)
	}
	return bl
}

// BenchmarkEngine reports the surrogate engine's cost per cell-step (the
// sample step of the model) at N cells, all cores.
func BenchmarkEngine(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			bl := benchNet(b, n)
			steps := 200
			var wall time.Duration
			for b.Loop() {
				r, err := RunSurrogate(bl, float64(steps)*bl.SampleDT, EngineOptions{})
				if err != nil {
					b.Fatal(err)
				}
				wall += r.Wall
			}
			b.ReportMetric(wall.Seconds()*1e6/float64(b.N)/float64(n)/float64(steps), "us/cell-step")
			b.ReportMetric(float64(bl.Synapses())/float64(n), "syn/cell")
		})
	}
}

// BenchmarkEngineSynapses is the cost per cell-step at N = 10 000 with 0,
// 100 and 1000 recurrent synapses per cell (weights scaled so the total
// recurrent drive stays the same).
func BenchmarkEngineSynapses(b *testing.B) {
	for _, k := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("syn=%d", k), func(b *testing.B) {
			const n, steps = 10000, 200
			bl := benchNetK(b, n, k*4/5, k/5)
			var wall time.Duration
			spikes := 0
			for b.Loop() {
				r, err := RunSurrogate(bl, float64(steps)*bl.SampleDT, EngineOptions{})
				if err != nil {
					b.Fatal(err)
				}
				wall += r.Wall
				spikes = len(r.Spikes)
			}
			b.ReportMetric(wall.Seconds()*1e6/float64(b.N)/float64(n)/float64(steps), "us/cell-step")
			b.ReportMetric(float64(spikes)/float64(n)/(float64(steps)*bl.SampleDT/1000), "Hz")
		})
	}
}

// BenchmarkGemm is the machine's pure-Go float32 GEMM at the engine's
// shapes: [x|h] (N x (F+H)) times the fused gate matrix ((F+H) x 4H), per
// core (the engine runs one per core).
func BenchmarkGemm(b *testing.B) {
	for _, sh := range []struct{ n, f, h int }{{500, 16, 64}, {500, 16, 32}} {
		b.Run(fmt.Sprintf("N=%d_F=%d_H=%d", sh.n, sh.f, sh.h), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 1))
			mk := func(r, c int) blas32.General {
				d := make([]float32, r*c)
				for i := range d {
					d[i] = float32(rng.NormFloat64())
				}
				return blas32.General{Rows: r, Cols: c, Stride: c, Data: d}
			}
			x, w, out := mk(sh.n, sh.f+sh.h), mk(sh.f+sh.h, 4*sh.h), mk(sh.n, 4*sh.h)
			for b.Loop() {
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, x, w, 0, out)
			}
			flops := 2 * float64(sh.n*(sh.f+sh.h)*4*sh.h)
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkRollout is a single-cell free rollout of each shipped model on
// 1 s of Poisson input (the surrogate alone, as `rollout` times it; the
// input binning is outside the timer): wall ms per simulated second.
func BenchmarkRollout(b *testing.B) {
	for _, name := range []string{"hh", "ballstick", "hay-l5pc"} {
		b.Run(name, func(b *testing.B) {
			m, err := artifacts.LoadModel(name, "")
			if err != nil {
				b.Fatal(err)
			}
			c, err := artifacts.LoadCell(name, "")
			if err != nil {
				b.Fatal(err)
			}
			const tstop = 1000.0
			var evs []biophys.Event
			for s := range c.Synapses {
				rate, w := 10.0, 0.006
				if len(c.Synapses) < 10 {
					rate, w = 1500, 0.002
				}
				if !c.Excitatory(s) {
					rate, w = rate/2, 0.002
				}
				evs = append(evs, biophys.PoissonEvents(rate, w, tstop, s, 7, uint64(s))...)
			}
			steps := int(tstop / m.Arch.SampleDT)
			var wall time.Duration
			for b.Loop() {
				_, _, w, err := Surrogate(m, c, evs, steps)
				if err != nil {
					b.Fatal(err)
				}
				wall += w
			}
			b.ReportMetric(wall.Seconds()*1e3/float64(b.N), "ms/sim-s")
		})
	}
}

// BenchmarkEngineOutputs is the cost of extra output heads (issue goal: at
// most 20% more per cell-step): 1000 Hay cells of the default network's
// drive, every cell's Vm recorded, with the hay-l5pc model (no heads) and
// with hay-l5pc-multi (the same network plus its output heads, evaluated
// for every recorded cell at every step).
func BenchmarkEngineOutputs(b *testing.B) {
	for _, model := range []string{"hay-l5pc", "hay-l5pc-multi"} {
		b.Run(model, func(b *testing.B) {
			const n = 1000
			net, err := ParseNetwork("bench.json", netJSON(fmt.Sprintf(`"populations": [{"name": "L5PC", "cell": "hay-l5pc", "model": %q, "count": %d,
			  "background": [{"class": "exc", "rate_hz": 12, "weight_uS": 0.006}, {"class": "inh", "rate_hz": 8, "weight_uS": 0.0015}]}],
			  "projections": [{"from": "L5PC", "to": "L5PC", "class": "exc", "rule": "probability", "p": 0.05, "weight_uS": 0.001,
			    "delay_ms": {"dist": "uniform", "min": 1, "max": 5}}]`, model, n)))
			if err != nil {
				b.Fatal(err)
			}
			bl, err := Build(net, artifacts.Resolver{})
			if err != nil {
				b.Fatal(err)
			}
			all := make([]int, n)
			for i := range all {
				all[i] = i
			}
			steps := 400
			var wall time.Duration
			outs := 0
			for b.Loop() {
				r, err := RunSurrogate(bl, float64(steps)*bl.SampleDT, EngineOptions{RecordV: all})
				if err != nil {
					b.Fatal(err)
				}
				wall += r.Wall
				outs = len(r.Out[0])
			}
			b.ReportMetric(wall.Seconds()*1e6/float64(b.N)/float64(n)/float64(steps), "us/cell-step")
			b.ReportMetric(float64(outs), "outputs")
		})
	}
}

// BenchmarkBuildVariant builds one variant of the default sweep study (the
// shipped rett-stp network: 150 Hay surrogates): the per-variant cost of
// a sweep besides the engine.
func BenchmarkBuildVariant(b *testing.B) {
	data, name, err := artifacts.ReadNetwork("rett-stp")
	if err != nil {
		b.Fatal(err)
	}
	axes := []Axis{{Path: "projections.0.stp.U", Values: []float64{0.1, 0.5, 0.9}}}
	p, err := NewSweepPlan(name, data, axes, 300, 50, 5, 65536, false, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := &CachedResolver{R: artifacts.Resolver{}}
	if _, err := p.Variant(0, r); err != nil { // resolve the cell and model once
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := p.Variant(i%3, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSharedWarmup runs 16 variants of a 50-cell hh network (200 ms
// warm-up, 100 ms measured) as one stacked pass, each warming up as itself
// (own) or all forked from one warm-up of the base network (shared).
func BenchmarkSharedWarmup(b *testing.B) {
	r := &CachedResolver{R: artifacts.Resolver{}}
	body := strings.Replace(stackBase, `"warmup_ms": 20`, `"warmup_ms": 200`, 1)
	base := buildWith(b, r, []byte(body))
	vs := buildVariants(b, r, []byte(body), []Axis{{Path: "projections.0.stp.U", Values: []float64{0.1, 0.3, 0.5, 0.7}}, {Path: "projections.0.stp.tau_rec_ms", Values: []float64{50, 200, 500, 1000}}})
	st, err := Stack(vs)
	if err != nil {
		b.Fatal(err)
	}
	opt := EngineOptions{WarmupMS: 200}
	b.Run("own", func(b *testing.B) {
		for b.Loop() {
			if _, err := RunSurrogate(st.Built, 100, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("shared", func(b *testing.B) {
		for b.Loop() {
			if _, err := ForkSurrogate(base, st, 100, opt); err != nil {
				b.Fatal(err)
			}
		}
	})
}
