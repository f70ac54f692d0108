package graph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"neurosurrogate/surrogate"
	"testing"

	G "gorgonia.org/gorgonia"
)

// randomChunk is a chunk of random inputs for the model's architecture:
// teacher and free steps mixed, spikes, weights, a carried state.
func randomChunk(a surrogate.Arch, B, T int, seed uint64) *surrogate.Chunk {
	rng := rand.New(rand.NewPCG(seed, seed))
	randv := func(n int, f func() float64) []float32 {
		o := make([]float32, n)
		for i := range o {
			o[i] = float32(f())
		}
		return o
	}
	bit := func() float64 { return float64(rng.IntN(2)) }
	c := &surrogate.Chunk{
		DUnf:    randv(T*B*a.NumTaps()*len(a.Inputs), rng.Float64),
		VTeach:  randv(T*B, rng.NormFloat64),
		Mask:    randv(T*B, bit),
		VTarget: randv(T*B, rng.NormFloat64),
		WV:      randv(T*B, rng.Float64),
		Y:       randv(T*B, bit),
		WS:      randv(T*B, rng.Float64),
		VIn:     randv(B, func() float64 { return 0.3 * rng.NormFloat64() }),
		VHist:   randv(B*(a.Kernel-1), func() float64 { return 0.3 * rng.NormFloat64() }),
	}
	c.InvMask = make([]float32, T*B)
	for i, m := range c.Mask {
		c.InvMask[i] = 1 - m
	}
	if a.FeedSpike {
		c.STeach = randv(T*B, bit)
		c.SIn = randv(B, rng.Float64)
		c.SHist = randv(B*(a.Kernel-1), rng.Float64)
	}
	if n := a.AuxHeads; n > 0 {
		c.Aux = randv(T*B*n, rng.NormFloat64)
		c.WA = randv(T*B*n, rng.Float64)
	}
	for l := 0; l < a.Layers; l++ {
		c.H = append(c.H, randv(B*a.Hidden, func() float64 { return 0.5 * rng.NormFloat64() }))
		c.C = append(c.C, randv(B*a.Hidden, rng.NormFloat64))
	}
	return c
}

// cloneChunk copies every array of c.
func cloneChunk(c *surrogate.Chunk) *surrogate.Chunk {
	cp := func(s []float32) []float32 { return append([]float32(nil), s...) }
	d := &surrogate.Chunk{DUnf: cp(c.DUnf), VTeach: cp(c.VTeach), Mask: cp(c.Mask), InvMask: cp(c.InvMask), VTarget: cp(c.VTarget),
		WV: cp(c.WV), Y: cp(c.Y), WS: cp(c.WS), STeach: cp(c.STeach), VIn: cp(c.VIn), VHist: cp(c.VHist), SIn: cp(c.SIn), SHist: cp(c.SHist),
		Aux: cp(c.Aux), WA: cp(c.WA)}
	for l := range c.H {
		d.H, d.C = append(d.H, cp(c.H[l])), append(d.C, cp(c.C[l]))
	}
	return d
}

// runGraph runs the gorgonia graph on a copy of the chunk and returns its
// loss, gradients, per-step outputs and the chunk with the state carried.
func runGraph(t *testing.T, gr *Graph, c *surrogate.Chunk) (loss [3]float64, grads map[string][]float32, pred, logit []float32, next *surrogate.Chunk) {
	t.Helper()
	next = cloneChunk(c)
	if err := gr.Run(next); err != nil {
		t.Fatal(err)
	}
	loss[0], loss[1], loss[2] = gr.Loss()
	for k := 0; k < gr.T; k++ {
		pred = append(pred, gr.PredVm(k)...)
		logit = append(logit, gr.Logit(k)...)
	}
	return loss, gr.Grads(), pred, logit, next
}

// relDiff is |a - b| / max(|b|, floor) over two arrays, the worst element
// relative to the larger of the reference's scale and floor.
func relDiff(a, b []float32, floor float64) float64 {
	scale := floor
	for _, x := range b {
		scale = math.Max(scale, math.Abs(float64(x)))
	}
	worst := 0.0
	for i := range b {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if len(a) != len(b) {
		return math.Inf(1)
	}
	return worst / scale
}

// TestUnrolledEqualsGraph: the hand-written BPTT gives gorgonia's loss,
// gradients (every weight), per-step outputs and carried state, over two
// chunks in a row (the second starting from the first's carried state),
// for every kind of architecture; batch sizes that do not fill the
// product kernels' tiles included. Measured worst cases over the table
// (AVX2 and generic kernels): losses 1.2e-7 relative, Vm 3.8e-7 and
// logits 7.9e-7 of their scale, gradients 5.3e-6 of their largest
// element, carried state 3.1e-6; the limits are about 10x (the carried
// state's 3x).
func TestUnrolledEqualsGraph(t *testing.T) {
	for _, tc := range []struct {
		layers, kernel, conv, hidden, B, T int
		residual, feed                     bool
		lags                               []int
		traces                             []float64
		aux                                int
	}{
		{1, 4, 6, 8, 3, 20, false, false, nil, nil, 0},
		{2, 3, 6, 8, 5, 17, false, false, nil, nil, 0},
		{1, 1, 6, 8, 4, 12, false, false, nil, nil, 0},
		{1, 2, 6, 8, 4, 12, false, true, nil, nil, 0},
		{1, 3, 6, 8, 4, 30, true, false, nil, nil, 0},
		{2, 3, 6, 8, 7, 15, true, true, nil, nil, 0},
		{1, 8, 16, 40, 29, 24, true, false, nil, nil, 0},                    // past the kernels' tiles (12 x 32)
		{1, 5, 16, 33, 13, 3, true, true, nil, nil, 0},                      // a chunk shorter than the kernel
		{1, 4, 6, 8, 5, 20, false, true, []int{0, 1, 3, 7, 12, 30}, nil, 0}, // inputs read at other lags than the Vm
		{2, 3, 6, 8, 4, 14, true, true, nil, []float64{0, 1, 5, 30}, 0},     // a trace-lstm
		{1, 3, 6, 8, 5, 12, false, false, nil, nil, 3},                      // training heads
		{2, 3, 6, 40, 13, 9, true, true, nil, []float64{0, 4}, 2},           // training heads of a two-layer trace-lstm, past the tiles
	} {
		name := fmt.Sprintf("L%d_K%d_F%d_H%d_B%d_T%d_res%v_feed%v_lags%v_traces%v_aux%d", tc.layers, tc.kernel, tc.conv, tc.hidden, tc.B, tc.T, tc.residual, tc.feed, tc.lags, tc.traces, tc.aux)
		t.Run(name, func(t *testing.T) {
			a := testArch(tc.layers, tc.kernel)
			a.Conv, a.Hidden, a.Residual, a.FeedSpike, a.InputLags, a.AuxHeads = tc.conv, tc.hidden, tc.residual, tc.feed, tc.lags, tc.aux
			if tc.traces != nil {
				a.Family, a.TracesMS = surrogate.TraceFamily, tc.traces
			}
			m := testModel(t, a)
			gr, err := New(m, tc.B, tc.T)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			u, err := surrogate.NewUnrolled(m, tc.B, tc.T)
			if err != nil {
				t.Fatal(err)
			}
			cg := randomChunk(a, tc.B, tc.T, 7)
			cu := cloneChunk(cg)
			for run := 0; run < 2; run++ {
				loss, grads, pred, logit, next := runGraph(t, gr, cg)
				if err := u.Run(cu); err != nil {
					t.Fatal(err)
				}
				var got [3]float64
				got[0], got[1], got[2] = u.Loss()
				for i := range loss {
					if !(math.Abs(got[i]-loss[i]) <= 1e-6*math.Max(1, math.Abs(loss[i]))) {
						t.Errorf("run %d: loss[%d] %g, gorgonia %g", run, i, got[i], loss[i])
					}
				}
				var up, ul, ua, ga []float32
				for k := 0; k < tc.T; k++ {
					up, ul = append(up, u.PredVm(k)...), append(ul, u.Logit(k)...)
					ua, ga = append(ua, u.AuxPred(k)...), append(ga, gr.AuxPred(k)...)
				}
				if len(ga) != tc.T*tc.B*tc.aux {
					t.Fatalf("gorgonia gave %d training-head outputs, want %d", len(ga), tc.T*tc.B*tc.aux)
				}
				if d := relDiff(ua, ga, 1); !(d <= 4e-6) {
					t.Errorf("run %d: training heads differ by %g", run, d)
				}
				if d := relDiff(up, pred, 1); !(d <= 4e-6) {
					t.Errorf("run %d: predicted Vm differs by %g", run, d)
				}
				if d := relDiff(ul, logit, 1); !(d <= 8e-6) {
					t.Errorf("run %d: logits differ by %g", run, d)
				}
				for _, name := range a.ParamNames() {
					if d := relDiff(u.Grads()[name], grads[name], 1e-3); !(d <= 5e-5) {
						t.Errorf("run %d: gradient of %s differs by %g of its largest element", run, name, d)
					}
				}
				for _, p := range []struct {
					name     string
					got, ref []float32
				}{{"VIn", cu.VIn, next.VIn}, {"VHist", cu.VHist, next.VHist}, {"SIn", cu.SIn, next.SIn}, {"SHist", cu.SHist, next.SHist}} {
					if d := relDiff(p.got, p.ref, 1); !(d <= 1e-5) {
						t.Errorf("run %d: carried %s differs by %g", run, p.name, d)
					}
				}
				for l := range next.H {
					if d := relDiff(cu.H[l], next.H[l], 1); !(d <= 1e-5) {
						t.Errorf("run %d: carried h of layer %d differs by %g", run, l, d)
					}
					if d := relDiff(cu.C[l], next.C[l], 1); !(d <= 1e-5) {
						t.Errorf("run %d: carried c of layer %d differs by %g", run, l, d)
					}
				}
				// The second run starts where the first ended, on new inputs.
				fresh := randomChunk(a, tc.B, tc.T, uint64(8+run))
				for _, c := range []*surrogate.Chunk{next, cu} {
					c.DUnf, c.VTeach, c.Mask, c.InvMask, c.VTarget = fresh.DUnf, fresh.VTeach, fresh.Mask, fresh.InvMask, fresh.VTarget
					c.WV, c.Y, c.WS, c.STeach, c.Aux, c.WA = fresh.WV, fresh.Y, fresh.WS, fresh.STeach, fresh.Aux, fresh.WA
				}
				cg = next
			}
		})
	}
}

// TestUnrolledGradient compares the hand-written gradients with central
// finite differences of the loss (float64 sums of float32 steps, so a
// coarse step), on an architecture with every path: two layers, residual
// head, fed-back spikes, training heads, mixed teacher and free steps.
func TestUnrolledGradient(t *testing.T) {
	a := testArch(2, 5)
	a.Hidden, a.Residual, a.FeedSpike, a.AuxHeads = 12, true, true, 2
	m := testModel(t, a)
	const B, T = 6, 16
	u, err := surrogate.NewUnrolled(m, B, T)
	if err != nil {
		t.Fatal(err)
	}
	base := randomChunk(a, B, T, 3)
	loss := func() float64 {
		if err := u.Run(cloneChunk(base)); err != nil {
			t.Fatal(err)
		}
		l, _, _ := u.Loss()
		return l
	}
	loss()
	checkFiniteDifferences(t, m, u.Grads(), loss, func(n int) []int { return []int{0, n / 3, n - 1} })
}

// TestUnrolledRejectsChunk: a chunk of the wrong size is an error, not a
// panic or a silent misread.
func TestUnrolledRejectsChunk(t *testing.T) {
	a := testArch(1, 3)
	m := testModel(t, a)
	u, err := surrogate.NewUnrolled(m, 4, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		mod  func(c *surrogate.Chunk)
	}{
		{"short drive", func(c *surrogate.Chunk) { c.DUnf = c.DUnf[1:] }},
		{"long targets", func(c *surrogate.Chunk) { c.VTarget = append(c.VTarget, 0) }},
		{"history", func(c *surrogate.Chunk) { c.VHist = nil }},
		{"layers", func(c *surrogate.Chunk) { c.H = append(c.H, c.H[0]) }},
		{"state", func(c *surrogate.Chunk) { c.C[0] = c.C[0][:3] }},
	} {
		c := randomChunk(a, 4, 10, 1)
		tc.mod(c)
		if err := u.Run(c); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if _, err := surrogate.NewUnrolled(m, 0, 10); err == nil {
		t.Error("batch 0 accepted")
	}
}

// BenchmarkTrainStep is one replica's training step (forward and backward
// over a chunk) of the H = 96 hh model's shape (shipped until the H = 128
// one) — 8 inputs (two sub-bins of exc, inh and their timing twins),
// kernel 8, 16 channels, H = 96, residual — at its recipe's share of a batch, 64 cells x 128 samples: on
// the gorgonia graph (with BLAS) and by hand (surrogate.Unrolled). samples/s counts
// cells x samples, per core.
func BenchmarkTrainStep(b *testing.B) {
	defer G.Use(G.WhichBLAS())
	UseBLAS()
	var in []surrogate.Input
	for _, n := range []string{"exc", "inh", "exc.timing", "inh.timing"} {
		for q := 0; q < 2; q++ {
			in = append(in, surrogate.Input{Name: fmt.Sprintf("%s.sub%d", n, q), Channels: []string{n}, Part: q})
		}
	}
	a := surrogate.Arch{Inputs: in, Kernel: 8, Conv: 16, Hidden: 96, Layers: 1, SampleDT: 0.5, Residual: true, SubBins: 2}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 100, 50, 50, 1, 1, 1, 1}}, 3)
	if err != nil {
		b.Fatal(err)
	}
	const B, T = 64, 128
	c := randomChunk(a, B, T, 1)
	for i := range c.Mask { // free running, as the recipe trains
		c.Mask[i], c.InvMask[i] = 0, 1
	}
	b.Run("engine=gorgonia", func(b *testing.B) {
		gr, err := New(m, B, T)
		if err != nil {
			b.Fatal(err)
		}
		defer gr.Close()
		b.ResetTimer()
		for b.Loop() {
			// (the carried state changes run to run; the work does not)
			if err := gr.Run(c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "samples/s")
	})
	b.Run("engine=unrolled/hay", func(b *testing.B) {
		// The per-synapse Hay model's sizes: 200 inputs through 8 taps,
		// 16 channels, 64 units, fed-back spikes; one of two replicas of
		// a batch of 32.
		var in []surrogate.Input
		scale := make([]float32, 200)
		for j := range scale {
			in = append(in, surrogate.Input{Name: fmt.Sprint("syn", j), Channels: []string{fmt.Sprint("syn", j)}})
			scale[j] = 300
		}
		a := surrogate.Arch{Inputs: in, Kernel: 8, Conv: 16, Hidden: 64, Layers: 1, SampleDT: 0.5, FeedSpike: true}
		m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: scale}, 3)
		if err != nil {
			b.Fatal(err)
		}
		const B = 16
		c := randomChunk(a, B, T, 1)
		for i := range c.Mask {
			c.Mask[i], c.InvMask[i] = 0, 1
		}
		u, err := surrogate.NewUnrolled(m, B, T)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := u.Run(c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "samples/s")
	})
	b.Run("engine=unrolled", func(b *testing.B) {
		u, err := surrogate.NewUnrolled(m, B, T)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			// (the carried state changes run to run; the work does not)
			if err := u.Run(c); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "samples/s")
	})
}
