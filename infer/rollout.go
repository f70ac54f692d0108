package infer

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/infer/optical"
	"neurosurrogate/surrogate"
)

// CheckModel refuses a model that was not trained for this cell: its cell
// fingerprint must match and every input channel must be a synapse of the
// cell; the sample step must be a whole number of time steps dtMS.
func CheckModel(m *surrogate.Model, c *biophys.Cell, dtMS float64) error {
	if h := m.Info["cell_hash"]; h != "" && h != c.Hash() {
		return fmt.Errorf("model was trained for cell %q (fingerprint %.12s), not for %q (%.12s): use the cell description it was trained on",
			m.Info["cell_name"], h, c.Name, c.Hash())
	}
	if _, err := m.Arch.InputIndex(c.SynapseNames()); err != nil {
		return fmt.Errorf("model does not fit cell %q: %w", c.Name, err)
	}
	if _, _, err := m.Arch.SubIndex(c.SynapseNames()); err != nil {
		return fmt.Errorf("model does not fit cell %q: %w", c.Name, err)
	}
	if _, ok := StepsPerSample(m.Arch.SampleDT, dtMS); !ok {
		return fmt.Errorf("model sample step %g ms is not a whole number of time steps of %g ms", m.Arch.SampleDT, dtMS)
	}
	return nil
}

// StepsPerSample is sampleDT/dt when it is a whole number.
func StepsPerSample(sampleDT, dt float64) (int, bool) {
	r := sampleDT / dt
	n := int(math.Round(r))
	return n, n >= 1 && math.Abs(r-float64(n)) < 1e-9*r
}

// BinInputs sums event weights into the model's inputs per sample bin:
// bin k holds events with time in [k*sampleDT, (k+1)*sampleDT) (with
// sub-bins, the input of the sub-bin they fall in); a timing input sums
// weight × the event's offset from the (sub-)bin's middle
// (surrogate.Arch.Place). The result is steps x nInputs, row-major.
func BinInputs(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event, steps int) ([]float32, error) {
	which, timing, err := m.Arch.SubIndex(c.SynapseNames())
	if err != nil {
		return nil, err
	}
	nIn, nSyn := len(m.Arch.Inputs), len(c.Synapses)
	out := make([]float32, steps*nIn)
	for _, e := range evs {
		k, q, off := m.Arch.Place(e.TimeMS)
		if k < 0 || k >= steps || e.Syn < 0 || e.Syn >= nSyn {
			continue
		}
		if j := which[q][e.Syn]; j >= 0 {
			out[k*nIn+j] += float32(e.WeightUS)
		}
		if j := timing[q][e.Syn]; j >= 0 {
			out[k*nIn+j] += float32(e.WeightUS * off)
		}
	}
	return out, nil
}

// Trace is one run's output sampled every SampleDT: Vm at samples 0..n
// and spike times.
type Trace struct {
	SampleDT float64
	V        []float64
	Spikes   []float64
	// Fine is the reference's spike-site Vm at every time step (from t = 0),
	// kept for the spike-shape comparison of a model whose Vm output draws
	// action potentials (surrogate.Waveform); nil otherwise.
	Fine []float64
	// Out holds the model's outputs (surrogate.Model.Outputs) at samples
	// 0..n: the reference's recorded, or the surrogate's predicted (its
	// sample 0 is the reference's, the state it starts from).
	Out [][]float64
}

// OutputResult compares one output of the surrogate with the reference's.
type OutputResult struct {
	Name string  `json:"-"`
	Unit string  `json:"unit"`
	RMSE float64 `json:"rmse"`
	EV   float64 `json:"ev"`
}

// CellResult is a surrogate rollout beside the reference run.
type CellResult struct {
	Ref, Sur Trace
	P        []float32 // spike probability per bin
	Report   metrics.Report
	WallRef  time.Duration
	WallSur  time.Duration
	TstopMS  float64
	WarmupMS float64
	Steps    int
	// DriftSur and DriftRef compare the first and last 10 s of runs of at
	// least 20 s (nil for shorter runs).
	DriftSur, DriftRef *metrics.Drift
	// Outputs compare the model's extra outputs with the reference's, and
	// Optical the readouts built on them: voltage imaging of Vm (vimg),
	// and GCaMP6f fluorescence (gcamp) when an output is the spike site's
	// calcium.
	Outputs, Optical []OutputResult
	// Series are the outputs and optical readouts themselves.
	Series []Series
	// Shape compares the action potentials at matched spikes: in the
	// model's Vm, or in its Vm readout at the spike site when it has one.
	Shape SpikeShape
	// Floor compares the reference with itself run on the input as the
	// model sees it (FloorInput): what any surrogate that sees the input
	// that way could reach at best; Binned is that run and FloorWhat says
	// what was done to the input.
	Floor     metrics.Report
	Binned    Trace
	FloorWhat string
}

// compareOutputs measures each output and optical readout of series.
func compareOutputs(series []Series) (outs, opt []OutputResult) {
	for _, sr := range series {
		r := OutputResult{Name: sr.Name, Unit: sr.Unit}
		r.RMSE, r.EV = RMSEEV(sr.Ref, sr.Sur)
		if sr.Optical {
			opt = append(opt, r)
		} else {
			outs = append(outs, r)
		}
	}
	return outs, opt
}

// Series is one output of a rollout, reference beside surrogate.
type Series struct {
	Name, Unit string
	Optical    bool // a readout built on the outputs (vimg, gcamp)
	Ref, Sur   []float64
}

// OutputSeries lists a rollout's outputs over samples 1..n and the optical
// readouts over the whole run: voltage imaging of the spike-site Vm (vimg,
// a 15 Hz low-pass), and GCaMP6f fluorescence (gcamp) when an output is the
// spike site's calcium.
func OutputSeries(m *surrogate.Model, c *biophys.Cell, ref, sur Trace) []Series {
	var out []Series
	for j, o := range m.Outputs {
		out = append(out, Series{Name: o.Name, Unit: o.Unit, Ref: ref.Out[j][1:], Sur: sur.Out[j][1:]})
	}
	dt := ref.SampleDT
	if vr, err := optical.VoltageImaging(ref.V, dt, 15); err == nil {
		vs, _ := optical.VoltageImaging(sur.V, dt, 15)
		out = append(out, Series{Name: "vimg", Unit: "mV", Optical: true, Ref: vr, Sur: vs})
	}
	site := biophys.Probe{Name: "cai", At: *c.SpikeSite}
	for j, o := range m.Outputs {
		if pr, err := biophys.ParseProbe(o.Name); err != nil || pr.String() != site.String() {
			continue
		}
		caSur := append([]float64{ref.Out[j][0]}, sur.Out[j][1:]...)
		fr, err1 := optical.GCaMP6f.Fluorescence(ref.Out[j], dt, optical.Noise{})
		fs, err2 := optical.GCaMP6f.Fluorescence(caSur, dt, optical.Noise{})
		if err1 == nil && err2 == nil {
			out = append(out, Series{Name: "gcamp", Unit: "dF/F", Optical: true, Ref: fr, Sur: fs})
		}
	}
	return out
}

// RMSEEV is the RMSE of sur against ref and the variance of ref it
// explains (1 − var(sur − ref)/var(ref); NaN for a constant ref).
func RMSEEV(ref, sur []float64) (rmse, ev float64) {
	n := float64(len(ref))
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	var se, s, s2, d, d2 float64
	for k, r := range ref {
		e := sur[k] - r
		se += e * e
		d, d2 = d+e, d2+e*e
		s, s2 = s+r, s2+r*r
	}
	vr := s2/n - (s/n)*(s/n)
	ve := d2/n - (d/n)*(d/n)
	rmse = math.Sqrt(se / n)
	if vr > 0 {
		ev = 1 - ve/vr
	} else {
		ev = math.NaN()
	}
	return rmse, ev
}

// FloorInput is the input as model m sees it on cell c, and what was done
// to it: BinnedEvents, and for synapses with a timing input MergedEvents
// instead (the bin's summed weight and weighted mean time per synapse is
// what the plain and timing inputs carry); with sub-bins, per sub-bin.
func FloorInput(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event) ([]biophys.Event, string) {
	dt := m.Arch.SubDT()
	binned := fmt.Sprintf("input binned at %g ms", dt)
	timing, err := m.Arch.TimingIndex(c.SynapseNames())
	if err != nil || !slices.ContainsFunc(timing, func(j int) bool { return j >= 0 }) {
		return BinnedEvents(evs, dt), binned
	}
	var timed, plain []biophys.Event
	for _, e := range evs {
		if e.Syn >= 0 && e.Syn < len(timing) && timing[e.Syn] >= 0 {
			timed = append(timed, e)
		} else {
			plain = append(plain, e)
		}
	}
	merged := fmt.Sprintf("each synapse's events merged per %g ms bin at their mean time", dt)
	if slices.Contains(timing, -1) {
		merged += fmt.Sprintf(" (synapses without timing input: binned at %g ms)", dt)
	}
	out := append(MergedEvents(timed, dt), BinnedEvents(plain, dt)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS < out[j].TimeMS })
	return out, merged
}

// MergedEvents replaces the events of every synapse in every sampleDT bin
// by one event of their summed weight at their weight-averaged time, in
// time order: what a model with timing inputs (the summed weight, and
// the weight times the offset in the bin) knows of the input.
func MergedEvents(evs []biophys.Event, sampleDT float64) []biophys.Event {
	type key struct{ syn, k int }
	type acc struct{ w, wt float64 }
	sums := map[key]*acc{}
	var order []key
	for _, e := range evs {
		if !(e.WeightUS > 0) {
			continue // a zero weight does nothing
		}
		k := key{e.Syn, int(math.Floor(e.TimeMS / sampleDT))}
		a, ok := sums[k]
		if !ok {
			a = &acc{}
			sums[k] = a
			order = append(order, k)
		}
		a.w += e.WeightUS
		a.wt += e.WeightUS * e.TimeMS
	}
	out := make([]biophys.Event, 0, len(order))
	for _, k := range order {
		a := sums[k]
		// within the bin despite rounding
		t := math.Min(math.Max(a.wt/a.w, float64(k.k)*sampleDT), math.Nextafter(float64(k.k+1)*sampleDT, 0))
		out = append(out, biophys.Event{TimeMS: t, Syn: k.syn, WeightUS: a.w})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS < out[j].TimeMS })
	return out
}

// BinnedEvents moves every event to the middle of its sample bin: the
// input as a model stepping every sampleDT sees it.
func BinnedEvents(evs []biophys.Event, sampleDT float64) []biophys.Event {
	out := make([]biophys.Event, len(evs))
	for i, e := range evs {
		e.TimeMS = (math.Floor(e.TimeMS/sampleDT) + 0.5) * sampleDT
		out[i] = e
	}
	return out
}

// Reference runs the reference cell on events and samples its spike-site
// Vm every sampleDT.
func Reference(c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS, sampleDT float64) (Trace, time.Duration, error) {
	return ReferenceRecorded(c, evs, tstopMS, dtMS, sampleDT, nil)
}

// ReferenceRecorded is Reference that also samples probes (Trace.Out).
func ReferenceRecorded(c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS, sampleDT float64, probes []biophys.Probe) (Trace, time.Duration, error) {
	return referenceRun(c, evs, tstopMS, dtMS, sampleDT, probes, false, nil)
}

// referenceRun is ReferenceRecorded that keeps Trace.Fine if fine, and
// calls tick (if not nil) with the simulated time after every 100 ms of
// it, and at the end.
func referenceRun(c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS, sampleDT float64, probes []biophys.Probe, fine bool, tick func(ms float64)) (Trace, time.Duration, error) {
	per, ok := StepsPerSample(sampleDT, dtMS)
	if !ok {
		return Trace{}, 0, fmt.Errorf("sample step %g ms is not a whole number of time steps of %g ms", sampleDT, dtMS)
	}
	tm, err := biophys.Compile(c)
	if err != nil {
		return Trace{}, 0, err
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: tm}}, dtMS)
	if err != nil {
		return Trace{}, 0, err
	}
	sys.AddEvents(0, evs)
	tr := Trace{SampleDT: sampleDT, V: []float64{sys.V(0)}}
	if fine {
		tr.Fine = append(make([]float64, 0, int(math.Round(tstopMS/dtMS))+1), sys.V(0))
	}
	var rec *biophys.Recorder
	var row []float64
	sample := func() {
		if rec == nil {
			return
		}
		row = rec.Sample(row[:0])
		for j, x := range row {
			tr.Out[j] = append(tr.Out[j], x)
		}
	}
	if len(probes) > 0 {
		if rec, err = sys.Recorder(0, probes); err != nil {
			return Trace{}, 0, err
		}
		tr.Out = make([][]float64, len(probes))
		sample()
	}
	step := 0
	tickEvery := max(1, int(math.Round(100/dtMS)))
	start := time.Now()
	err = sys.Run(tstopMS, func(s *biophys.System) {
		step++
		if fine {
			tr.Fine = append(tr.Fine, s.V(0))
		}
		if step%per == 0 {
			tr.V = append(tr.V, s.V(0))
			sample()
		}
		if tick != nil && step%tickEvery == 0 {
			tick(float64(step) * dtMS)
		}
		for _, sp := range s.Spikes() {
			tr.Spikes = append(tr.Spikes, sp.TimeMS)
		}
	})
	if tick != nil && err == nil {
		tick(tstopMS)
	}
	return tr, time.Since(start), err
}

// Surrogate runs the model free from rest on the cell's events.
func Surrogate(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event, steps int) (Trace, []float32, time.Duration, error) {
	drive, err := BinInputs(m, c, evs, steps)
	if err != nil {
		return Trace{}, nil, 0, err
	}
	nIn := len(m.Arch.Inputs)
	start := time.Now()
	st := surrogate.NewStream(m, 1, float32(c.VInit()))
	tr := Trace{SampleDT: m.Arch.SampleDT, V: make([]float64, 1, steps+1)}
	tr.V[0] = float64(float32(c.VInit()))
	p := make([]float32, 0, steps)
	if len(m.Outputs) > 0 {
		tr.Out = make([][]float64, len(m.Outputs))
		for j := range tr.Out {
			tr.Out[j] = append(make([]float64, 0, steps+1), math.NaN()) // sample 0: the reference's
		}
	}
	outs := make([]float32, len(m.Outputs))
	for k := 0; k < steps; k++ {
		st.Step(drive[k*nIn : (k+1)*nIn])
		tr.V = append(tr.V, float64(st.V[0]))
		p = append(p, st.P[0])
		if len(outs) > 0 {
			st.OutputRows(m, outs) // as the network engine computes them
			for j, x := range outs {
				tr.Out[j] = append(tr.Out[j], float64(x))
			}
		}
	}
	wall := time.Since(start)
	tr.Spikes = m.Readout.Spikes(p, m.Arch.SampleDT)
	return tr, p, wall, nil
}

// DrawWaveforms draws every output's waveform (surrogate.Output.Waveform)
// into tr.Out at tr.Spikes: the outputs with action potentials.
func DrawWaveforms(m *surrogate.Model, tr *Trace) {
	for j, o := range m.Outputs {
		if o.Waveform != nil && j < len(tr.Out) {
			o.Waveform.Draw(tr.Out[j], tr.SampleDT, tr.Spikes)
		}
	}
}

// spikeSiteOutput is the index of m's output of Vm at c's spike site, -1
// without one.
func spikeSiteOutput(m *surrogate.Model, c *biophys.Cell) int {
	site := biophys.Probe{Name: "v", At: *c.SpikeSite}
	for j, o := range m.Outputs {
		if pr, err := biophys.ParseProbe(o.Name); err == nil && pr.String() == site.String() {
			return j
		}
	}
	return -1
}

// RolloutCell runs the surrogate free and the reference on the same events
// for tstopMS and compares them.
func RolloutCell(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS float64) (*CellResult, error) {
	return RolloutCellProgress(m, c, evs, tstopMS, dtMS, nil)
}

// RolloutCellProgress is RolloutCell that reports its progress: progress
// (if not nil) is called now and then with the reference time simulated
// so far and the total (the reference runs twice: on the events, then on
// the input as the model sees it), from the calling goroutine.
func RolloutCellProgress(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS float64, progress func(doneMS, totalMS float64)) (*CellResult, error) {
	if err := CheckModel(m, c, dtMS); err != nil {
		return nil, err
	}
	steps := int(math.Round(tstopMS / m.Arch.SampleDT))
	if steps < 1 {
		return nil, fmt.Errorf("--tstop %g ms is shorter than one sample (%g ms)", tstopMS, m.Arch.SampleDT)
	}
	tstop := float64(steps) * m.Arch.SampleDT
	var probes []biophys.Probe
	for _, o := range m.Outputs {
		pr, err := biophys.ParseProbe(o.Name)
		if err != nil {
			return nil, fmt.Errorf("model output %q: %v", o.Name, err)
		}
		probes = append(probes, pr)
	}
	var tick func(float64)
	if progress != nil {
		tick = func(ms float64) { progress(ms, 2*tstop) }
	}
	shapeOut := spikeSiteOutput(m, c)
	drawn := shapeOut >= 0 && m.Outputs[shapeOut].Waveform != nil
	ref, wallRef, err := referenceRun(c, evs, tstop, dtMS, m.Arch.SampleDT, probes, drawn, tick)
	if err != nil {
		return nil, err
	}
	sur, p, wallSur, err := Surrogate(m, c, evs, steps)
	if err != nil {
		return nil, err
	}
	seen, what := FloorInput(m, c, evs)
	if progress != nil {
		tick = func(ms float64) { progress(tstop+ms, 2*tstop) }
	}
	binned, _, err := referenceRun(c, seen, tstop, dtMS, m.Arch.SampleDT, nil, false, tick)
	if err != nil {
		return nil, err
	}
	// The spike shape: in the spike-site Vm output if the model has one
	// (with its waveform drawn at the simulation step when it has one),
	// else in the model's Vm.
	vs, name, shapeDT, refV := sur.V, "vm", m.Arch.SampleDT, ref.V
	if shapeOut >= 0 {
		vs, name = append([]float64{ref.V[0]}, sur.Out[shapeOut][1:]...), m.Outputs[shapeOut].Name
		if drawn {
			vs, shapeDT, refV = surrogate.Resample(vs, m.Arch.SampleDT, dtMS, len(ref.Fine)), dtMS, ref.Fine
			m.Outputs[shapeOut].Waveform.Draw(vs, dtMS, sur.Spikes)
		}
	}
	DrawWaveforms(m, &sur)
	res := &CellResult{Ref: ref, Sur: sur, P: p, WallRef: wallRef, WallSur: wallSur, TstopMS: tstop, Steps: steps, Binned: binned, FloorWhat: what,
		Report: metrics.Compare(ref.V, sur.V, m.Arch.SampleDT, ref.Spikes, sur.Spikes, tstop),
		Floor:  metrics.Compare(ref.V, binned.V, m.Arch.SampleDT, ref.Spikes, binned.Spikes, tstop)}
	if len(m.Outputs) > 0 {
		res.Series = OutputSeries(m, c, ref, sur)
		res.Outputs, res.Optical = compareOutputs(res.Series)
	}
	res.Shape = CompareSpikeShapes(refV, vs, shapeDT, ref.Spikes, sur.Spikes, name)
	if tstop >= 20000 {
		ds := metrics.MeasureDrift(sur.V, m.Arch.SampleDT, sur.Spikes, 10000)
		dr := metrics.MeasureDrift(ref.V, m.Arch.SampleDT, ref.Spikes, 10000)
		res.DriftSur, res.DriftRef = &ds, &dr
	}
	return res, nil
}
