package train

import (
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// TestPSPDelays: on a ball-and-stick cell with excitatory synapses near the
// soma, mid-dendrite and at its tip, the measured half-rise times grow with
// distance, the nearest gets no delay and the tip the longest; the somatic
// inhibitory synapse is fitted (not measured) and gets none; a grouped
// input gets its channels' mean.
func TestPSPDelays(t *testing.T) {
	data, err := os.ReadFile("../artifacts/cells/ballstick.json")
	if err != nil {
		t.Fatal(err)
	}
	js := strings.Replace(string(data), `{"name": "exc", "kind": "ExpSyn", "section": "dend", "x": 0.5`,
		`{"name": "exc_near", "kind": "ExpSyn", "section": "dend", "x": 0.02, "params": {"tau": 2, "e": 0}},
		 {"name": "exc_tip", "kind": "ExpSyn", "section": "dend", "x": 1, "params": {"tau": 2, "e": 0}},
		 {"name": "exc_mid", "kind": "ExpSyn", "section": "dend", "x": 0.5`, 1)
	cell, err := biophys.ParseCell("ballstick3.json", []byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if len(cell.Synapses) != 4 {
		t.Fatalf("test cell: %d synapses (the ballstick JSON changed?)", len(cell.Synapses))
	}
	in := func(name string, ch ...string) surrogate.Input { return surrogate.Input{Name: name, Channels: ch} }
	inputs := []surrogate.Input{in("exc_near", "exc_near"), in("exc_mid", "exc_mid"), in("exc_tip", "exc_tip"), in("inh", "inh"), in("ends", "exc_near", "exc_tip")}
	const dt = 0.1
	got, err := PSPDelays(cell, inputs, dt, 2)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]SynapseDelay{}
	for _, d := range got {
		by[d.Synapse] = d
	}
	near, mid, tip, inh := by["exc_near"], by["exc_mid"], by["exc_tip"], by["inh"]
	if near.Fitted || mid.Fitted || tip.Fitted || !inh.Fitted {
		t.Errorf("measured/fitted wrong: %+v", got)
	}
	if !(near.HalfRiseMS > 0 && near.HalfRiseMS < mid.HalfRiseMS && mid.HalfRiseMS < tip.HalfRiseMS) || !(near.DistanceUM < mid.DistanceUM && mid.DistanceUM < tip.DistanceUM) {
		t.Errorf("half-rise times do not grow with distance: %+v", got)
	}
	if inputs[0].DelaySteps != 0 || inputs[3].DelaySteps != 0 || !(inputs[1].DelaySteps > 0 && inputs[2].DelaySteps > inputs[1].DelaySteps) {
		t.Errorf("delays %d %d %d %d (near, mid, tip, inh)", inputs[0].DelaySteps, inputs[1].DelaySteps, inputs[2].DelaySteps, inputs[3].DelaySteps)
	}
	want := (tip.HalfRiseMS - near.HalfRiseMS) / 2 / dt
	if d := float64(inputs[4].DelaySteps); d < want-0.5 || d > want+0.5 {
		t.Errorf("grouped input: delay %v, want the mean %v", d, want)
	}
	t.Logf("half-rise near %.2f mid %.2f tip %.2f ms; delays %d %d %d", near.HalfRiseMS, mid.HalfRiseMS, tip.HalfRiseMS, inputs[0].DelaySteps, inputs[1].DelaySteps, inputs[2].DelaySteps)
}

// TestFeedDelays: the training graph's unfolded input holds each input
// delayed by its DelaySteps, as Stream delays it at inference.
func TestFeedDelays(t *testing.T) {
	a := surrogate.Arch{Inputs: []surrogate.Input{{Name: "a", Channels: []string{"a"}}, {Name: "b", Channels: []string{"b"}, DelaySteps: 3}},
		Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, SampleDT: 0.5}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{2, 5}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const T = 12
	v, in := make([]float32, T+1), [][]float32{make([]float32, T+1), make([]float32, T+1)}
	for k := range v {
		v[k] = -65
		in[0][k] = float32(k + 1)
		in[1][k] = float32(100 + k)
	}
	s := newSeries(0, v, make([]float32, T+1), in)
	cfg := DefaultConfig()
	cfg.Feedback, cfg.Seq = "teacher", T
	f, err := newFeed(m, 1, a, m.Norm, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.startBatch([]*series{s}, -65, nil, nil)
	f.fill(0, 1, 0, rand.New(rand.NewPCG(1, 1)))
	for k := 0; k < T; k++ {
		for lag := 0; lag < a.Kernel; lag++ {
			for j, inp := range a.Inputs {
				want := float32(0)
				if src := k - lag - inp.DelaySteps; src >= 0 {
					want = in[j][src] * m.Norm.InputScale[j]
				}
				if got := f.dunf[k*a.Kernel*2+lag*2+j]; got != want {
					t.Fatalf("sample %d lag %d input %d: %v, want %v", k, lag, j, got, want)
				}
			}
		}
	}
}

// TestFeedSpikeVmWindow: Vm errors within --spike-vm-window of a reference
// spike get --spike-vm-weight, the others weight 1 (before the common
// normalization), for windows on and off the sample grid.
func TestFeedSpikeVmWindow(t *testing.T) {
	a := surrogate.Arch{Inputs: []surrogate.Input{{Name: "a", Channels: []string{"a"}}}, Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, SampleDT: 0.5}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{1}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const T, spikeAt = 40, 20
	s := newSeries(0, make([]float32, T+1), make([]float32, T+1), [][]float32{make([]float32, T+1)})
	s.spike[spikeAt] = 1
	for _, tc := range []struct {
		windowMS float64
		near     int // samples either side that get the spike weight
	}{{2, 4}, {5, 10}, {0.5, 1}, {1.2, 3}} {
		cfg := DefaultConfig()
		cfg.SpikeVmWeight, cfg.SpikeVmWindowMS, cfg.Seq = 0.2, tc.windowMS, T
		f, err := newFeed(m, 1, a, m.Norm, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.startBatch([]*series{s}, -65, nil, nil)
		f.fill(0, 1, 0, rand.New(rand.NewPCG(1, 1)))
		unit := f.wv[0] // sample 0 is far from the spike: weight 1
		for k := 0; k < T; k++ {
			want := unit
			if d := k - spikeAt; d >= -tc.near && d <= tc.near {
				want = 0.2 * unit
			}
			if math.Abs(float64(f.wv[k]-want)) > 1e-7 {
				t.Fatalf("window %g ms, sample %d (spike at %d): weight %g, want %g", tc.windowMS, k, spikeAt, f.wv[k], want)
			}
		}
	}
}

// TestFeedTraces: a trace-lstm's training input holds each input's traces
// (column m·nIn + j), the sum over the samples before of the decayed input,
// carried across chunks and restarted with each batch.
func TestFeedTraces(t *testing.T) {
	a := surrogate.Arch{Family: surrogate.TraceFamily, TracesMS: []float64{0, 1, 6}, Inputs: []surrogate.Input{{Name: "a", Channels: []string{"a"}}, {Name: "b", Channels: []string{"b"}}},
		Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, SampleDT: 0.5}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{2, 5}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const T, n = 5, 13 // chunks of 5 over a 13-sample series: the last chunk runs past its end
	v, in := make([]float32, n), [][]float32{make([]float32, n), make([]float32, n)}
	for k := range v {
		v[k] = -65
		if k%3 == 0 {
			in[0][k] = float32(k + 1)
		}
		in[1][k] = 0.5 * float32(k%2)
	}
	s := newSeries(0, v, make([]float32, n), in)
	cfg := DefaultConfig()
	cfg.Feedback, cfg.Seq = "teacher", T
	f, err := newFeed(m, 1, a, m.Norm, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	M, nIn := len(a.TracesMS), len(a.Inputs)
	for batch := 0; batch < 2; batch++ {
		f.startBatch([]*series{s}, -65, nil, nil)
		for k0 := 0; k0 < n; k0 += T {
			f.fill(k0, 1, 0, rand.New(rand.NewPCG(1, 1)))
			for t0 := 0; t0 < T; t0++ {
				k := k0 + t0
				for mi, tau := range a.TracesMS {
					for j := 0; j < nIn; j++ {
						want := 0.0
						for src := 0; src <= min(k, n-1); src++ {
							if tau > 0 || src == k {
								want += math.Exp(-float64(k-src)*a.SampleDT/max(tau, 1e-300)) * float64(in[j][src]*m.Norm.InputScale[j])
							}
						}
						if got := f.dunf[t0*M*nIn+mi*nIn+j]; math.Abs(float64(got)-want) > 1e-5*max(1, math.Abs(want)) {
							t.Fatalf("batch %d sample %d trace %g ms input %d: %v, want %v", batch, k, tau, j, got, want)
						}
					}
				}
			}
		}
	}
}

// dense is input j of the series as one value per sample.
func (s *series) dense(j int) []float32 {
	x := make([]float32, len(s.v))
	at, val := s.input(j)
	for i, k := range at {
		x[k] = val[i]
	}
	return x
}
