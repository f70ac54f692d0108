package graph

import (
	"gonum.org/v1/gonum/blas/gonum"
	"math"
	"math/rand/v2"
	"neurosurrogate/internal/gemm"
	"neurosurrogate/surrogate"
	"testing"

	G "gorgonia.org/gorgonia"
)

func testArch(layers, kernel int) surrogate.Arch {
	return surrogate.Arch{Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}, {Name: "inh", Channels: []string{"inh"}}}, Kernel: kernel, Conv: 6, Hidden: 8, Layers: layers, SampleDT: 0.5}
}

func testModel(t testing.TB, a surrogate.Arch) *surrogate.Model {
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 50}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	// Bigger weights than the default init so the dynamics are non-trivial.
	// (in name order: map order would make every run a different model)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, name := range a.ParamNames() {
		w := m.W[name]
		for i := range w.Data {
			w.Data[i] += float32(rng.NormFloat64() * 0.3)
		}
	}
	return m
}

// bindSteps binds flat time-major arrays (row t*B+b) to per-step nodes.
func bindSteps(t testing.TB, nodes []*G.Node, flat []float32) {
	t.Helper()
	if len(nodes) == 0 {
		return
	}
	per := len(flat) / len(nodes)
	for i, n := range nodes {
		if err := Bind(n, flat[i*per:(i+1)*per]); err != nil {
			t.Fatal(err)
		}
	}
}

// lagged is a (B, n) history holding x (B values) at every lag.
func lagged(x []float32, n int) []float32 {
	out := make([]float32, 0, len(x)*n)
	for _, v := range x {
		for l := 0; l < n; l++ {
			out = append(out, v)
		}
	}
	return out
}

// unfold builds the graph's DUnf input from per-step drive [t][b][j]: the
// taps, or for a trace-lstm each trace as its sum over the past,
// Σ_{s<=t} exp(−(t−s)·dt/τ)·x(s).
func unfold(drive [][][]float32, a surrogate.Arch, scale []float32) []float32 {
	if len(a.TracesMS) > 0 {
		T, B, nIn, M := len(drive), len(drive[0]), len(a.Inputs), len(a.TracesMS)
		out := make([]float32, T*B*M*nIn)
		for t := 0; t < T; t++ {
			for b := 0; b < B; b++ {
				for m, tau := range a.TracesMS {
					for j := 0; j < nIn; j++ {
						sum := float64(drive[t][b][j] * scale[j])
						for s := 0; s < t && tau > 0; s++ {
							sum += math.Exp(-float64(t-s)*a.SampleDT/tau) * float64(drive[s][b][j]*scale[j])
						}
						out[(t*B+b)*M*nIn+m*nIn+j] = float32(sum)
					}
				}
			}
		}
		return out
	}
	T, B, nIn, taps := len(drive), len(drive[0]), len(a.Inputs), a.Taps()
	K := len(taps)
	out := make([]float32, T*B*K*nIn)
	for t := 0; t < T; t++ {
		for b := 0; b < B; b++ {
			for ti, lag := range taps {
				if t-lag < 0 {
					continue
				}
				for j := 0; j < nIn; j++ {
					out[(t*B+b)*K*nIn+ti*nIn+j] = drive[t-lag][b][j] * scale[j]
				}
			}
		}
	}
	return out
}

// TestGraphEqualsStream: the gorgonia graph run free (its own Vm fed back)
// and the batched BLAS surrogate.Stream give the same Vm and spike outputs (1e-4).
func TestGraphEqualsStream(t *testing.T) {
	for _, tc := range []struct {
		name           string
		layers, kernel int
		residual, feed bool
		lags           []int
		traces         []float64
	}{{"1layer", 1, 4, false, false, nil, nil}, {"2layers", 2, 3, false, false, nil, nil}, {"kernel1", 1, 1, false, false, nil, nil}, {"kernel2", 1, 2, false, true, nil, nil},
		{"residual", 1, 3, true, false, nil, nil}, {"feedspike", 2, 3, false, true, nil, nil}, {"inputlags", 1, 3, false, true, []int{0, 2, 5, 11, 25}, nil},
		{"traces", 1, 3, false, true, nil, []float64{0, 0.7, 3, 12}}, {"traces2layers", 2, 2, true, false, nil, []float64{1.5, 40}}} {
		t.Run(tc.name, func(t *testing.T) {
			a := testArch(tc.layers, tc.kernel)
			a.Residual, a.FeedSpike, a.InputLags = tc.residual, tc.feed, tc.lags
			if tc.traces != nil {
				a.Family, a.TracesMS = surrogate.TraceFamily, tc.traces
			}
			m := testModel(t, a)
			const B, T = 3, 40
			rng := rand.New(rand.NewPCG(9, 9))
			drive := make([][][]float32, T)
			for k := range drive {
				drive[k] = make([][]float32, B)
				for b := range drive[k] {
					drive[k][b] = []float32{float32(rng.ExpFloat64() * 0.004), float32(rng.ExpFloat64() * 0.004)}
				}
			}
			gr, err := New(m, B, T)
			if err != nil {
				t.Fatal(err)
			}
			defer gr.Close()
			v0 := float32(0) // v_init = VOffset
			zeros := func(n int) []float32 { return make([]float32, n) }
			ones := func(n int) []float32 {
				o := make([]float32, n)
				for i := range o {
					o[i] = 1
				}
				return o
			}
			must := func(err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			bindSteps(t, gr.DUnf, unfold(drive, a, m.Norm.InputScale))
			bindSteps(t, gr.VTeach, zeros(T*B))
			bindSteps(t, gr.Mask, zeros(T*B))
			bindSteps(t, gr.InvMask, ones(T*B))
			bindSteps(t, gr.VTarget, zeros(T*B))
			bindSteps(t, gr.WV, ones(T*B))
			bindSteps(t, gr.Y, zeros(T*B))
			bindSteps(t, gr.WS, ones(T*B))
			vin0 := zeros(B)
			for i := range vin0 {
				vin0[i] = v0
			}
			must(Bind(gr.VIn0, vin0))
			if gr.VHist != nil {
				must(Bind(gr.VHist, zeros(B*(a.Kernel-1)))) // v0 = 0
			}
			if a.FeedSpike {
				bindSteps(t, gr.STeach, zeros(T*B))
				must(Bind(gr.SIn0, zeros(B)))
				if gr.SHist != nil {
					must(Bind(gr.SHist, zeros(B*(a.Kernel-1))))
				}
			}
			for l := range gr.H0 {
				must(Bind(gr.H0[l], zeros(B*a.Hidden)))
				must(Bind(gr.C0[l], zeros(B*a.Hidden)))
			}
			must(gr.run())
			var pred, logit []float32
			for k := 0; k < T; k++ {
				pred = append(pred, gr.PredVm(k)...)
				logit = append(logit, gr.Logit(k)...)
			}

			s := surrogate.NewStream(m, B, -65)
			flat := make([]float32, B*len(a.Inputs))
			worstV, worstP := 0.0, 0.0
			for k := 0; k < T; k++ {
				for b := 0; b < B; b++ {
					copy(flat[b*2:], drive[k][b])
				}
				s.Step(flat)
				for b := 0; b < B; b++ {
					wantV := pred[k*B+b]*m.Norm.VScale + m.Norm.VOffset
					wantP := 1 / (1 + math.Exp(-float64(logit[k*B+b])))
					worstV = math.Max(worstV, math.Abs(float64(s.V[b]-wantV)))
					worstP = math.Max(worstP, math.Abs(float64(s.P[b])-wantP))
				}
			}
			t.Logf("max |ΔVm| %.2g mV, max |Δp| %.2g; pred[0:4] %v last %v stream %v", worstV, worstP, pred[:4], pred[T*B-3:], s.V)
			// Measured: Vm within 1.7e-4 mV, p within 1.3e-7.
			if !(worstV <= 1e-4*float64(m.Norm.VScale)) || !(worstP <= 1e-6) {
				t.Errorf("graph and stream differ: Vm by %g mV, p by %g", worstV, worstP)
			}
			if math.Abs(float64(pred[T*B-1]-pred[0])) < 1e-3 {
				t.Errorf("output does not move; the test would not see a difference")
			}
		})
	}
}

// TestGraphGradient compares gorgonia's gradients with central finite
// differences of the loss (mixed teacher/free steps, spikes, weights), with
// the joined [x h] (16 x 30) and input histories (16 x 8) the graph
// differentiates through.
func TestGraphGradient(t *testing.T) {
	a := testArch(2, 8)
	a.Hidden = 24
	a.Residual, a.FeedSpike, a.AuxHeads = true, true, 2
	m := testModel(t, a)
	const B, T = 16, 24
	gr, err := New(m, B, T)
	if err != nil {
		t.Fatal(err)
	}
	defer gr.Close()
	rng := rand.New(rand.NewPCG(5, 5))
	randv := func(n int, f func() float64) []float32 {
		o := make([]float32, n)
		for i := range o {
			o[i] = float32(f())
		}
		return o
	}
	mask := randv(T*B, func() float64 { return float64(rng.IntN(2)) })
	inv := make([]float32, T*B)
	for i := range mask {
		inv[i] = 1 - mask[i]
	}
	inputs := map[string][]float32{}
	binds := []struct {
		name string
		data []float32
	}{
		{"dunf", randv(T*B*a.Kernel*2, func() float64 { return rng.Float64() })},
		{"vteach", randv(T*B, rng.NormFloat64)},
		{"vtarget", randv(T*B, rng.NormFloat64)},
		{"wv", randv(T*B, rng.Float64)},
		{"y", randv(T*B, func() float64 { return float64(rng.IntN(2)) })},
		{"ws", randv(T*B, rng.Float64)},
		{"aux", randv(T*B*a.AuxHeads, rng.NormFloat64)},
		{"wa", randv(T*B*a.AuxHeads, func() float64 { return 0.1 * rng.Float64() })},
	}
	for _, b := range binds {
		inputs[b.name] = b.data
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	run := func() float64 {
		bindSteps(t, gr.DUnf, inputs["dunf"])
		bindSteps(t, gr.VTeach, inputs["vteach"])
		bindSteps(t, gr.VTarget, inputs["vtarget"])
		bindSteps(t, gr.WV, inputs["wv"])
		bindSteps(t, gr.Y, inputs["y"])
		bindSteps(t, gr.WS, inputs["ws"])
		bindSteps(t, gr.Mask, mask)
		bindSteps(t, gr.InvMask, inv)
		bindSteps(t, gr.Aux, inputs["aux"])
		bindSteps(t, gr.WA, inputs["wa"])
		v0 := make([]float32, B)
		for i := range v0 {
			v0[i] = 0.1 * float32(i%3-1)
		}
		bindSteps(t, gr.STeach, inputs["y"])
		p0 := make([]float32, B)
		for i := range p0 {
			p0[i] = 0.3 * float32(i%2)
		}
		must(Bind(gr.SIn0, p0))
		must(Bind(gr.SHist, lagged(p0, a.Kernel-1)))
		must(Bind(gr.VIn0, v0))
		must(Bind(gr.VHist, lagged(v0, a.Kernel-1)))
		for l := range gr.H0 {
			must(Bind(gr.H0[l], make([]float32, B*a.Hidden)))
			must(Bind(gr.C0[l], make([]float32, B*a.Hidden)))
		}
		must(gr.run())
		return float64(gr.Out(gr.LossNode)[0])
	}
	// Gradients must not accumulate across runs, and runs must leave the
	// weights alone.
	before := m.Clone()
	run()
	for k, w := range m.W {
		for i := range w.Data {
			if w.Data[i] != before.W[k].Data[i] {
				t.Fatalf("running the graph changed weight %s[%d]", k, i)
			}
		}
	}
	grads, err := gr.collectGrads()
	if err != nil {
		t.Fatal(err)
	}
	run()
	again, err := gr.collectGrads()
	if err != nil {
		t.Fatal(err)
	}
	for k := range grads {
		for i := range grads[k] {
			if grads[k][i] != again[k][i] {
				t.Fatalf("%s: gradient changed between identical runs (%g vs %g)", k, grads[k][i], again[k][i])
			}
		}
	}
	checkFiniteDifferences(t, m, grads, run, func(n int) []int { return []int{0, n / 2, n - 1} })
}

// checkFiniteDifferences compares the gradients grads (by weight name,
// copied first: loss may overwrite them) with central finite differences
// of loss in the model's weights, at the entries pick chooses from each
// weight of n entries.
func checkFiniteDifferences(t *testing.T, m *surrogate.Model, grads map[string][]float32, loss func() float64, pick func(n int) []int) {
	t.Helper()
	analytic := map[string][]float32{}
	for k, v := range grads {
		analytic[k] = append([]float32(nil), v...)
	}
	checked := 0
	for _, name := range m.Arch.ParamNames() {
		w := m.W[name].Data
		for _, i := range pick(len(w)) {
			old := w[i]
			const h = 1e-2
			w[i] = old + h
			lp := loss()
			w[i] = old - h
			lm := loss()
			w[i] = old
			num := (lp - lm) / (2 * h)
			an := float64(analytic[name][i])
			if math.Abs(num-an) > 2e-2*math.Max(1, math.Abs(num)) {
				t.Errorf("%s[%d]: gradient %g, finite difference %g", name, i, an, num)
			}
			checked++
		}
	}
	t.Logf("checked %d gradient entries", checked)
}

// TestBLASGraph runs the training graph's forward and backward pass with
// gonum and with BLAS installed in gorgonia: the loss and every gradient
// must agree to float32 rounding.
func TestBLASGraph(t *testing.T) {
	defer G.Use(G.WhichBLAS())
	a := testArch(1, 4)
	a.Hidden = 24
	m := testModel(t, a)
	run := func() (float32, map[string][]float32) {
		const B, T = 16, 6
		gr, err := New(m, B, T)
		if err != nil {
			t.Fatal(err)
		}
		defer gr.Close()
		rng := rand.New(rand.NewPCG(3, 3))
		bind := func(nodes []*G.Node, f func() float64) {
			for _, n := range nodes {
				d := make([]float32, n.Shape().TotalSize())
				for i := range d {
					d[i] = float32(f())
				}
				if err := Bind(n, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		one := func() float64 { return 1 }
		zero := func() float64 { return 0 }
		bind(gr.DUnf, rng.Float64)
		bind(gr.VTeach, rng.NormFloat64)
		bind(gr.Mask, zero) // free-running: own predictions fed back
		bind(gr.InvMask, one)
		bind(gr.VTarget, rng.NormFloat64)
		bind(gr.WV, one)
		bind(gr.WS, one)
		bind(gr.Y, zero)
		bind([]*G.Node{gr.VIn0, gr.VHist}, rng.NormFloat64)
		bind(gr.H0, rng.NormFloat64)
		bind(gr.C0, rng.NormFloat64)
		if err := gr.run(); err != nil {
			t.Fatal(err)
		}
		g, err := gr.collectGrads()
		if err != nil {
			t.Fatal(err)
		}
		return gr.Out(gr.LossNode)[0], g
	}
	G.Use(gonum.Implementation{})
	lossRef, gradRef := run()
	UseBLAS()
	loss, grad := run()
	if d := math.Abs(float64(loss - lossRef)); !(d <= 1e-5*math.Abs(float64(lossRef))) || lossRef == 0 {
		t.Fatalf("loss %g with BLAS, %g with gonum", loss, lossRef)
	}
	for name, want := range gradRef {
		got := grad[name]
		var num, den float64
		for i := range want {
			d := float64(got[i] - want[i])
			num += d * d
			den += float64(want[i]) * float64(want[i])
		}
		if !(den > 0) || !(math.Sqrt(num/den) < 1e-4) {
			t.Fatalf("gradient of %s: relative error %g (norm %g)", name, math.Sqrt(num/den), math.Sqrt(den))
		}
	}
}

// BenchmarkGraphStep is one training step (forward and backward) of a
// graph shaped like the shipped hh model's (4 inputs, kernel 8, 16
// channels, H = 64) for one replica's share of a batch, 16 cells x 64
// samples, with gonum's GEMM and with BLAS. samples/s counts cells x
// samples.
func BenchmarkGraphStep(b *testing.B) {
	defer G.Use(G.WhichBLAS())
	var in []surrogate.Input
	for _, n := range []string{"exc", "inh", "exc.timing", "inh.timing"} {
		in = append(in, surrogate.Input{Name: n, Channels: []string{n}})
	}
	a := surrogate.Arch{Inputs: in, Kernel: 8, Conv: 16, Hidden: 64, Layers: 1, SampleDT: 0.5, Residual: true}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 50, 1, 1}}, 3)
	if err != nil {
		b.Fatal(err)
	}
	const B, T = 16, 64
	gr, err := New(m, B, T)
	if err != nil {
		b.Fatal(err)
	}
	defer gr.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, nodes := range [][]*G.Node{gr.DUnf, gr.VTeach, gr.Mask, gr.InvMask, gr.VTarget, gr.WV, gr.Y, gr.WS, {gr.VHist, gr.VIn0}, gr.H0, gr.C0} {
		for _, n := range nodes {
			d := make([]float32, n.Shape().TotalSize())
			for i := range d {
				d[i] = float32(rng.Float64())
			}
			if err := Bind(n, d); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, impl := range []struct {
		name string
		blas G.BLAS
	}{{"gonum", gonum.Implementation{}}, {"gemm", gemm.BLAS{}}} {
		b.Run(impl.name, func(b *testing.B) {
			G.Use(impl.blas)
			for b.Loop() {
				if err := gr.run(); err != nil {
					b.Fatal(err)
				}
				if _, err := gr.collectGrads(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}
