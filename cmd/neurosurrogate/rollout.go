package main

import (
	"fmt"
	"io"
	"math"

	"neurosurrogate/biophys"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/infer"
	"neurosurrogate/infer/metrics"
)

func init() {
	register(&command{
		name:    "rollout",
		summary: "run a surrogate free on input events beside the reference cell and compare them",
		run:     runRollout,
	})
}

type rolloutJSON struct {
	metrics.Report
	Cell      string    `json:"cell"`
	Model     string    `json:"model"`
	TstopMS   float64   `json:"tstop_ms"`
	SampleDT  float64   `json:"sample_dt_ms"`
	WarmupMS  float64   `json:"warmup_ms"`
	WallRefS  float64   `json:"wall_ref_s"`
	WallSurS  float64   `json:"wall_sur_s"`
	SpeedupX  float64   `json:"speedup"`
	RefSpikes []float64 `json:"ref_spikes"`
	SurSpikes []float64 `json:"sur_spikes"`
	// BinningFloor: the reference against itself on the input as the model
	// sees it: binned at its sample step, or for a model with timing
	// inputs, merged per synapse and bin at the events' mean time
	// (infer.FloorInput; the best any surrogate seeing that can do).
	BinningFloor metrics.Report `json:"binning_floor"`
	FloorInput   string         `json:"binning_floor_input"`
	// Drift over runs of at least 20 s: first vs last 10 s.
	DriftSur *metrics.Drift `json:"drift_sur,omitempty"`
	DriftRef *metrics.Drift `json:"drift_ref,omitempty"`
	// Outputs (the model's extra outputs) and Optical (vimg, gcamp): name
	// -> {rmse, ev, unit}; absent for a model without outputs.
	Outputs map[string]infer.OutputResult `json:"outputs,omitempty"`
	Optical map[string]infer.OutputResult `json:"optical,omitempty"`
	// SpikeShape compares the action potentials at matched spikes (-1 for
	// undefined figures).
	SpikeShape infer.SpikeShape `json:"spike_shape"`
}

func runRollout(args []string, stdout io.Writer) error {
	fs := newFlags("rollout", "--model M.safetensors --cell C --events EV.csv --tstop MS [--json] [--plot out.png]")
	modelArg := fs.String("model", "", "surrogate model: a shipped name ("+shippedModels+") or a .safetensors file")
	cellArg := fs.String("cell", "", "the cell the model was trained on: a shipped name ("+shippedCells+") or a cell JSON file")
	events := fs.String("events", "", "input events CSV (time_ms,synapse,weight_uS)")
	tstop := fs.Float64("tstop", 2000, "simulated time (ms)")
	dt := fs.Float64("dt", 0.025, "reference time step (ms)")
	asJSON := fs.Bool("json", false, "print the metrics as one JSON object on the last line")
	plotPath := fs.String("plot", "", "write a PNG of both traces with spike marks")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if *events == "" {
		return usagef("--events is required")
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	if err := checkOverwrite([]pathArg{{"--plot", *plotPath}}, []pathArg{{"--model", artifactFile(*modelArg, "", "models", ".safetensors")},
		{"--cell", artifactFile(*cellArg, "", "cells", ".json")}, {"--events", *events}}); err != nil {
		return err
	}
	if err := checkWritable("plot", *plotPath); err != nil {
		return err
	}
	m, err := loadModel(*modelArg)
	if err != nil {
		return err
	}
	if err := checkModelTime(m.Arch.SampleDT, *tstop, *dt); err != nil {
		return err
	}
	cell, err := loadCell(*cellArg)
	if err != nil {
		return err
	}
	evs, err := biophys.ReadEventsFile(*events, cell)
	if err != nil {
		return err
	}
	var bar *progress.Bar
	res, err := infer.RolloutCellProgress(m, cell, evs, *tstop, *dt, func(done, total float64) {
		if bar == nil {
			bar = progress.New("rollout: reference", int64(math.Round(total)), "simulated ms")
		}
		bar.Set(int64(math.Round(done)), "")
	})
	if err != nil {
		return err
	}
	if bar != nil {
		bar.Done()
	}
	r := res.Report
	fmt.Fprintf(stdout, "%s on %s, %.0f ms: reference %d spikes (%.1f Hz), surrogate %d (%.1f Hz)\n",
		*modelArg, cell.Name, res.TstopMS, r.SpikesRef, r.RateRefHz, r.SpikesSur, r.RateSurHz)
	fmt.Fprintf(stdout, "  spikes ±2 ms: F1 %.3f (precision %.3f, recall %.3f); ±5 ms: F1 %.3f (precision %.3f, recall %.3f); ±10 ms: F1 %.3f (precision %.3f, recall %.3f); shift %.2f ± %.2f ms; Γ %.3f\n",
		r.F1At2ms, r.PrecisionAt2ms, r.RecallAt2ms, r.F1At5ms, r.Precision5ms, r.Recall5ms, r.F1At10ms, r.Precision10ms, r.Recall10ms, r.ShiftMeanMS, r.ShiftSDMS, r.Gamma)
	fmt.Fprintf(stdout, "  spikes within %g ms of another (bursts): reference %.1f%%, surrogate %.1f%%\n", metrics.BurstISIMS, 100*r.BurstRef, 100*r.BurstSur)
	fmt.Fprintf(stdout, "  subthreshold Vm: RMSE %.3f mV, explained variance %.3f (%d samples)\n", r.RMSESubMV, r.EVSub, r.SubSamples)
	fmt.Fprintf(stdout, "  binning floor (reference on %s vs reference): F1 ±2 ms %.3f, subthreshold RMSE %.3f mV\n",
		res.FloorWhat, res.Floor.F1At2ms, res.Floor.RMSESubMV)
	for _, o := range res.Outputs {
		fmt.Fprintf(stdout, "  output %s: RMSE %.4g %s, explained variance %.3f\n", o.Name, o.RMSE, o.Unit, o.EV)
	}
	if len(res.Outputs) > 0 {
		for _, o := range res.Optical {
			fmt.Fprintf(stdout, "  optical %s: RMSE %.4g %s, explained variance %.3f\n", o.Name, o.RMSE, o.Unit, o.EV)
		}
	}
	sh := res.Shape
	fmt.Fprintf(stdout, "  spike shape (%s, every %g ms) on %d matched spikes: peak %.1f vs %.1f mV (mean error %.1f mV), half-width %.2f vs %.2f ms (mean error %.2f ms)\n",
		sh.Trace, sh.StepMS, sh.Matched, sh.PeakSurMV, sh.PeakRefMV, sh.PeakErrMV, sh.HalfWidthSurMS, sh.HalfWidthRefMS, sh.HalfWidthErrMS)
	fmt.Fprintf(stdout, "  wall: reference %.3f s, surrogate %.3f s\n", res.WallRef.Seconds(), res.WallSur.Seconds())
	if d := res.DriftSur; d != nil {
		fmt.Fprintf(stdout, "  drift (first vs last %.0f s): surrogate rate %.2f -> %.2f Hz, mean Vm %.2f -> %.2f mV; reference %.2f -> %.2f Hz, %.2f -> %.2f mV\n",
			d.WindowMS/1000, d.RateFirstHz, d.RateLastHz, d.MeanVFirstMV, d.MeanVLastMV,
			res.DriftRef.RateFirstHz, res.DriftRef.RateLastHz, res.DriftRef.MeanVFirstMV, res.DriftRef.MeanVLastMV)
	}
	if *plotPath != "" {
		if err := infer.WriteRolloutPNG(*plotPath, res, fmt.Sprintf("%s: reference (black) vs surrogate (red)", cell.Name)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  plot: %s\n", *plotPath)
	}
	if *asJSON {
		out := rolloutJSON{Report: r, Cell: cell.Name, Model: *modelArg, TstopMS: res.TstopMS, SampleDT: m.Arch.SampleDT,
			WarmupMS: 0, WallRefS: res.WallRef.Seconds(), WallSurS: res.WallSur.Seconds(),
			RefSpikes: nonNil(res.Ref.Spikes), SurSpikes: nonNil(res.Sur.Spikes), DriftSur: res.DriftSur, DriftRef: res.DriftRef, BinningFloor: res.Floor, FloorInput: res.FloorWhat}
		if res.WallSur > 0 {
			out.SpeedupX = res.WallRef.Seconds() / res.WallSur.Seconds()
		}
		out.SpikeShape = finiteShape(res.Shape)
		if len(res.Outputs) > 0 {
			out.Outputs, out.Optical = map[string]infer.OutputResult{}, map[string]infer.OutputResult{}
			for _, o := range res.Outputs {
				out.Outputs[o.Name] = finiteOutput(o)
			}
			for _, o := range res.Optical {
				out.Optical[o.Name] = finiteOutput(o)
			}
		}
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	}
	return nil
}

// finiteOutput writes an undefined figure (NaN: a constant reference) as
// -1, so the JSON stays valid.
func finiteOutput(o infer.OutputResult) infer.OutputResult {
	if math.IsNaN(o.EV) {
		o.EV = -1
	}
	if math.IsNaN(o.RMSE) {
		o.RMSE = -1
	}
	return o
}

// finiteShape writes the undefined figures (no matched spike) as -1.
func finiteShape(s infer.SpikeShape) infer.SpikeShape {
	for _, x := range []*float64{&s.PeakRefMV, &s.PeakSurMV, &s.PeakErrMV, &s.HalfWidthRefMS, &s.HalfWidthSurMS, &s.HalfWidthErrMS} {
		if math.IsNaN(*x) {
			*x = -1
		}
	}
	return s
}

func nonNil(x []float64) []float64 {
	if x == nil {
		return []float64{}
	}
	return x
}
