package train

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/surrogate"
)

// TestHearOwn checks that a model trained with Config.HearOwn hears, on
// the traces drawn, exactly what it would hear running free: its training
// pass on them computes the free rollout's spike probabilities, step for
// step, on both engines.
func TestHearOwn(t *testing.T) {
	a := surrogate.Arch{Inputs: []surrogate.Input{{Name: "a", Channels: []string{"a"}}, {Name: "b", Channels: []string{"b"}}}, Kernel: 3, Conv: 4, Hidden: 6, Layers: 1,
		SampleDT: 0.5, FeedSpike: true, InputDriven: true, HearsFired: true}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{20, 20}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.W[surrogate.WConvSpike].Data {
		m.W[surrogate.WConvSpike].Data[i] *= 8 // what it hears matters
	}
	const T, n = 300, 6
	rng := rand.New(rand.NewPCG(7, 7))
	var set []*series
	for i := 0; i < n; i++ {
		v, sp := make([]float32, T+1), make([]float32, T+1)
		in := [][]float32{make([]float32, T+1), make([]float32, T+1)}
		for k := range v {
			v[k] = -65
			for j := range in {
				if rng.Float64() < 0.15 {
					in[j][k] = float32(rng.Float64() * 0.1)
				}
			}
			if k%37 == 5 {
				sp[k] = 1
			}
		}
		set = append(set, newSeries(i, v, sp, in))
	}
	// A readout that fires often, its spikes reported 1 ms (2 bins) late.
	_, p0 := rollouts(m, set, -65)
	sorted := append([]float32(nil), p0[0]...)
	slices.Sort(sorted)
	m.Readout = surrogate.Readout{P: sorted[len(sorted)*9/10], RefractoryMS: 2, ShiftMS: 1}

	own := ownHeard(m, set, -65, 1, rand.New(rand.NewPCG(1, 1)), 2)
	_, pFree := rollouts(m, set, -65)
	heard := 0
	for i, h := range own {
		if len(h) != len(set[i].spike) {
			t.Fatalf("trace %d: %d bins heard for %d", i, len(h), len(set[i].spike))
		}
		for _, x := range h {
			heard += int(x)
		}
	}
	if heard < n {
		t.Fatalf("the readout fired %d spikes on %d traces: the test needs more", heard, n)
	}
	for _, engine := range []string{"unrolled", "gorgonia"} {
		cfg := DefaultConfig()
		cfg.Seq, cfg.Engine = T, engine
		f, err := newFeed(m, n, a, m.Norm, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		worst, moved := 0.0, 0.0
		for _, o := range [][][]float32{own, nil} {
			f.startBatch(set, -65, nil, o)
			f.fill(0, n, 0, rand.New(rand.NewPCG(1, 1)))
			if err := f.run(); err != nil {
				t.Fatal(err)
			}
			for k := 0; k < T; k++ {
				for i, l := range f.eng.Logit(k) {
					d := math.Abs(1/(1+math.Exp(-float64(l))) - float64(pFree[i][k]))
					if o != nil {
						worst = math.Max(worst, d)
					} else {
						moved = math.Max(moved, d)
					}
				}
			}
		}
		f.close()
		if worst > 1e-5 {
			t.Errorf("%s: hearing its own spikes, training's spike probability is up to %g from the free rollout's", engine, worst)
		}
		if moved < 1e-3 {
			t.Errorf("%s: hearing the reference's spikes instead changes the spike probability by only %g: the test cannot tell them apart", engine, moved)
		}
	}

	// A fraction of the traces, drawn anew each time.
	many := make([]*series, 40)
	for i := range many {
		many[i] = set[i%n]
	}
	picks := map[string]bool{}
	for seed := uint64(1); seed <= 3; seed++ {
		o := ownHeard(m, many, -65, 0.5, rand.New(rand.NewPCG(seed, 2)), 2)
		key, got := "", 0
		for _, h := range o {
			if h != nil {
				key += "1"
				got++
			} else {
				key += "0"
			}
		}
		if got < 10 || got > 30 {
			t.Errorf("--hear-own 0.5: %d of 40 traces hear their own spikes", got)
		}
		picks[key] = true
	}
	if len(picks) < 2 {
		t.Error("--hear-own 0.5 picks the same traces every time")
	}

	// Training with it learns, and both engines agree.
	dir := t.TempDir()
	trainHearing(t, dir, func(c *Config) { c.HearsFired, c.HearOwn = true, 0.5 }, func(a surrogate.Arch) bool { return a.HearsFired })
	for _, tc := range []struct {
		name  string
		fired bool
		own   float64
		want  string
	}{
		{"without --hear-fired", false, 0.5, "hear_own needs hears_fired"},
		{"above 1", true, 1.5, "hear_own 1.5"},
		{"negative", true, -0.1, "hear_own -0.1"},
	} {
		bad := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
		bad.InputDriven, bad.HearsFired, bad.HearOwn = true, tc.fired, tc.own
		if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--hear-own %s: %v", tc.name, err)
		}
	}
}
