package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"neurosurrogate/biophys"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"

	"neurosurrogate/artifacts"
	"neurosurrogate/cmd/internal/progress"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
	"neurosurrogate/train"
)

func init() {
	register(&command{
		name:    "train",
		summary: "train a CNN-LSTM (or, with --traces, trace-LSTM) surrogate on a dataset (CPU)",
		run:     runTrain,
	})
}

func runTrain(args []string, stdout io.Writer) (err error) {
	d := train.DefaultConfig()
	fs := newFlags("train", "--data DIR --out MODEL.safetensors [flags]")
	cfg := d
	cfg.LoadModel = func(arg string) (*surrogate.Model, error) { return artifacts.LoadModel(arg, "") } // a shipped name or a file
	cfg.Notice = func(msg string) { fmt.Fprintf(os.Stderr, "neurosurrogate train: %s\n", msg) }
	fs.StringVar(&cfg.Data, "data", "", "dataset folder (shards made by generate)")
	fs.StringVar(&cfg.Out, "out", "", "model file to write (safetensors); a checkpoint OUT.ckpt and learning curve OUT.curve.{csv,png} go beside it")
	fs.StringVar(&cfg.Inputs, "inputs", d.Inputs, "how synapse channels feed the model: channels (one input each), class (exc/inh), prefix (name up to the last _), distance:N (prefix groups split into N by distance from the soma)")
	fs.StringVar(&cfg.Init, "init", "", "start from this model file instead of random weights (its sizes replace --hidden/--conv/--kernel/--layers/--residual/--feed-spike; --inputs may split its inputs finer, e.g. channels)")
	fs.IntVar(&cfg.WidenConv, "widen-conv", 0, "with --init: give the starting model this many convolution channels (the new ones start with no effect on its output)")
	fs.StringVar(&cfg.InputDelay, "input-delay", "", "psp: delay each input by when its synapses' somatic PSPs rise (measured in the reference cell), so distal inputs reach the model when they reach the soma")
	fs.BoolVar(&cfg.Timing, "timing", false, "give every synapse input a timing twin: where in the bin its events came (needs data made with generate --timing; with --init, added to the starting model at zero weight)")
	fs.IntVar(&cfg.SubBins, "sub-bins", d.SubBins, "split every model step into this many sub-bins, each with its own inputs: the model steps every N dataset samples and hears each apart (data at 0.25 ms with --sub-bins 2: a 0.5 ms model that knows which quarter-millisecond its input came in)")
	traces := fs.String("traces", "", "make a trace-lstm model: it hears every input through exponential traces of these time constants (ms), a list (0,1,2,4,8,16,32,64) or geom:N:LO:HI (0, then N-1 from LO to HI ms in geometric steps; geom:8:1:64 is that list); with --init, the model's input stage is fitted onto the traces")
	inputLags := fs.String("input-lags", "", "read the inputs at these lags (samples) instead of 0..kernel-1: a list (0,1,2,4,8,...) or geom:N:MAX (0..N-1, then growing 1.4x to MAX; geom:8:100 hears 50 ms at 0.5 ms samples); with --init the list must include the model's lags, the new ones start at zero weight")
	fs.IntVar(&cfg.WidenHidden, "widen-hidden", 0, "with --init: give the starting model this many LSTM units per layer (the new ones start with no effect on its output)")
	fs.IntVar(&cfg.WidenKernel, "widen-kernel", 0, "with --init: lengthen the starting model's convolution to this many samples (the older lags start at zero weight)")
	fs.IntVar(&cfg.Hidden, "hidden", d.Hidden, "LSTM units per layer")
	fs.IntVar(&cfg.Conv, "conv", d.Conv, "causal convolution channels")
	fs.IntVar(&cfg.Kernel, "kernel", d.Kernel, "causal convolution length (samples; with --traces, of the fed-back Vm and spike only)")
	fs.IntVar(&cfg.Layers, "layers", d.Layers, "LSTM layers")
	fs.BoolVar(&cfg.Residual, "residual", d.Residual, "the Vm head predicts the change of Vm rather than Vm")
	fs.BoolVar(&cfg.FeedSpike, "feed-spike", d.FeedSpike, "feed the model's own spike probability back as an input beside its Vm")
	fs.BoolVar(&cfg.HearsSpikes, "hear-spikes", d.HearsSpikes, "with --input-driven: the model hears its own spike probability (not its Vm), fed back in training as in use, so it can learn when it fired")
	fs.BoolVar(&cfg.HearsFired, "hear-fired", d.HearsFired, "with --input-driven: the model hears the spikes its readout fires (0 or 1, not its Vm), teacher-forced on the reference's spikes in training, so it knows how long ago it fired")
	fs.Float64Var(&cfg.HearJitterMS, "hear-jitter", d.HearJitterMS, "with --hear-fired: move each reference spike the model hears in training by a random offset within ±this many ms (whole samples), drawn anew every batch, so that it does not trust its spike history to the sample")
	fs.Float64Var(&cfg.HearOwn, "hear-own", d.HearOwn, "with --hear-fired: on this fraction of the training traces (0-1) the model hears the spikes its own readout fires when it runs free on the trace, as in use, instead of the reference's")
	fs.Float64Var(&cfg.HearDrop, "hear-drop", d.HearDrop, "with --hear-fired: leave each reference spike the model hears in training out with this probability, drawn anew every batch")
	fs.BoolVar(&cfg.InputDriven, "input-driven", d.InputDriven, "make a model that does not hear its own Vm or spikes, a function of its inputs alone (with --init: the starting model's fed-back weights are zeroed); --feedback and --noise do not apply")
	fs.IntVar(&cfg.Seq, "seq", d.Seq, "samples per unrolled graph run (state is carried across runs)")
	fs.IntVar(&cfg.Batch, "batch", d.Batch, "traces per batch")
	fs.IntVar(&cfg.Epochs, "epochs", d.Epochs, "passes over the training traces")
	fs.DurationVar(&cfg.TimeBudget, "time-budget", d.TimeBudget, "stop after this much training time (0: no limit)")
	fs.Uint64Var(&cfg.Seed, "seed", d.Seed, "seed of initialization, shuffling and noise")
	fs.Float64Var(&cfg.LR, "lr", d.LR, "peak learning rate (Adam)")
	fs.Float64Var(&cfg.LRMin, "lr-min", d.LRMin, "final learning rate of the cosine schedule")
	fs.Float64Var(&cfg.Clip, "clip", d.Clip, "gradient norm clip")
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", 0, "decoupled weight decay (AdamW): every weight but the biases shrinks by lr times this per step (e.g. 0.05; 0: off)")
	fs.Float64Var(&cfg.EMA, "ema", 0, "keep a moving average of the weights with this decay per step (e.g. 0.999) and validate, select and write it (0: off)")
	fs.StringVar(&cfg.Feedback, "feedback", d.Feedback, "Vm fed back during training: free (own prediction), teacher (reference + noise), scheduled")
	fs.Float64Var(&cfg.NoiseMV, "noise", d.NoiseMV, "noise (mV, sd) on the teacher Vm")
	fs.Float64Var(&cfg.SpikeWeight, "spike-weight", d.SpikeWeight, "weight of the spike head's loss")
	fs.Float64Var(&cfg.SpikePosWeight, "spike-pos-weight", d.SpikePosWeight, "extra weight of bins that hold a spike")
	fs.Float64Var(&cfg.SpikeSmoothMS, "spike-smooth", 0, "soften the spike targets with a Gaussian of this SD (ms; 0: a spike is its bin): near bins get targets and weights in proportion")
	fs.Float64Var(&cfg.SpikeVmWeight, "spike-vm-weight", d.SpikeVmWeight, "weight of Vm errors within --spike-vm-window of a spike")
	fs.Float64Var(&cfg.SpikeVmWindowMS, "spike-vm-window", d.SpikeVmWindowMS, "ms either side of a reference spike where Vm errors get --spike-vm-weight (5 matches the subthreshold metric)")
	fs.StringVar(&cfg.Engine, "engine", d.Engine, "what computes each chunk's loss and gradients: unrolled (hand-written backpropagation through time, 2.5x faster) or gorgonia (the gorgonia graph it is tested equal to)")
	fs.IntVar(&cfg.Replicas, "replicas", d.Replicas, "graphs run in parallel on parts of each batch (0: one per core, at most 2)")
	fs.IntVar(&cfg.Patience, "patience", d.Patience, "stop after this many epochs without better validation (0: never)")
	fs.IntVar(&cfg.MaxTraces, "max-traces", 0, "use only the dataset's first N traces (0: all), e.g. to measure accuracy against data size")
	fs.Float64Var(&cfg.SelectRMSEWeight, "select-rmse-weight", d.SelectRMSEWeight, "model selection scores each validation as spike F1 at ±2 ms less this much per mV of subthreshold RMSE")
	fs.Float64Var(&cfg.BurstTolerance, "burst-tolerance", d.BurstTolerance, "among readouts within --rate-tolerance, prefer those whose validation burst fraction (spikes less than 10 ms from another) is within this fraction of the reference's or 1 percentage point (0: any)")
	fs.Float64Var(&cfg.RateTolerance, "rate-tolerance", d.RateTolerance, "calibrate the spike readout for the best F1 among readouts whose validation firing rate is within this fraction of the reference's (0: best F1 at any rate)")
	fs.BoolVar(&cfg.SelectThreshold, "select-threshold", false, "model selection reads each epoch's validation spikes at its calibrated probability threshold (as --rate-tolerance and --rate-settle say; refractory time and shift kept), not the model's current one")
	fs.Float64Var(&cfg.RateSettleMS, "rate-settle", d.RateSettleMS, "ms into each validation trace from which the firing rate --rate-tolerance matches is counted (at most half the trace; 0: the whole trace): the settled rate a network's measured time and long runs see, past the onset transient")
	fs.IntVar(&cfg.ValMax, "val-traces", d.ValMax, "validation traces rolled out after each epoch (at most)")
	fs.Float64Var(&cfg.ValFrac, "val-frac", d.ValFrac, "fraction of each dataset's traces set aside for validation (--val-traces of them are used)")
	fs.Float64Var(&cfg.TestFrac, "test-frac", d.TestFrac, "fraction of each dataset's traces held back as test traces, never trained on (their indices are stored in the model; 0: none, e.g. when held-out files test the model)")
	fs.DurationVar(&cfg.CheckpointEvery, "checkpoint-every", d.CheckpointEvery, "checkpoint interval (also at every epoch end; 0: after every batch)")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue the run whose checkpoint is OUT.ckpt")
	asJSON := fs.Bool("json", false, "print the result as one JSON object on the last line")
	recal := fs.Bool("recalibrate", false, "only re-derive the spike readout of the model at --out on its validation traces")
	outputs := fs.String("outputs", "", "after training, fit readouts of these dataset records (generate --record), separated by spaces or semicolons, e.g. 'cai@soma[0](0.5);ina@soma[0](0.5)': the model predicts them beside Vm")
	fitOnly := fs.Bool("fit-outputs", false, "only fit the --outputs readouts onto the model at --out (no training)")
	outputTraces := fs.Int("output-traces", 256, "traces the --outputs readouts are fitted on (at most)")
	waveforms := fs.String("waveforms", "", "of the --outputs, those that draw their mean course around each predicted spike (action potentials of a Vm, the currents that make them), e.g. 'v@soma[0](0.5)': averaged by ISI class over the reference rerun at its time step on the inputs of --waveform-traces traces")
	fitWaveformsOnly := fs.Bool("fit-waveforms", false, "only fit the --waveforms onto the outputs of the model at --out (no training, outputs kept)")
	waveformTraces := fs.Int("waveform-traces", 40, "traces the --waveforms are averaged over (at most)")
	targets := fs.String("targets", "", "dataset records (generate --record; as --outputs) that training heads on the model's state learn beside Vm and spikes, e.g. 'v@apic[50](0.5);cai@apic[50](0.5)', so the state carries them; the heads are dropped afterwards (--outputs fits readouts)")
	fs.Float64Var(&cfg.TargetWeight, "target-weight", 0, "weight of each --targets record's squared error, standardized (a Vm error's is 1 in units of the Vm's scale)")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the run to this file (go tool pprof)")
	if err := parseFlags(fs, args, 0); err != nil {
		return err
	}
	if cfg.InputLags, err = train.ParseInputLags(*inputLags); err != nil {
		return usagef("--input-lags %v", err)
	}
	if cfg.TracesMS, err = train.ParseTraces(*traces); err != nil {
		return usagef("--traces %v", err)
	}
	cfg.Targets = strings.FieldsFunc(*targets, func(r rune) bool { return r == ';' || r == ' ' })
	if err := cfg.Validate(); err != nil {
		return usagef("%v", flagNames(err))
	}
	if err := checkTrainPaths(cfg, *cpuProfile); err != nil {
		return err
	}
	for _, f := range []struct{ flag, path string }{{"out", cfg.Out}, {"cpuprofile", *cpuProfile}} {
		if err := checkWritable(f.flag, f.path); err != nil {
			return err
		}
	}
	outNames := strings.FieldsFunc(*outputs, func(r rune) bool { return r == ';' || r == ' ' })
	if *fitOnly && len(outNames) == 0 {
		return usagef("--fit-outputs needs --outputs")
	}
	if *outputTraces < 1 {
		return usagef("--output-traces %d: want at least 1", *outputTraces)
	}
	wfNames := strings.FieldsFunc(*waveforms, func(r rune) bool { return r == ';' || r == ' ' })
	if *fitWaveformsOnly && len(wfNames) == 0 {
		return usagef("--fit-waveforms needs --waveforms")
	}
	if len(wfNames) > 0 && len(outNames) == 0 && !*fitWaveformsOnly {
		return usagef("--waveforms needs --outputs, or --fit-waveforms for a model's outputs (the waveforms are drawn into outputs)")
	}
	if *fitWaveformsOnly && (*fitOnly || len(outNames) > 0) {
		return usagef("--fit-waveforms keeps the model's outputs: to fit outputs and waveforms together, give --fit-outputs --outputs LIST --waveforms LIST")
	}
	if len(wfNames) > 0 {
		if strings.Contains(cfg.Data, ",") {
			return usagef("--waveforms: one --data folder, not a list (%s)", cfg.Data)
		}
		if len(outNames) > 0 {
			if err := waveformsAmong(wfNames, outNames); err != nil {
				return err
			}
		}
	}
	if *waveformTraces < 1 {
		return usagef("--waveform-traces %d: want at least 1", *waveformTraces)
	}
	// fitWaveforms fits the --waveforms and marks them in fits (if any).
	fitWaveforms := func(fits []train.OutputFit) ([]train.WaveformFit, error) {
		var bar *progress.Bar
		wfs, err := train.FitWaveforms(cfg.Data, cfg.Out, wfNames, *waveformTraces, func(done, total int) {
			if bar == nil {
				bar = progress.New("waveforms: reference reruns", int64(total), "traces")
			}
			bar.Set(int64(done), "")
		})
		if bar != nil {
			bar.Done()
		}
		if err != nil {
			return nil, flagNames(err)
		}
		for k, w := range wfs {
			fmt.Fprintf(stdout, "output %s: waveform over %d traces, spikes by ISI class (edges %v ms; the last class also holds first spikes) %v (pooled with all: %v), largest value %.4g\n",
				w.Name, w.Traces, train.WaveformISIsMS, w.Counts, w.Pooled, w.PeakMV)
			for i := range fits {
				if fits[i].Name == w.Name {
					fits[i].Waveform = &wfs[k]
				}
			}
		}
		return wfs, nil
	}
	fit := func() ([]train.OutputFit, error) {
		fits, err := train.FitOutputs(cfg.Data, cfg.Out, outNames, *outputTraces)
		if err != nil {
			return nil, flagNames(err)
		}
		for _, f := range fits {
			fmt.Fprintf(stdout, "output %s: fitted on %d traces, free-running RMSE %.4g %s, explained variance %.3f\n", f.Name, f.Traces, f.RMSE, f.Unit, f.EV)
		}
		if len(wfNames) > 0 {
			_, err = fitWaveforms(fits)
		}
		return fits, err
	}
	if *fitWaveformsOnly {
		wfs, err := fitWaveforms(nil)
		if err == nil && *asJSON {
			js := map[string]any{}
			for _, w := range wfs {
				js[w.Name] = waveformJSON(w)
			}
			err = printJSON(stdout, map[string]any{"model": cfg.Out, "waveforms": js})
		}
		return err
	}
	if *fitOnly {
		fits, err := fit()
		if err == nil && *asJSON {
			err = printJSON(stdout, map[string]any{"model": cfg.Out, "outputs": fitsJSON(fits)})
		}
		return err
	}
	if *recal {
		rep, err := train.Recalibrate(cfg.Data, cfg.Out, cfg.ReadoutGoal())
		if err != nil {
			return flagNames(err)
		}
		m, err := loadModel(cfg.Out)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "recalibrated %s: readout %+v; validation F1 ±2 ms %.3f, ±5 ms %.3f, ±10 ms %.3f; rate %.2f Hz (reference %.2f); bursts %.1f%% of spikes (reference %.1f%%)\n",
			cfg.Out, m.Readout, rep.F1At2ms, rep.F1At5ms, rep.F1At10ms, rep.RateSurHz, rep.RateRefHz, 100*rep.BurstSur, 100*rep.BurstRef)
		return nil
	}
	if *cpuProfile != "" {
		// Written beside its final name and renamed when the run succeeds.
		f, ferr := os.CreateTemp(filepath.Dir(*cpuProfile), ".cpuprofile-*")
		if ferr != nil {
			return fmt.Errorf("--cpuprofile: %w", ferr)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			os.Remove(f.Name())
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		defer func() { // err: runTrain's result
			pprof.StopCPUProfile()
			f.Close()
			if err == nil {
				err = os.Rename(f.Name(), *cpuProfile)
			}
			if err != nil {
				os.Remove(f.Name())
			}
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var bar *progress.Bar
	var lastVal *metrics.Report // shown until the next validation
	res, err := train.Run(ctx, cfg, func(s train.Status) {
		if bar == nil {
			bar = progress.New("train", int64(s.TotalSteps), "steps")
			bar.StartAt(int64(s.FirstStep))
		}
		status := fmt.Sprintf("epoch %d/%d loss %.4g", s.Epoch+1, s.Epochs, s.Loss)
		if math.IsNaN(s.Loss) { // no step taken yet (the initial model's validation)
			status = fmt.Sprintf("epoch %d/%d", s.Epoch+1, s.Epochs)
		} else if len(cfg.Targets) > 0 {
			status += fmt.Sprintf(" (targets %.4g)", s.Loss-s.LossV-s.LossS) // the training heads' part
		}
		if s.Val != nil {
			lastVal = s.Val
		}
		if lastVal != nil {
			best := "the initial model"
			if s.BestEpoch >= 0 {
				best = fmt.Sprintf("epoch %d", s.BestEpoch+1)
			}
			status += fmt.Sprintf(" | val F1±2ms %.3f RMSE %.2f mV (best: %s)", lastVal.F1At2ms, lastVal.RMSESubMV, best)
		}
		bar.Set(int64(s.Step), status)
	})
	if bar != nil {
		bar.Done()
	}
	if err != nil {
		return flagNames(err)
	}
	var fits []train.OutputFit
	if len(outNames) > 0 {
		if fits, err = fit(); err != nil {
			return err
		}
	}
	csv, png := train.CurvePaths(cfg.Out)
	bestName := "the initial model" // epochs count from 1, as in the progress bar
	if res.Best.Epoch >= 0 {
		bestName = fmt.Sprintf("epoch %d", res.Best.Epoch+1)
	}
	fmt.Fprintf(stdout, "wrote %s (%d parameters; best %s: val F1 ±2 ms %.3f, ±10 ms %.3f, subthreshold RMSE %.2f mV; %s after %d steps, %.1f min; stopped by %s)\n",
		cfg.Out, res.Params, bestName, res.Best.ValF1At2, res.Best.ValF1At10, res.Best.ValRMSESub, res.Checkpoint, res.Steps, res.Elapsed.Minutes(), res.StoppedBy)
	fmt.Fprintf(stdout, "learning curve: %s, %s\n", csv, png)
	if *asJSON {
		out := map[string]any{"model": cfg.Out, "params": res.Params, "best": res.Best, "elapsed_s": res.Elapsed.Seconds(),
			"steps": res.Steps, "samples": res.Samples, "samples_per_s": float64(res.Samples) / res.Elapsed.Seconds(), "stopped_by": res.StoppedBy}
		if len(fits) > 0 {
			out["outputs"] = fitsJSON(fits)
		}
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	}
	return nil
}

// fitsJSON is the outputs' fit as JSON: name -> {rmse, ev, unit, traces}.
func fitsJSON(fits []train.OutputFit) map[string]any {
	out := map[string]any{}
	for _, f := range fits {
		o := map[string]any{"rmse": f.RMSE, "ev": f.EV, "unit": f.Unit, "traces": f.Traces}
		if f.Waveform != nil {
			o["waveform"] = waveformJSON(*f.Waveform)
		}
		out[f.Name] = o
	}
	return out
}

// waveformsAmong checks that every --waveforms name is one of the
// --outputs (as probes: soma and soma[0](0.5) are the same).
func waveformsAmong(wf, outs []string) error {
	canon := func(n string) (string, error) {
		p, err := biophys.ParseProbe(n)
		if err != nil {
			return "", err
		}
		return p.String(), nil
	}
	have := map[string]bool{}
	for _, o := range outs {
		if c, err := canon(o); err == nil {
			have[c] = true
		}
	}
	for _, w := range wf {
		c, err := canon(w)
		if err != nil {
			return usagef("--waveforms: %v", err)
		}
		if !have[c] {
			return usagef("--waveforms: %s is not among --outputs %v", c, outs)
		}
	}
	return nil
}

// waveformJSON is a waveform's fit as JSON.
func waveformJSON(w train.WaveformFit) map[string]any {
	return map[string]any{"traces": w.Traces, "isi_edges_ms": train.WaveformISIsMS, "spikes": w.Counts, "pooled": w.Pooled, "largest": w.PeakMV}
}

// flagNames writes a training error's settings as this command's flags
// (train.SettingError); other errors pass unchanged.
func flagNames(err error) error {
	var se *train.SettingError
	if !errors.As(err, &se) {
		return err
	}
	return &renamedError{msg: strings.Replace(err.Error(), se.Error(), se.Render(trainFlag), 1), err: err}
}

// trainFlag is the command line's name of a training setting.
func trainFlag(setting string) string {
	switch setting {
	case "val_max":
		return "--val-traces"
	case "noise_mV":
		return "--noise"
	case "spike_vm_window_ms":
		return "--spike-vm-window"
	case "traces_ms":
		return "--traces"
	case "rate_settle_ms":
		return "--rate-settle"
	case "hears_spikes":
		return "--hear-spikes"
	case "hears_fired":
		return "--hear-fired"
	case "hear_jitter_ms":
		return "--hear-jitter"
	}
	return "--" + strings.ReplaceAll(setting, "_", "-")
}

// renamedError is an error with another text, still wrapping the original.
type renamedError struct {
	msg string
	err error
}

func (e *renamedError) Error() string { return e.msg }
func (e *renamedError) Unwrap() error { return e.err }

// checkTrainPaths refuses outputs that would overwrite the dataset (its
// folder or a shard in it), the starting model, or each other: the model,
// its checkpoint and learning curve, and the CPU profile.
func checkTrainPaths(cfg train.Config, cpuProfile string) error {
	outs := []pathArg{{"--out", cfg.Out}}
	if cfg.Out != "" {
		csv, png := train.CurvePaths(cfg.Out)
		outs = append(outs, pathArg{"the checkpoint of --out", train.CheckpointPath(cfg.Out)},
			pathArg{"the learning curve of --out", csv}, pathArg{"the learning-curve plot of --out", png})
	}
	outs = append(outs, pathArg{"--cpuprofile", cpuProfile})
	ins := []pathArg{{"--data", cfg.Data}, {"--init", cfg.Init}}
	if cfg.Data != "" {
		shards, _ := filepath.Glob(filepath.Join(cfg.Data, "shard-*.arrow"))
		for _, s := range shards {
			ins = append(ins, pathArg{"a shard of --data", s})
		}
	}
	return checkOverwrite(outs, ins)
}
