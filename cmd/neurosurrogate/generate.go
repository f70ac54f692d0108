package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"

	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/dataset"
)

func init() {
	register(&command{
		name:    "generate",
		summary: "simulate training traces with the reference simulator into Arrow shards",
		run:     runGenerate,
	})
}

func runGenerate(args []string, stdout io.Writer) error {
	fs := newFlags("generate", "--cell "+cellChoice+" --out DIR [flags]")
	cellArg := fs.String("cell", "", "cell: a shipped name ("+shippedCells+") or a cell JSON file")
	out := fs.String("out", "", "output folder for the shard files (created if needed)")
	traces := fs.Int("traces", 400, "number of traces in the whole dataset (all shards)")
	duration := fs.Float64("duration", 2000, "duration of each trace (ms)")
	sampleDt := fs.Float64("sample-dt", 0.5, "sampling interval (ms); a multiple of --dt")
	dt := fs.Float64("dt", 0.025, "simulation time step (ms)")
	seed := fs.Uint64("seed", 1, "random seed; trace i's inputs depend only on (seed, i)")
	shard := fs.String("shard", "0/1", "make shard i of n (i counts from 0): traces j with j % n == i")
	workers := fs.Int("workers", runtime.NumCPU(), "simulations run in parallel (does not change the output)")
	batch := fs.Int("batch", 0, "traces each worker simulates together in one system (0: automatic; does not change the output)")
	excRate := fs.String("exc-rate", "", "full range of the per-synapse excitatory rate, lo:hi Hz (default: by cell, see below)")
	excW := fs.String("exc-weight", "", "full range of the excitatory weight, lo:hi uS")
	inhRate := fs.String("inh-rate", "", "full range of the per-synapse inhibitory rate, lo:hi Hz")
	inhW := fs.String("inh-weight", "", "full range of the inhibitory weight, lo:hi uS")
	coreExcRate := fs.String("core-exc-rate", "", "core (dense) range of the excitatory rate, lo:hi Hz")
	coreExcW := fs.String("core-exc-weight", "", "core range of the excitatory weight, lo:hi uS")
	coreInhRate := fs.String("core-inh-rate", "", "core range of the inhibitory rate, lo:hi Hz")
	coreInhW := fs.String("core-inh-weight", "", "core range of the inhibitory weight, lo:hi uS")
	mix := fs.String("mix", "", "regime fractions, e.g. silent=0.05,sparse=0.1,subthreshold=0.1,core=0.6,driven=0.05,switching=0.1")
	segment := fs.String("segment-ms", "", "segment length range of switching traces, lo:hi ms (default 100:500)")
	steps := fs.Float64("steps", 0, "fraction of traces with a current step at the spike site (adds the i_clamp channel)")
	stepAmp := fs.String("step-amp", "", "current step amplitude range, lo:hi nA (default -0.1:0.3 point cells, -0.5:1.5 others)")
	stepDur := fs.String("step-dur", "", "current step duration range, lo:hi ms (default 50:500)")
	timing := fs.Bool("timing", false, "add a timing channel per synapse (SYN.timing: where in each sample bin its events came), for train --timing")
	record := fs.String("record", "", "record more columns beside v_soma, NAME@SECTION(X) separated by spaces or semicolons: v, an ion X's iX, eX, Xi, Xo, or MECH.VAR of an NMODL mechanism (e.g. 'v@apic[36](0.5);cai@soma[0];ica@soma[0]')")
	compress := fs.String("compress", "", "Arrow buffer compression: none or lz4 (default: none for point cells, lz4 for cells with more synapses)")
	quiet := fs.Bool("quiet", false, "no progress bar")
	defaultUsage := fs.Usage
	fs.Usage = func() {
		defaultUsage()
		fmt.Fprint(os.Stderr, `
Input regimes (per trace, drawn from (seed, trace index)): silent, sparse,
subthreshold, core, driven, switching; see "go doc neurosurrogate/dataset".
Default ranges: point cells (<= 4 synapses) exc 0:3000 Hz x 0.001:0.005 uS,
inh 0:1000 Hz x 0.001:0.006 uS, core exc 500:3000 Hz x 0.001:0.004 uS, inh
200:800 Hz x 0.001:0.006 uS; cells with more synapses (per synapse) exc 0:30 Hz
x 0.002:0.010 uS, inh 0:25 Hz x 0.0005:0.003 uS, core exc 5:25 Hz x
0.004:0.008 uS, inh 5:20 Hz x 0.001:0.002 uS.
`)
	}
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return usagef("--out is required (the folder for the shard files)")
	}
	si, sn, err := dataset.ParseShard(*shard)
	if err != nil {
		return usagef("--shard: %v", err)
	}
	if *workers < 1 {
		return usagef("--workers %d: must be at least 1", *workers)
	}
	if err := checkOverwrite([]pathArg{{"--out", *out}, {"the shard file", filepath.Join(*out, dataset.ShardFileName(si, sn))}},
		[]pathArg{{"--cell", artifactFile(*cellArg, "", "cells", ".json")}}); err != nil {
		return err
	}
	if *batch < 0 {
		return usagef("--batch %d: must not be negative", *batch)
	}
	cell, err := loadCell(*cellArg)
	if err != nil {
		return err
	}
	reg := dataset.DefaultRegimes(cell)
	ranges := []struct {
		flag, val string
		dst       *dataset.Range
	}{
		{"exc-rate", *excRate, &reg.Exc.RateHz}, {"exc-weight", *excW, &reg.Exc.WeightUS},
		{"inh-rate", *inhRate, &reg.Inh.RateHz}, {"inh-weight", *inhW, &reg.Inh.WeightUS},
		{"core-exc-rate", *coreExcRate, &reg.CoreExc.RateHz}, {"core-exc-weight", *coreExcW, &reg.CoreExc.WeightUS},
		{"core-inh-rate", *coreInhRate, &reg.CoreInh.RateHz}, {"core-inh-weight", *coreInhW, &reg.CoreInh.WeightUS},
		{"segment-ms", *segment, &reg.SegmentMS}, {"step-amp", *stepAmp, &reg.StepAmpNA}, {"step-dur", *stepDur, &reg.StepDurMS},
	}
	for _, r := range ranges {
		if r.val == "" {
			continue
		}
		if *r.dst, err = dataset.ParseRange(r.val); err != nil {
			return usagef("--%s: %v", r.flag, err)
		}
	}
	if *mix != "" {
		if reg.Mix, err = dataset.ParseMix(*mix); err != nil {
			return usagef("--mix: %v", err)
		}
	}
	reg.StepFrac = *steps
	cfg := dataset.Config{
		Cell: cell, Traces: *traces, DurationMS: *duration, DtMS: *dt, SampleDtMS: *sampleDt,
		Seed: *seed, Shard: si, Shards: sn, Regimes: &reg, Workers: *workers, Batch: *batch, Compression: *compress,
		Timing: *timing,
		Record: strings.FieldsFunc(*record, func(r rune) bool { return r == ';' || r == ' ' }),
		Notice: func(msg string) { fmt.Fprintf(os.Stderr, "neurosurrogate generate: %s\n", msg) },
	}
	if _, err := cfg.Settings(); err != nil {
		return usagef("%v", err)
	}
	total := int64(dataset.ShardTraces(*traces, si, sn))
	var bar *progress.Bar
	if !*quiet {
		// Made at the first trace, so checks that fail early print no bar.
		cfg.Progress = func(done, _ int) {
			if bar == nil {
				bar = progress.New(fmt.Sprintf("generate %s shard %d/%d", cell.Name, si, sn), total, "traces")
			}
			bar.Set(int64(done), "")
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := dataset.Generate(ctx, *out, cfg)
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: no shard written (%v)", err)
		}
		return err
	}
	size := int64(0)
	if fi, err := os.Stat(res.Path); err == nil {
		size = fi.Size()
	}
	fmt.Fprintf(stdout, "wrote %s: %d traces x %g ms, %d spikes, %.1f MB in %.1f s (%.0f simulated ms per wall s, %d workers)\n",
		res.Path, res.Traces, *duration, res.Spikes, float64(size)/1e6, res.Wall.Seconds(), res.SimulatedMS/res.Wall.Seconds(), *workers)
	return nil
}
