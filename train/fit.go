package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
)

// The trace sets ScoreData can score.
const (
	SplitAll        = "all"        // every trace of the data
	SplitTraining   = "training"   // the traces the model's last run trained on
	SplitValidation = "validation" // the traces its last run selected and calibrated on
)

// scoreBatch is how many traces ScoreData rolls out at once (memory).
var scoreBatch = 256

// DataScore is a model's fit to a dataset's stored reference traces.
type DataScore struct {
	metrics.Report
	Traces int    `json:"traces"`
	Split  string `json:"split"`
}

// ScoreData runs model m free from rest on traces of the dataset folders
// of spec (DIR[,DIR...]) and pools its metrics against their stored
// reference Vm and spikes, without simulating the reference again. split
// says which traces: SplitAll, or SplitTraining or SplitValidation of the
// split m's last training run made (which needs the data it trained on,
// folders in the same order). maxTraces > 0 keeps only the first
// maxTraces of them. progress, if not nil, is told after every batch.
// Scoring the training traces beside held-out ones tells overfitting
// (a gap) from a model that cannot fit its data (none).
func ScoreData(spec string, m *surrogate.Model, split string, maxTraces int, progress func(done, total int)) (DataScore, error) {
	out := DataScore{Split: split}
	if maxTraces < 0 {
		return out, fmt.Errorf("max traces %d: want 0 (all) or more", maxTraces)
	}
	ds, err := openCorpus(spec)
	if err != nil {
		return out, err
	}
	defer ds.Close()
	meta := ds.Meta()
	cell, err := meta.Cell()
	if err != nil {
		return out, err
	}
	if h := m.Info["cell_hash"]; h != "" && h != cell.Hash() {
		return out, fmt.Errorf("the model was trained for another cell than %s's (%s)", spec, meta.CellName)
	}
	if d := meta.SampleDtMS; math.Abs(m.Arch.SubDT()-d) > 1e-9*d {
		return out, fmt.Errorf("the model steps %g ms (in %d part(s)), %s is sampled every %g ms", m.Arch.SampleDT, m.Arch.Parts(), spec, d)
	}
	var idx []int
	switch split {
	case SplitAll:
		idx = make([]int, ds.NumTraces())
		for i := range idx {
			idx[i] = i
		}
	case SplitTraining, SplitValidation:
		if idx, err = modelSplit(ds, m, split); err != nil {
			return out, err
		}
	default:
		return out, fmt.Errorf("split %q: want %s, %s or %s", split, SplitAll, SplitTraining, SplitValidation)
	}
	if maxTraces > 0 && len(idx) > maxTraces {
		idx = idx[:maxTraces]
	}
	if len(idx) == 0 {
		return out, fmt.Errorf("%s: no %s traces to score", spec, split)
	}
	vInit := float32(cell.VInit())
	var pool metrics.Pool
	if progress != nil {
		progress(0, len(idx))
	}
	for at := 0; at < len(idx); at += scoreBatch {
		set, err := load(ds, idx[at:min(at+scoreBatch, len(idx))], m.Arch.Inputs, m.Arch.Parts(), nil)
		if err != nil {
			return out, err
		}
		v, p := rollouts(m, set, vInit)
		dt := m.Arch.SampleDT
		sp := readoutSpikes(p, m.Readout, dt)
		for i, s := range set {
			pool.Add(seriesRef(s, dt, v[i], sp[i]))
		}
		if progress != nil {
			progress(at+len(set), len(idx))
		}
	}
	out.Report, out.Traces = pool.Report(), len(idx)
	return out, nil
}

// seriesRef gives the arguments of metrics.Pool.Add for a rollout (Vm v,
// spike times sur) of series s: reference and surrogate Vm, the sample
// step, the reference spikes at their bins' middles, the surrogate's, and
// the duration.
func seriesRef(s *series, dt float64, v []float32, sur []float64) (ref, out []float64, sampleDT float64, refSp, surSp []float64, durMS float64) {
	ref, out = make([]float64, len(s.v)), make([]float64, len(s.v))
	for k := range s.v {
		ref[k], out[k] = float64(s.v[k]), float64(v[k])
		if k < len(s.spike) && s.spike[k] > 0 {
			refSp = append(refSp, (float64(k)+0.5)*dt)
		}
	}
	return ref, out, dt, refSp, sur, float64(len(s.v)-1) * dt
}

// modelSplit redoes the split of m's last training run on ds (the data it
// trained on) and returns its training or validation traces.
func modelSplit(ds *corpus, m *surrogate.Model, which string) ([]int, error) {
	var stored struct {
		Validation []int `json:"validation"`
	}
	if err := json.Unmarshal([]byte(m.Info["split"]), &stored); err != nil || len(stored.Validation) == 0 {
		return nil, fmt.Errorf("the model has no split in its metadata (not made by train): score it on --split all")
	}
	if st, err := json.Marshal(ds.Meta().Settings); err != nil || m.Info["dataset"] != string(st) || m.Info[InfoMoreDatasets] != ds.moreSettings() {
		return nil, fmt.Errorf("the model was trained on other data than %s (settings differ): give the folders it was trained on, in the same order, or use --split all", ds.spec)
	}
	if which == SplitValidation {
		return stored.Validation, nil
	}
	var cfg Config
	if err := json.Unmarshal([]byte(m.Info["training"]), &cfg); err != nil {
		return nil, fmt.Errorf("the model's training settings do not read: %v", err)
	}
	n := ds.NumTraces()
	if cfg.MaxTraces > 0 {
		n = min(n, cfg.MaxTraces)
	}
	tr, val, _, err := ds.split(n, cfg.Seed, cfg.ValFrac, cfg.TestFrac)
	if err != nil {
		return nil, err
	}
	if len(val) < len(stored.Validation) || !slices.Equal(val[:len(stored.Validation)], stored.Validation) {
		return nil, fmt.Errorf("the split of %s does not reproduce the model's validation traces: give the folders it was trained on, in the same order", ds.spec)
	}
	return tr, nil
}
