package train

import (
	"encoding/json"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"neurosurrogate/biophys"
	"neurosurrogate/surrogate"
)

// OutputFit is what FitOutputs measured on the traces it fitted.
type OutputFit struct {
	Name   string
	Unit   string
	RMSE   float64 // of the free-running readout, in Unit
	EV     float64 // explained variance
	Traces int
	// Waveform is what FitWaveforms averaged for the output, if it did.
	Waveform *WaveformFit
}

// FitOutputs gives the model at modelPath readouts of the dataset's records
// names (generate --record): for each, the linear map from the model's last
// LSTM layer state after a step to the record at the next sample, fitted by
// least squares (a small ridge) on the free-running model over up to
// maxTraces of the dataset's traces, targets standardized. The model file
// is rewritten with its outputs (replacing earlier ones).
func FitOutputs(dataDir, modelPath string, names []string, maxTraces int) ([]OutputFit, error) {
	m, err := surrogate.Load(modelPath)
	if err != nil {
		return nil, err
	}
	if !m.HasHidden() {
		return nil, settingf("{outputs}: architecture family %s does not show its state to output readouts", m.Arch.FamilyName())
	}
	ds, err := openCorpus(dataDir)
	if err != nil {
		return nil, err
	}
	defer ds.Close()
	cell, err := ds.Meta().Cell()
	if err != nil {
		return nil, err
	}
	if h := m.Info["cell_hash"]; h != "" && h != cell.Hash() {
		return nil, fmt.Errorf("%s was trained for another cell than %s's", modelPath, dataDir)
	}
	cols, units, err := recordColumns(ds, dataDir, names, "outputs")
	if err != nil {
		return nil, err
	}
	nt := min(ds.NumTraces(), max(1, maxTraces))
	idx := make([]int, nt)
	for i := range idx {
		idx[i] = i
	}
	parts := m.Arch.Parts()
	set, err := load(ds, idx, m.Arch.Inputs, parts, cols)
	if err != nil {
		return nil, err
	}
	// Standardize the records (series.rec[o][k]) over the samples a state
	// predicts: from the second on.
	norm := standardize(set, len(names), 1)
	// Normal equations over x = [h, 1], batched rollouts of the traces.
	H := m.Arch.Hidden
	d := H + 1
	G := mat.NewSymDense(d, nil)
	rhs := mat.NewDense(d, len(names), nil)
	x := make([]float64, d)
	x[H] = 1
	const batch = 64
	vInit := float32(cell.VInit())
	for b0 := 0; b0 < nt; b0 += batch {
		sub := set[b0:min(nt, b0+batch)]
		rolloutsVisit(m, sub, vInit, func(k int, s *surrogate.Stream) {
			for i := range sub {
				h := s.Hidden(i)
				for j, v := range h {
					x[j] = float64(v)
				}
				for a := 0; a < d; a++ {
					for b := a; b < d; b++ {
						G.SetSym(a, b, G.At(a, b)+x[a]*x[b])
					}
				}
				for o := range names {
					y := (float64(sub[i].rec[o][k+1]) - norm[o].Mean) / norm[o].Scale
					for a := 0; a < d; a++ {
						rhs.Set(a, o, rhs.At(a, o)+x[a]*y)
					}
				}
			}
		})
	}
	tr := 0.0
	for a := 0; a < d; a++ {
		tr += G.At(a, a)
	}
	lambda := 1e-6 * tr / float64(d)
	for a := 0; a < H; a++ { // the bias is not shrunk
		G.SetSym(a, a, G.At(a, a)+lambda)
	}
	var ch mat.Cholesky
	if !ch.Factorize(G) {
		return nil, fmt.Errorf("outputs: the model's states are degenerate on this data (least squares has no solution)")
	}
	var w mat.Dense
	if err := ch.SolveTo(&w, rhs); err != nil {
		return nil, fmt.Errorf("outputs: %v", err)
	}
	st := ds.Meta().Settings
	prov, _ := json.Marshal(map[string]any{"traces": nt, "dataset_seed": st.Seed, "duration_ms": st.DurationMS, "sample_dt_ms": st.SampleDtMS,
		"records": names, "ridge": lambda, "method": "least squares on the free-running model's last LSTM state"})
	m.Info["outputs_fit"] = string(prov)
	delete(m.Info, "waveforms_fit") // new outputs have none
	m.Outputs = nil
	for o, n := range names {
		out := surrogate.Output{Name: n, Unit: units[o], Mean: norm[o].Mean, Scale: norm[o].Scale, W: make([]float32, H), B: float32(w.At(H, o))}
		for j := 0; j < H; j++ {
			out.W[j] = float32(w.At(j, o))
		}
		m.Outputs = append(m.Outputs, out)
	}
	// What the fit reaches, free-running, on the same traces.
	fits := make([]OutputFit, len(names))
	for o := range names {
		var se, s, s2, cnt float64
		for b0 := 0; b0 < nt; b0 += batch {
			sub := set[b0:min(nt, b0+batch)]
			rolloutsVisit(m, sub, vInit, func(k int, st *surrogate.Stream) {
				for i := range sub {
					y := float64(sub[i].rec[o][k+1])
					e := st.Output(m, i, o) - y
					se, s, s2, cnt = se+e*e, s+y, s2+y*y, cnt+1
				}
			})
		}
		v := s2/cnt - (s/cnt)*(s/cnt)
		fits[o] = OutputFit{Name: names[o], Unit: units[o], RMSE: math.Sqrt(se / cnt), EV: 1 - (se/cnt)/v, Traces: nt}
	}
	return fits, m.Save(modelPath)
}

// rolloutsVisit runs the traces of set free from rest, batched, and calls
// visit after every step k (the stream holds each cell's state then).
func rolloutsVisit(m *surrogate.Model, set []*series, vInit float32, visit func(k int, s *surrogate.Stream)) {
	steps := len(set[0].v) - 1
	nIn := len(m.Arch.Inputs)
	s := surrogate.NewStream(m, len(set), vInit)
	drive := make([]float32, len(set)*nIn)
	next := make([]int, len(set)*nIn)
	for k := 0; k < steps; k++ {
		clear(drive)
		for i, sr := range set {
			for j := 0; j < nIn; j++ {
				at, val := sr.input(j)
				if c := next[i*nIn+j]; c < len(at) && int(at[c]) == k {
					drive[i*nIn+j] = val[c]
					next[i*nIn+j]++
				}
			}
		}
		s.Step(drive)
		visit(k, s)
	}
}

// recordColumns finds the dataset's records (generate --record) of names,
// which it rewrites in the records' canonical form: their columns and units.
// flag names the setting in messages.
func recordColumns(ds *corpus, dataDir string, names []string, flag string) (cols []int, units []string, err error) {
	recs := ds.Meta().Records
	cols, units = make([]int, len(names)), make([]string, len(names))
	for i, n := range names {
		p, err := biophys.ParseProbe(n)
		if err != nil {
			return nil, nil, settingf("{"+flag+"}: %v", err)
		}
		cols[i] = -1
		for j, r := range recs {
			if r.Name == p.String() {
				cols[i], units[i] = j, r.Unit
			}
		}
		if cols[i] < 0 {
			var have []string
			for _, r := range recs {
				have = append(have, r.Name)
			}
			return nil, nil, settingf("{"+flag+"}: %s is not recorded in %s (it has %v; make the data with generate --record)", p, dataDir, have)
		}
		names[i] = p.String()
	}
	return cols, units, nil
}
