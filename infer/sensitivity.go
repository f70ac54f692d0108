package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/internal/parallel"
)

// A Perturbation changes a cell's input events the way a surrogate's
// errors might. The reference run on perturbed input, compared with the
// reference on the original, shows what such errors cost: a surrogate that
// makes them cannot do better. Kinds (Size):
//
//	bin:W      every event moved to the middle of its W ms bin (a model stepping every W ms)
//	merge:W    every synapse's events in a W ms bin merged into one at their weighted mean time (a model with timing inputs)
//	jitter:SD  every event moved by a Gaussian of SD ms
//	drop:F     every event dropped with probability F
//	weight:SD  every synapse's weights scaled by one factor exp(SD·N(0,1))
//	swap:G     every event moved to another synapse of its group (G: class, prefix, distance:N, as train --inputs)
type Perturbation struct {
	Kind   string
	Size   float64
	Groups string // swap only
}

// PerturbationKinds lists the kinds ParsePerturbation accepts.
const PerturbationKinds = "bin:W, merge:W, jitter:SD, drop:F, weight:SD, swap:GROUPS"

// ParsePerturbation reads one KIND:ARG.
func ParsePerturbation(s string) (Perturbation, error) {
	kind, arg, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || arg == "" {
		return Perturbation{}, fmt.Errorf("perturbation %q: want KIND:ARG, one of %s", s, PerturbationKinds)
	}
	p := Perturbation{Kind: kind}
	switch kind {
	case "swap":
		if arg == "channels" {
			return p, fmt.Errorf("perturbation %q: with one synapse per group nothing moves; use class, prefix or distance:N", s)
		}
		p.Groups = arg
		return p, nil
	case "bin", "merge", "jitter", "drop", "weight":
	default:
		return p, fmt.Errorf("perturbation %q: unknown kind %q, want one of %s", s, kind, PerturbationKinds)
	}
	v, err := strconv.ParseFloat(arg, 64)
	switch {
	case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
		return p, fmt.Errorf("perturbation %q: %q is not a finite number", s, arg)
	case (kind == "bin" || kind == "merge") && v <= 0:
		return p, fmt.Errorf("perturbation %q: the bin width must be > 0 ms", s)
	case v < 0:
		return p, fmt.Errorf("perturbation %q: the size must be >= 0", s)
	case kind == "drop" && v >= 1:
		return p, fmt.Errorf("perturbation %q: the fraction dropped must be below 1", s)
	}
	p.Size = v
	return p, nil
}

// ParsePerturbations reads a comma-separated list.
func ParsePerturbations(list string) ([]Perturbation, error) {
	var out []Perturbation
	for _, s := range strings.Split(list, ",") {
		p, err := ParsePerturbation(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (p Perturbation) String() string {
	if p.Kind == "swap" {
		return "swap:" + p.Groups
	}
	return p.Kind + ":" + strconv.FormatFloat(p.Size, 'g', -1, 64)
}

// Apply returns a perturbed copy of evs in time order; groups (for swap)
// lists the synapse indices of every group.
func (p Perturbation) Apply(evs []biophys.Event, groups [][]int, rng *rand.Rand) []biophys.Event {
	out := make([]biophys.Event, 0, len(evs))
	switch p.Kind {
	case "bin":
		out = append(out, BinnedEvents(evs, p.Size)...)
	case "merge":
		out = append(out, MergedEvents(evs, p.Size)...)
	case "jitter":
		for _, e := range evs {
			e.TimeMS = math.Abs(e.TimeMS + p.Size*rng.NormFloat64()) // reflected at 0
			out = append(out, e)
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS < out[j].TimeMS })
	case "drop":
		for _, e := range evs {
			if rng.Float64() >= p.Size {
				out = append(out, e)
			}
		}
	case "weight":
		scale := map[int]float64{}
		for _, e := range evs {
			s, ok := scale[e.Syn]
			if !ok {
				s = math.Exp(p.Size * rng.NormFloat64())
				scale[e.Syn] = s
			}
			e.WeightUS *= s
			out = append(out, e)
		}
	case "swap":
		type place struct{ group, pos int }
		at := map[int]place{}
		for gi, g := range groups {
			for pos, s := range g {
				at[s] = place{gi, pos}
			}
		}
		for _, e := range evs {
			if pl, ok := at[e.Syn]; ok && len(groups[pl.group]) > 1 {
				k := rng.IntN(len(groups[pl.group]) - 1) // another member: skip e.Syn's place
				if k >= pl.pos {
					k++
				}
				e.Syn = groups[pl.group][k]
			}
			out = append(out, e)
		}
	default:
		out = append(out, evs...)
	}
	return out
}

// SensitivityJob describes a sensitivity analysis: the reference cell on
// every input, unperturbed and under every perturbation, sampled every
// SampleDT and compared with metrics.Compare.
type SensitivityJob struct {
	Cell          *biophys.Cell
	Inputs        [][]biophys.Event
	Perturbations []Perturbation
	// Groups maps a swap perturbation's grouping to its synapse groups.
	Groups                  map[string][][]int
	TstopMS, DtMS, SampleDT float64
	Seed                    uint64
	Workers                 int
	Progress                func(done, total int) // may be nil; called from one goroutine at a time
}

// CheckSwapGroups says whether groups give swap perturbation p something
// to do: at least one group of more than one synapse.
func CheckSwapGroups(p Perturbation, groups [][]int) error {
	switch {
	case groups == nil:
		return fmt.Errorf("no synapse groups given for %q", p.Groups)
	case !slices.ContainsFunc(groups, func(g []int) bool { return len(g) > 1 }):
		return fmt.Errorf("every group has a single synapse, so swapping would change nothing")
	}
	return nil
}

// Sensitivity runs the job and pools the comparison of every perturbation
// over the inputs, in the order of Perturbations. Every (input,
// perturbation) pair draws from its own seeded source, so the result does
// not depend on Workers.
func Sensitivity(j SensitivityJob) ([]metrics.Report, error) {
	nIn, nP := len(j.Inputs), len(j.Perturbations)
	for _, p := range j.Perturbations {
		if p.Kind != "swap" {
			continue
		}
		if err := CheckSwapGroups(p, j.Groups[p.Groups]); err != nil {
			return nil, fmt.Errorf("perturbation %s: %v", p, err)
		}
	}
	steps := int(math.Round(j.TstopMS / j.SampleDT))
	if steps < 1 {
		return nil, fmt.Errorf("--tstop %g ms is shorter than one sample (%g ms)", j.TstopMS, j.SampleDT)
	}
	tstop := float64(steps) * j.SampleDT
	// Job k < nIn is input k unperturbed; job nIn + i*nP + q is input i
	// under perturbation q.
	runs := make([]Trace, nIn*(1+nP))
	errs := make([]error, len(runs))
	parallel.Do(len(runs), max(1, j.Workers), func(k int) {
		evs := j.Inputs[k%nIn]
		if k >= nIn {
			i, q := (k-nIn)/nP, (k-nIn)%nP
			p := j.Perturbations[q]
			rng := rand.New(rand.NewPCG(j.Seed, uint64(i)<<20|uint64(q)))
			evs = p.Apply(j.Inputs[i], j.Groups[p.Groups], rng)
		}
		runs[k], _, errs[k] = Reference(j.Cell, evs, tstop, j.DtMS, j.SampleDT)
	}, j.Progress)
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	out := make([]metrics.Report, nP)
	for q := range j.Perturbations {
		var pool metrics.Pool
		for i := 0; i < nIn; i++ {
			ref, pert := runs[i], runs[nIn+i*nP+q]
			pool.Add(ref.V, pert.V, j.SampleDT, ref.Spikes, pert.Spikes, tstop)
		}
		out[q] = pool.Report()
	}
	return out, nil
}
