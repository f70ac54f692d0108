package main

import (
	"fmt"
	"io"
	"runtime"

	"neurosurrogate/biophys"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/dataset"
	"neurosurrogate/infer"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/train"
)

func init() {
	register(&command{
		name:    "sensitivity",
		summary: "how much small input errors change the reference cell: the accuracy ceiling of a surrogate making them",
		run:     runSensitivity,
	})
}

func runSensitivity(args []string, stdout io.Writer) error {
	fs := newFlags("sensitivity", "--cell C [--perturb LIST] [--tstop MS] EV1.csv EV2.csv ...")
	cellArg := fs.String("cell", "", "the reference cell: a shipped name ("+shippedCells+") or a cell JSON file")
	perturb := fs.String("perturb", "bin:0.5,jitter:0.5,drop:0.01,weight:0.05",
		"comma-separated perturbations: "+infer.PerturbationKinds+
			" (bin: events to the middle of W ms bins; jitter: Gaussian SD ms; drop: fraction of events; weight: log-SD of one factor per synapse; swap: each event to another synapse of its group, groups as train --inputs)")
	tstop := fs.Float64("tstop", 2000, "simulated time per file (ms)")
	dt := fs.Float64("dt", 0.025, "reference time step (ms)")
	sampleDT := fs.Float64("sample-dt", 0.5, "Vm sampling interval for the comparison (ms; a multiple of --dt)")
	seed := fs.Uint64("seed", 1, "seed of the random perturbations")
	workers := fs.Int("workers", 0, "simulations run in parallel (0: one per core)")
	asJSON := fs.Bool("json", false, "print the results as one JSON object on the last line")
	files, err := parseArgs(fs, args, 1<<20)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("give one or more event files")
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if _, ok := infer.StepsPerSample(*sampleDT, *dt); !ok || *tstop < *sampleDT {
		return usagef("--sample-dt %v: must be a whole number of --dt %v steps and at most --tstop", *sampleDT, *dt)
	}
	perts, err := infer.ParsePerturbations(*perturb)
	if err != nil {
		return usagef("--perturb: %v", err)
	}
	cell, err := loadCell(*cellArg)
	if err != nil {
		return err
	}
	groups, err := swapGroups(cell, perts)
	if err != nil {
		return err
	}
	inputs := make([][]biophys.Event, len(files))
	for i, f := range files {
		if inputs[i], err = biophys.ReadEventsFile(f, cell); err != nil {
			return err
		}
	}
	if *workers == 0 {
		*workers = runtime.NumCPU()
	}
	runs := len(files) * (1 + len(perts))
	bar := progress.New("sensitivity", int64(runs), "runs")
	reports, err := infer.Sensitivity(infer.SensitivityJob{
		Cell: cell, Inputs: inputs, Perturbations: perts, Groups: groups,
		TstopMS: *tstop, DtMS: *dt, SampleDT: *sampleDT, Seed: *seed, Workers: *workers,
		Progress: func(done, total int) { bar.Set(int64(done), "") },
	})
	bar.Done()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s on %d files of %g ms: the reference on perturbed input against the reference\n", cell.Name, len(files), *tstop)
	fmt.Fprintf(stdout, "%-18s %7s %7s %7s %7s %7s %15s %8s %7s %7s %7s\n", "perturbation", "F1 2ms", "P 2ms", "R 2ms", "F1 5ms", "F1 10ms", "shift ms", "RMSE mV", "EV", "ref Hz", "pert Hz")
	type row struct {
		Perturbation string `json:"perturbation"`
		metrics.Report
	}
	rows := make([]row, len(perts))
	for q, r := range reports {
		rows[q] = row{perts[q].String(), r}
		fmt.Fprintf(stdout, "%-18s %7.3f %7.3f %7.3f %7.3f %7.3f %6.2f ± %-6.2f %8.3f %7.3f %7.2f %7.2f\n", perts[q], r.F1At2ms, r.PrecisionAt2ms, r.RecallAt2ms,
			r.F1At5ms, r.F1At10ms, r.ShiftMeanMS, r.ShiftSDMS, r.RMSESubMV, r.EVSub, r.RateRefHz, r.RateSurHz)
	}
	if *asJSON {
		if err := printJSON(stdout, struct {
			Cell     string  `json:"cell"`
			Files    int     `json:"files"`
			TstopMS  float64 `json:"tstop_ms"`
			SampleDT float64 `json:"sample_dt_ms"`
			Seed     uint64  `json:"seed"`
			Results  []row   `json:"results"`
		}{cell.Name, len(files), *tstop, *sampleDT, *seed, rows}); err != nil {
			return err
		}
	}
	return nil
}

// swapGroups resolves the groupings the swap perturbations name into
// synapse indices, grouped as train --inputs would group them.
func swapGroups(cell *biophys.Cell, perts []infer.Perturbation) (map[string][][]int, error) {
	var chans []dataset.Channel
	for _, s := range cell.Synapses {
		chans = append(chans, dataset.Channel{Name: s.Name, Class: dataset.SynapseClass(s), Kind: s.Kind})
	}
	out := map[string][][]int{}
	for _, p := range perts {
		if p.Kind != "swap" || out[p.Groups] != nil {
			continue
		}
		ins, err := train.GroupInputs(p.Groups, chans, cell)
		if err != nil {
			return nil, usagef("--perturb %s: %v", p, err)
		}
		for _, in := range ins {
			var g []int
			for _, ch := range in.Channels {
				g = append(g, cell.SynapseIndex(ch))
			}
			out[p.Groups] = append(out[p.Groups], g)
		}
		if err := infer.CheckSwapGroups(p, out[p.Groups]); err != nil {
			return nil, usagef("--perturb %s: %v (cell %s)", p, err, cell.Name)
		}
	}
	return out, nil
}
