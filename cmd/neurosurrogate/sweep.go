package main

import (
	"cmp"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"neurosurrogate/artifacts"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/infer"
	"neurosurrogate/internal/atomicfile"
)

func init() {
	register(&command{
		name:    "sweep",
		summary: "map a network's readouts over a grid of parameter values (default: a Rett-style plasticity study)",
		run:     runSweep,
	})
}

// The default study: the shipped Rett-style network over a 20 x 20 grid
// of its recurrent synapses' utilization and recovery time constant.
const defaultSweepNetwork = "rett-stp"

var defaultSweepAxes = []string{
	"projections.0.stp.U=0.05:0.95:20",
	"projections.0.stp.tau_rec_ms=20:1000:20",
}

// axisFlags collects repeated --axis flags.
type axisFlags []infer.Axis

func (a *axisFlags) String() string { return fmt.Sprint(len(*a)) }

func (a *axisFlags) Set(s string) error {
	x, err := infer.ParseAxis(s)
	if err != nil {
		return err
	}
	*a = append(*a, x)
	return nil
}

func runSweep(args []string, stdout io.Writer) error {
	fs := newFlags("sweep", "[--network NET.json] [--axis PATH=LO:HI:N | PATH=V1,V2,...]... [--tstop MS] [--out DIR] [--check K] [--psth] [--json]")
	netArg := fs.String("network", defaultSweepNetwork, "base network (JSON file or shipped name: "+fmt.Sprint(artifacts.Names("networks", ".json"))+")")
	var axes axisFlags
	fs.Var(&axes, "axis", "a swept field: its path in the network description (object keys and list indices joined by dots) = LO:HI:N (N values from LO to HI) or a list V1,V2,...; repeat for more axes (default: "+strings.Join(defaultSweepAxes, " and ")+" on the default network)")
	tstop := fs.Float64("tstop", 300, "simulated time measured per variant (ms), after the network's warm-up")
	window := fs.Float64("window", 50, "stimulus response window from the first stimulus (ms)")
	bin := fs.Float64("bin", 5, "PSTH and synchrony bin (ms)")
	out := fs.String("out", "", "output folder (default: sweep-NAME-KEY in the current folder, KEY a hash of the sweep); a sweep killed part way resumes when run again with the same folder")
	psth := fs.Bool("psth", false, "also write every variant's PSTH (column psth_hz)")
	check := fs.Int("check", 0, "run this many variants, spread over the grid, in the reference simulator too and compare their readouts")
	dt := fs.Float64("dt", 0.025, "reference time step for --check (ms)")
	batchCells := fs.Int("batch-cells", 65536, "about this many cells (variants x cells per variant) run together in one engine pass")
	warmup := fs.Float64("warmup", 0, "simulated time before the measured period, left out of every readout (ms, a multiple of the sample step; default: the network's warmup_ms)")
	warmMode := fs.String("warmup-mode", infer.WarmupAuto, "shared: the base network warms up once per engine pass and every variant takes over at the end of the warm-up (its recurrent weights and plasticity, restarting fresh, and stimuli act from then on); own: every variant warms up as itself; auto: shared when every axis acts after the warm-up (projections.N.weight_uS, projections.N.stp.*, stimuli.N.*)")
	workers := fs.Int("workers", 0, "worker threads (0: one per core)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	switch {
	case !(*window > 0) || math.IsInf(*window, 0):
		return usagef("--window %v: must be a positive number of ms", *window)
	case !(*bin > 0) || *bin > *tstop:
		return usagef("--bin %v: must be a positive number of ms, at most --tstop", *bin)
	case *check < 0:
		return usagef("--check %d: must not be negative", *check)
	case *batchCells < 1:
		return usagef("--batch-cells %d: must be at least 1", *batchCells)
	}
	netSet, warmSet := false, false
	fs.Visit(func(f *flag.Flag) {
		netSet = netSet || f.Name == "network"
		warmSet = warmSet || f.Name == "warmup"
	})
	var warm *float64
	if warmSet {
		if !(*warmup >= 0) || math.IsInf(*warmup, 0) {
			return usagef("--warmup %v: must be a finite time >= 0", *warmup)
		}
		warm = warmup
	}
	if len(axes) == 0 {
		if netSet {
			return usagef("give at least one --axis PATH=LO:HI:N (the default grid belongs to the default network)")
		}
		for _, s := range defaultSweepAxes {
			a, err := infer.ParseAxis(s)
			if err != nil {
				return err
			}
			axes = append(axes, a)
		}
	}
	data, name, err := artifacts.ReadNetwork(*netArg)
	if err != nil {
		return err
	}
	net, err := infer.ParseNetwork(name, data)
	if err != nil {
		return err
	}
	// The base network is sound: what the plan refuses comes from --axis.
	plan, err := infer.NewSweepPlan(name, data, axes, *tstop, *window, *bin, *batchCells, *psth, warm)
	if err != nil {
		return usagef("--axis: %v", err)
	}
	if err := plan.SetWarmupMode(*warmMode); err != nil {
		return usagef("--warmup-mode %v", err)
	}
	r := &infer.CachedResolver{R: artifacts.Resolver{}}
	if warm != nil {
		b, err := infer.Build(net, r)
		if err != nil {
			return err
		}
		if err := infer.CheckWarmup(*warm, b.SampleDT); err != nil {
			return usagef("--warmup %v", err)
		}
	}
	first, err := plan.Variant(0, r)
	if err != nil {
		return err
	}
	if err := checkSampleGrid(*tstop, first.SampleDT, "models'"); err != nil {
		return err
	}
	if plan.SharedWarmup {
		// The grid's corners must be able to take over from the base
		// network, and its models to copy their state: auto falls back
		// to own warm-ups, shared says why it cannot.
		base, err := plan.BaseBuilt(r)
		if err != nil {
			return err
		}
		last, err := plan.Variant(plan.Len()-1, r)
		if err != nil {
			return err
		}
		if err := infer.CanFork(base, first, last); err != nil {
			if *warmMode == infer.WarmupShared {
				return usagef("--warmup-mode shared: %v", err)
			}
			plan.SharedWarmup = false
		}
	}
	if *check > 0 {
		if err := checkModelTime(first.SampleDT, *tstop, *dt); err != nil {
			return err
		}
	}
	dir := *out
	if dir == "" {
		dir = fmt.Sprintf("sweep-%s-%s", net.Name, plan.Key())
	}
	// Neither the folder nor a file the sweep writes into it may be the
	// network or a cell or model a population names.
	netFile := artifactFile(*netArg, "", "networks", ".json")
	ins := []pathArg{{"--network", netFile}}
	base := ""
	if netFile != "" {
		base = filepath.Dir(netFile)
	}
	for i, p := range net.Populations {
		ins = append(ins, pathArg{fmt.Sprintf("populations[%d].cell", i), artifactFile(p.Cell, base, "cells", ".json")},
			pathArg{fmt.Sprintf("populations[%d].model", i), artifactFile(p.Model, base, "models", ".safetensors")})
	}
	var pops []string
	for _, p := range first.Pops {
		pops = append(pops, p.Name)
	}
	names := infer.ReadoutNames(pops)
	outs := []pathArg{{"--out", dir}}
	files := []string{"plan.json", "sweep.arrow", "check.json"}
	for _, n := range names {
		files = append(files, infer.SweepPlotFile(n))
	}
	for _, f := range files {
		outs = append(outs, pathArg{"the sweep's " + f + " in --out", filepath.Join(dir, f)})
	}
	if err := checkOverwrite(outs, ins); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usagef("--out %s: a file, not a folder", dir)
	}
	sd, err := infer.OpenSweepDir(dir, plan)
	if errors.Is(err, infer.ErrOtherSweep) {
		return usagef("--out %v (a folder of a sweep made before --warmup-mode existed resumes with --warmup-mode own)", err)
	}
	if err != nil {
		return err
	}
	n := plan.Len()
	nb := (n + plan.Batch - 1) / plan.Batch
	warmHow := "its own"
	if plan.SharedWarmup {
		warmHow = "the base network's, shared"
	}
	fmt.Fprintf(stdout, "sweep of %s: %d variants (%s) of %d cells, %g ms each after a %g ms warm-up (%s), %d per engine pass; results in %s\n",
		net.Name, n, gridShape(plan), first.Cells, *tstop, first.Net.WarmupMS, warmHow, plan.Batch, dir)

	// Batches already done (a resumed sweep) are read back, the rest run.
	var rows []infer.SweepRow
	var todo []int
	for j := range nb {
		got, ok, err := sd.Batch(j)
		if err != nil {
			return err
		}
		if ok {
			rows = append(rows, got...)
		} else {
			todo = append(todo, j)
		}
	}
	if done := nb - len(todo); done > 0 {
		fmt.Fprintf(stdout, "resuming: %d of %d engine passes already done\n", done, nb)
	}
	bar := progress.New("sweep", int64(n), "variants")
	bar.StartAt(int64(len(rows)))
	start := time.Now()
	var engine, build, deliver, readout time.Duration
	var cellSteps float64
	ran := 0
	for _, j := range todo {
		lo, hi := j*plan.Batch, min(n, (j+1)*plan.Batch)
		base := int64(len(rows))
		br, err := plan.RunBatch(lo, hi, r, *workers, func(k, steps int) {
			bar.Set(base+int64(float64(hi-lo)*float64(k)/float64(steps)), fmt.Sprintf("pass %d/%d", j+1, nb))
		})
		if err != nil {
			return err
		}
		if err := sd.SaveBatch(j, br.Rows); err != nil {
			return err
		}
		rows = append(rows, br.Rows...)
		ran += hi - lo
		engine += br.Wall
		build += br.Build
		deliver += br.Deliver
		readout += br.Readout
		cellSteps += br.CellSteps
		bar.Set(int64(len(rows)), fmt.Sprintf("pass %d/%d", j+1, nb))
	}
	bar.Done()
	sortRows(rows)
	elapsed := time.Since(start)
	table := filepath.Join(dir, "sweep.arrow")
	if err := infer.WriteSweepArrow(table, plan, names, rows); err != nil {
		return err
	}
	plots, err := infer.WriteSweepPlots(dir, plan, names, rows)
	if err != nil {
		return err
	}
	rep := sweepReport{Network: net.Name, Variants: n, Cells: first.Cells, TstopMS: *tstop, WarmupMS: first.Net.WarmupMS, SharedWarmup: plan.SharedWarmup, Batch: plan.Batch,
		Passes: len(todo), Resumed: nb - len(todo), WallS: elapsed.Seconds(), EngineS: engine.Seconds(), DeliverS: deliver.Seconds(),
		BuildS: build.Seconds(), ReadoutS: readout.Seconds(), Out: dir, Table: table, Plots: plots}
	if cellSteps > 0 {
		us := engine.Seconds() / cellSteps * 1e6
		rep.CellStepUS = &us
	}
	fmt.Fprintf(stdout, "ran %d variants in %d engine passes in %.1f s (engine %.1f s", ran, len(todo), rep.WallS, rep.EngineS)
	if rep.CellStepUS != nil {
		fmt.Fprintf(stdout, ", %.2f us per cell-step", *rep.CellStepUS)
	}
	fmt.Fprintf(stdout, ")\ntime: building %.1f s, engine %.1f s (spike delivery and plasticity %.1f s of it), readouts %.1f s\n", rep.BuildS, rep.EngineS, rep.DeliverS, rep.ReadoutS)
	fmt.Fprintf(stdout, "table: %s (%d rows: %s, spikes, %s)\n", table, len(rows), strings.Join(plan.AxisPaths(), ", "), strings.Join(names, ", "))
	if len(plots) > 0 {
		fmt.Fprintf(stdout, "plots: %d PNGs in %s (one per readout)\n", len(plots), dir)
	}
	printRanges(stdout, names, rows)

	if *check > 0 {
		var dims []int
		for _, a := range plan.Axes {
			dims = append(dims, len(a.Values))
		}
		pts := infer.CheckPoints(dims, *check)
		var checks []infer.CheckRow
		cb := progress.New("reference checks", int64(len(pts)), "variants")
		resumed := 0 // checks read back, which the rate and ETA leave out
		for i, v := range pts {
			c, ok, err := sd.Check(v, *dt)
			if err != nil {
				return err
			}
			if ok {
				resumed++
				cb.StartAt(int64(resumed))
			} else {
				c, err = plan.RunCheck(v, r, *dt, *workers, func(ms float64) {
					cb.Set(int64(i), fmt.Sprintf("variant %d: %.0f ms", v, ms))
				})
				if err != nil {
					return err
				}
				if err := sd.SaveCheck(c); err != nil {
					return err
				}
			}
			checks = append(checks, c)
			cb.Set(int64(i+1), "")
		}
		cb.Done()
		rep.Check = infer.CompareChecks(names, rows, checks)
		rep.CheckVariants = pts
		fmt.Fprintf(stdout, "reference checks of %d variants (%v): per readout, correlation across them and mean |surrogate - reference|\n", len(pts), pts)
		for _, s := range rep.Check {
			fmt.Fprintf(stdout, "  %-16s r %s  mean |diff| %s %s   sur %s   ref %s\n", s.Readout, fmtNaN(s.Corr), fmtNaN(s.MeanAbsDiff), infer.ReadoutUnit(s.Readout),
				fmtList(s.Sur), fmtList(s.Ref))
		}
		cj, err := json.MarshalIndent(sanitize(rep.Check), "", " ")
		if err != nil {
			return err
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, "check.json"), append(cj, '\n')); err != nil {
			return err
		}
	}
	if *asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	}
	return nil
}

// sweepReport is the sweep command's JSON report.
type sweepReport struct {
	Network       string            `json:"network"`
	Variants      int               `json:"variants"`
	Cells         int               `json:"cells_per_variant"`
	TstopMS       float64           `json:"tstop_ms"`
	WarmupMS      float64           `json:"warmup_ms"`
	SharedWarmup  bool              `json:"shared_warmup"`
	Batch         int               `json:"variants_per_pass"`
	Passes        int               `json:"passes_run"`
	Resumed       int               `json:"passes_resumed"`
	WallS         float64           `json:"wall_s"`
	EngineS       float64           `json:"engine_s"`
	DeliverS      float64           `json:"deliver_s"`
	BuildS        float64           `json:"build_s"`
	ReadoutS      float64           `json:"readouts_s"`
	CellStepUS    *float64          `json:"cell_step_us"`
	Out           string            `json:"out"`
	Table         string            `json:"table"`
	Plots         []string          `json:"plots"`
	CheckVariants []int             `json:"check_variants,omitempty"`
	Check         []infer.CheckStat `json:"check,omitempty"`
}

func gridShape(p *infer.SweepPlan) string {
	var s []string
	for _, a := range p.Axes {
		s = append(s, fmt.Sprintf("%d %s", len(a.Values), a.Path))
	}
	return strings.Join(s, " x ")
}

func sortRows(rows []infer.SweepRow) {
	slices.SortFunc(rows, func(a, b infer.SweepRow) int { return cmp.Compare(a.Variant, b.Variant) })
}

// printRanges prints each readout's range over the grid.
func printRanges(w io.Writer, names []string, rows []infer.SweepRow) {
	for _, n := range names {
		lo, hi, nan := math.Inf(1), math.Inf(-1), 0
		for _, r := range rows {
			v := r.R.Value(n)
			if math.IsNaN(v) {
				nan++
				continue
			}
			lo, hi = min(lo, v), max(hi, v)
		}
		s := fmt.Sprintf("  %-16s %.4g to %.4g %s", n, lo, hi, infer.ReadoutUnit(n))
		if lo > hi {
			s = fmt.Sprintf("  %-16s undefined", n)
		}
		if nan > 0 {
			s += fmt.Sprintf(" (undefined in %d variants)", nan)
		}
		fmt.Fprintln(w, s)
	}
}

func fmtNaN(x float64) string {
	if math.IsNaN(x) {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", x)
}

func fmtList(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, fmtNaN(x))
	}
	return "[" + strings.Join(s, " ") + "]"
}
