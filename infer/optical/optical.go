// Package optical turns simulated signals into what an optical
// experiment records: calcium imaging as the fluorescence of a genetically
// encoded indicator bound to intracellular calcium, and voltage imaging as
// the membrane potential seen through a dye's limited bandwidth. The same
// forward models apply to a reference trace and to a surrogate's.
package optical

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Indicator is a calcium indicator's forward model: the fraction of
// indicator bound follows the Hill equation B∞(c) = cⁿ / (cⁿ + Kdⁿ) with
// first-order kinetics, dB/dt = (B∞ − B)/τ, τ = TauOnMS while binding
// (B∞ > B) and TauOffMS while unbinding; fluorescence is
// F = F_min (1 + (DynamicRange − 1) B), reported as ΔF/F0 against the
// fluorescence at the trace's first sample.
type Indicator struct {
	Name         string
	KdMM         float64 // dissociation constant (mM)
	Hill         float64 // Hill coefficient n
	DynamicRange float64 // F_max / F_min
	TauOnMS      float64
	TauOffMS     float64
}

// GCaMP6f is the indicator's model with values reported for GCaMP6f by
// Chen et al. 2013 (Nature 499:295): Kd 375 nM, Hill coefficient 2.27,
// dynamic range 51.8; the time constants are the reported half-rise
// (about 45 ms) and half-decay (142 ms) after one action potential
// divided by ln 2.
var GCaMP6f = Indicator{Name: "GCaMP6f", KdMM: 375e-6, Hill: 2.27, DynamicRange: 51.8,
	TauOnMS: 45 / math.Ln2, TauOffMS: 142 / math.Ln2}

// Validate says whether the model's numbers make sense.
func (ind Indicator) Validate() error {
	switch {
	case !(ind.KdMM > 0), !(ind.Hill > 0), !(ind.DynamicRange >= 1), !(ind.TauOnMS > 0), !(ind.TauOffMS > 0):
		return fmt.Errorf("indicator %s: Kd, Hill coefficient and time constants must be positive and the dynamic range at least 1", ind.Name)
	}
	return nil
}

// Noise is shot noise: Photons photons are collected per sample at the
// resting fluorescence (more when brighter), so each sample's relative
// error is 1/√(photons); zero Photons means no noise.
type Noise struct {
	Photons float64
	Seed    uint64
}

// Fluorescence returns ΔF/F0 of the indicator for intracellular calcium
// caiMM sampled every dtMS, starting bound at equilibrium with the first
// sample.
func (ind Indicator) Fluorescence(caiMM []float64, dtMS float64, noise Noise) ([]float64, error) {
	if err := ind.Validate(); err != nil {
		return nil, err
	}
	if !(dtMS > 0) {
		return nil, fmt.Errorf("sample step %v ms: must be positive", dtMS)
	}
	out := make([]float64, len(caiMM))
	if len(caiMM) == 0 {
		return out, nil
	}
	bInf := func(c float64) float64 {
		if !(c > 0) {
			return 0
		}
		x := math.Pow(c/ind.KdMM, ind.Hill)
		return x / (1 + x)
	}
	f := func(b float64) float64 { return 1 + (ind.DynamicRange-1)*b }
	b := bInf(caiMM[0])
	f0 := f(b)
	decayOn, decayOff := math.Exp(-dtMS/ind.TauOnMS), math.Exp(-dtMS/ind.TauOffMS)
	var rng *rand.Rand
	if noise.Photons > 0 {
		rng = rand.New(rand.NewPCG(noise.Seed, 0x6f707469))
	}
	for k, c := range caiMM {
		if k > 0 {
			target := bInf(c)
			d := decayOff
			if target > b {
				d = decayOn
			}
			b = target + (b-target)*d // exact for a step of constant target
		}
		fk := f(b)
		if rng != nil {
			n := noise.Photons * fk / f0
			fk *= 1 + rng.NormFloat64()/math.Sqrt(n)
		}
		out[k] = fk/f0 - 1
	}
	return out, nil
}

// VoltageImaging returns Vm seen through a dye of bandwidth cutoffHz: a
// second-order Butterworth low-pass (the bilinear transform with
// prewarping), started at rest at the first sample.
func VoltageImaging(vMV []float64, dtMS, cutoffHz float64) ([]float64, error) {
	if !(dtMS > 0) || !(cutoffHz > 0) {
		return nil, fmt.Errorf("sample step %v ms and cutoff %v Hz: both must be positive", dtMS, cutoffHz)
	}
	fs := 1000 / dtMS
	if cutoffHz >= fs/2 {
		return nil, fmt.Errorf("cutoff %v Hz: must be below half the sampling rate (%v Hz)", cutoffHz, fs/2)
	}
	out := make([]float64, len(vMV))
	if len(vMV) == 0 {
		return out, nil
	}
	// H(s) = 1 / (s² + √2 s + 1) at the prewarped cutoff.
	k := math.Tan(math.Pi * cutoffHz / fs)
	norm := 1 / (1 + math.Sqrt2*k + k*k)
	b0 := k * k * norm
	b1, b2 := 2*b0, b0
	a1 := 2 * (k*k - 1) * norm
	a2 := (1 - math.Sqrt2*k + k*k) * norm
	// Direct form II transposed, its state at the steady state of vMV[0].
	x0 := vMV[0]
	z1 := x0 - b0*x0 // y = x0 at rest: z1 = y - b0 x, z2 = b2 x - a2 y
	z2 := b2*x0 - a2*x0
	for i, x := range vMV {
		y := b0*x + z1
		z1 = b1*x - a1*y + z2
		z2 = b2*x - a2*y
		out[i] = y
	}
	return out, nil
}
