package main

import (
	"math"

	"neurosurrogate/biophys"
	"neurosurrogate/infer"
)

// Limits on the time flags (biophys.MinDtMS, biophys.MaxSteps), and a step
// longer than 100 ms, which no neuron model resolves.
const (
	minDtMS  = biophys.MinDtMS
	maxDtMS  = 100
	maxSteps = biophys.MaxSteps
)

// checkTime validates --tstop and --dt.
func checkTime(tstop, dt float64) error {
	switch {
	case !(dt >= minDtMS && dt <= maxDtMS):
		return usagef("--dt %v: must be a number of ms in [%g, %g]", dt, minDtMS, float64(maxDtMS))
	case !(tstop > 0) || math.IsInf(tstop, 0):
		return usagef("--tstop %v: must be a positive number of ms", tstop)
	case tstop < dt:
		return usagef("--tstop %v: shorter than one time step (--dt %v)", tstop, dt)
	case tstop/dt > maxSteps:
		return usagef("--tstop %v with --dt %v: %.3g steps, more than the limit of %.0e", tstop, dt, tstop/dt, float64(maxSteps))
	}
	return nil
}

// checkModelTime validates --tstop and --dt against a model's sample step:
// the reference must step a whole number of times per sample, and the run
// must be a whole number of samples.
func checkModelTime(sampleDT, tstop, dt float64) error {
	if _, ok := infer.StepsPerSample(sampleDT, dt); !ok {
		return usagef("--dt %v: the model's sample step %g ms is not a whole number of such steps", dt, sampleDT)
	}
	return checkSampleGrid(tstop, sampleDT, "model's")
}

// checkSampleGrid validates --tstop against the sample step of the
// model (whose: "model's" or "models'"): a run of a fraction of a sample
// would be rounded, and run and report another length than asked for.
func checkSampleGrid(tstop, sampleDT float64, whose string) error {
	if n := tstop / sampleDT; math.Abs(n-math.Round(n)) > 1e-9*n || math.Round(n) < 1 {
		return usagef("--tstop %v: not a whole number of the %s %g ms sample steps", tstop, whose, sampleDT)
	}
	return nil
}

// checkWorkers validates a --workers flag (0 means one per core).
func checkWorkers(n int) error {
	if n < 0 {
		return usagef("--workers %d: must be at least 1 (or 0 for one per core)", n)
	}
	return nil
}
