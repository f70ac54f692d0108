package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"

	"neurosurrogate/artifacts"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/infer"
)

func init() {
	register(&command{
		name:    "network",
		summary: "run a network of surrogate neurons (default: the shipped network), checked against the reference",
		run:     runNetwork,
	})
}

// defaultNetwork is the shipped network the command runs with no flags.
const defaultNetwork = "default"

func runNetwork(args []string, stdout io.Writer) error {
	fs := newFlags("network", "[--network NET.json] [--model M] [--reference none|replay|full] [--tstop MS] [--warmup MS] [--json] [--raster out.png]")
	netArg := fs.String("network", defaultNetwork, "network description (JSON file, or a shipped network name: "+fmt.Sprint(artifacts.Names("networks", ".json"))+")")
	modelArg := fs.String("model", "", "use this surrogate model for every population (default: each population's own)")
	ceiling := fs.Bool("ceiling", false, "with --reference full: also run the reference network with 1% of its background events left out and report how far it moves (the agreement a surrogate network can hope for)")
	refMode := fs.String("reference", "replay", "check against the reference: none, replay (re-run a sample of cells on their recorded inputs) or full (the whole network)")
	tstop := fs.Float64("tstop", 1000, "simulated time measured (ms), after the warm-up")
	warmup := fs.Float64("warmup", 0, "simulated time before the measured period, left out of every statistic (ms, a multiple of the sample step; default: the network's warmup_ms)")
	dt := fs.Float64("dt", 0.025, "reference time step (ms)")
	replayCells := fs.Int("replay-cells", 0, "cells re-run by --reference replay (0: 50 point cells or 8 detailed ones)")
	workers := fs.Int("workers", 0, "worker threads (0: one per core)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object on the last line")
	raster := fs.String("raster", "", "write a PNG spike raster with population rates")
	traces := fs.String("traces", "", "write the Vm and model outputs of --trace-cells sampled cells to this Arrow file (one row per cell)")
	traceCells := fs.Int("trace-cells", 8, "cells whose traces --traces keeps (evenly spread over the network)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	switch *refMode {
	case "none", "replay", "full":
	default:
		return usagef("--reference %q: want none, replay or full", *refMode)
	}
	if *ceiling && *refMode != "full" {
		return usagef("--ceiling compares the reference network with itself: it needs --reference full")
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	if err := checkWorkers(*workers); err != nil {
		return err
	}
	if *traceCells < 1 {
		return usagef("--trace-cells %d: want at least 1", *traceCells)
	}
	if err := checkWritable("traces", *traces); err != nil {
		return err
	}
	if err := checkWritable("raster", *raster); err != nil {
		return err
	}
	warmupSet := false
	fs.Visit(func(f *flag.Flag) { warmupSet = warmupSet || f.Name == "warmup" })
	if warmupSet && (!(*warmup >= 0) || math.IsInf(*warmup, 0)) {
		return usagef("--warmup %v: must be a finite time >= 0", *warmup)
	}
	if *replayCells < 0 {
		return usagef("--replay-cells %d: must not be negative", *replayCells)
	}
	data, name, err := artifacts.ReadNetwork(*netArg)
	if err != nil {
		return err
	}
	net, err := infer.ParseNetwork(name, data)
	if err != nil {
		return err
	}
	if *modelArg != "" {
		for i := range net.Populations {
			net.Populations[i].Model = *modelArg
		}
	}
	// The raster must not overwrite the network, --model, or a cell or
	// model file a population names (relative to the network's folder).
	netFile := artifactFile(*netArg, "", "networks", ".json")
	ins := []pathArg{{"--network", netFile}, {"--model", artifactFile(*modelArg, "", "models", ".safetensors")}}
	base := ""
	if netFile != "" {
		base = filepath.Dir(netFile)
	}
	for i, p := range net.Populations {
		ins = append(ins, pathArg{fmt.Sprintf("populations[%d].cell", i), artifactFile(p.Cell, base, "cells", ".json")},
			pathArg{fmt.Sprintf("populations[%d].model", i), artifactFile(p.Model, base, "models", ".safetensors")})
	}
	if err := checkOverwrite([]pathArg{{"--raster", *raster}, {"--traces", *traces}}, ins); err != nil {
		return err
	}
	b, err := infer.Build(net, artifacts.Resolver{})
	if err != nil {
		return err
	}
	if *refMode == "none" {
		err = checkSampleGrid(*tstop, b.SampleDT, "models'")
	} else {
		err = checkModelTime(b.SampleDT, *tstop, *dt)
	}
	if err != nil {
		return err
	}
	if warmupSet {
		if err := infer.CheckWarmup(*warmup, b.SampleDT); err != nil {
			return usagef("--warmup %v", err)
		}
		net.WarmupMS = *warmup
	}
	if total := (*tstop + net.WarmupMS) / b.SampleDT; total > infer.MaxSteps {
		return usagef("--tstop %g ms after a %g ms warm-up: %.3g sample steps, more than the limit of %.0e", *tstop, net.WarmupMS, total, float64(infer.MaxSteps))
	}
	if total := (*tstop + net.WarmupMS) / *dt; *refMode == "full" && total > maxSteps {
		return usagef("--tstop %g ms after a %g ms warm-up at --dt %g: %.3g steps, more than the limit of %.0e", *tstop, net.WarmupMS, *dt, total, float64(maxSteps))
	}
	fmt.Fprintf(stdout, "%s: %d cells, %d synapses, sample step %g ms, delays up to %g ms\n", net.Name, b.Cells, b.Synapses(), b.SampleDT, float64(b.MaxDelay)*b.SampleDT)
	if net.WarmupMS > 0 {
		fmt.Fprintf(stdout, "warm-up %g ms (simulated, not measured), then %g ms measured\n", net.WarmupMS, *tstop)
	}

	var sample []int
	if *refMode == "replay" {
		k := *replayCells
		if k == 0 {
			k = 50
			for _, p := range b.Pops {
				if len(p.Cell.Sections) > 10 {
					k = 8
				}
			}
		}
		k = min(k, b.Cells)
		for i := 0; i < k; i++ {
			sample = append(sample, int((int64(i)*int64(b.Cells)+int64(b.Cells)/2)/int64(k)))
		}
	}
	var traced []int
	if *traces != "" {
		k := min(*traceCells, b.Cells)
		for i := 0; i < k; i++ {
			traced = append(traced, int((int64(i)*int64(b.Cells)+int64(b.Cells)/2)/int64(k)))
		}
	}
	steps := int(math.Round(*tstop/b.SampleDT)) + int(math.Round(net.WarmupMS/b.SampleDT))
	bar := progress.New("surrogate network", int64(steps), "steps")
	run, err := infer.RunSurrogate(b, *tstop, infer.EngineOptions{Workers: *workers, WarmupMS: net.WarmupMS, Record: sample, RecordV: traced, ProgressEvery: max(1, steps/100),
		Progress: func(k, n, spikes int) { bar.Set(int64(k), fmt.Sprintf("%d spikes", spikes)) }})
	bar.Done()
	if err != nil {
		return err
	}
	if *traces != "" {
		if err := infer.WriteNetworkTraces(*traces, b, run); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "traces of %d cells: %s\n", len(traced), *traces)
	}
	var replay *infer.ReplayResult
	var full *infer.RunResult
	switch *refMode {
	case "replay":
		fmt.Fprintf(stdout, "replaying %d cells in the reference simulator...\n", len(sample))
		replay, err = infer.Replay(b, run, sample, *dt, *workers)
	case "full":
		rb := progress.New("reference network", int64(run.SimulatedMS()), "ms")
		full, err = infer.RunReference(b, run.TstopMS, run.WarmupMS, *dt, *workers, func(ms float64, spikes int) { rb.Set(int64(ms), fmt.Sprintf("%d spikes", spikes)) })
		rb.Done()
	}
	if err != nil {
		return err
	}
	var ceil *infer.RunResult
	if *ceiling && full != nil {
		cb := progress.New("reference network, 1% of background dropped", int64(run.SimulatedMS()), "ms")
		ceil, err = infer.RunCeiling(b, run.TstopMS, run.WarmupMS, *dt, *workers, func(ms float64, spikes int) { cb.Set(int64(ms), fmt.Sprintf("%d spikes", spikes)) })
		cb.Done()
		if err != nil {
			return err
		}
	}
	rep := infer.Summarize(b, run, replay, full)
	if ceil != nil {
		rep.AddCeiling(b, full, ceil)
	}
	warmNote := ""
	if rep.WarmupMS > 0 {
		warmNote = fmt.Sprintf(" (+%.0f ms warm-up)", rep.WarmupMS)
	}
	fmt.Fprintf(stdout, "surrogate: %.0f ms%s in %.3f s (%.2f us per cell-step), %d spikes, %.2f Hz per cell\n",
		rep.TstopMS, warmNote, rep.WallSurS, rep.SurCellStepUS, rep.SpikesSur, rep.RateSurHz)
	win := make([]string, len(rep.RateSurWindows))
	for i, x := range rep.RateSurWindows {
		win[i] = fmt.Sprintf("%.1f", x)
	}
	fmt.Fprintf(stdout, "surrogate population rate by 100 ms window: %s Hz; peak in 5 ms bins %.1f Hz; ISI CV %s; synchrony %s; burst fraction %s\n",
		strings.Join(win, " "), rep.PeakSurHz, f3(rep.ISICVSur), f3(rep.SynchronySur), f3(rep.BurstFractionSur))
	if replay != nil {
		fmt.Fprintf(stdout, "replay of %d cells: F1 ±2 ms median %s (IQR %s–%s), pooled %s; ±5 ms median %s, pooled %s; ±10 ms pooled %s; rates reference %s Hz, surrogate %s Hz\n",
			rep.ReplayCells, f3(rep.ReplayF1Median), f3(rep.ReplayF1Q25), f3(rep.ReplayF1Q75), f3(rep.ReplayF1Pooled), f3(rep.ReplayF1At5Med), f3(rep.ReplayF1At5), f3(rep.ReplayF1At10),
			f3(rep.ReplayRateRefHz), f3(rep.ReplayRateSurHz))
	}
	if full != nil {
		fmt.Fprintf(stdout, "full reference: %s Hz per cell; rate correlation %s, PSTH correlation %s, rate distance %s Hz, ISI CV %s (surrogate) vs %s, synchrony %s vs %s, burst fraction %s vs %s\n",
			f3(rep.RateRefHz), f3(rep.RateCorr), f3(rep.PSTHCorr), f3(rep.RateDistance), f3(rep.ISICVSur), f3(rep.ISICVRef),
			f3(rep.SynchronySur), f3(rep.SynchronyRef), f3(rep.BurstFractionSur), f3(rep.BurstFractionRef))
		win := make([]string, len(rep.RateRefWindows))
		for i, x := range rep.RateRefWindows {
			win[i] = fmt.Sprintf("%.1f", x)
		}
		fmt.Fprintf(stdout, "reference population rate by 100 ms window: %s Hz\n", strings.Join(win, " "))
		if ceil != nil {
			fmt.Fprintf(stdout, "ceiling (reference with 1%% of background events dropped, against the reference): %s Hz per cell; rate correlation %s, PSTH correlation %s, rate distance %s Hz\n",
				f3(rep.CeilingRateHz), f3(rep.CeilingRateCorr), f3(rep.CeilingPSTHCorr), f3(rep.CeilingRateDistance))
		}
	}
	if rep.WallRefS != nil {
		fmt.Fprintf(stdout, "reference wall %.3f s; speedup per cell-second %s x\n", *rep.WallRefS, f3(rep.Speedup))
	}
	if *raster != "" {
		if err := infer.WriteRasterPNG(*raster, b, run, full, 500); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "raster: %s\n", *raster)
	}
	if *asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	}
	return nil
}

func f3(x *float64) string {
	if x == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3f", *x)
}
