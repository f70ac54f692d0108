package surrogate

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"neurosurrogate/internal/cpu"
)

// TraceFamily is the trace-LSTM family: the CNN-LSTM with its input taps
// replaced by exponential traces. Every input j is heard through one trace
// per time constant τm of Arch.TracesMS,
//
//	e_jm(t) = d_m·e_jm(t−1) + x_j(t),   d_m = exp(−SampleDT/τm)  (0 for τm = 0)
//
// where x_j is the normalized input; the traces start at 0 (rest). A
// learned layer mixes [traces, Vm history, spike history, 1] into Conv
// channels (the CNN-LSTM's convolution, its input rows now reading traces:
// WConvInputs is len(TracesMS)·nIn x Conv, row m·nIn + j), then the LSTM
// and heads as in the CNN-LSTM. A sum of exponentials per synapse can
// shape a PSP that peaks 5–30 ms after its event, where 8 taps hear 4 ms,
// at a cost per step that does not grow with the time constants: the
// inference pass keeps one mixed vector per trace and cell (decayed every
// step, an input event adds its weights), the idea of the ELM neuron
// (Spieler et al. 2024), with fixed time constants.
//
// The traces are a fixed linear filter of the inputs, outside the learned
// graph: training chunks carry them in Chunk.DUnf (column m·nIn + j), so
// the CNN-LSTM's engines train the family unchanged.
const TraceFamily = "trace-lstm"

// TraceFloor is the magnitude below which a decaying trace (or its mixed
// part in the stream) becomes 0: float32 subnormals, which a trace reaches
// some hundred steps after its last input, are many times slower to
// compute with. Values this small (inputs are of order 1) change nothing
// else.
const TraceFloor = 1e-30

// FlushEvery is how often (steps) the stream and the training feed set
// traces below their floor (TraceFloors) to 0: a check at every step costs
// more than the subnormals it avoids.
const FlushEvery = 32

// TraceFloors are the traces' flush thresholds: TraceFloor, or higher for
// a fast decay d, so that FlushEvery steps of decay from the threshold stay
// above the smallest normal float32 (1.18e-38).
func TraceFloors(decays []float32) []float32 {
	f := make([]float32, len(decays))
	for m, d := range decays {
		f[m] = TraceFloor
		if d > 0 {
			f[m] = float32(max(TraceFloor, 1.2e-38/math.Pow(float64(d), FlushEvery)))
		}
	}
	return f
}

// MaxTraceMS bounds a trace's time constant.
const MaxTraceMS = 1000

func init() {
	RegisterFamily(TraceFamily, traceLSTM{})
	RegisterEngine(TraceFamily, "unrolled", func(m *Model, B, T int) (Engine, error) { return NewUnrolled(m, B, T) })
}

// traceLSTM is the trace-LSTM family (TraceFamily): the CNN-LSTM's layout
// and engines, its own input stage.
type traceLSTM struct{ cnnLSTM }

func (traceLSTM) NewStepper(m *Model, n int, vInitMV float32) Stepper {
	return newCNNLSTMStream(cpu.Best, m, n, vInitMV)
}

func (f traceLSTM) Validate(a Arch) error {
	if err := f.cnnLSTM.Validate(a); err != nil {
		return err
	}
	switch {
	case len(a.InputLags) > 0:
		return fmt.Errorf("architecture family %s: input_lags are not supported (the traces replace the taps)", TraceFamily)
	}
	if err := a.CheckTraces(); err != nil {
		return fmt.Errorf("architecture family %s: %w", TraceFamily, err)
	}
	for _, in := range a.Inputs {
		if in.DelaySteps != 0 {
			return fmt.Errorf("architecture family %s: input %q: delay_steps %d is not supported (the traces carry the timing)", TraceFamily, in.Name, in.DelaySteps)
		}
	}
	return nil
}

// CheckTraces checks the time constants: 1 to MaxTaps of them, increasing,
// from 0 to MaxTraceMS.
func (a Arch) CheckTraces() error {
	if len(a.TracesMS) == 0 || len(a.TracesMS) > MaxTaps {
		return fmt.Errorf("%d traces_ms, want 1 to %d", len(a.TracesMS), MaxTaps)
	}
	for i, tau := range a.TracesMS {
		if !(tau >= 0 && tau <= MaxTraceMS) || i > 0 && !(tau > a.TracesMS[i-1]) {
			return fmt.Errorf("traces_ms %v: want increasing time constants from 0 to %d ms", a.TracesMS, MaxTraceMS)
		}
	}
	return nil
}

// TraceDecays are the traces' factors per sample step, exp(−SampleDT/τ)
// for each time constant (0 for τ = 0).
func (a Arch) TraceDecays() []float32 {
	d := make([]float32, len(a.TracesMS))
	for m, tau := range a.TracesMS {
		if tau > 0 {
			d[m] = float32(math.Exp(-a.SampleDT / tau))
		}
	}
	return d
}

// GeomTraces are n time constants: 0, then lo to hi ms in geometric steps
// (n >= 2), e.g. GeomTraces(8, 1, 64) = 0, 1, 2, 4, 8, 16, 32, 64.
func GeomTraces(n int, lo, hi float64) []float64 {
	out := []float64{0}
	for i := 0; i < n-1; i++ {
		f := 0.0
		if n > 2 {
			f = float64(i) / float64(n-2)
		}
		out = append(out, math.Round(lo*math.Pow(hi/lo, f)*1000)/1000) // to the microsecond
	}
	return out
}

// WithTraces returns a copy of m as a trace-lstm model that hears its
// inputs through exponential traces of the time constants tausMS: m's
// other weights unchanged, each input's mixing weights fitted (least
// squares over every lag, in closed form) so that its response to one
// event, through every conv channel, is as close as the traces allow to
// m's (its taps' weights at their lags, or its own traces' response), over
// all lags. A starting point for training (train --init --traces), not the
// same function: 8 taps are a 4 ms box that few exponentials only
// approximate.
func (m *Model) WithTraces(tausMS []float64) (*Model, error) {
	fam := m.Arch.FamilyName()
	if fam != DefaultFamily && fam != TraceFamily {
		return nil, fmt.Errorf("traces: a model of family %s has no input stage to turn into traces (want %s or %s)", fam, DefaultFamily, TraceFamily)
	}
	c := m.Clone()
	c.Arch.Family, c.Arch.TracesMS, c.Arch.InputLags = TraceFamily, append([]float64(nil), tausMS...), nil
	if err := c.Arch.Validate(); err != nil {
		return nil, err
	}
	// The least-squares fit over all lags l >= 0 of the response to one
	// event, in closed form: a trace of decay d answers d^l, a tap at lag
	// L answers 1 at l = L, and Σ_l (d·d')^l = 1/(1 − d·d').
	dNew := c.Arch.TraceDecays()
	M := len(dNew)
	oldCols := m.Arch.NumTaps()
	cross := func(a, b float32) float64 { return 1 / (1 - float64(a)*float64(b)) }
	ata := mat.NewDense(M, M, nil)
	for i, a := range dNew {
		for j, b := range dNew {
			ata.Set(i, j, cross(a, b))
		}
	}
	ato := mat.NewDense(M, oldCols, nil)
	dOld := m.Arch.TraceDecays()
	for i, a := range dNew {
		if len(dOld) > 0 {
			for j, b := range dOld {
				ato.Set(i, j, cross(a, b))
			}
			continue
		}
		for j, lag := range m.Arch.Taps() {
			ato.Set(i, j, math.Pow(float64(a), float64(lag)))
		}
	}
	// A little ridge keeps close time constants apart.
	tr := 0.0
	for i := 0; i < M; i++ {
		tr += ata.At(i, i)
	}
	for i := 0; i < M; i++ {
		ata.Set(i, i, ata.At(i, i)+1e-9*tr/float64(M))
	}
	var P mat.Dense
	if err := P.Solve(ata, ato); err != nil {
		return nil, fmt.Errorf("traces %v: fitting the input stage: %w", tausMS, err)
	}
	// P is M x oldTaps: new trace m's weight per unit of old column ti.
	F, nIn := m.Arch.Conv, len(m.Arch.Inputs)
	wOld := m.W[WConvInputs].Data
	wd := NewTensor(M*nIn, F)
	for mi := 0; mi < M; mi++ {
		for ti := 0; ti < oldCols; ti++ {
			p := float32(P.At(mi, ti))
			for j := 0; j < nIn; j++ {
				dst := wd.Data[(mi*nIn+j)*F:][:F]
				src := wOld[(ti*nIn+j)*F:][:F]
				for ch := range dst {
					dst[ch] += p * src[ch]
				}
			}
		}
	}
	c.W[WConvInputs] = wd
	return c, nil
}
