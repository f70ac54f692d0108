package surrogate

import (
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestRegroup: a model over groups of channels and its regrouped copy over
// the single channels compute the same trajectory when the channels' drives
// sum to the groups'. With more than sparseInputs inputs the regrouped
// Stream scatters its inputs, so this also checks the sparse path against
// the dense one.
func TestRegroup(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1", "e2", "e3"}}, {Name: "inh", Channels: []string{"i0", "i1"}}}, Kernel: 3, Conv: 6, Hidden: 8, Layers: 1, SampleDT: 0.5, FeedSpike: true}
	m := testModel(t, a)
	fine := []Input{{Name: "i1", Channels: []string{"i1"}}, {Name: "e0", Channels: []string{"e0"}}, {Name: "e12", Channels: []string{"e1", "e2"}}, {Name: "i0", Channels: []string{"i0"}}, {Name: "e3", Channels: []string{"e3"}}}
	r, err := m.Regroup(fine)
	if err != nil {
		t.Fatal(err)
	}
	if r.W["conv.wd"].Shape[0] != 3*5 || len(r.Norm.InputScale) != 5 || m.W["conv.wd"].Shape[0] != 3*2 {
		t.Fatalf("shapes: %v, %d scales (original %v)", r.W["conv.wd"].Shape, len(r.Norm.InputScale), m.W["conv.wd"].Shape)
	}
	if r.Norm.InputScale[0] != m.Norm.InputScale[1] || r.Norm.InputScale[1] != m.Norm.InputScale[0] {
		t.Errorf("scales %v from %v", r.Norm.InputScale, m.Norm.InputScale)
	}
	const n, steps = 3, 200
	sg, sf := NewStream(m, n, -65), NewStream(r, n, -65)
	if sparseOf(sg) || !sparseOf(sf) {
		t.Fatalf("want the grouped stream dense and the regrouped one sparse")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const nf = 5
	coarse, drive := make([]float32, n*2), make([]float32, n*nf)
	maxDiff := 0.0
	for k := 0; k < steps; k++ {
		for i := 0; i < n; i++ {
			for j := 0; j < nf; j++ {
				drive[i*nf+j] = 0
				if rng.Float64() < 0.3 {
					drive[i*nf+j] = float32(0.01 * rng.Float64())
				}
			}
			d := drive[i*nf:]
			coarse[i*2], coarse[i*2+1] = d[1]+d[2]+d[4], d[0]+d[3]
		}
		sg.Step(coarse)
		sf.Step(drive)
		for i := 0; i < n; i++ {
			maxDiff = math.Max(maxDiff, math.Abs(float64(sg.V[i]-sf.V[i])))
			maxDiff = math.Max(maxDiff, 100*math.Abs(float64(sg.P[i]-sf.P[i])))
		}
	}
	// Measured 1.2e-5 (float32 sums in another order).
	if !(maxDiff <= 1e-4) {
		t.Errorf("regrouped model differs by %g", maxDiff)
	}
	// The original is untouched.
	if len(m.Arch.Inputs) != 2 {
		t.Errorf("original changed")
	}
}

func TestRegroupErrors(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1"}}, {Name: "inh", Channels: []string{"i0"}}}, Kernel: 2, Conv: 4, Hidden: 4, Layers: 1, SampleDT: 0.5}
	m := testModel(t, a)
	for _, c := range []struct {
		in   []Input
		want string
	}{
		{[]Input{{Name: "x", Channels: []string{"e0", "i0"}}, {Name: "e1", Channels: []string{"e1"}}}, "joins channels"},
		{[]Input{{Name: "e0", Channels: []string{"e0"}}, {Name: "i0", Channels: []string{"i0"}}}, `"e1" of the model is not in any`},
		{[]Input{{Name: "e0", Channels: []string{"e0", "e1"}}, {Name: "i0", Channels: []string{"i0", "zz"}}}, `"zz" of input "i0" is not`},
		{[]Input{{Name: "e0", Channels: []string{"e0", "e1"}}, {Name: "i0", Channels: []string{"i0", "e1"}}}, "joins"},
		{[]Input{{Name: "e0", Channels: []string{"e0"}}, {Name: "e1", Channels: []string{"e1", "e0"}}, {Name: "i0", Channels: []string{"i0"}}}, "two inputs"},
	} {
		if _, err := m.Regroup(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.in, err, c.want)
		}
	}
}

// TestWiden: a model with extra convolution channels computes the same
// trajectory as the original (dense and sparse input paths, two LSTM
// layers), while its new channels carry signal; narrowing is refused.
func TestWiden(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1", "e2", "e3"}}, {Name: "inh", Channels: []string{"i0", "i1"}}}, Kernel: 3, Conv: 6, Hidden: 8, Layers: 2, SampleDT: 0.5, FeedSpike: true}
	dense := testModel(t, a)
	sparse, err := dense.Regroup([]Input{{Name: "e0", Channels: []string{"e0"}}, {Name: "e1", Channels: []string{"e1"}}, {Name: "e2", Channels: []string{"e2"}}, {Name: "e3", Channels: []string{"e3"}}, {Name: "i0", Channels: []string{"i0"}}, {Name: "i1", Channels: []string{"i1"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct{ conv, kernel int }{{11, 0}, {0, 7}, {11, 7}} {
		for _, m := range []*Model{dense, sparse} {
			w, err := m.Widen(size.conv, size.kernel, 1)
			if err != nil {
				t.Fatal(err)
			}
			for name, sh := range w.Arch.Shapes() {
				if w.W[name] == nil || !equalShape(w.W[name].Shape, sh) {
					t.Fatalf("%s: widened weight %v, architecture needs %v", name, w.W[name], sh)
				}
			}
			if len(w.W) != len(w.Arch.Shapes()) {
				t.Fatalf("%d weights, architecture has %d", len(w.W), len(w.Arch.Shapes()))
			}
			wantConv, wantK := max(size.conv, m.Arch.Conv), max(size.kernel, m.Arch.Kernel)
			if w.Arch.Conv != wantConv || w.Arch.Kernel != wantK || m.Arch.Conv != 6 || m.Arch.Kernel != 3 || w.W["conv.wd"].Data[5] != m.W["conv.wd"].Data[5] {
				t.Fatalf("widened to conv %d kernel %d (original %d, %d), want %d, %d; kept weight %v, was %v",
					w.Arch.Conv, w.Arch.Kernel, m.Arch.Conv, m.Arch.Kernel, wantConv, wantK, w.W["conv.wd"].Data[5], m.W["conv.wd"].Data[5])
			}
			if wantConv > 6 && w.W["conv.wd"].Data[10] == 0 {
				t.Fatalf("new channel starts with a zero kernel")
			}
			nIn := len(m.Arch.Inputs)
			const n, steps = 2, 200
			so, sw := NewStream(m, n, -65), NewStream(w, n, -65)
			rng := rand.New(rand.NewPCG(3, 4))
			drive := make([]float32, n*nIn)
			maxDiff := 0.0
			for k := 0; k < steps; k++ {
				for i := range drive {
					drive[i] = 0
					if rng.Float64() < 0.3 {
						drive[i] = float32(0.02 * rng.Float64())
					}
				}
				so.Step(drive)
				sw.Step(drive)
				for i := 0; i < n; i++ {
					maxDiff = math.Max(maxDiff, math.Abs(float64(so.V[i]-sw.V[i])))
					maxDiff = math.Max(maxDiff, 100*math.Abs(float64(so.P[i]-sw.P[i])))
				}
			}
			// Measured equal; 4e-5 is a few float32 steps of Vm.
			if !(maxDiff <= 4e-5) {
				t.Errorf("%d inputs, widened to %+v: differs by %g", nIn, size, maxDiff)
			}
		}
	}
	if _, err := dense.Widen(4, 0, 1); err == nil || !strings.Contains(err.Error(), "fewer") {
		t.Errorf("narrowing: %v", err)
	}
	if _, err := dense.Widen(0, 2, 1); err == nil || !strings.Contains(err.Error(), "shorter") {
		t.Errorf("shortening the kernel: %v", err)
	}
	if _, err := dense.Widen(0, 33, 1); err == nil || !strings.Contains(err.Error(), "kernel 33") {
		t.Errorf("kernel beyond the architecture's limit: %v", err)
	}
}

// TestAddTiming: timing twins added at zero weight leave the function as it
// was whatever timing drive they get; once their weights are set they
// change it; regrouping keeps plain and timing inputs apart.
func TestAddTiming(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1"}, DelaySteps: 2}, {Name: "clamp", Channels: []string{"i_clamp"}}}, Kernel: 3, Conv: 6, Hidden: 8, Layers: 1, SampleDT: 0.5}
	m := testModel(t, a)
	timed := func(c string) bool { return c != "i_clamp" }
	tm := m.AddTiming(timed)
	in := tm.Arch.Inputs
	if len(in) != 3 || !in[2].Timing || in[2].Name != "exc"+TimingSuffix || in[2].DelaySteps != 2 || in[0].Timing || in[1].Timing {
		t.Fatalf("inputs %+v", in)
	}
	if got := tm.AddTiming(timed).Arch.Inputs; len(got) != 3 {
		t.Fatalf("adding timing twice gave %d inputs", len(got))
	}
	if err := tm.Arch.Validate(); err != nil {
		t.Fatal(err)
	}
	const n, steps = 2, 120
	run := func(m *Model, timing float32) []float32 {
		s := NewStream(m, n, -65)
		nIn := len(m.Arch.Inputs)
		drive := make([]float32, n*nIn)
		rng := rand.New(rand.NewPCG(5, 6))
		var out []float32
		for k := 0; k < steps; k++ {
			for i := 0; i < n; i++ {
				drive[i*nIn] = float32(0.02 * rng.Float64())
				drive[i*nIn+1] = float32(0.1 * rng.Float64())
				off := float32(rng.Float64() - 0.5) // drawn for both models: same drive
				if nIn == 3 {
					drive[i*nIn+2] = timing * off
				}
			}
			s.Step(drive)
			out = append(out, s.V...)
		}
		return out
	}
	base, zero := run(m, 0), run(tm, 0.02)
	for i := range base {
		if base[i] != zero[i] {
			t.Fatalf("zero-weight timing inputs changed Vm at %d: %g vs %g", i, zero[i], base[i])
		}
	}
	wd := tm.W["conv.wd"].Data
	for lag := 0; lag < a.Kernel; lag++ {
		for c := 0; c < a.Conv; c++ {
			wd[(lag*3+2)*a.Conv+c] = 0.5
		}
	}
	tm.Norm.InputScale[2] = 100
	if used := run(tm, 0.02); reflect.DeepEqual(used, base) {
		t.Fatal("timing weights set, Vm unchanged: the timing input is not read")
	}
	// Per-channel regrouping splits plain and timing inputs alike.
	fine := []Input{{Name: "e0", Channels: []string{"e0"}}, {Name: "e1", Channels: []string{"e1"}}, {Name: "clamp", Channels: []string{"i_clamp"}},
		{Name: "e0.t", Channels: []string{"e0"}, Timing: true}, {Name: "e1.t", Channels: []string{"e1"}, Timing: true}}
	r, err := tm.Regroup(fine)
	if err != nil {
		t.Fatal(err)
	}
	if r.Norm.InputScale[3] != 100 || r.Arch.Inputs[3].DelaySteps != 2 {
		t.Errorf("regrouped timing input: scale %g, delay %d", r.Norm.InputScale[3], r.Arch.Inputs[3].DelaySteps)
	}
	if _, err := m.Regroup(fine); err == nil || !strings.Contains(err.Error(), "timing input") {
		t.Errorf("regrouping a model without timing onto timing inputs: %v", err)
	}
	which, err := tm.Arch.InputIndex([]string{"e0", "e1", "i_clamp"})
	if err != nil || !reflect.DeepEqual(which, []int{0, 0, 1}) {
		t.Errorf("InputIndex %v, %v", which, err)
	}
	tw, err := tm.Arch.TimingIndex([]string{"e0", "e1", "i_clamp"})
	if err != nil || !reflect.DeepEqual(tw, []int{2, 2, -1}) {
		t.Errorf("TimingIndex %v, %v", tw, err)
	}
}

func TestBinTiming(t *testing.T) {
	for _, c := range []struct {
		t, dt float64
		k     int
		off   float64
	}{
		{0, 0.5, 0, -0.5}, {0.25, 0.5, 0, 0}, {0.375, 0.5, 0, 0.25}, {0.5, 0.5, 1, -0.5}, {0.4999999, 0.5, 0, 0.4999998}, {10.1, 0.5, 20, -0.3},
	} {
		k, off := BinTiming(c.t, c.dt)
		if k != c.k || math.Abs(off-c.off) > 1e-9 {
			t.Errorf("BinTiming(%g, %g) = %d, %g; want %d, %g", c.t, c.dt, k, off, c.k, c.off)
		}
	}
}

func TestPlace(t *testing.T) {
	for _, c := range []struct {
		t       float64
		sub     int
		k, part int
		off     float64
	}{
		{0, 0, 0, 0, -0.5}, {0.375, 0, 0, 0, 0.25}, {0.375, 1, 0, 0, 0.25},
		{0, 2, 0, 0, -0.5}, {0.125, 2, 0, 0, 0}, {0.25, 2, 0, 1, -0.5}, {0.375, 2, 0, 1, 0}, {0.5, 2, 1, 0, -0.5},
		{10.3, 2, 20, 1, -0.3}, {0.4, 4, 0, 3, -0.3}, {-0.1, 2, -1, 1, 0.1},
	} {
		a := Arch{SampleDT: 0.5, SubBins: c.sub}
		k, part, off := a.Place(c.t)
		if k != c.k || part != c.part || math.Abs(off-c.off) > 1e-9 {
			t.Errorf("Place(%g) with %d sub-bins = %d, %d, %g; want %d, %d, %g", c.t, c.sub, k, part, off, c.k, c.part, c.off)
		}
		if c.k < 0 {
			continue
		}
		// The engine's variant, which is told the bin.
		if part2, off2 := a.PlaceInBin(c.t, k); part2 != part || math.Abs(off2-off) > 1e-9 {
			t.Errorf("PlaceInBin(%g, %d) = %d, %g; Place says %d, %g", c.t, k, part2, off2, part, off)
		}
	}
	// Told the bin, rounding cannot move an event out of it.
	a := Arch{SampleDT: 0.5, SubBins: 2}
	if part, off := a.PlaceInBin(math.Nextafter(0.5, 0), 1); part != 0 || off != -0.5 {
		t.Errorf("an event just before bin 1, placed in it: sub-bin %d offset %g", part, off)
	}
	if part, off := a.PlaceInBin(1.0, 1); part != 1 || off != 0.5 {
		t.Errorf("an event at the end of bin 1, placed in it: sub-bin %d offset %g", part, off)
	}
}

// TestSplitSubBins: a model split into sub-bins computes what it did on
// the same events, each binned the way its model hears them, and its
// indices find every sub-bin's inputs.
func TestSplitSubBins(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1"}, DelaySteps: 2}, {Name: "clamp", Channels: []string{"i_clamp"}}}, Kernel: 3, Conv: 6, Hidden: 8, Layers: 1, SampleDT: 0.5}
	m := testModel(t, a).AddTiming(func(c string) bool { return c != "i_clamp" })
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range m.W["conv.wd"].Data {
		m.W["conv.wd"].Data[i] = float32(rng.Float64() - 0.5) // the timing input matters
	}
	m.Norm.InputScale = []float32{50, 3, 200}
	isClamp := func(c string) bool { return c == "i_clamp" }
	for _, tc := range []struct {
		p     int
		level bool // the clamp holds a level through the bin, not events
	}{{2, false}, {4, false}, {2, true}, {4, true}} {
		p := tc.p
		var level func(string) bool
		if tc.level {
			level = isClamp
		}
		s, err := m.SplitSubBins(p, level)
		if err != nil {
			t.Fatal(err)
		}
		if s.Arch.SubBins != p || len(s.Arch.Inputs) != 3*p || s.Arch.Inputs[1].Name != "exc.sub1" || s.Arch.Inputs[1].Part != 1 || s.Arch.Inputs[1].DelaySteps != 2 {
			t.Fatalf("split into %d: inputs %+v", p, s.Arch.Inputs)
		}
		chans := []string{"e0", "e1", "i_clamp"}
		plain, timing, err := s.Arch.SubIndex(chans)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(plain[1], []int{1, 1, p + 1}) || !reflect.DeepEqual(timing[p-1], []int{3*p - 1, 3*p - 1, -1}) {
			t.Errorf("SubIndex: plain %v timing %v", plain, timing)
		}
		type event struct {
			t float64
			c int
			w float64
		}
		var evs []event
		for i := 0; i < 400; i++ {
			evs = append(evs, event{60 * rng.Float64(), rng.IntN(3), 0.01 * rng.Float64()})
		}
		const steps = 120
		run := func(m *Model) []float32 {
			pl, tm, err := m.Arch.SubIndex(chans)
			if err != nil {
				t.Fatal(err)
			}
			nIn := len(m.Arch.Inputs)
			drive := make([]float32, steps*nIn)
			if tc.level { // a current step of 0.3 from step 40: every sub-bin holds it
				for k := 40; k < steps; k++ {
					for q := range pl {
						drive[k*nIn+pl[q][2]] = 0.3
					}
				}
			}
			for _, e := range evs {
				if tc.level && e.c == 2 {
					continue
				}
				k, q, off := m.Arch.Place(e.t)
				drive[k*nIn+pl[q][e.c]] += float32(e.w)
				if j := tm[q][e.c]; j >= 0 {
					drive[k*nIn+j] += float32(e.w * off)
				}
			}
			v, _ := Rollout(m, 1, steps, -65, func(k int, dst []float32) { copy(dst, drive[k*nIn:(k+1)*nIn]) })
			return v[0]
		}
		want, got := run(m), run(s)
		for k := range want {
			// Measured within 3.8e-6 (one float32 step of Vm).
			if !(math.Abs(float64(got[k]-want[k])) <= 4e-5) {
				t.Fatalf("%d sub-bins (clamp a level: %v): Vm at step %d %g, unsplit %g", p, tc.level, k, got[k], want[k])
			}
		}
	}
	s, err := m.SplitSubBins(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SplitSubBins(2, nil); err == nil {
		t.Error("split a split model")
	}
	if _, err := m.SplitSubBins(MaxSubBins+1, nil); err == nil {
		t.Error("split into too many sub-bins")
	}
	mixed := testModel(t, Arch{Inputs: []Input{{Name: "all", Channels: []string{"e0", "i_clamp"}}, {Name: "x", Channels: []string{"e1"}}}, Kernel: 2, Conv: 2, Hidden: 2, Layers: 1, SampleDT: 0.5})
	if _, err := mixed.SplitSubBins(2, isClamp); err == nil || !strings.Contains(err.Error(), "levels") {
		t.Errorf("split an input summing a clamp with drive: %v", err)
	}
}

// TestWithInputLags: a model made to read its inputs at more lags computes
// the same function (the new lags start at zero weight), whether its
// inputs were dense or scattered, and again when lags are added to lags;
// a lag set that leaves out a lag the model reads is refused.
func TestWithInputLags(t *testing.T) {
	a := Arch{Inputs: []Input{{Name: "exc", Channels: []string{"e0", "e1"}}, {Name: "inh", Channels: []string{"i0"}}}, Kernel: 3, Conv: 6, Hidden: 8, Layers: 1, SampleDT: 0.5, FeedSpike: true}
	m := testModel(t, a)
	m.Norm.InputScale = []float32{100, 50}
	long, err := m.WithInputLags([]int{0, 1, 2, 4, 9, 20})
	if err != nil {
		t.Fatal(err)
	}
	longer, err := long.WithInputLags([]int{0, 1, 2, 3, 4, 9, 20, 40})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []*Model{long, longer} {
		if got, want := w.W[WConvInputs].Shape[0], len(w.Arch.InputLags)*2; got != want {
			t.Fatalf("conv.wd has %d rows, want %d", got, want)
		}
		const n, steps = 3, 300
		so, sw := NewStream(m, n, -65), NewStream(w, n, -65)
		rng := rand.New(rand.NewPCG(5, 6))
		drive := make([]float32, n*2)
		maxDiff, spread := 0.0, 0.0
		for k := 0; k < steps; k++ {
			for i := range drive {
				drive[i] = 0
				if rng.Float64() < 0.3 {
					drive[i] = float32(0.02 * rng.Float64())
				}
			}
			so.Step(drive)
			sw.Step(drive)
			for i := range so.V {
				maxDiff = max(maxDiff, math.Abs(float64(so.V[i]-sw.V[i])), math.Abs(float64(so.P[i]-sw.P[i])))
				spread = max(spread, math.Abs(float64(so.V[i]+65)))
			}
		}
		// The dense model multiplies, the scattered one adds per event:
		// the same sums in another order.
		if maxDiff > 1e-4 || spread < 1 {
			t.Errorf("lags %v: outputs differ by %g (Vm moved %g mV)", w.Arch.InputLags, maxDiff, spread)
		}
	}
	if _, err := long.WithInputLags([]int{0, 1, 2, 9, 20}); err == nil || !strings.Contains(err.Error(), "lag 4") {
		t.Errorf("a lag set without lag 4: %v", err)
	}
	for _, lags := range [][]int{{1, 2}, {0, 2, 2}, {0, 5, 3}, {0, MaxInputLag + 1}} {
		if _, err := m.WithInputLags(lags); err == nil {
			t.Errorf("input_lags %v accepted", lags)
		}
	}
	if _, err := long.Widen(0, 5, 1); err == nil {
		t.Error("lengthening the kernel of a model with input lags is accepted")
	}
}

// TestWidenHidden: a model with more LSTM units computes the same
// trajectory as the original (one and two layers, taps and traces), while
// its new units carry signal; narrowing is refused.
func TestWidenHidden(t *testing.T) {
	in := []Input{{Name: "exc", Channels: []string{"e0"}}, {Name: "inh", Channels: []string{"i0"}}}
	cases := []struct {
		name string
		a    Arch
	}{
		{"one layer", Arch{Inputs: in, Kernel: 3, Conv: 6, Hidden: 8, Layers: 1, SampleDT: 0.5}},
		{"two layers, spike fed back", Arch{Inputs: in, Kernel: 3, Conv: 6, Hidden: 8, Layers: 2, SampleDT: 0.5, FeedSpike: true}},
		{"traces", Arch{Family: TraceFamily, TracesMS: []float64{0, 2, 8}, Inputs: in, Kernel: 2, Conv: 5, Hidden: 7, Layers: 1, SampleDT: 0.5}},
	}
	for _, c := range cases {
		m := testModel(t, c.a)
		H := c.a.Hidden
		w, err := m.WidenHidden(H+5, 1)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for name, sh := range w.Arch.Shapes() {
			if w.W[name] == nil || !equalShape(w.W[name].Shape, sh) {
				t.Fatalf("%s: %s: widened weight %v, architecture needs %v", c.name, name, w.W[name], sh)
			}
		}
		if w.Arch.Hidden != H+5 || m.Arch.Hidden != H {
			t.Fatalf("%s: widened to %d (original %d)", c.name, w.Arch.Hidden, m.Arch.Hidden)
		}
		// The widened model's new units: their largest state after each step.
		newState := 0.0
		maxDiff, _ := runStreams(m, w, 200, 3, func(sw *Stream) {
			for i := range sw.N {
				for _, h := range sw.Hidden(i)[H:] {
					newState = math.Max(newState, math.Abs(float64(h)))
				}
			}
		})
		// Measured equal; 4e-5 is a few float32 steps of Vm.
		if !(maxDiff <= 4e-5) {
			t.Errorf("%s: widened model differs by %g", c.name, maxDiff)
		}
		if !(newState > 0.01) {
			t.Errorf("%s: the new units' state stays at %g", c.name, newState)
		}
	}
	m := testModel(t, cases[0].a)
	if _, err := m.WidenHidden(4, 1); err == nil || !strings.Contains(err.Error(), "fewer") {
		t.Errorf("narrowing: %v", err)
	}
	if _, err := m.WidenHidden(5000, 1); err == nil || !strings.Contains(err.Error(), "hidden 5000") {
		t.Errorf("beyond the architecture's limit: %v", err)
	}
}
