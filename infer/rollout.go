package infer

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/infer/metrics"
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
	// Floor compares the reference with itself run on the input as the
	// model sees it (FloorInput): what any surrogate that sees the input
	// that way could reach at best; Binned is that run and FloorWhat says
	// what was done to the input.
	Floor     metrics.Report
	Binned    Trace
	FloorWhat string
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
	step := 0
	start := time.Now()
	err = sys.Run(tstopMS, func(s *biophys.System) {
		step++
		if step%per == 0 {
			tr.V = append(tr.V, s.V(0))
		}
		for _, sp := range s.Spikes() {
			tr.Spikes = append(tr.Spikes, sp.TimeMS)
		}
	})
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
	v, p := surrogate.Rollout(m, 1, steps, float32(c.VInit()), func(k int, dst []float32) {
		copy(dst, drive[k*nIn:(k+1)*nIn])
	})
	wall := time.Since(start)
	tr := Trace{SampleDT: m.Arch.SampleDT, V: make([]float64, len(v[0]))}
	for k, x := range v[0] {
		tr.V[k] = float64(x)
	}
	tr.Spikes = m.Readout.Spikes(p[0], m.Arch.SampleDT)
	return tr, p[0], wall, nil
}

// RolloutCell runs the surrogate free and the reference on the same events
// for tstopMS and compares them.
func RolloutCell(m *surrogate.Model, c *biophys.Cell, evs []biophys.Event, tstopMS, dtMS float64) (*CellResult, error) {
	if err := CheckModel(m, c, dtMS); err != nil {
		return nil, err
	}
	steps := int(math.Round(tstopMS / m.Arch.SampleDT))
	if steps < 1 {
		return nil, fmt.Errorf("--tstop %g ms is shorter than one sample (%g ms)", tstopMS, m.Arch.SampleDT)
	}
	tstop := float64(steps) * m.Arch.SampleDT
	ref, wallRef, err := Reference(c, evs, tstop, dtMS, m.Arch.SampleDT)
	if err != nil {
		return nil, err
	}
	sur, p, wallSur, err := Surrogate(m, c, evs, steps)
	if err != nil {
		return nil, err
	}
	seen, what := FloorInput(m, c, evs)
	binned, _, err := Reference(c, seen, tstop, dtMS, m.Arch.SampleDT)
	if err != nil {
		return nil, err
	}
	res := &CellResult{Ref: ref, Sur: sur, P: p, WallRef: wallRef, WallSur: wallSur, TstopMS: tstop, Steps: steps, Binned: binned, FloorWhat: what,
		Report: metrics.Compare(ref.V, sur.V, m.Arch.SampleDT, ref.Spikes, sur.Spikes, tstop),
		Floor:  metrics.Compare(ref.V, binned.V, m.Arch.SampleDT, ref.Spikes, binned.Spikes, tstop)}
	if tstop >= 20000 {
		ds := metrics.MeasureDrift(sur.V, m.Arch.SampleDT, sur.Spikes, 10000)
		dr := metrics.MeasureDrift(ref.V, m.Arch.SampleDT, ref.Spikes, 10000)
		res.DriftSur, res.DriftRef = &ds, &dr
	}
	return res, nil
}
