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
	SplitValidation = "validation" // the traces its last run selected the model and calibrated its readout on
	SplitTest       = "test"       // the traces its last run held out altogether (train --test-frac)
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
// says which traces: SplitAll, or SplitTraining, SplitValidation or
// SplitTest of the split m's last training run made (which needs the data
// it trained on, folders in the same order; a model fine-tuned with --init
// may have trained on its validation or test traces before).
// maxTraces > 0 keeps that many of them, evenly spaced. progress, if not
// nil, is told after every batch. Figures that are not defined are NaN.
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
		return out, fmt.Errorf("the model was trained for another cell (%q) than the one of %s (%q; the cells differ)", m.Info["cell_name"], spec, meta.CellName)
	}
	if d := meta.SampleDtMS; math.Abs(m.Arch.SubDT()-d) > 1e-9*d {
		return out, fmt.Errorf("the model reads samples of %g ms (steps of %g ms in %d part(s)), %s is sampled every %g ms", m.Arch.SubDT(), m.Arch.SampleDT, m.Arch.Parts(), spec, d)
	}
	var idx []int
	switch split {
	case SplitAll:
		idx = make([]int, ds.NumTraces())
		for i := range idx {
			idx[i] = i
		}
	case SplitTraining, SplitValidation, SplitTest:
		if idx, err = modelSplit(ds, m, split); err != nil {
			return out, err
		}
	default:
		return out, fmt.Errorf("split %q: want %s, %s, %s or %s", split, SplitAll, SplitTraining, SplitValidation, SplitTest)
	}
	if maxTraces > 0 && len(idx) > maxTraces {
		idx = spaced(idx, maxTraces)
	}
	if len(idx) == 0 {
		return out, fmt.Errorf("%s: the model's last run set no %s traces apart in it", spec, split)
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
		addRollouts(&pool, set, v, readoutSpikes(p, m.Readout, m.Arch.SampleDT), m.Arch.SampleDT)
		if progress != nil {
			progress(at+len(set), len(idx))
		}
	}
	out.Report, out.Traces = pool.Report(), len(idx)
	return out, nil
}

// spaced keeps n of idx (n < len(idx)), evenly spaced from the first, so
// that every folder of a corpus has its share.
func spaced(idx []int, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = idx[i*len(idx)/n]
	}
	return out
}

// modelSplit redoes the split of m's last training run on ds (the data it
// trained on) and returns its training, validation or test traces.
func modelSplit(ds *corpus, m *surrogate.Model, which string) ([]int, error) {
	var stored struct {
		Validation []int `json:"validation"`
		Test       []int `json:"test"`
	}
	if err := json.Unmarshal([]byte(m.Info["split"]), &stored); err != nil || len(stored.Validation) == 0 {
		return nil, fmt.Errorf("the model has no split in its metadata (not made by train): score it on --split all")
	}
	var cfg Config
	if err := json.Unmarshal([]byte(m.Info["training"]), &cfg); err != nil {
		return nil, fmt.Errorf("the model's training settings (metadata \"training\") do not read: %v", err)
	}
	if !trainedOn(m, ds) {
		return nil, fmt.Errorf("the model was trained on other data than %s (settings differ; it was trained on %s): give those folders, in that order, or use --split all", ds.spec, cfg.Data)
	}
	n := ds.NumTraces()
	if cfg.MaxTraces > 0 {
		n = min(n, cfg.MaxTraces)
	}
	tr, val, test, err := (&run{cfg: cfg}).split(ds, n)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(val, stored.Validation) || !slices.Equal(test, stored.Test) {
		return nil, fmt.Errorf("the model's stored validation and test traces do not follow from its training settings (seed %d, validation %g, test %g) on %s: its metadata was changed, or the data", cfg.Seed, cfg.ValFrac, cfg.TestFrac, ds.spec)
	}
	switch which {
	case SplitValidation:
		return val, nil
	case SplitTest:
		return test, nil
	}
	return tr, nil
}

// trainedOn says whether ds may be the data m was trained on: the same
// dataset settings, folder by folder (a model that does not record them
// passes).
func trainedOn(m *surrogate.Model, ds *corpus) bool {
	if m.Info["dataset"] == "" {
		return true
	}
	st, err := json.Marshal(ds.Meta().Settings)
	return err == nil && m.Info["dataset"] == string(st) && m.Info[InfoMoreDatasets] == ds.moreSettings()
}
