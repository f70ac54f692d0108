package train

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/surrogate"
)

// TestFeedTargets: a chunk's training-head targets are the records at the
// next sample (the one Vm is predicted for), standardized, weighted
// TargetWeight over the batch's samples, and zero past a trace's end.
func TestFeedTargets(t *testing.T) {
	m := oneInputModel(t, surrogate.Arch{Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, AuxHeads: 2})
	a := m.Arch
	const n, T = 7, 5
	var set []*series
	for b := range 2 {
		v := make([]float32, n)
		s := newSeries(b, v, make([]float32, n), [][]float32{make([]float32, n)})
		for o := range 2 {
			y := make([]float32, n)
			for k := range y {
				y[k] = float32(100*o + 10*b + k)
			}
			s.rec = append(s.rec, y)
		}
		set = append(set, s)
	}
	norm := standardize(set, 2, 0)
	if !(math.Abs(norm[1].Mean-(100+5+3)) < 1e-9) {
		t.Errorf("mean of target 1 %v, want 108", norm[1].Mean)
	}
	cfg := DefaultConfig()
	cfg.Seq, cfg.TargetWeight = T, 0.5
	f, err := newFeed(m, 2, a, m.Norm, cfg, norm)
	if err != nil {
		t.Fatal(err)
	}
	f.startBatch(set, -65, nil, nil)
	f.fill(3, 2, 0, nil) // samples 3..7: the targets of 3..5 are samples 4..6, then past the end
	for tt := range T {
		for b := range 2 {
			for o := range 2 {
				i := (tt*2+b)*2 + o
				k := 3 + tt + 1
				want, wantW := float32(0), float32(0)
				if k < n {
					want = float32((float64(100*o+10*b+k) - norm[o].Mean) / norm[o].Scale)
					wantW = 0.5 / float32(2*T)
				}
				if math.Abs(float64(f.aux[i]-want)) > 1e-6 || f.wa[i] != wantW {
					t.Errorf("step %d cell %d target %d: %v weight %v, want %v weight %v", tt, b, o, f.aux[i], f.wa[i], want, wantW)
				}
			}
		}
	}
	if _, err := newFeed(m, 2, a, m.Norm, cfg, norm[:1]); err == nil {
		t.Error("a feed with fewer targets than heads")
	}
}

// TestTrainTargets trains a model whose state also learns the sodium and
// potassium currents: the heads' part of the loss falls, both engines
// train the same weights, and the model written has no heads left.
func TestTrainTargets(t *testing.T) {
	dir := t.TempDir()
	cell, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if _, err := dataset.Generate(context.Background(), data, dataset.Config{Cell: cell, Traces: 16, DurationMS: 300, DtMS: 0.025, SampleDtMS: 0.5,
		Seed: 3, Shards: 1, Record: []string{"ina@soma", "ik@soma"}}); err != nil {
		t.Fatal(err)
	}
	trained := map[string]*surrogate.Model{}
	for _, engine := range []string{"unrolled", "gorgonia"} {
		cfg := tinyConfig(t, filepath.Join(dir, engine+".safetensors"))
		cfg.Data, cfg.Engine, cfg.Epochs, cfg.Patience = data, engine, 4, 0
		cfg.Targets, cfg.TargetWeight = []string{"ina@soma", "ik@soma(0.5)"}, 1
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		h := res.History
		aux := func(r EpochRecord) float64 { return r.TrainLoss - r.LossV - r.LossS }
		if len(h) != 4 || !(aux(h[0]) > 0.05) || !(aux(h[3]) < 0.9*aux(h[0])) {
			t.Errorf("%s: the heads' loss did not fall: %.4f to %.4f", engine, aux(h[0]), aux(h[len(h)-1]))
		}
		m, err := surrogate.Load(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Arch.AuxHeads != 0 || m.W[surrogate.WHeadAux] != nil || res.Model.Arch.AuxHeads != 0 || res.Params != m.Arch.ParamCount() {
			t.Errorf("%s: the written model keeps training heads (%d)", engine, m.Arch.AuxHeads)
		}
		if !strings.Contains(m.Info["training"], `"targets":["ina@soma(0.5)","ik@soma(0.5)"]`) {
			t.Errorf("%s: the training record does not name the targets: %s", engine, m.Info["training"])
		}
		trained[engine] = m
	}
	if worst := maxWeightDiff(trained["gorgonia"], trained["unrolled"]); !(worst <= 1e-4) {
		t.Errorf("engines' weights differ by up to %g", worst)
	}
	// Starting from that model, fresh heads are drawn and dropped again.
	again := tinyConfig(t, filepath.Join(dir, "again.safetensors"))
	again.Data, again.Init, again.Epochs = data, filepath.Join(dir, "unrolled.safetensors"), 1
	again.Targets, again.TargetWeight = []string{"ik@soma"}, 2
	if _, err := Run(context.Background(), again, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := surrogate.Load(again.Out); err != nil || m.Arch.AuxHeads != 0 {
		t.Errorf("--init with targets: %v", err)
	}

	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"targets without weight", func(c *Config) { c.TargetWeight = 0 }, "target_weight 0"},
		{"weight without targets", func(c *Config) { c.Targets = nil }, "targets [] with"},
		{"negative weight", func(c *Config) { c.TargetWeight = -1 }, "target_weight -1"},
		{"not recorded", func(c *Config) { c.Targets = []string{"cai@soma"} }, "cai@soma(0.5) is not recorded"},
		{"not a probe", func(c *Config) { c.Targets = []string{"v@"} }, "targets: "},
		{"too many", func(c *Config) { c.Targets = slices.Repeat([]string{"ik@soma"}, surrogate.MaxAuxHeads+1) }, "at most"},
	} {
		cfg := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
		cfg.Data, cfg.Targets, cfg.TargetWeight = data, []string{"ik@soma"}, 1
		tc.mod(&cfg)
		_, err := Run(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
		}
	}
}

// TestSoftSpikeTargets: with SpikeSmoothMS a chunk's spike targets are a
// Gaussian of the distance to the nearest spike (to 3σ), and their weights
// grow with them from SpikeWeight to SpikePosWeight; without it, 0/1.
func TestSoftSpikeTargets(t *testing.T) {
	a := surrogate.Arch{Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}}, Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, SampleDT: 0.5}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{1}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 30
	spike := make([]float32, n)
	spike[10], spike[13] = 1, 1
	s := newSeries(0, make([]float32, n), spike, [][]float32{make([]float32, n)})
	for _, sigma := range []float64{0, 1} {
		cfg := DefaultConfig()
		cfg.Seq, cfg.SpikeSmoothMS, cfg.SpikeWeight, cfg.SpikePosWeight = n-1, sigma, 1, 5
		f, err := newFeed(m, 1, a, m.Norm, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		f.startBatch([]*series{s}, -65, nil, nil)
		f.fill(0, 1, 0, nil)
		for k := 0; k < n-1; k++ {
			want := float64(spike[k])
			if sigma > 0 {
				d := math.Min(math.Abs(float64(k-10)), math.Abs(float64(k-13))) * a.SampleDT
				want = 0
				if d <= 3*sigma {
					want = math.Exp(-d * d / (2 * sigma * sigma))
				}
			}
			wantW := (1 + 4*want) / float64(n-1)
			if math.Abs(float64(f.y[k])-want) > 1e-6 || math.Abs(float64(f.ws[k])-wantW) > 1e-6 {
				t.Errorf("σ %g, sample %d: target %v weight %v, want %v weight %v", sigma, k, f.y[k], f.ws[k], want, wantW)
			}
		}
	}
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.SpikeSmoothMS = -1
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "spike_smooth_ms -1") {
		t.Errorf("negative smoothing: %v", err)
	}
}
