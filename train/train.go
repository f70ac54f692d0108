// Package train fits surrogate models to datasets: stateful truncated
// backpropagation through time over whole traces (B traces side by side,
// Seq samples per graph run, state carried between runs), a target at every
// sample, the model's own Vm fed back (or teacher forcing, or a schedule
// between the two), Adam with gradient-norm clipping and a cosine learning
// rate, validation by free-running rollouts after each epoch, model
// selection on that validation, atomic checkpoints and exact resume.
package train

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
)

// Config is everything a training run depends on.
type Config struct {
	Data   string `json:"data"`
	Out    string `json:"out"`
	Inputs string `json:"inputs"` // channel grouping: channels, class, prefix
	// Init, if set, is a model to start from instead of random weights: its
	// architecture sizes replace Hidden, Conv, Kernel, Layers, Residual and
	// FeedSpike, and its inputs are split into the finer groups Inputs asks
	// for (surrogate.Model.Regroup), so fine-tuning starts from the same
	// function.
	Init string `json:"init,omitempty"`
	// LoadModel resolves Init (nil: a model file, surrogate.Load); the
	// command line passes one that also knows the shipped models.
	LoadModel func(arg string) (*surrogate.Model, error) `json:"-"`
	// WidenConv, with Init, gives the starting model this many convolution
	// channels (surrogate.Model.Widen: the new ones start with no effect).
	WidenConv int `json:"widen_conv,omitempty"`
	// WidenHidden, with Init, gives the starting model this many LSTM units
	// per layer (surrogate.Model.WidenHidden: the new ones start with no
	// effect).
	WidenHidden int `json:"widen_hidden,omitempty"`
	// InputLags, if set, are the lags (samples, increasing from 0) at which
	// the convolution reads the inputs (surrogate.Arch.InputLags); with Init
	// they must include the model's, and the new ones start at zero weight
	// (surrogate.Model.WithInputLags).
	InputLags []int `json:"input_lags,omitempty"`
	// TracesMS, if set, makes the model a trace-lstm (surrogate.TraceFamily)
	// that hears its inputs through exponential traces of these time
	// constants (ms, increasing from 0); with Init, the starting model's
	// input stage is fitted onto them (surrogate.Model.WithTraces).
	TracesMS []float64 `json:"traces_ms,omitempty"`
	// WidenKernel, with Init, gives the starting model a convolution this
	// many samples long (the older lags start at zero weight).
	WidenKernel int `json:"widen_kernel,omitempty"`
	// InputDelay "psp" delays every input by its synapses' somatic PSP
	// timing (PSPDelays); "" keeps the delays the inputs have (none, or
	// the starting model's).
	InputDelay string `json:"input_delay,omitempty"`
	// Timing gives every input of synapses a timing twin (surrogate.Input
	// Timing: where in the bin its events came), read from the dataset's
	// timing channels (generate --timing). With Init, a starting model
	// without them gets them at zero weight (surrogate.Model.AddTiming).
	Timing bool `json:"timing,omitempty"`
	// SubBins makes the model step every SubBins dataset samples and hear
	// each of them apart (surrogate.Arch.SubBins): the data's sample step is
	// the sub-bin, the model's SubBins times it. 0 or 1: one per sample.
	SubBins int `json:"sub_bins,omitempty"`

	Hidden    int  `json:"hidden"`
	Conv      int  `json:"conv"`
	Kernel    int  `json:"kernel"`
	Layers    int  `json:"layers"`
	Residual  bool `json:"residual"`
	FeedSpike bool `json:"feed_spike"`
	// InputDriven makes (or, with Init, turns the starting model into) a
	// model that does not hear its own Vm or spikes
	// (surrogate.Arch.InputDriven): trained on whole sequences of its
	// inputs, it runs in use exactly as in training. Feedback and NoiseMV do
	// not apply. A starting model that is input-driven stays so.
	InputDriven bool `json:"input_driven,omitempty"`
	// HearsSpikes (with InputDriven): the input-driven model hears its own
	// spike probability (surrogate.Arch.HearsSpikes), fed back free in
	// training as in use; a new model gets FeedSpike, a starting model must
	// have it.
	HearsSpikes bool `json:"hears_spikes,omitempty"`
	// HearsFired (with InputDriven): the input-driven model hears its
	// readout's fired spikes (surrogate.Arch.HearsFired), teacher-forced on
	// the reference's spikes in training; a new model gets FeedSpike, a
	// starting model must have it.
	HearsFired bool `json:"hears_fired,omitempty"`
	// HearJitterMS and HearDrop (with HearsFired) make the reference's
	// spikes a model hears in training as unreliable as its own are in use:
	// each is moved by a uniform random offset within ±HearJitterMS
	// (whole samples) and left out with probability HearDrop, drawn anew
	// for every batch. The targets stay the reference's.
	HearJitterMS float64 `json:"hear_jitter_ms,omitempty"`
	HearDrop     float64 `json:"hear_drop,omitempty"`
	// HearOwn (with HearsFired) is the fraction of training traces on which
	// the model hears, instead of the reference's spikes, those its own
	// readout fires when the present model runs free on the trace from rest
	// (one rollout per batch, before its first chunk): the spike history it
	// will have in use, so that it learns how far to trust it. The targets
	// stay the reference's; no gradient flows through the rollout.
	HearOwn float64 `json:"hear_own,omitempty"`

	Seq    int    `json:"seq"`
	Batch  int    `json:"batch"`
	Epochs int    `json:"epochs"`
	Seed   uint64 `json:"seed"`

	LR    float64 `json:"lr"`
	LRMin float64 `json:"lr_min"`
	Clip  float64 `json:"clip"`
	// EMA, if positive, keeps an exponential moving average of the weights
	// with this decay per optimizer step (warmed up as min(EMA, (1+n)/(10+n))
	// after n steps); validation, model selection and the model written use
	// the average. 0: the weights themselves.
	EMA float64 `json:"ema,omitempty"`
	// WeightDecay, if positive, shrinks every weight that is not a bias by
	// the factor 1 - lr*WeightDecay before each optimizer step (decoupled
	// weight decay, AdamW: Loshchilov & Hutter 2019). 0: off.
	WeightDecay float64 `json:"weight_decay,omitempty"`

	// Feedback: "free" (own Vm fed back in training as in use), "teacher"
	// (the reference Vm plus NoiseMV of Gaussian noise), or "scheduled"
	// (teacher with a probability falling linearly to 0 at 60% of training).
	Feedback string  `json:"feedback"`
	NoiseMV  float64 `json:"noise_mV"`

	SpikeWeight    float64 `json:"spike_weight"`     // weight of the spike head's loss
	SpikePosWeight float64 `json:"spike_pos_weight"` // extra weight of bins with a spike
	// SpikeSmoothMS (> 0) softens the spike targets: a bin's target is
	// exp(−Δt²/2σ²) of the nearest spike Δt away (σ = SpikeSmoothMS, out to
	// 3σ), and its weight grows from SpikeWeight to SpikePosWeight times it
	// with the target, so a spike a little off costs less than one missed.
	SpikeSmoothMS float64 `json:"spike_smooth_ms,omitempty"`
	SpikeVmWeight float64 `json:"spike_vm_weight"` // weight of Vm errors within SpikeVmWindowMS of a spike
	// SpikeVmWindowMS: how near a reference spike (ms, either side) a Vm
	// error gets SpikeVmWeight. 5 matches the subthreshold metric, which
	// leaves out samples within 5 ms of a spike.
	SpikeVmWindowMS float64 `json:"spike_vm_window_ms"`

	Replicas int `json:"replicas"` // graphs run in parallel on half batches (0: one per core, max 2)
	// Engine computes each chunk's loss and gradients: "unrolled" (the
	// hand-written backpropagation through time, surrogate.Unrolled,
	// checked equal to the gorgonia graph) or "gorgonia" (the graph,
	// surrogate/graph). The two agree to float32 rounding, so a run's
	// numbers depend on which; a resumed run keeps its engine.
	Engine   string  `json:"engine"`
	ValFrac  float64 `json:"val_frac"`
	TestFrac float64 `json:"test_frac"`
	ValMax   int     `json:"val_max"` // at most this many validation traces
	// MaxTraces uses only the dataset's first traces (0: all), to measure
	// how accuracy grows with data.
	MaxTraces int `json:"max_traces,omitempty"`
	Patience  int `json:"patience"` // stop after this many epochs without a better validation
	// SelectRMSEWeight is what 1 mV of validation subthreshold RMSE costs in
	// the model-selection score, in units of spike F1 at ±2 ms (the score is
	// F1 − SelectRMSEWeight × RMSE).
	SelectRMSEWeight float64 `json:"select_rmse_weight"`
	// RateTolerance: the spike readout is calibrated for the best F1 among
	// readouts whose firing rate on the validation traces is within this
	// fraction of the reference's (0: best F1, whatever the rate).
	RateTolerance float64 `json:"rate_tolerance"`
	// RateSettleMS: the rate the readout matches is counted from this far
	// into each validation trace (at most half of it; 0: the whole trace),
	// where a network's measured time or a long run sits, past the onset
	// transient every trace starts with (a model can time the onset well and
	// still fire too little once settled; the whole-trace rate hides that).
	RateSettleMS float64 `json:"rate_settle_ms"`
	// BurstTolerance: among the readouts within RateTolerance, those whose
	// burst fraction (spikes less than metrics.BurstISIMS from another) on
	// the validation traces is within this fraction of the reference's (or
	// 1 percentage point) are preferred (0: any). A readout can match the rate by firing doublets
	// where the cell fires singly, which overdrives targets in a network.
	BurstTolerance float64 `json:"burst_tolerance,omitempty"`
	// SelectThreshold: each epoch's validation reads spikes at the
	// probability threshold calibrated as at the end (within RateTolerance
	// of the settled rate; the readout's refractory time and shift kept),
	// not at the model's current one, so that model selection does not
	// favour a spike probability shaped like the starting model's.
	SelectThreshold bool `json:"select_threshold,omitempty"`

	// Targets are dataset records (generate --record) that training heads
	// on the last LSTM layer's state learn beside Vm and spikes, each
	// standardized over the training traces and its squared error weighted
	// TargetWeight (a Vm error is weighted 1 in units of the Vm's own
	// scale): the state then carries them, e.g. the dendrites' Vm and
	// calcium. The heads are dropped from the model written
	// (surrogate.Model.StripAux); train --outputs fits readouts afterwards.
	Targets      []string `json:"targets,omitempty"`
	TargetWeight float64  `json:"target_weight,omitempty"`

	TimeBudget      time.Duration `json:"-"`
	CheckpointEvery time.Duration `json:"-"`
	Resume          bool          `json:"-"`
	// Notice, if not nil, is told what the run did beside training: the
	// temporary files of a killed run removed, a stale lock taken over.
	Notice func(msg string) `json:"-"`
	// StopAfterSteps ends the run after that many optimizer steps as if
	// killed (for tests of resume); 0 = off.
	StopAfterSteps int `json:"-"`
	// nanAtStep makes the loss of that step NaN (tests of the NaN stop).
	nanAtStep int
}

// DefaultConfig holds the defaults the command line starts from.
func DefaultConfig() Config {
	return Config{Inputs: "prefix", Hidden: 64, Conv: 16, Kernel: 8, Layers: 1, Seq: 128, Batch: 32, Epochs: 30, Seed: 1,
		LR: 3e-3, LRMin: 1e-4, Clip: 1, Feedback: "free", Engine: "unrolled", NoiseMV: 1, SpikeWeight: 1, SpikePosWeight: 5, SpikeVmWeight: 0.2, SpikeVmWindowMS: 2,
		ValFrac: 0.1, TestFrac: 0.1, ValMax: 32, Patience: 8, RateTolerance: 0.05, RateSettleMS: 500, SelectRMSEWeight: 0.02, TimeBudget: 25 * time.Minute, CheckpointEvery: 3 * time.Minute}
}

// Validate checks the settings; its messages name the command-line flag.
func (c *Config) Validate() error {
	ints := []struct {
		flag string
		v    int
		min  int
	}{
		{"hidden", c.Hidden, 1}, {"conv", c.Conv, 1}, {"kernel", c.Kernel, 1}, {"layers", c.Layers, 1},
		{"seq", c.Seq, 2}, {"batch", c.Batch, 1}, {"epochs", c.Epochs, 1},
		{"replicas", c.Replicas, 0}, {"patience", c.Patience, 0}, {"val_max", c.ValMax, 1}, {"max_traces", c.MaxTraces, 0},
		{"widen_conv", c.WidenConv, 0}, {"widen_hidden", c.WidenHidden, 0}, {"widen_kernel", c.WidenKernel, 0}, {"sub_bins", c.SubBins, 0},
	}
	for _, f := range ints {
		if f.v < f.min {
			return settingf("{"+f.flag+"} %d: must be at least %d", f.v, f.min)
		}
	}
	if c.SubBins > surrogate.MaxSubBins {
		return settingf("{sub_bins} %d: at most %d", c.SubBins, surrogate.MaxSubBins)
	}
	floats := []struct {
		flag     string
		v        float64
		positive bool
	}{
		{"lr", c.LR, true}, {"lr_min", c.LRMin, false}, {"clip", c.Clip, false}, {"noise_mV", c.NoiseMV, false}, {"ema", c.EMA, false}, {"weight_decay", c.WeightDecay, false},
		{"spike_weight", c.SpikeWeight, false}, {"rate_tolerance", c.RateTolerance, false}, {"rate_settle_ms", c.RateSettleMS, false}, {"burst_tolerance", c.BurstTolerance, false}, {"spike_pos_weight", c.SpikePosWeight, false}, {"spike_vm_weight", c.SpikeVmWeight, false}, {"spike_smooth_ms", c.SpikeSmoothMS, false},
		{"hear_jitter_ms", c.HearJitterMS, false}, {"spike_vm_window_ms", c.SpikeVmWindowMS, true}, {"select_rmse_weight", c.SelectRMSEWeight, false}, {"target_weight", c.TargetWeight, false},
	}
	for _, f := range floats {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 || f.positive && f.v == 0 {
			want := "a finite number >= 0"
			if f.positive {
				want = "a finite number > 0"
			}
			return settingf("{"+f.flag+"} %v: must be %s", f.v, want)
		}
	}
	for i, l := range c.InputLags {
		if l < 0 || l > surrogate.MaxInputLag || i == 0 && l != 0 || i > 0 && l <= c.InputLags[i-1] || len(c.InputLags) > surrogate.MaxTaps {
			return settingf("{input_lags} %v: want at most %d increasing lags from 0 to at most %d samples", c.InputLags, surrogate.MaxTaps, surrogate.MaxInputLag)
		}
	}
	if len(c.TracesMS) > 0 {
		if len(c.InputLags) > 0 {
			return settingf("{traces_ms} and {input_lags}: a model hears its inputs through traces or through taps, not both")
		}
		if c.InputDelay != "" {
			return settingf("{traces_ms} and {input_delay} %s: a trace-lstm model's inputs are not delayed (the traces carry the timing)", c.InputDelay)
		}
		if err := (surrogate.Arch{Family: surrogate.TraceFamily, TracesMS: c.TracesMS}).CheckTraces(); err != nil {
			return settingf("{traces_ms}: %w", err)
		}
	}
	if err := CheckGrouping(c.Inputs); err != nil {
		return settingf("{inputs}: %w", err)
	}
	switch {
	case len(c.Targets) > 0 && c.TargetWeight == 0 || len(c.Targets) == 0 && c.TargetWeight > 0:
		return settingf("{targets} %v with {target_weight} %v: training heads need both records to learn and a weight above 0", c.Targets, c.TargetWeight)
	case len(c.Targets) > surrogate.MaxAuxHeads:
		return settingf("{targets}: %d records, at most %d", len(c.Targets), surrogate.MaxAuxHeads)
	case c.WidenConv > 0 && c.Init == "":
		return settingf("{widen_conv} %d needs a starting model, {init} (it widens that model)", c.WidenConv)
	case c.WidenHidden > 0 && c.Init == "":
		return settingf("{widen_hidden} %d needs a starting model, {init} (it widens that model)", c.WidenHidden)
	case c.WidenKernel > 0 && c.Init == "":
		return settingf("{widen_kernel} %d needs a starting model, {init} (it lengthens that model's kernel)", c.WidenKernel)
	case c.InputDelay != "" && c.InputDelay != "psp":
		return settingf("{input_delay} %q: want psp (or leave it out)", c.InputDelay)
	case c.Data == "":
		return settingf("{data} is required")
	case c.Out == "":
		return settingf("{out} is required")
	case c.EMA >= 1:
		return settingf("{ema} %v: the decay must be below 1 (0: off)", c.EMA)
	case !surrogate.HasEngine(surrogate.DefaultFamily, c.Engine):
		return settingf("{engine} %q: want one of %v", c.Engine, surrogate.Engines(surrogate.DefaultFamily))
	case c.InputDriven && c.Residual:
		return settingf("{input_driven} and {residual}: an input-driven model predicts Vm, not its change from a Vm it does not hear")
	case c.HearsSpikes && !c.InputDriven:
		return settingf("{hears_spikes} needs {input_driven}: a model with feedback hears its spikes already (with {feed_spike})")
	case c.HearsFired && !c.InputDriven:
		return settingf("{hears_fired} needs {input_driven}: a model with feedback hears its spikes already (with {feed_spike})")
	case c.HearsFired && c.HearsSpikes:
		return settingf("{hears_fired} and {hears_spikes}: a model hears either its fired spikes or their probability")
	case (c.HearJitterMS != 0 || c.HearDrop != 0) && !c.HearsFired:
		return settingf("{hear_jitter_ms} and {hear_drop} need {hears_fired}: they blur the reference's spikes a model hears in training")
	case !(c.HearDrop >= 0 && c.HearDrop < 1):
		return settingf("{hear_drop} %v: want a probability in [0, 1)", c.HearDrop)
	case c.HearOwn != 0 && !c.HearsFired:
		return settingf("{hear_own} needs {hears_fired}: it sets which spikes such a model hears in training")
	case !(c.HearOwn >= 0 && c.HearOwn <= 1):
		return settingf("{hear_own} %v: want a fraction in [0, 1]", c.HearOwn)
	case c.Feedback != "free" && c.Feedback != "teacher" && c.Feedback != "scheduled":
		return settingf("{feedback} %q: want free, teacher or scheduled", c.Feedback)
	case !(c.ValFrac > 0) || !(c.TestFrac >= 0):
		return settingf("{val_frac} %g and {test_frac} %g: want a validation fraction above 0 and a test fraction of 0 or more", c.ValFrac, c.TestFrac)
	case !(c.ValFrac+c.TestFrac < 1):
		return settingf("{val_frac} %g and {test_frac} %g must leave traces to train on", c.ValFrac, c.TestFrac)
	case c.TimeBudget < 0:
		return settingf("{time_budget} %v: must not be negative", c.TimeBudget)
	case c.CheckpointEvery < 0:
		return settingf("{checkpoint_every} %v: must not be negative", c.CheckpointEvery)
	}
	return nil
}

// Status is reported to the progress callback.
type Status struct {
	Epoch, Epochs    int
	Step, TotalSteps int
	FirstStep        int     // step this process started from (non-zero after --resume)
	Loss             float64 // running mean of the training loss this epoch
	LossV, LossS     float64 // its Vm and spike parts
	Val              *metrics.Report
	BestEpoch        int
	Elapsed          time.Duration
	Message          string
}

// EpochRecord is one row of the learning curve.
type EpochRecord struct {
	Epoch      int     `json:"epoch"`
	Step       int     `json:"step"`
	TrainLoss  float64 `json:"train_loss"`
	LossV      float64 `json:"train_loss_vm"`
	LossS      float64 `json:"train_loss_spike"`
	ValF1At2   float64 `json:"val_f1_2ms"`
	ValF1At10  float64 `json:"val_f1_10ms"`
	ValRMSESub float64 `json:"val_rmse_sub_mV"`
	ValEVSub   float64 `json:"val_ev_sub"`
	ValRateRef float64 `json:"val_rate_ref_hz"`
	ValRateSur float64 `json:"val_rate_sur_hz"`
	Score      float64 `json:"score"`
	ElapsedS   float64 `json:"elapsed_s"`
}

// Result describes a finished run.
type Result struct {
	Model      *surrogate.Model
	Best       EpochRecord
	History    []EpochRecord
	Params     int
	Elapsed    time.Duration
	Steps      int
	Samples    int64 // training samples processed
	StoppedBy  string
	Checkpoint string
	// Calibrated is the validation after the spike readout was calibrated.
	Calibrated metrics.Report
}

// sanitizeReport replaces non-finite figures by -1 for JSON metadata.
func sanitizeReport(r metrics.Report) metrics.Report {
	v := reflect.ValueOf(&r).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Float64 && (math.IsNaN(f.Float()) || math.IsInf(f.Float(), 0)) {
			f.SetFloat(-1)
		}
	}
	return r
}

// ErrNaN reports a non-finite loss; the last good checkpoint is kept.
var ErrNaN = errors.New("the training loss became NaN or infinite")

// score ranks validation results: spike F1 at ±2 ms less rmseWeight per
// mV of subthreshold RMSE.
func score(r metrics.Report, rmseWeight float64) float64 {
	s := r.F1At2ms
	if !math.IsNaN(r.RMSESubMV) {
		s -= rmseWeight * r.RMSESubMV
	}
	return s
}

type checkpointState struct {
	Config    Config        `json:"config"`
	Arch      string        `json:"arch"`
	Epoch     int           `json:"epoch"` // epoch in progress
	Batch     int           `json:"batch"` // next batch within it
	Step      int           `json:"step"`
	Samples   int64         `json:"samples"`
	ElapsedS  float64       `json:"elapsed_s"`
	BestScore float64       `json:"best_score"`
	BestEpoch int           `json:"best_epoch"`
	History   []EpochRecord `json:"history"`
	LossSum   [3]float64    `json:"loss_sum"`
	LossN     int           `json:"loss_n"`
	Stale     int           `json:"stale"`
}

// CheckpointPath is where a run writing out keeps its checkpoint.
func CheckpointPath(out string) string { return out + ".ckpt" }

// decayedWeights names the weight tensors of a that weight decay shrinks:
// all but the biases.
func decayedWeights(a surrogate.Arch) []string {
	var names []string
	for _, spec := range a.Layout().Tensors {
		if !spec.Bias {
			names = append(names, spec.Name)
		}
	}
	return names
}

// decayWeights multiplies the named weight tensors of m by 1 - f
// (decoupled weight decay).
func decayWeights(m *surrogate.Model, names []string, f float64) {
	keep := float32(1 - f)
	for _, name := range names {
		d := m.W[name].Data
		for i := range d {
			d[i] *= keep
		}
	}
}

// updateEMA moves the average's weights towards the model's: avg = d avg +
// (1 - d) w.
func updateEMA(avg, m *surrogate.Model, d float64) {
	df, mf := float32(d), float32(1-d)
	for name, t := range m.W {
		a := avg.W[name].Data
		for i, w := range t.Data {
			a[i] = df*a[i] + mf*w
		}
	}
}

// record makes a learning-curve row; undefined figures (NaN) become -1 so
// the history stays valid JSON.
func record(epoch, step int, elapsed time.Duration, val metrics.Report, rmseWeight float64) EpochRecord {
	sc := score(val, rmseWeight)
	val = sanitizeReport(val)
	return EpochRecord{Epoch: epoch, Step: step, ElapsedS: elapsed.Seconds(),
		ValF1At2: val.F1At2ms, ValF1At10: val.F1At10ms, ValRMSESub: val.RMSESubMV, ValEVSub: val.EVSub,
		ValRateRef: val.RateRefHz, ValRateSur: val.RateSurHz, Score: sc}
}

func shuffled(n int, seed, epoch uint64) []int {
	rng := rand.New(rand.NewPCG(seed, epoch))
	p := rng.Perm(n)
	return p
}

// rollouts runs every trace of set free from rest, batched, as long as the
// longest: Vm traces and per-bin spike probabilities.
func rollouts(m *surrogate.Model, set []*series, vInit float32) (v, p [][]float32) {
	steps := 0
	for _, s := range set {
		steps = max(steps, len(s.v)-1)
	}
	nIn := len(m.Arch.Inputs)
	next := make([]int, len(set)*nIn) // per series and input: the index of its next nonzero sample
	last := -2
	return surrogate.Rollout(m, len(set), steps, vInit, func(k int, dst []float32) {
		clear(dst)
		if k != last+1 { // not the next sample: find every input's place
			for i, s := range set {
				for j := 0; j < nIn; j++ {
					at, _ := s.input(j)
					next[i*nIn+j] = from(at, k)
				}
			}
		}
		last = k
		for i, s := range set {
			for j := 0; j < nIn; j++ {
				at, val := s.input(j)
				if c := next[i*nIn+j]; c < len(at) && int(at[c]) == k {
					dst[i*nIn+j] = val[c]
					next[i*nIn+j]++
				}
			}
		}
	})
}

// readoutSpikes reads each rollout's spike times with readout r.
func readoutSpikes(p [][]float32, r surrogate.Readout, dt float64) [][]float64 {
	out := make([][]float64, len(p))
	for i, x := range p {
		out[i] = r.Spikes(x, dt)
	}
	return out
}

// pooled pools the metrics of rollouts (Vm v, spike times surSp) against
// their reference traces.
func pooled(set []*series, v [][]float32, surSp [][]float64, dt float64) metrics.Report {
	var pool metrics.Pool
	addRollouts(&pool, set, v, surSp, dt)
	return pool.Report()
}

// addRollouts adds rollouts (Vm v, spike times surSp) of set to pool, each
// against its reference trace (spikes at their bins' middles).
func addRollouts(pool *metrics.Pool, set []*series, v [][]float32, surSp [][]float64, dt float64) {
	for i, s := range set {
		ref, sur := make([]float64, len(s.v)), make([]float64, len(s.v))
		var refSp []float64
		for k := range s.v {
			ref[k], sur[k] = float64(s.v[k]), float64(v[i][k])
			if k < len(s.spike) && s.spike[k] > 0 {
				refSp = append(refSp, (float64(k)+0.5)*dt)
			}
		}
		pool.Add(ref, sur, dt, refSp, surSp[i], float64(len(s.v)-1)*dt)
	}
}

// validate runs every validation trace free from rest (batched) and pools
// the metrics.
func validate(m *surrogate.Model, set []*series, vInit float32) metrics.Report {
	v, p := rollouts(m, set, vInit)
	return pooled(set, v, readoutSpikes(p, m.Readout, m.Arch.SampleDT), m.Arch.SampleDT)
}

// ReadoutGoal is what a calibrated spike readout must match besides
// maximizing F1 (Config's RateTolerance, RateSettleMS and BurstTolerance).
type ReadoutGoal struct {
	RateTol  float64 // firing rate within this fraction of the reference's (0: any)
	SettleMS float64 // the rate counted from this far into each trace (settledCounts)
	BurstTol float64 // burst fraction within this fraction of the reference's, or burstSlack (0: any)
}

// burstSlack is the difference in burst fraction (0.01: one spike in a
// hundred) a readout within any BurstTol may have, so that a reference
// without bursts does not demand none at all.
const burstSlack = 0.01

// ReadoutGoal is the config's goal for the spike readout.
func (c *Config) ReadoutGoal() ReadoutGoal {
	return ReadoutGoal{RateTol: c.RateTolerance, SettleMS: c.RateSettleMS, BurstTol: c.BurstTolerance}
}

// calibrateReadout picks the spike readout (probability threshold,
// refractory time, and a shift of 0-5 ms for a head that fires early) that
// maximizes F1 at ±2 ms on the validation rollouts among those whose firing
// rate from SettleMS into each trace on (settledCounts) is within RateTol (a
// fraction) of the reference's and, with BurstTol, whose burst fraction is
// within BurstTol of the reference's; failing both, among those that match
// the rate; with RateTol 0, or if no readout gets the rate that close, the
// best F1 overall. Matching the rate matters beyond F1: a surrogate that
// fires too much drives its targets too hard in a network, one that fires
// too little starves them.
func calibrateReadout(m *surrogate.Model, set []*series, vInit float32, goal ReadoutGoal) metrics.Report {
	return calibrateOn(m, set, vInit, goal, readoutGrid(m.Arch.SampleDT, goal.BurstTol > 0))
}

// calibrateThreshold is calibrateReadout over the probability threshold
// alone (the model's refractory time and shift kept): cheap enough to run
// at every epoch, so that model selection compares epochs each read at its
// best threshold rather than at a fixed one, which favours the spike
// probability's shape at the start.
func calibrateThreshold(m *surrogate.Model, set []*series, vInit float32, goal ReadoutGoal) metrics.Report {
	return calibrateOn(m, set, vInit, goal, thresholdGrid(m.Readout))
}

// thresholdGrid is r at every probability threshold a calibration tries.
func thresholdGrid(r surrogate.Readout) []surrogate.Readout {
	grid := make([]surrogate.Readout, len(readoutThresholds))
	for i, p := range readoutThresholds {
		grid[i] = r
		grid[i].P = p
	}
	return grid
}

// readRollouts scores readout r on rollouts (Vm v, spike probabilities p)
// of set: the pooled metrics and the settled spike counts goal matches.
func readRollouts(set []*series, v, p [][]float32, r surrogate.Readout, dt float64, goal ReadoutGoal) readoutEval {
	sp := readoutSpikes(p, r, dt)
	ref, sur := settledCounts(set, sp, dt, goal.SettleMS)
	return readoutEval{pooled(set, v, sp, dt), ref, sur}
}

// calibrateOn sets m's readout to the best of grid (and the present one) on
// the validation rollouts of set and returns its report (a model that
// hears its fired spikes: calibrateHearing).
func calibrateOn(m *surrogate.Model, set []*series, vInit float32, goal ReadoutGoal, grid []surrogate.Readout) metrics.Report {
	if m.Arch.HearsFired {
		return calibrateHearing(m, set, vInit, goal, grid)
	}
	dt := m.Arch.SampleDT
	v, p := rollouts(m, set, vInit)
	r, rep := selectReadout(m.Readout, grid, goal, func(r surrogate.Readout) readoutEval {
		return readRollouts(set, v, p, r, dt, goal)
	})
	m.Readout = r
	return rep
}

// calibrateHearing is calibrateOn for a model that hears its fired spikes
// (Arch.HearsFired), which fires otherwise under another readout: its
// rollouts are read under the readout they were run with only. The search
// over grid on rollouts under the present readout is repeated under the
// readout it picked, up to hearRounds times, until it keeps it; then every
// probability threshold with the refractory time, shift and rise picked is
// scored on rollouts of its own, which are what the choice and its report
// rest on.
func calibrateHearing(m *surrogate.Model, set []*series, vInit float32, goal ReadoutGoal, grid []surrogate.Readout) metrics.Report {
	dt := m.Arch.SampleDT
	for round := 1; round <= hearRounds; round++ {
		v, p := rollouts(m, set, vInit)
		start := m.Readout
		m.Readout, _ = selectReadout(start, grid, goal, func(r surrogate.Readout) readoutEval {
			return readRollouts(set, v, p, r, dt, goal)
		})
		if m.Readout == start {
			break
		}
	}
	r, rep := selectReadout(m.Readout, thresholdGrid(m.Readout), goal, func(r surrogate.Readout) readoutEval {
		run := *m // (the weights shared: rollouts only read them)
		run.Readout = r
		v, p := rollouts(&run, set, vInit)
		return readRollouts(set, v, p, r, dt, goal)
	})
	m.Readout = r
	return rep
}

// hearRounds bounds calibrateHearing's searches on rollouts under another
// readout.
const hearRounds = 3

// readoutThresholds are the spike probabilities a calibration tries.
var readoutThresholds = []float32{0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95}

// readoutGrid is every readout a full calibration tries: thresholds,
// refractory times, shifts of 0-5 ms in steps of dt, and if rises, with
// refractory times under metrics.BurstISIMS, threshold rises
// (readoutRises): they are what tells doublets apart, tried only when the
// burst fraction is to be matched (on F1 alone they win by noise).
func readoutGrid(dt float64, rises bool) []surrogate.Readout {
	var grid []surrogate.Readout
	for _, pr := range readoutThresholds {
		for _, ref := range []float64{1, 1.5, 2, 3, 4, 6, 8, 10, 15} {
			for sh := 0; sh <= int(5/dt); sh++ {
				r := surrogate.Readout{P: pr, RefractoryMS: ref, ShiftMS: float64(sh) * dt}
				grid = append(grid, r)
				if !rises || ref >= metrics.BurstISIMS {
					continue
				}
				for _, rise := range readoutRises {
					r.RiseP, r.RiseTauMS = rise.p, rise.tauMS
					grid = append(grid, r)
				}
			}
		}
	}
	return grid
}

// readoutRises are the adaptive thresholds a full calibration tries
// (Readout.RiseP, RiseTauMS).
var readoutRises = []struct {
	p     float32
	tauMS float64
}{{0.15, 4}, {0.15, 12}, {0.3, 4}, {0.3, 12}, {0.5, 4}, {0.5, 12}}

// readoutEval is a candidate readout's validation: the pooled report and
// the spike counts whose rates it must match (reference, surrogate).
type readoutEval struct {
	rep      metrics.Report
	ref, sur float64
}

// settledCounts counts the reference's and the surrogate's spikes (surSp)
// from settleMS into each trace on (at most half the trace; all of it if
// no reference spike falls there).
func settledCounts(set []*series, surSp [][]float64, dt, settleMS float64) (ref, sur float64) {
	count := func(from float64) (ref, sur float64) {
		for i, s := range set {
			from := min(from, float64(len(s.spike))*dt/2)
			for k, x := range s.spike {
				if x > 0 && (float64(k)+0.5)*dt >= from {
					ref++
				}
			}
			for _, t := range surSp[i] {
				if t >= from {
					sur++
				}
			}
		}
		return ref, sur
	}
	if ref, sur = count(settleMS); ref == 0 {
		return count(0)
	}
	return ref, sur
}

// selectReadout searches grid (and start) as calibrateReadout describes,
// scoring each candidate with eval.
func selectReadout(start surrogate.Readout, grid []surrogate.Readout, goal ReadoutGoal, eval func(surrogate.Readout) readoutEval) (surrogate.Readout, metrics.Report) {
	type pick struct {
		rep metrics.Report
		r   surrogate.Readout
		ok  bool
	}
	var anyRate, near, bursts pick
	better := func(p pick, rep metrics.Report) bool { return !p.ok || rep.F1At2ms > p.rep.F1At2ms+1e-9 }
	consider := func(r surrogate.Readout) {
		e := eval(r)
		rep := e.rep
		if better(anyRate, rep) {
			anyRate = pick{rep, r, true}
		}
		if goal.RateTol <= 0 || math.Abs(e.sur-e.ref) > goal.RateTol*e.ref {
			return
		}
		if better(near, rep) {
			near = pick{rep, r, true}
		}
		if goal.BurstTol > 0 && math.Abs(rep.BurstSur-rep.BurstRef) <= max(goal.BurstTol*rep.BurstRef, burstSlack) && better(bursts, rep) {
			bursts = pick{rep, r, true}
		}
	}
	consider(start)
	for _, r := range grid {
		consider(r)
	}
	for _, p := range []pick{bursts, near} {
		if p.ok {
			return p.r, p.rep
		}
	}
	return anyRate.r, anyRate.rep
}

// initModel loads cfg.Init, checks that it was made for this cell and
// sample step, gives it timing inputs if cfg.Timing asks for them (scaled
// as the training traces' normalization says) and sub-bins if cfg.SubBins
// does (surrogate.Model.SplitSubBins: the same function), regroups it onto
// inputs and copies its architecture sizes into cfg.
func initModel(cfg *Config, inputs []surrogate.Input, cell *biophys.Cell, st *dataset.Settings, trainSet []*series) (*surrogate.Model, error) {
	parts := max(1, cfg.SubBins)
	sampleDT := st.SampleDtMS * float64(parts)
	load := cfg.LoadModel
	if load == nil {
		load = surrogate.Load
	}
	m, err := load(cfg.Init)
	if err != nil {
		return nil, settingf("{init}: %w", err)
	}
	if f := m.Arch.FamilyName(); f != surrogate.DefaultFamily && f != surrogate.TraceFamily {
		return nil, settingf("{init} %s: a model of architecture family %q; training starts only from %s and %s models", cfg.Init, f, surrogate.DefaultFamily, surrogate.TraceFamily)
	}
	if h := m.Info["cell_hash"]; h != cell.Hash() {
		return nil, settingf("{init} %s: the model was made for cell %q (hash %.12s), the data for %q (hash %.12s)", cfg.Init, m.Info["cell_name"], h, cell.Name, cell.Hash())
	}
	if m.Arch.Parts() != 1 && m.Arch.Parts() != parts {
		return nil, settingf("{init} %s: the model splits its bins into %d sub-bins, {sub_bins} asks for %d", cfg.Init, m.Arch.Parts(), parts)
	}
	if math.Abs(m.Arch.SampleDT-sampleDT) > 1e-9*sampleDT {
		if parts > 1 {
			return nil, settingf("{init} %s: the model steps %g ms; the data's %g ms samples in %d sub-bins make %g ms", cfg.Init, m.Arch.SampleDT, st.SampleDtMS, parts, sampleDT)
		}
		return nil, settingf("{init} %s: the model steps %g ms, the data %g ms", cfg.Init, m.Arch.SampleDT, sampleDT)
	}
	had := m.Arch.HasTiming()
	switch {
	case had && !cfg.Timing:
		return nil, settingf("{init} %s: the model has timing inputs; train it with {timing}", cfg.Init)
	case cfg.Timing && !had:
		m = m.AddTiming(timedIn(st))
	}
	if m.Arch.Parts() < parts {
		if m, err = m.SplitSubBins(parts, levelIn(st)); err != nil {
			return nil, settingf("{init} %s: %w", cfg.Init, err)
		}
	}
	r, err := m.Regroup(inputs)
	if err != nil {
		return nil, settingf("{init} %s with {inputs} %s: %w", cfg.Init, cfg.Inputs, err)
	}
	if !had && cfg.Timing {
		norm := normalization(trainSet, len(inputs))
		for j, in := range r.Arch.Inputs {
			if in.Timing { // zero weights: the scale does not change the function
				r.Norm.InputScale[j] = norm.InputScale[j]
			}
		}
	}
	if cfg.WidenConv > 0 || cfg.WidenKernel > 0 {
		if r, err = r.Widen(cfg.WidenConv, cfg.WidenKernel, cfg.Seed); err != nil {
			return nil, settingf("{init} %s with {widen_conv} %d {widen_kernel} %d: %w", cfg.Init, cfg.WidenConv, cfg.WidenKernel, err)
		}
	}
	if cfg.WidenHidden > 0 {
		if r, err = r.WidenHidden(cfg.WidenHidden, cfg.Seed); err != nil {
			return nil, settingf("{init} %s with {widen_hidden} %d: %w", cfg.Init, cfg.WidenHidden, err)
		}
	}
	if len(cfg.InputLags) > 0 {
		if r, err = r.WithInputLags(cfg.InputLags); err != nil {
			return nil, settingf("{init} %s with {input_lags}: %w", cfg.Init, err)
		}
	}
	if len(cfg.TracesMS) > 0 && !slices.Equal(cfg.TracesMS, r.Arch.TracesMS) {
		if r, err = r.WithTraces(cfg.TracesMS); err != nil {
			return nil, settingf("{init} %s with {traces_ms}: %w", cfg.Init, err)
		}
	}
	if cfg.InputDriven || r.Arch.InputDriven {
		if r.Arch.Residual {
			return nil, settingf("{init} %s: the model is residual (its Vm head predicts a change of the Vm it hears); {input_driven} needs one that predicts Vm", cfg.Init)
		}
		if cfg.HearsSpikes || cfg.HearsFired {
			if !r.Arch.FeedSpike {
				return nil, settingf("{init} %s: the model has no spike input ({feed_spike}) for its spikes to feed", cfg.Init)
			}
			if r.Arch.HearsSpikes && cfg.HearsFired || r.Arch.HearsFired && cfg.HearsSpikes {
				return nil, settingf("{init} %s: the model hears its spikes otherwise ({hears_spikes} %v, {hears_fired} %v)", cfg.Init, r.Arch.HearsSpikes, r.Arch.HearsFired)
			}
			r.Arch.HearsSpikes, r.Arch.HearsFired = r.Arch.HearsSpikes || cfg.HearsSpikes, r.Arch.HearsFired || cfg.HearsFired
		}
		r.MakeInputDriven() // (also zeroes what widening added to a model that was)
	}
	a := r.Arch
	cfg.InputDriven, cfg.HearsSpikes, cfg.HearsFired = a.InputDriven, a.HearsSpikes, a.HearsFired
	cfg.Hidden, cfg.Conv, cfg.Kernel, cfg.Layers, cfg.Residual, cfg.FeedSpike = a.Hidden, a.Conv, a.Kernel, a.Layers, a.Residual, a.FeedSpike
	r.Info = map[string]string{}
	return r, nil
}

// configDiff names settings that must not change on resume.
func configDiff(a, b Config) string {
	type key struct {
		name string
		x, y any
	}
	for _, k := range []key{{"data", a.Data, b.Data}, {"inputs", a.Inputs, b.Inputs}, {"seq", a.Seq, b.Seq},
		{"batch", a.Batch, b.Batch}, {"epochs", a.Epochs, b.Epochs}, {"seed", a.Seed, b.Seed}, {"lr", a.LR, b.LR},
		{"lr_min", a.LRMin, b.LRMin}, {"feedback", a.Feedback, b.Feedback}, {"noise", a.NoiseMV, b.NoiseMV},
		{"spike_weight", a.SpikeWeight, b.SpikeWeight}, {"spike_pos_weight", a.SpikePosWeight, b.SpikePosWeight}, {"spike_smooth_ms", a.SpikeSmoothMS, b.SpikeSmoothMS},
		{"spike_vm_weight", a.SpikeVmWeight, b.SpikeVmWeight}, {"spike_vm_window_ms", a.SpikeVmWindowMS, b.SpikeVmWindowMS}, {"val_frac", a.ValFrac, b.ValFrac}, {"test_frac", a.TestFrac, b.TestFrac},
		{"max_traces", a.MaxTraces, b.MaxTraces}, {"init", a.Init, b.Init}, {"widen_conv", a.WidenConv, b.WidenConv}, {"widen_hidden", a.WidenHidden, b.WidenHidden},
		{"widen_kernel", a.WidenKernel, b.WidenKernel}, {"input_delay", a.InputDelay, b.InputDelay}, {"timing", a.Timing, b.Timing}, {"sub_bins", a.SubBins, b.SubBins},
		{"engine", a.Engine, b.Engine}, {"ema", a.EMA, b.EMA}, {"weight_decay", a.WeightDecay, b.WeightDecay}, {"input_lags", a.InputLags, b.InputLags}, {"traces_ms", a.TracesMS, b.TracesMS}, {"select_rmse_weight", a.SelectRMSEWeight, b.SelectRMSEWeight},
		{"hidden", a.Hidden, b.Hidden}, {"conv", a.Conv, b.Conv}, {"kernel", a.Kernel, b.Kernel}, {"layers", a.Layers, b.Layers},
		{"residual", a.Residual, b.Residual}, {"feed_spike", a.FeedSpike, b.FeedSpike}, {"input_driven", a.InputDriven, b.InputDriven}, {"hears_spikes", a.HearsSpikes, b.HearsSpikes}, {"hears_fired", a.HearsFired, b.HearsFired}, {"hear_jitter_ms", a.HearJitterMS, b.HearJitterMS}, {"hear_drop", a.HearDrop, b.HearDrop}, {"hear_own", a.HearOwn, b.HearOwn},
		{"clip", a.Clip, b.Clip}, {"val_max", a.ValMax, b.ValMax}, {"targets", a.Targets, b.Targets}, {"target_weight", a.TargetWeight, b.TargetWeight},
		{"select_threshold", a.SelectThreshold, b.SelectThreshold}, {"rate_tolerance", a.RateTolerance, b.RateTolerance}, {"rate_settle_ms", a.RateSettleMS, b.RateSettleMS}, {"burst_tolerance", a.BurstTolerance, b.BurstTolerance}} {
		if fmt.Sprint(k.x) != fmt.Sprint(k.y) {
			return fmt.Sprintf("%s was %v, now %v", k.name, k.x, k.y)
		}
	}
	return ""
}

// Recalibrate re-derives the spike readout of an existing model from
// free-running rollouts on its own validation traces (the split stored in
// the model) and rewrites the model file.
func Recalibrate(dataDir, modelPath string, goal ReadoutGoal) (metrics.Report, error) {
	m, err := surrogate.Load(modelPath)
	if err != nil {
		return metrics.Report{}, err
	}
	ds, err := openCorpus(dataDir)
	if err != nil {
		return metrics.Report{}, err
	}
	defer ds.Close()
	cell, err := ds.Meta().Cell()
	if err != nil {
		return metrics.Report{}, err
	}
	if h := m.Info["cell_hash"]; h != cell.Hash() {
		return metrics.Report{}, fmt.Errorf("%s was trained for another cell than %s's", modelPath, dataDir)
	}
	var split struct {
		Validation []int `json:"validation"`
	}
	if err := json.Unmarshal([]byte(m.Info["split"]), &split); err != nil || len(split.Validation) == 0 {
		return metrics.Report{}, fmt.Errorf("%s: no validation split in the model's metadata", modelPath)
	}
	if !trainedOn(m, ds) {
		return metrics.Report{}, fmt.Errorf("%s was trained on other data than %s (settings differ): recalibrate on the data it was trained on, folders in the same order", modelPath, dataDir)
	}
	set, err := load(ds, split.Validation, m.Arch.Inputs, m.Arch.Parts(), nil)
	if err != nil {
		return metrics.Report{}, err
	}
	rep := calibrateReadout(m, set, float32(cell.VInit()), goal)
	rj, _ := json.Marshal(map[string]any{"readout": m.Readout, "validation": sanitizeReport(rep)})
	m.Info["readout_recalibrated"] = string(rj)
	return rep, m.Save(modelPath)
}
