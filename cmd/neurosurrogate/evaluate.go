package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"neurosurrogate/biophys"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/infer"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/train"
)

func init() {
	register(&command{
		name:    "evaluate",
		summary: "roll a surrogate out on many event files beside the reference and pool the metrics",
		run:     runEvaluate,
	})
}

func runEvaluate(args []string, stdout io.Writer) error {
	fs := newFlags("evaluate", "--model M --cell C [--tstop MS] EV1.csv EV2.csv ...\n       neurosurrogate evaluate --model M --data DIR[,DIR...] [--split all|training|validation|test] [--max-traces N]")
	modelArg := fs.String("model", "", "surrogate model: a shipped name ("+shippedModels+") or a .safetensors file")
	cellArg := fs.String("cell", "", "the cell the model was trained on: a shipped name ("+shippedCells+") or a cell JSON file")
	tstop := fs.Float64("tstop", 2000, "simulated time per file (ms)")
	dt := fs.Float64("dt", 0.025, "reference time step (ms)")
	asJSON := fs.Bool("json", false, "print the pooled metrics as one JSON object on the last line")
	windowsArg := fs.String("windows", "", "also pool rates and F1 by window of time from the start of every file: edges in ms, e.g. 0,100,500,1000,2000 (the onset beside the settled rate)")
	dataArg := fs.String("data", "", "score on a dataset's stored reference traces instead of event files (no reference runs): DIR[,DIR...]")
	splitArg := fs.String("split", train.SplitAll, "with --data: all its traces, or the training, validation or test traces of the model's last training run (then --data must be the folders it trained on)")
	maxTraces := fs.Int("max-traces", 0, "with --data: score only N of those traces, evenly spaced (0: all)")
	files, err := parseArgs(fs, args, 1<<20)
	if err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	// pick lists, as flags, those of names that were given.
	pick := func(names ...string) (out []string) {
		for _, n := range names {
			if given[n] {
				out = append(out, "--"+n)
			}
		}
		return out
	}
	if given["data"] {
		clash := pick("cell", "tstop", "dt", "windows")
		if len(files) > 0 {
			clash = append(clash, "event files")
		}
		if len(clash) > 0 {
			return usagef("--data scores the dataset's own traces (its cell, duration and step): drop %s", strings.Join(clash, ", "))
		}
		return evaluateData(*modelArg, *dataArg, *splitArg, *maxTraces, *asJSON, stdout)
	}
	if dataOnly := pick("split", "max-traces"); len(dataOnly) > 0 {
		return usagef("%s: only with --data", strings.Join(dataOnly, ", "))
	}
	if len(files) == 0 {
		return usagef("give one or more event files")
	}
	if err := checkTime(*tstop, *dt); err != nil {
		return err
	}
	var windows *metrics.Windows
	if *windowsArg != "" {
		if windows, err = parseWindows(*windowsArg, *tstop); err != nil {
			return usagef("--windows %s: %v", *windowsArg, err)
		}
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
	if err := infer.CheckModel(m, cell, *dt); err != nil {
		return err
	}
	// Read every file before the first run, so a bad one fails at once.
	inputs := make([][]biophys.Event, len(files))
	for i, f := range files {
		if inputs[i], err = biophys.ReadEventsFile(f, cell); err != nil {
			return err
		}
	}
	var pool, floor metrics.Pool
	var wallRef, wallSur float64
	var seen string // what the floor did to the input (the same for every file)
	var fileRMSE, floorRMSE []float64
	var pooled []infer.Series  // the outputs over every file
	var shape infer.SpikeShape // summed over files, weighted by matched spikes
	shapeW := 0.0
	fmt.Fprintf(stdout, "%-24s %6s %6s %7s %7s %7s %7s %7s %8s %8s\n", "events", "ref Hz", "sur Hz", "F1 2ms", "F1 5ms", "F1 10ms", "RMSE", "EV", "floor F1", "floor RMSE")
	// Files run in parallel, one per core; rows are written in file order
	// as each file's turn comes.
	type outcome struct {
		res *infer.CellResult
		err error
	}
	ready := make([]chan outcome, len(files))
	for i := range ready {
		ready[i] = make(chan outcome, 1)
	}
	sem := make(chan struct{}, max(1, runtime.NumCPU()))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := range files {
			select {
			case sem <- struct{}{}:
			case <-stop:
				return
			}
			go func(i int) {
				res, err := infer.RolloutCell(m, cell, inputs[i], *tstop, *dt)
				<-sem
				ready[i] <- outcome{res, err}
			}(i)
		}
	}()
	for i, f := range files {
		o := <-ready[i]
		res, err := o.res, o.err
		if err != nil {
			return err
		}
		r := pool.Add(res.Ref.V, res.Sur.V, m.Arch.SampleDT, res.Ref.Spikes, res.Sur.Spikes, res.TstopMS)
		floor.Add(res.Ref.V, res.Binned.V, m.Arch.SampleDT, res.Ref.Spikes, res.Binned.Spikes, res.TstopMS)
		if windows != nil {
			windows.Add(res.Ref.Spikes, res.Sur.Spikes)
		}
		seen = res.FloorWhat
		for j, sr := range infer.OutputSeries(m, cell, res.Ref, res.Sur) {
			if j == len(pooled) {
				pooled = append(pooled, infer.Series{Name: sr.Name, Unit: sr.Unit, Optical: sr.Optical})
			}
			pooled[j].Ref = append(pooled[j].Ref, sr.Ref...)
			pooled[j].Sur = append(pooled[j].Sur, sr.Sur...)
		}
		if sh := res.Shape; sh.Matched > 0 && !math.IsNaN(sh.HalfWidthErrMS) {
			w := float64(sh.Matched)
			shape.Trace, shape.StepMS, shape.Matched, shapeW = sh.Trace, sh.StepMS, shape.Matched+sh.Matched, shapeW+w
			shape.PeakRefMV += w * sh.PeakRefMV
			shape.PeakSurMV += w * sh.PeakSurMV
			shape.PeakErrMV += w * sh.PeakErrMV
			shape.HalfWidthRefMS += w * sh.HalfWidthRefMS
			shape.HalfWidthSurMS += w * sh.HalfWidthSurMS
			shape.HalfWidthErrMS += w * sh.HalfWidthErrMS
		}
		fileRMSE = append(fileRMSE, r.RMSESubMV)
		floorRMSE = append(floorRMSE, res.Floor.RMSESubMV)
		wallRef += res.WallRef.Seconds()
		wallSur += res.WallSur.Seconds()
		fmt.Fprintf(stdout, "%-24s %6.1f %6.1f %7.3f %7.3f %7.3f %7.3f %7.3f %8.3f %8.3f\n", filepath.Base(f), r.RateRefHz, r.RateSurHz,
			r.F1At2ms, r.F1At5ms, r.F1At10ms, r.RMSESubMV, r.EVSub, res.Floor.F1At2ms, res.Floor.RMSESubMV)
	}
	p := pool.Report()
	fl := floor.Report()
	fmt.Fprintf(stdout, "pooled over %d files: F1 ±2 ms %.3f (precision %.3f, recall %.3f), ±5 ms %.3f (precision %.3f, recall %.3f), ±10 ms %.3f (precision %.3f, recall %.3f); shift %.2f ± %.2f ms; Γ %.3f; subthreshold RMSE %.3f mV, EV %.3f; rates %.2f / %.2f Hz\n",
		len(files), p.F1At2ms, p.PrecisionAt2ms, p.RecallAt2ms, p.F1At5ms, p.Precision5ms, p.Recall5ms, p.F1At10ms, p.Precision10ms, p.Recall10ms, p.ShiftMeanMS, p.ShiftSDMS, p.Gamma, p.RMSESubMV, p.EVSub, p.RateRefHz, p.RateSurHz)
	fmt.Fprintf(stdout, "spikes within %g ms of another (bursts): reference %.1f%%, surrogate %.1f%%\n", metrics.BurstISIMS, 100*p.BurstRef, 100*p.BurstSur)
	var byWindow []metrics.WindowReport
	if windows != nil {
		byWindow = windows.Report()
		fmt.Fprintf(stdout, "%-16s %8s %8s %8s %7s %7s\n", "window (ms)", "ref Hz", "sur Hz", "rate", "F1 2ms", "F1 5ms")
		for _, w := range byWindow {
			fmt.Fprintf(stdout, "%-16s %8.2f %8.2f %+7.1f%% %7.3f %7.3f\n", fmt.Sprintf("%g-%g", w.FromMS, w.ToMS), w.RateRefHz, w.RateSurHz, 100*w.RateError, w.F1At2ms, w.F1At5ms)
		}
	}
	fmt.Fprintf(stdout, "binning floor (reference on %s): F1 ±2 ms %.3f, subthreshold RMSE %.3f mV\n", seen, fl.F1At2ms, fl.RMSESubMV)
	sf, sfl := spreadOf(fileRMSE), spreadOf(floorRMSE)
	fmt.Fprintf(stdout, "subthreshold RMSE per file: median %.3f, mean %.3f, worst %.3f mV (binning floor: median %.3f, mean %.3f, worst %.3f mV)\n",
		sf.Median, sf.Mean, sf.Max, sfl.Median, sfl.Mean, sfl.Max)
	for _, x := range []*float64{&shape.PeakRefMV, &shape.PeakSurMV, &shape.PeakErrMV, &shape.HalfWidthRefMS, &shape.HalfWidthSurMS, &shape.HalfWidthErrMS} {
		*x /= shapeW // NaN without a matched spike
	}
	shape.MatchWindowMS = 2
	fmt.Fprintf(stdout, "spike shape (%s, every %g ms) on %d matched spikes: peak %.1f vs %.1f mV (mean error %.1f mV), half-width %.2f vs %.2f ms (mean error %.2f ms)\n",
		shape.Trace, shape.StepMS, shape.Matched, shape.PeakSurMV, shape.PeakRefMV, shape.PeakErrMV, shape.HalfWidthSurMS, shape.HalfWidthRefMS, shape.HalfWidthErrMS)
	var outs, opt map[string]infer.OutputResult
	if len(m.Outputs) > 0 {
		outs, opt = map[string]infer.OutputResult{}, map[string]infer.OutputResult{}
		for _, sr := range pooled {
			r := infer.OutputResult{Name: sr.Name, Unit: sr.Unit}
			r.RMSE, r.EV = infer.RMSEEV(sr.Ref, sr.Sur)
			kind := "output"
			if sr.Optical {
				kind, opt[sr.Name] = "optical", finiteOutput(r)
			} else {
				outs[sr.Name] = finiteOutput(r)
			}
			fmt.Fprintf(stdout, "pooled %s %s: RMSE %.4g %s, explained variance %.3f\n", kind, sr.Name, r.RMSE, r.Unit, r.EV)
		}
	}
	fmt.Fprintf(stdout, "wall: reference %.2f s, surrogate %.2f s\n", wallRef, wallSur)
	if *asJSON {
		if err := printJSON(stdout, struct {
			metrics.Report
			Files      int                           `json:"files"`
			Floor      metrics.Report                `json:"binning_floor"`
			FloorInput string                        `json:"binning_floor_input"`
			PerFile    spread                        `json:"rmse_sub_mV_per_file"`
			FloorFile  spread                        `json:"binning_floor_rmse_sub_mV_per_file"`
			WallRefS   float64                       `json:"wall_ref_s"`
			WallSurS   float64                       `json:"wall_sur_s"`
			Outputs    map[string]infer.OutputResult `json:"outputs,omitempty"`
			Optical    map[string]infer.OutputResult `json:"optical,omitempty"`
			SpikeShape infer.SpikeShape              `json:"spike_shape"`
			Windows    []metrics.WindowReport        `json:"windows,omitempty"`
		}{p, len(files), fl, seen, sf, sfl, wallRef, wallSur, outs, opt, finiteShape(shape), byWindow}); err != nil {
			return err
		}
	}
	return nil
}

// evaluateData is evaluate --data: the model free-running on a dataset's
// stored traces, scored against them.
func evaluateData(modelArg, data, split string, maxTraces int, asJSON bool, stdout io.Writer) error {
	switch split {
	case train.SplitAll, train.SplitTraining, train.SplitValidation, train.SplitTest:
	default:
		return usagef("--split %q: want %s, %s, %s or %s", split, train.SplitAll, train.SplitTraining, train.SplitValidation, train.SplitTest)
	}
	if maxTraces < 0 {
		return usagef("--max-traces %d: want 0 (all) or more", maxTraces)
	}
	if data == "" {
		return usagef("--data: name one or more dataset folders")
	}
	m, err := loadModel(modelArg)
	if err != nil {
		return err
	}
	var bar *progress.Bar
	r, err := train.ScoreData(data, m, split, maxTraces, func(done, total int) {
		if bar == nil {
			bar = progress.New("evaluate: rollouts", int64(total), "traces")
		}
		bar.Set(int64(done), "")
	})
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return err
	}
	p := r.Report
	fmt.Fprintf(stdout, "pooled over %d traces (%s) of %s: F1 ±2 ms %.3f (precision %.3f, recall %.3f), ±5 ms %.3f (precision %.3f, recall %.3f), ±10 ms %.3f (precision %.3f, recall %.3f); shift %.2f ± %.2f ms; Γ %.3f; subthreshold RMSE %.3f mV, EV %.3f; rates %.2f / %.2f Hz\n",
		r.Traces, split, data, p.F1At2ms, p.PrecisionAt2ms, p.RecallAt2ms, p.F1At5ms, p.Precision5ms, p.Recall5ms, p.F1At10ms, p.Precision10ms, p.Recall10ms, p.ShiftMeanMS, p.ShiftSDMS, p.Gamma, p.RMSESubMV, p.EVSub, p.RateRefHz, p.RateSurHz)
	fmt.Fprintf(stdout, "spikes within %g ms of another (bursts): reference %.1f%%, surrogate %.1f%%\n", metrics.BurstISIMS, 100*p.BurstRef, 100*p.BurstSur)
	if asJSON {
		return printJSON(stdout, r)
	}
	return nil
}

// spread summarises one metric over files: the pooled figure weighs every
// subthreshold sample alike, so a few files with a spike out of place can
// carry it; the median says what a typical file sees.
type spread struct {
	Median float64 `json:"median"`
	Mean   float64 `json:"mean"`
	Max    float64 `json:"max"`
	Files  int     `json:"files"` // files the metric is defined on
}

// spreadOf summarises xs, leaving out NaN (a file with no subthreshold sample).
func spreadOf(xs []float64) spread {
	var ok []float64
	var sum float64
	for _, x := range xs {
		if !math.IsNaN(x) {
			ok = append(ok, x)
			sum += x
		}
	}
	if len(ok) == 0 {
		return spread{math.NaN(), math.NaN(), math.NaN(), 0}
	}
	q := metrics.Quantiles(ok, 0.5, 1)
	return spread{q[0], sum / float64(len(ok)), q[1], len(ok)}
}

// parseWindows reads --windows: comma-separated edges (ms) within the
// simulated time of every file.
func parseWindows(arg string, tstopMS float64) (*metrics.Windows, error) {
	var edges []float64
	for _, f := range strings.Split(arg, ",") {
		v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a time in ms", f)
		}
		edges = append(edges, v)
	}
	w, err := metrics.NewWindows(edges)
	if err != nil {
		return nil, err
	}
	if last := edges[len(edges)-1]; last > tstopMS {
		return nil, fmt.Errorf("the last edge %g ms lies beyond --tstop %g ms", last, tstopMS)
	}
	return w, nil
}
