package train

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/infer"
	"neurosurrogate/internal/parallel"
	"neurosurrogate/surrogate"
)

// The grid and classes of the waveforms FitWaveforms draws: from 1 ms
// before a spike to 5 ms after it at the simulation step, faded over
// 0.5 ms at each end, in three classes of ISI: within a burst (< 10 ms),
// 10–30 ms, and longer (or the first spike).
var (
	WaveformStartMS = -1.0
	WaveformSpanMS  = 6.0
	WaveformFadeMS  = 0.5
	WaveformISIsMS  = []float64{10, 30}
)

// waveformMinCount is the fewest spikes a class is averaged over; a class
// with fewer gets the mean of all spikes.
const waveformMinCount = 20

// WaveformFit is what FitWaveforms averaged for one output.
type WaveformFit struct {
	Name   string
	Counts []int  // spikes per ISI class
	Pooled []bool // classes too rare for their own shape (surrogate.Waveform)
	Traces int
	PeakMV float64 // the largest value of the last class's shape (first and isolated spikes)
}

// FitWaveforms gives the model at modelPath's outputs names (fitted
// before, FitOutputs) waveforms (surrogate.Waveform): their mean course
// around the reference's spikes, by ISI class, from the reference rerun
// at the simulation step on the input events of up to maxTraces of the
// dataset's traces (dataset.TraceEvents; traces with a current step are
// skipped). A rerun whose spikes differ from the stored trace's is an
// error (the data were made by another version). progress (if not nil)
// gets the traces done and the total. The model file is rewritten.
func FitWaveforms(dataDir, modelPath string, names []string, maxTraces int, progress func(done, total int)) ([]WaveformFit, error) {
	if strings.Contains(dataDir, ",") {
		return nil, settingf("{waveforms}: one dataset folder, not a list (%s)", dataDir)
	}
	m, err := surrogate.Load(modelPath)
	if err != nil {
		return nil, err
	}
	ds, err := dataset.Open(dataDir)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	meta := ds.Meta()
	cell, err := meta.Cell()
	if err != nil {
		return nil, err
	}
	if h := m.Info["cell_hash"]; h != "" && h != cell.Hash() {
		return nil, fmt.Errorf("%s was trained for another cell than %s's", modelPath, dataDir)
	}
	names = slices.Clone(names)
	outs := make([]int, len(names))
	probes := make([]biophys.Probe, len(names))
	for i, n := range names {
		p, err := biophys.ParseProbe(n)
		if err != nil {
			return nil, settingf("{waveforms}: %v", err)
		}
		probes[i], outs[i], names[i] = p, -1, p.String()
		var have []string
		for j, o := range m.Outputs {
			if o.Name == p.String() {
				outs[i] = j
			}
			have = append(have, o.Name)
		}
		if outs[i] < 0 {
			return nil, settingf("{waveforms}: %s is not an output of %s (it has %v; fit it with --outputs first)", p, modelPath, have)
		}
	}
	// The traces to rerun, without their input and record columns (the
	// inputs are rebuilt from the seeds; only the params and spikes count).
	var sel []*dataset.Trace
	for i := 0; i < ds.NumTraces() && len(sel) < max(1, maxTraces); i++ {
		tr, err := ds.Trace(i)
		if err != nil {
			return nil, err
		}
		if tr.StepAmpNA == 0 {
			tr.Drive, tr.Rec, tr.V = nil, nil, nil
			sel = append(sel, tr)
		}
	}
	if len(sel) == 0 {
		return nil, settingf("{waveforms}: %s has no trace without a current step", dataDir)
	}
	st := &meta.Settings
	type run struct {
		rec    [][]float64
		spikes []float64
		err    error
	}
	runs := make([]run, len(sel))
	parallel.Do(len(sel), 0, func(r int) {
		runs[r].rec, runs[r].spikes, runs[r].err = rerun(st, cell, sel[r], probes)
	}, progress)
	spikes := make([][]float64, len(runs))
	for r := range runs {
		if runs[r].err != nil {
			return nil, runs[r].err
		}
		spikes[r] = runs[r].spikes
	}
	prov, _ := json.Marshal(map[string]any{"traces": len(runs), "dataset_seed": st.Seed, "duration_ms": st.DurationMS, "dt_ms": st.DtMS,
		"outputs": names, "isi_edges_ms": WaveformISIsMS, "method": "mean of the reference rerun at its time step around its spikes, by ISI class"})
	m.Info["waveforms_fit"] = string(prov)
	fits := make([]WaveformFit, len(names))
	for i, n := range names {
		traces := make([][]float64, len(runs))
		for r := range runs {
			traces[r] = runs[r].rec[i]
		}
		w, err := surrogate.FitWaveform(traces, st.DtMS, spikes, WaveformStartMS, st.DtMS, WaveformSpanMS, WaveformFadeMS, WaveformISIsMS, waveformMinCount)
		if err != nil {
			return nil, fmt.Errorf("waveform of %s: %v", n, err)
		}
		m.Outputs[outs[i]].Waveform = w
		fits[i] = WaveformFit{Name: m.Outputs[outs[i]].Name, Counts: w.Counts, Pooled: w.Pooled, Traces: len(runs), PeakMV: slices.Max(w.Shapes[len(w.Shapes)-1])}
	}
	return fits, m.Save(modelPath)
}

// rerun simulates dataset trace tr's inputs with the reference, recording
// probes at every time step, and checks its spikes against the stored ones.
func rerun(st *dataset.Settings, cell *biophys.Cell, tr *dataset.Trace, probes []biophys.Probe) ([][]float64, []float64, error) {
	evs := dataset.TraceEvents(st, cell, tr.Index, tr.Params)
	ref, _, err := infer.ReferenceRecorded(cell, evs, st.DurationMS, st.DtMS, st.DtMS, probes)
	if err != nil {
		return nil, nil, fmt.Errorf("trace %d: %v", tr.Index, err)
	}
	// The rerun's spikes, binned as the dataset bins them (by the time step
	// that ends at the spike: steps k·per+1 to (k+1)·per make sample k),
	// must be the stored ones.
	per := int(math.Round(st.SampleDtMS / st.DtMS))
	rerunBins := make([]uint8, len(tr.Spike))
	for _, t := range ref.Spikes {
		if k := (int(math.Round(t/st.DtMS)) - 1) / per; k >= 0 && k < len(rerunBins) {
			rerunBins[k]++
		}
	}
	for k, n := range tr.Spike {
		if n != rerunBins[k] {
			return nil, nil, fmt.Errorf("trace %d: the reference rerun on its inputs has %d spikes in (%g, %g] ms, the dataset %d (made by another version?)",
				tr.Index, rerunBins[k], float64(k)*st.SampleDtMS, float64(k+1)*st.SampleDtMS, n)
		}
	}
	return ref.Out, ref.Spikes, nil
}
