package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"neurosurrogate/surrogate/gru"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/surrogate"
)

var (
	dataOnce, timingOnce, fineOnce sync.Once
	dataDir, timingDir, fineDir    string
	dataErr, timingErr, fineErr    error
)

// tinyData generates (once) a small hh dataset: 16 traces of 300 ms.
func tinyData(t *testing.T) string {
	t.Helper()
	dataOnce.Do(func() { dataDir, dataErr = makeTinyData(false, 0.5) })
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return dataDir
}

// tinyTimingData is tinyData with timing channels (the same traces).
func tinyTimingData(t *testing.T) string {
	t.Helper()
	timingOnce.Do(func() { timingDir, timingErr = makeTinyData(true, 0.5) })
	if timingErr != nil {
		t.Fatal(timingErr)
	}
	return timingDir
}

// tinyFineData is tinyTimingData sampled every 0.25 ms (the same traces).
func tinyFineData(t *testing.T) string {
	t.Helper()
	fineOnce.Do(func() { fineDir, fineErr = makeTinyData(true, 0.25) })
	if fineErr != nil {
		t.Fatal(fineErr)
	}
	return fineDir
}

func makeTinyData(timing bool, sampleDT float64) (string, error) {
	return makeTinyDataSeed(timing, sampleDT, 16, 3)
}

func makeTinyDataSeed(timing bool, sampleDT float64, traces int, seed uint64) (string, error) {
	dir, err := os.MkdirTemp("", "ns-train-data-*")
	if err != nil {
		return "", err
	}
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		return dir, err
	}
	_, err = dataset.Generate(context.Background(), dir, dataset.Config{Cell: c, Traces: traces, DurationMS: 300,
		DtMS: 0.025, SampleDtMS: sampleDT, Seed: seed, Shards: 1, Timing: timing})
	return dir, err
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range []string{dataDir, timingDir, fineDir} {
		if d != "" {
			os.RemoveAll(d)
		}
	}
	os.Exit(code)
}

// maxWeightDiff is the largest difference between two models' weights of
// the same names (a's names; b must have them all).
func maxWeightDiff(a, b *surrogate.Model) float64 {
	worst := 0.0
	for name, w := range a.W {
		for i, x := range w.Data {
			worst = math.Max(worst, math.Abs(float64(b.W[name].Data[i]-x)))
		}
	}
	return worst
}

func tinyConfig(t *testing.T, out string) Config {
	cfg := DefaultConfig()
	cfg.Data = tinyData(t)
	cfg.Out = out
	cfg.Hidden, cfg.Conv, cfg.Kernel = 8, 4, 3
	cfg.Seq, cfg.Batch, cfg.Epochs = 30, 4, 2
	cfg.ValFrac, cfg.TestFrac, cfg.ValMax = 0.2, 0.1, 4
	cfg.TimeBudget = 0
	cfg.Replicas = 2
	return cfg
}

// oneInputModel is a model of a with one input ("exc"), 0.5 ms samples and
// weights of seed 1.
func oneInputModel(t testing.TB, a surrogate.Arch) *surrogate.Model {
	t.Helper()
	a.Inputs, a.SampleDT = []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}}, 0.5
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{1}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestTrainDeterministic: the same settings give the same model, bit for bit.
func TestTrainDeterministic(t *testing.T) {
	dir := t.TempDir()
	var files [][]byte
	for i := 0; i < 2; i++ {
		out := filepath.Join(dir, "m"+string(rune('a'+i))+".safetensors")
		if _, err := Run(context.Background(), tinyConfig(t, out), nil); err != nil {
			t.Fatal(err)
		}
		m, err := surrogate.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		m.Info = nil // provenance holds paths and times
		if err := m.Write(&buf, nil, nil); err != nil {
			t.Fatal(err)
		}
		files = append(files, buf.Bytes())
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two runs with the same seed gave different weights")
	}
}

// TestScoreWeight: the selection weight decides between a model with
// better spike F1 and one with lower subthreshold RMSE.
func TestScoreWeight(t *testing.T) {
	spikes := metrics.Report{F1At2ms: 0.9886, RMSESubMV: 1.245}
	vm := metrics.Report{F1At2ms: 0.9875, RMSESubMV: 1.194}
	for _, tc := range []struct {
		w      float64
		wantVm bool
	}{{0.02, false}, {0.1, true}, {0, false}} {
		if got := score(vm, tc.w) > score(spikes, tc.w); got != tc.wantVm {
			t.Errorf("weight %g: the lower-RMSE model wins: %v, want %v", tc.w, got, tc.wantVm)
		}
	}
	if s := score(metrics.Report{F1At2ms: 0.5, RMSESubMV: math.NaN()}, 0.1); s != 0.5 {
		t.Errorf("no subthreshold samples: score %g, want the F1", s)
	}
}

// TestResumeExact: a run killed mid-epoch and resumed from its checkpoint
// ends with exactly the weights of an uninterrupted run, with and without
// a moving average of the weights (which must change the model written).
func TestResumeExact(t *testing.T) {
	var plain *surrogate.Model
	for _, ema := range []float64{0, 0.95} {
		t.Run(fmt.Sprintf("ema=%g", ema), func(t *testing.T) {
			m := testResumeExact(t, ema)
			if ema == 0 {
				plain = m
				return
			}
			same := true
			for name, w := range m.W {
				for i := range w.Data {
					same = same && w.Data[i] == plain.W[name].Data[i]
				}
			}
			if same {
				t.Error("the moving average gave the same model as the weights themselves")
			}
		})
	}
}

func testResumeExact(t *testing.T, ema float64) *surrogate.Model {
	dir := t.TempDir()
	full := tinyConfig(t, filepath.Join(dir, "full.safetensors"))
	full.CheckpointEvery, full.EMA = 0, ema
	if _, err := Run(context.Background(), full, nil); err != nil {
		t.Fatal(err)
	}
	cut := tinyConfig(t, filepath.Join(dir, "cut.safetensors"))
	cut.CheckpointEvery, cut.EMA = 0, ema // a checkpoint after every batch
	cut.StopAfterSteps = 13               // mid-batch of the second epoch
	if ema > 0 {
		// later, when the average has moved away from the initial weights
		// (the learning rate warms up over 100 steps)
		cut.StopAfterSteps = 53
	}
	if _, err := Run(context.Background(), cut, nil); err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("want the test stop, got %v", err)
	}
	if _, err := os.Stat(cut.Out); err == nil {
		t.Fatal("a killed run left a model file")
	}
	cut.StopAfterSteps = 0
	cut.Resume = true
	res, err := Run(context.Background(), cut, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The final checkpoints too: the last weights, optimizer moments and
	// moving average, not only the model selected.
	var states []map[string]*surrogate.Tensor
	for _, out := range []string{full.Out, cut.Out} {
		data, err := os.ReadFile(CheckpointPath(out))
		if err != nil {
			t.Fatal(err)
		}
		m, extra, _, err := surrogate.Decode(out, data)
		if err != nil {
			t.Fatal(err)
		}
		for name, w := range m.W {
			extra["weights."+name] = w
		}
		states = append(states, extra)
	}
	if n := len(states[0]); n == 0 || n != len(states[1]) || ema > 0 && states[0][emaPrefx+"conv.b"] == nil {
		t.Fatalf("checkpoints of %d and %d tensors", n, len(states[1]))
	}
	for name, w := range states[0] {
		for i := range w.Data {
			if w.Data[i] != states[1][name].Data[i] {
				t.Fatalf("resumed run's final %s[%d] differs", name, i)
			}
		}
	}
	a, err := surrogate.Load(full.Out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := surrogate.Load(cut.Out)
	if err != nil {
		t.Fatal(err)
	}
	for name, w := range a.W {
		for i := range w.Data {
			if w.Data[i] != b.W[name].Data[i] {
				t.Fatalf("resumed weights differ at %s[%d]", name, i)
			}
		}
	}
	if res.Steps == 0 || len(res.History) != full.Epochs {
		t.Errorf("resumed run: %d steps, %d epochs of history", res.Steps, len(res.History))
	}
	for _, p := range []string{CheckpointPath(cut.Out)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("missing %s", p)
		}
	}
	csv, png := CurvePaths(cut.Out)
	for _, p := range []string{csv, png} {
		if st, err := os.Stat(p); err != nil || st.Size() == 0 {
			t.Errorf("learning curve %s missing or empty", p)
		}
	}
	return a
}

// TestEnginesAgree: the hand-written engine and the gorgonia graph train
// the same model: the same losses step by step and, after an epoch of
// free-running training on the richest architecture, the same weights up
// to float32 rounding grown over the steps. Measured over the 60 steps:
// losses within 2e-8 (AVX2 kernels) and 1.2e-7 (generic, -tags purego) of
// each other, weights within 1.4e-6 and 3e-8 (most within 1.2e-7; Adam
// turns rounding noise in near-zero gradients into steps). The graph's
// engine not carrying the spike history from chunk to chunk moves the
// losses by 7e-5 and the weights by 2.5e-4.
func TestEnginesAgree(t *testing.T) {
	dir := t.TempDir()
	var models []*surrogate.Model
	var losses [][]float64
	for _, engine := range []string{"unrolled", "gorgonia"} {
		cfg := tinyConfig(t, filepath.Join(dir, engine+".safetensors"))
		cfg.Engine, cfg.Epochs = engine, 1
		cfg.FeedSpike, cfg.Residual, cfg.Layers = true, true, 2
		var l []float64
		if _, err := Run(context.Background(), cfg, func(s Status) {
			if s.Message == "" {
				l = append(l, s.Loss)
			}
		}); err != nil {
			t.Fatal(err)
		}
		m, err := surrogate.Load(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		models, losses = append(models, m), append(losses, l)
	}
	if len(losses[0]) == 0 || len(losses[0]) != len(losses[1]) {
		t.Fatalf("%d and %d steps", len(losses[0]), len(losses[1]))
	}
	for i := range losses[0] {
		if d := math.Abs(losses[0][i] - losses[1][i]); !(d <= 1e-6*math.Abs(losses[1][i])) {
			t.Errorf("step %d: running loss %g (unrolled), %g (gorgonia)", i, losses[0][i], losses[1][i])
		}
	}
	worst := maxWeightDiff(models[1], models[0])
	t.Logf("%d steps; largest weight difference %g", len(losses[0]), worst)
	if !(worst <= 1e-5) {
		t.Errorf("weights differ by up to %g", worst)
	}
}

// TestTrainLearns: a few epochs lower the training loss.
func TestTrainLearns(t *testing.T) {
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.Epochs = 4
	cfg.FeedSpike, cfg.Residual = true, true // the richest architecture
	cfg.Patience = 0
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	h := res.History
	if len(h) != 4 || !(h[3].TrainLoss < 0.8*h[0].TrainLoss) {
		t.Errorf("training loss did not fall: %+v", h)
	}
	m, err := surrogate.Load(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"cell_name", "cell_hash", "dataset", "training", "metrics"} {
		if m.Info[k] == "" {
			t.Errorf("model metadata %q missing", k)
		}
	}
}

func TestTrainBadInput(t *testing.T) {
	empty := t.TempDir()
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"empty data folder", func(c *Config) { c.Data = empty }, empty},
		{"missing data folder", func(c *Config) { c.Data = filepath.Join(empty, "nope") }, "nope"},
		{"unwritable out", func(c *Config) { c.Out = filepath.Join(empty, "no", "such", "dir", "m.safetensors") }, "cannot write"},
		{"bad feedback", func(c *Config) { c.Feedback = "sometimes" }, "--feedback"},
		{"resume without checkpoint", func(c *Config) { c.Resume = true }, "no checkpoint"},
		{"bad inputs", func(c *Config) { c.Inputs = "bysize" }, "--inputs"},
		{"too few traces", func(c *Config) { c.MaxTraces = 2 }, "2 traces are too few"},
		{"negative max traces", func(c *Config) { c.MaxTraces = -1 }, "--max-traces -1"},
		{"widen without init", func(c *Config) { c.WidenConv = 32 }, "--widen-conv 32 needs a starting model, --init"},
		{"widen hidden without init", func(c *Config) { c.WidenHidden = 96 }, "--widen-hidden 96 needs a starting model, --init"},
		{"lengthen without init", func(c *Config) { c.WidenKernel = 16 }, "--widen-kernel 16 needs a starting model, --init"},
		{"negative kernel widening", func(c *Config) { c.Init, c.WidenKernel = "m.safetensors", -1 }, "--widen-kernel -1"},
		{"zero hidden", func(c *Config) { c.Hidden = 0 }, "--hidden 0"},
		{"unknown input delay", func(c *Config) { c.InputDelay = "cable" }, `--input-delay "cable"`},
		{"unknown engine", func(c *Config) { c.Engine = "tensorflow" }, `--engine "tensorflow"`},
		{"moving average decay 1", func(c *Config) { c.EMA = 1 }, "--ema 1"},
		{"negative selection weight", func(c *Config) { c.SelectRMSEWeight = -1 }, "--select-rmse-weight -1"},
		{"negative moving average decay", func(c *Config) { c.EMA = -0.5 }, "--ema -0.5"},
		{"input lags not from 0", func(c *Config) { c.InputLags = []int{1, 2} }, "--input-lags [1 2]"},
		{"input lags not increasing", func(c *Config) { c.InputLags = []int{0, 4, 4} }, "--input-lags [0 4 4]"},
		{"traces of one sample", func(c *Config) { c.Data = oneSampleData(t) }, "traces of 1 model steps"},
		{"traces shorter than seq+1", func(c *Config) { c.Seq = 600 }, "holds traces of 600 model steps (300 ms every 0.5 ms), too short: one optimizer step unrolls --seq steps, each predicting the next sample, so it needs traces of --seq+1 = 601; use --seq 599 or less"},
		{"sub-bins make traces too short", func(c *Config) { c.Seq, c.SubBins = 300, 2 }, "traces of 300 model steps (300 ms every 1 ms, 2 dataset samples per model step with --sub-bins 2)"},
		{"no validation", func(c *Config) { c.ValFrac = 0 }, "--val-frac 0 and --test-frac 0.1: want a validation fraction above 0"},
		{"negative test fraction", func(c *Config) { c.TestFrac = -0.1 }, "--test-frac -0.1: want"},
		{"fractions leave nothing", func(c *Config) { c.ValFrac, c.TestFrac = 0.5, 0.5 }, "--val-frac 0.5 and --test-frac 0.5 must leave traces to train on"},
		{"no step within the time budget", func(c *Config) { c.TimeBudget = time.Nanosecond }, "before the first optimizer step: no model written; raise --time-budget"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
			tc.mod(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(asFlags(err), tc.want) {
				t.Fatalf("want an error mentioning %q, got %v", tc.want, err)
			}
			if _, err := os.Stat(cfg.Out); !os.IsNotExist(err) {
				t.Fatalf("a model was written (%v)", err)
			}
		})
	}
}

// oneSampleData makes a dataset of traces one sample long.
func oneSampleData(t *testing.T) string {
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := dataset.Generate(context.Background(), dir, dataset.Config{Cell: c, Traces: 16, DurationMS: 0.5,
		DtMS: 0.025, SampleDtMS: 0.5, Seed: 3, Shards: 1}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// asFlags writes an error as a command line with flags named like the
// settings would (SettingError.Render), other errors as they are.
func asFlags(err error) string {
	var se *SettingError
	if !errors.As(err, &se) {
		return err.Error()
	}
	return strings.Replace(err.Error(), se.Error(), se.Render(func(s string) string { return "--" + strings.ReplaceAll(s, "_", "-") }), 1)
}

// TestSettingError: settings are named plainly by Error and as the caller
// wants by Render, and a wrapped cause stays reachable.
func TestSettingError(t *testing.T) {
	err := settingf("{sub_bins} 9 and {noise_mV} 2: %w", ErrNaN)
	if got, want := err.Error(), "sub_bins 9 and noise_mV 2: "+ErrNaN.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	var se *SettingError
	if !errors.As(err, &se) || !errors.Is(err, ErrNaN) {
		t.Fatalf("%v: not a SettingError wrapping ErrNaN", err)
	}
	if got, want := se.Render(strings.ToUpper), "SUB_BINS 9 and NOISE_MV 2: "+ErrNaN.Error(); got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
}

// TestInterrupt: a cancelled run saves a checkpoint and says how to resume.
func TestInterrupt(t *testing.T) {
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := Run(ctx, cfg, func(s Status) {
		if n++; n == 3 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) || !strings.Contains(asFlags(err), "--resume") {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(CheckpointPath(cfg.Out)); err != nil {
		t.Fatal("no checkpoint after an interrupt")
	}
	_ = time.Second
}

func TestGroupInputs(t *testing.T) {
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hay-l5pc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var chans []dataset.Channel
	for _, s := range c.Synapses {
		chans = append(chans, dataset.Channel{Name: s.Name, Class: s.Name[:3]})
	}
	count := func(in []surrogate.Input) (n int) {
		for _, x := range in {
			n += len(x.Channels)
		}
		return n
	}
	for _, tc := range []struct {
		mode   string
		inputs int
	}{{"channels", 200}, {"class", 2}, {"prefix", 4}, {"distance:3", 12}} {
		in, err := GroupInputs(tc.mode, chans, c)
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != tc.inputs || count(in) != 200 {
			t.Errorf("%s: %d inputs over %d channels, want %d over 200", tc.mode, len(in), count(in), tc.inputs)
		}
	}
	// Distance bins are ordered: the nearest third of the apical exc
	// synapses lies closer than the farthest third.
	in, err := GroupInputs("distance:3", chans, c)
	if err != nil {
		t.Fatal(err)
	}
	dist := func(name string) float64 {
		i := c.SynapseIndex(name)
		if i < 0 {
			t.Fatalf("channel %q is no synapse of the cell", name)
		}
		sec, ok := c.SectionIndex(c.Synapses[i].Section)
		if !ok {
			t.Fatalf("synapse %q: no section %v", name, c.Synapses[i].Section)
		}
		return c.PathDistance(sec, c.Synapses[i].X)
	}
	var near, far *surrogate.Input
	for i := range in {
		switch in[i].Name {
		case "exc_apic_d0":
			near = &in[i]
		case "exc_apic_d2":
			far = &in[i]
		}
	}
	if near == nil || far == nil || len(near.Channels) == 0 || len(far.Channels) == 0 {
		t.Fatalf("no exc_apic distance groups (or empty ones) in %v", in)
	}
	maxNear, minFar := 0.0, 1e9
	for _, ch := range near.Channels {
		maxNear = math.Max(maxNear, dist(ch))
	}
	for _, ch := range far.Channels {
		minFar = math.Min(minFar, dist(ch))
	}
	if !(maxNear <= minFar) {
		t.Errorf("near group reaches %g um, far group starts at %g um", maxNear, minFar)
	}
	for _, bad := range []string{"distance:0", "distance:x", "bysize"} {
		if _, err := GroupInputs(bad, chans, c); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestNaNLoss: a NaN loss stops the run with an error that names the
// checkpoint, which still holds the last good state.
func TestNaNLoss(t *testing.T) {
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.CheckpointEvery = 0
	cfg.nanAtStep = 7
	_, err := Run(context.Background(), cfg, nil)
	if !errors.Is(err, ErrNaN) || !strings.Contains(err.Error(), CheckpointPath(cfg.Out)) {
		t.Fatalf("got %v", err)
	}
	if _, err := os.Stat(cfg.Out); err == nil {
		t.Error("a model file was written after a NaN loss")
	}
	// The checkpoint is usable: resuming without the fault finishes.
	cfg.nanAtStep = 0
	cfg.Resume = true
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatalf("resume after NaN: %v", err)
	}
}

// TestInit: a run started from a model (--init) takes its sizes, starts from
// the same function (its validation RMSE is the model's own), and never
// returns something worse than it started from; models of another cell or
// inputs that do not split the model's are refused.
func TestInit(t *testing.T) {
	dir := t.TempDir()
	a := tinyConfig(t, filepath.Join(dir, "a.safetensors"))
	a.Inputs = "class"
	ra, err := Run(context.Background(), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := tinyConfig(t, filepath.Join(dir, "b.safetensors"))
	b.Init, b.Inputs, b.Hidden, b.Epochs, b.LR = a.Out, "channels", 5, 1, 1e-3
	rb, err := Run(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := surrogate.Load(b.Out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch.Hidden != a.Hidden || m.Arch.Kernel != a.Kernel {
		t.Errorf("sizes not taken from the initial model: %+v", m.Arch)
	}
	h0 := rb.History[0]
	if want := ra.Calibrated; h0.Epoch != -1 || math.Abs(h0.ValRMSESub-want.RMSESubMV) > 1e-9 || math.Abs(h0.ValF1At2-want.F1At2ms) > 1e-9 {
		t.Errorf("initial validation %+v, want epoch -1 with the model's F1 %v, RMSE %v", h0, want.F1At2ms, want.RMSESubMV)
	}
	if rb.Best.Score < h0.Score {
		t.Errorf("selected score %v below the starting model's %v", rb.Best.Score, h0.Score)
	}
	// The curve has no training loss for the starting model.
	curve, _ := CurvePaths(b.Out)
	data, err := os.ReadFile(curve)
	if lines := strings.Split(string(data), "\n"); err != nil || len(lines) < 3 || !strings.HasPrefix(lines[1], "-1,0,") || strings.Split(lines[1], ",")[3] != "" || strings.Split(lines[2], ",")[3] == "" {
		t.Errorf("learning curve %s: %v\n%s", curve, err, data)
	}

	// Widening the starting model's convolution and LSTM keeps its function.
	w := tinyConfig(t, filepath.Join(dir, "w.safetensors"))
	w.Init, w.Inputs, w.WidenConv, w.WidenKernel, w.WidenHidden, w.Epochs, w.LR = a.Out, "channels", a.Conv+3, a.Kernel+2, a.Hidden+4, 1, 1e-3
	rw, err := Run(context.Background(), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mw, err := surrogate.Load(w.Out); err != nil || mw.Arch.Conv != a.Conv+3 || mw.Arch.Kernel != a.Kernel+2 || mw.Arch.Hidden != a.Hidden+4 {
		t.Fatalf("widened model: %v, %v", err, mw)
	}
	if h0, want := rw.History[0], ra.Calibrated; math.Abs(h0.ValRMSESub-want.RMSESubMV) > 1e-6 || math.Abs(h0.ValF1At2-want.F1At2ms) > 1e-9 {
		t.Errorf("widened initial validation %+v, want the model's F1 %v, RMSE %v", h0, want.F1At2ms, want.RMSESubMV)
	}

	// A shipped model by name (hh was trained on this cell), through the
	// resolver the command line passes.
	sh := tinyConfig(t, filepath.Join(dir, "sh.safetensors"))
	sh.Init, sh.Epochs, sh.Data, sh.Timing = "hh", 1, tinyTimingData(t), true
	sh.LoadModel = func(arg string) (*surrogate.Model, error) { return artifacts.LoadModel(arg, "") }
	if shipped, err := artifacts.LoadModel("hh", ""); err == nil && shipped.Arch.Parts() == 2 {
		sh.Data, sh.SubBins = tinyFineData(t), 2 // 0.25 ms samples for its two sub-bins
	}
	if _, err := Run(context.Background(), sh, nil); err != nil {
		t.Errorf("--init hh (the shipped model): %v", err)
	}

	foreign, err := surrogate.Load(a.Out)
	if err != nil {
		t.Fatal(err)
	}
	foreign.Info["cell_hash"] = "0123456789abcdef"
	fpath := filepath.Join(dir, "foreign.safetensors")
	if err := foreign.Save(fpath); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ init, inputs, want string }{
		{fpath, "channels", "made for cell"},
		{filepath.Join(dir, "none.safetensors"), "channels", "none.safetensors"},
		{a.Out, "narrow", "fewer than the model's"},
	} {
		c := tinyConfig(t, filepath.Join(dir, "c.safetensors"))
		c.Init, c.Inputs = tc.init, tc.inputs
		if tc.inputs == "narrow" {
			c.Inputs, c.WidenConv = "channels", a.Conv-1
		}
		if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--init %s --inputs %s: error %v, want %q", tc.init, tc.inputs, err, tc.want)
		}
	}
}

// TestSelectReadout: the readout with the best F1 is chosen unless its rate
// is off by more than the tolerance and another readout's is not.
func TestSelectReadout(t *testing.T) {
	// A fake evaluation: lower thresholds fire more (rate 16 - 10 p Hz
	// against 10 Hz); F1 peaks at p = 0.3 (13 Hz).
	eval := func(r surrogate.Readout) metrics.Report {
		rate := 16 - 10*float64(r.P)
		f1 := 0.5 - math.Abs(float64(r.P)-0.3)
		if r.RefractoryMS != 2 || r.ShiftMS != 0 {
			f1 -= 0.1
		}
		return metrics.Report{F1At2ms: f1, RateRefHz: 10, RateSurHz: rate}
	}
	for _, tc := range []struct {
		tol   float64
		wantP float32
	}{
		{0, 0.3},     // best F1 whatever the rate
		{0.1, 0.5},   // rates within 9-11 Hz: p 0.5-0.7; F1 decides among those
		{0.35, 0.3},  // 13 Hz is within 35%
		{0.001, 0.6}, // only p = 0.6 fires at 10 Hz
	} {
		r, rep := selectReadout(surrogate.Readout{P: 0.5, RefractoryMS: 2}, readoutGrid(0.5, false), ReadoutGoal{RateTol: tc.tol}, rates(eval))
		if math.Abs(float64(r.P-tc.wantP)) > 1e-6 || r.RefractoryMS != 2 || r.ShiftMS != 0 {
			t.Errorf("tolerance %v: readout %+v (%+v), want p %v", tc.tol, r, rep, tc.wantP)
		}
	}
	// No readout within tolerance: the best F1 overall.
	far := func(r surrogate.Readout) metrics.Report {
		rep := eval(r)
		rep.RateSurHz += 100
		return rep
	}
	if r, _ := selectReadout(surrogate.Readout{P: 0.5, RefractoryMS: 2}, readoutGrid(0.5, false), ReadoutGoal{RateTol: 0.1}, rates(far)); r.P != 0.3 {
		t.Errorf("nothing within tolerance: p %v, want the best F1's 0.3", r.P)
	}
	// The rate matched is the one eval gives beside the report (the settled
	// rate), not the report's: here 10 Hz at p = 0.3.
	settled := func(r surrogate.Readout) readoutEval {
		return readoutEval{eval(r), 10, 10 - 10*(float64(r.P)-0.3)}
	}
	if r, _ := selectReadout(surrogate.Readout{P: 0.5, RefractoryMS: 2}, readoutGrid(0.5, false), ReadoutGoal{RateTol: 0.01}, settled); math.Abs(float64(r.P-0.3)) > 1e-6 {
		t.Errorf("settled rate matched at p 0.3: got p %v", r.P)
	}
	// Burst fraction: the reference's is 10%; short refractory times burst
	// more (40% at 1 ms, 10% from 8 ms on) and score F1 0.02 higher; a
	// threshold rise of 0.3 or more stops the doublets at 0.01 less.
	bursty := func(r surrogate.Readout) metrics.Report {
		rep := eval(r)
		rep.BurstRef, rep.BurstSur = 0.1, 0.1
		switch {
		case r.RefractoryMS < 8 && r.RiseP >= 0.3:
			rep.F1At2ms += 0.01
		case r.RefractoryMS < 8:
			rep.BurstSur = 0.4 - 0.04*r.RefractoryMS
			rep.F1At2ms += 0.02
		}
		if r.RefractoryMS == 2 && r.ShiftMS == 0 {
			rep.F1At2ms -= 0.1 // undo eval's preference
		}
		return rep
	}
	for _, tc := range []struct {
		burstTol, wantRef float64
		rises             bool
		wantRise          float32
	}{
		{0, 2, true, 0},       // bursts ignored: the best F1 (refractory times below 8 tie; the start, tried first, wins)
		{0.2, 8, false, 0},    // 8 ms and more burst like the reference; the first of those
		{0.01, 8, false, 0},   // the same, closer
		{50, 2, false, 0},     // everything is within 5 000%
		{0.2, 1, true, 0.3},   // a rise stops the doublets at a better F1 than 8 ms; the first of those
		{0.001, 1, true, 0.3}, // within burstSlack
	} {
		r, _ := selectReadout(surrogate.Readout{P: 0.5, RefractoryMS: 2}, readoutGrid(0.5, tc.rises), ReadoutGoal{RateTol: 0.1, BurstTol: tc.burstTol}, rates(bursty))
		if r.RefractoryMS != tc.wantRef || r.RiseP != tc.wantRise || math.Abs(float64(r.P-0.5)) > 1e-6 {
			t.Errorf("burst tolerance %v (rises tried: %v): readout %+v, want refractory %v ms and rise %v at p 0.5", tc.burstTol, tc.rises, r, tc.wantRef, tc.wantRise)
		}
	}
	// No readout bursts like the reference: the rate decides alone.
	always := func(r surrogate.Readout) metrics.Report {
		rep := bursty(r)
		rep.BurstSur = 0.9
		return rep
	}
	if r, _ := selectReadout(surrogate.Readout{P: 0.5, RefractoryMS: 2}, readoutGrid(0.5, false), ReadoutGoal{RateTol: 0.1, BurstTol: 0.2}, rates(always)); r.RefractoryMS != 2 {
		t.Errorf("nothing within the burst tolerance: readout %+v, want the rate-matched best (the start's refractory 2 ms)", r)
	}
}

// TestSelectThreshold: --select-threshold changes what each epoch's
// validation reads, not what is trained: the same loss, and at every epoch a
// spike F1 at least that of the fixed readout, which is among those tried.
func TestSelectThreshold(t *testing.T) {
	dir := t.TempDir()
	var hist [2][]EpochRecord
	for i, sel := range []bool{false, true} {
		cfg := tinyConfig(t, filepath.Join(dir, fmt.Sprintf("m%d.safetensors", i)))
		cfg.Epochs, cfg.Patience = 3, 0
		cfg.RateTolerance = 0 // best F1 at any rate, so the fixed readout's F1 bounds it
		cfg.SelectThreshold = sel
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		hist[i] = res.History
	}
	if len(hist[0]) != 3 || len(hist[1]) != 3 {
		t.Fatalf("histories of %d and %d epochs, want 3", len(hist[0]), len(hist[1]))
	}
	better := false
	for e := range hist[0] {
		fixed, sel := hist[0][e], hist[1][e]
		if fixed.TrainLoss != sel.TrainLoss { // (the subthreshold RMSE leaves out the surrogate's spikes too, so it may differ)
			t.Errorf("epoch %d: training differs: loss %v / %v", e, fixed.TrainLoss, sel.TrainLoss)
		}
		better = better || sel.ValF1At2 > fixed.ValF1At2
		if sel.ValF1At2 < fixed.ValF1At2-1e-12 {
			t.Errorf("epoch %d: F1 at the calibrated threshold %v below the fixed readout's %v", e, sel.ValF1At2, fixed.ValF1At2)
		}
	}
	if !better { // a young model's spike probability stays below the default p 0.5
		t.Errorf("the calibrated threshold never read more: %+v against %+v", hist[1], hist[0])
	}
}

// rates scores a readout with the report's own rates.
func rates(eval func(surrogate.Readout) metrics.Report) func(surrogate.Readout) readoutEval {
	return func(r surrogate.Readout) readoutEval {
		rep := eval(r)
		return readoutEval{rep, rep.RateRefHz, rep.RateSurHz}
	}
}

// TestSettledCounts: spikes are counted from the settling time on, at
// most half of each trace, and over whole traces when the reference has
// none there.
func TestSettledCounts(t *testing.T) {
	const dt = 0.5
	mk := func(n int, spikes ...int) *series {
		s := &series{spike: make([]float32, n)}
		for _, k := range spikes {
			s.spike[k] = 1
		}
		return s
	}
	prob := func(n int, bins ...int) []float32 {
		p := make([]float32, n)
		for _, k := range bins {
			p[k] = 0.9
		}
		return p
	}
	r := surrogate.Readout{P: 0.5, RefractoryMS: 1}
	for _, tc := range []struct {
		name     string
		set      []*series
		p        [][]float32
		settle   float64
		ref, sur float64
	}{
		// 400 bins = 200 ms; settling at 50 ms = bin 100.
		{"onset left out", []*series{mk(400, 10, 20, 150, 300)}, [][]float32{prob(400, 11, 21, 31, 151)}, 50, 2, 1},
		{"whole trace", []*series{mk(400, 10, 20, 150, 300)}, [][]float32{prob(400, 11, 21, 31, 151)}, 0, 4, 4},
		{"at most half the trace", []*series{mk(400, 10, 250)}, [][]float32{prob(400, 10, 210, 390)}, 1000, 1, 2},
		{"no settled reference spike", []*series{mk(400, 10)}, [][]float32{prob(400, 10, 300)}, 50, 1, 2},
	} {
		ref, sur := settledCounts(tc.set, readoutSpikes(tc.p, r, dt), dt, tc.settle)
		if ref != tc.ref || sur != tc.sur {
			t.Errorf("%s: counts %v, %v, want %v, %v", tc.name, ref, sur, tc.ref, tc.sur)
		}
	}
}

// TestTiming: --timing pairs every synapse input with a timing input read
// from the dataset's timing channels; --init gives a model without them
// timing inputs that start with no effect; data or models that do not fit
// are refused.
func TestTiming(t *testing.T) {
	dir := t.TempDir()
	ds, err := openCorpus(tinyTimingData(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	st := &ds.Meta().Settings
	plain, err := GroupInputs("class", st.Channels, nil)
	if err != nil || len(plain) != 2 {
		t.Fatalf("grouping the timing dataset: %v, %v", plain, err)
	}
	inputs, err := WithTiming(plain, st, "tiny")
	if err != nil || len(inputs) != 4 || !inputs[2].Timing || !inputs[3].Timing {
		t.Fatalf("WithTiming: %+v, %v", inputs, err)
	}
	set, err := load(ds, []int{0, 1, 2, 3, 4, 5, 6, 7}, inputs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	tm := st.TimingOf()
	driven := 0
	for i, s := range set {
		tr, err := ds.Trace(s.index)
		if err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{"exc", "inh"} {
			if !slices.Equal(s.dense(j), tr.Drive[j]) || !slices.Equal(s.dense(2+j), tr.Drive[tm[name]]) {
				t.Fatalf("trace %d: input %s or its timing is not the dataset's column", i, name)
			}
		}
		if !slices.ContainsFunc(s.dense(0), func(x float32) bool { return x > 0 }) {
			continue // no excitation in this trace
		}
		driven++
		if !slices.ContainsFunc(s.dense(2), func(x float32) bool { return x < 0 }) {
			t.Fatalf("trace %d: the timing input looks like the drive", i)
		}
	}
	if driven == 0 {
		t.Fatal("no trace with excitatory input was checked")
	}

	// From scratch.
	a := tinyConfig(t, filepath.Join(dir, "a.safetensors"))
	a.Data, a.Timing, a.Epochs = tinyTimingData(t), true, 1
	if _, err := Run(context.Background(), a, nil); err != nil {
		t.Fatal(err)
	}
	m, err := surrogate.Load(a.Out)
	if err != nil || !m.Arch.HasTiming() || len(m.Arch.Inputs) != 4 {
		t.Fatalf("trained with --timing: %v, %+v", err, m)
	}
	// From a model without timing inputs: the starting function is the
	// same with and without the (zero-weight) timing inputs.
	p := tinyConfig(t, filepath.Join(dir, "plain.safetensors"))
	p.Data, p.Epochs = tinyTimingData(t), 1
	if _, err := Run(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	var first []float64
	for _, timing := range []bool{false, true} {
		c := tinyConfig(t, filepath.Join(dir, "init.safetensors"))
		c.Data, c.Init, c.Timing, c.Epochs = tinyTimingData(t), p.Out, timing, 1
		r, err := Run(context.Background(), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		h := r.History[0]
		first = append(first, h.ValRMSESub, h.ValF1At2)
	}
	if math.Abs(first[0]-first[2]) > 1e-6 || first[1] != first[3] {
		t.Errorf("starting model with zero-weight timing inputs validates as RMSE %v F1 %v, without them %v %v", first[2], first[3], first[0], first[1])
	}
	for _, tc := range []struct {
		data, init string
		timing     bool
		want       string
	}{
		{tinyData(t), "", true, "no timing channels"},
		{tinyTimingData(t), a.Out, false, "has timing inputs"},
	} {
		c := tinyConfig(t, filepath.Join(dir, "c.safetensors"))
		c.Data, c.Init, c.Timing = tc.data, tc.init, tc.timing
		if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("data %s init %q timing %v: error %v, want %q", tc.data, tc.init, tc.timing, err, tc.want)
		}
	}
}

// TestSubBins: a model of two sub-bins on data sampled every 0.25 ms
// steps every 0.5 ms and hears each quarter-millisecond apart. Its inputs
// add up to what a 0.5 ms model of the same traces hears (drive: the sum;
// timing: an event at offset o in sub-bin q sits at (q+½+o)/2 − ½ in the
// bin), its Vm and spike targets are the 0.5 ms data's, and training
// writes such a model.
func TestSubBins(t *testing.T) {
	open := func(dir string) *corpus {
		ds, err := openCorpus(dir)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ds.Close() })
		return ds
	}
	fine, coarse := open(tinyFineData(t)), open(tinyTimingData(t))
	plain, err := GroupInputs("class", fine.Meta().Channels, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := WithTiming(surrogate.WithSubBins(plain, 2), &fine.Meta().Settings, "fine")
	if err != nil {
		t.Fatal(err)
	}
	whole, err := WithTiming(plain, &coarse.Meta().Settings, "coarse")
	if err != nil {
		t.Fatal(err)
	}
	// sub: exc.sub0 exc.sub1 inh.sub0 inh.sub1, then their timing twins.
	if len(sub) != 8 || sub[1].Name != "exc.sub1" || sub[1].Part != 1 || !sub[5].Timing || sub[5].Part != 1 {
		t.Fatalf("inputs %+v", sub)
	}
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	fs, err := load(fine, idx, sub, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := load(coarse, idx, whole, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	spikes := 0
	for i := range fs {
		f, c := fs[i], cs[i]
		if len(f.v) != len(c.v) || !slices.Equal(f.v, c.v) || !slices.Equal(f.spike, c.spike) {
			t.Fatalf("trace %d: Vm or spike targets differ from the 0.5 ms data's", i)
		}
		for _, x := range c.spike {
			spikes += int(x)
		}
		for j := 0; j < 2; j++ { // exc, inh
			fw0, fw1, ft0, ft1 := f.dense(2*j), f.dense(2*j+1), f.dense(4+2*j), f.dense(4+2*j+1)
			cw, ct := c.dense(j), c.dense(2+j)
			for k := range c.v {
				w0, w1 := fw0[k], fw1[k]
				t0, t1 := ft0[k], ft1[k]
				if d := w0 + w1 - cw[k]; math.Abs(float64(d)) > 1e-7 {
					t.Fatalf("trace %d input %d bin %d: sub-bins sum to %g, the bin holds %g", i, j, k, w0+w1, cw[k])
				}
				want := ct[k]
				if got := -0.25*w0 + 0.25*w1 + (t0+t1)/2; math.Abs(float64(got-want)) > 1e-6 {
					t.Fatalf("trace %d input %d bin %d: sub-bin timing gives %g, the bin's is %g", i, j, k, got, want)
				}
			}
		}
	}
	if spikes == 0 {
		t.Fatal("no spikes in the traces compared")
	}
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "sub.safetensors"))
	cfg.Data, cfg.Timing, cfg.SubBins, cfg.Epochs, cfg.Seq = tinyFineData(t), true, 2, 1, 15
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	m, err := surrogate.Load(cfg.Out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Arch.SubBins != 2 || m.Arch.SampleDT != 0.5 || len(m.Arch.Inputs) != 8 {
		t.Fatalf("trained with sub-bins: sub_bins %d, step %g ms, %d inputs", m.Arch.SubBins, m.Arch.SampleDT, len(m.Arch.Inputs))
	}
	// --init from a model of whole bins splits it (the same function): it
	// validates on the 0.25 ms data as it does on the 0.5 ms data.
	w := tinyConfig(t, filepath.Join(t.TempDir(), "whole.safetensors"))
	w.Data, w.Timing, w.Epochs = tinyTimingData(t), true, 1
	if _, err := Run(context.Background(), w, nil); err != nil {
		t.Fatal(err)
	}
	var first []float64
	for _, sb := range []int{0, 2} {
		c := tinyConfig(t, filepath.Join(t.TempDir(), "init.safetensors"))
		c.Data, c.Timing, c.Init, c.SubBins, c.Epochs = tinyTimingData(t), true, w.Out, sb, 1
		if sb > 0 {
			c.Data = tinyFineData(t)
		}
		r, err := Run(context.Background(), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		first = append(first, r.History[0].ValRMSESub, r.History[0].ValF1At2)
	}
	// (Measured equal; a split weight off by 1e-3 moves the RMSE by 1e-5.)
	if math.Abs(first[0]-first[2]) > 1e-6 || first[1] != first[3] {
		t.Errorf("split starting model validates as RMSE %v F1 %v, unsplit %v %v", first[2], first[3], first[0], first[1])
	}
	// --init must agree with --sub-bins.
	c := tinyConfig(t, filepath.Join(t.TempDir(), "c.safetensors"))
	c.Data, c.Timing, c.Init = tinyFineData(t), true, cfg.Out
	if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "sub-bins") {
		t.Errorf("--init of a sub-bin model without --sub-bins: %v", err)
	}
	c.SubBins = surrogate.MaxSubBins + 1
	if err := c.Validate(); err == nil || !strings.Contains(asFlags(err), "--sub-bins") {
		t.Errorf("--sub-bins %d: %v", c.SubBins, err)
	}
}

// TestInitOtherFamily: starting from a model of another architecture
// family is refused with an error naming it (the model surgery of --init
// is the CNN-LSTM's).
func TestInitOtherFamily(t *testing.T) {
	a := surrogate.Arch{Family: gru.Family, Kernel: 1, Hidden: 4, Layers: 1, SampleDT: 0.5,
		Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}}}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gru.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.Init = path
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), `architecture family "gru"`) {
		t.Fatalf("want an error naming the family, got %v", err)
	}
}

// TestInputLags: a model trained from scratch with input lags reads its
// inputs there; starting from it with more lags keeps its function (the
// starting model's validation is the trained model's), and the lags are
// kept in the model written.
func TestInputLags(t *testing.T) {
	dir := t.TempDir()
	a := tinyConfig(t, filepath.Join(dir, "a.safetensors"))
	a.InputLags = []int{0, 1, 3, 6}
	ra, err := Run(context.Background(), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	ma, err := surrogate.Load(a.Out)
	if err != nil || fmt.Sprint(ma.Arch.InputLags) != "[0 1 3 6]" {
		t.Fatalf("model lags %v (%v)", ma.Arch.InputLags, err)
	}
	b := tinyConfig(t, filepath.Join(dir, "b.safetensors"))
	b.Init, b.InputLags, b.Epochs, b.LR = a.Out, []int{0, 1, 2, 3, 6, 12, 24}, 1, 1e-3
	rb, err := Run(context.Background(), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h0, want := rb.History[0], ra.Calibrated; h0.Epoch != -1 || math.Abs(h0.ValRMSESub-want.RMSESubMV) > 1e-6 || math.Abs(h0.ValF1At2-want.F1At2ms) > 1e-9 {
		t.Errorf("initial validation with more lags %+v, want the model's F1 %v, RMSE %v", h0, want.F1At2ms, want.RMSESubMV)
	}
	if mb, err := surrogate.Load(b.Out); err != nil || fmt.Sprint(mb.Arch.InputLags) != "[0 1 2 3 6 12 24]" {
		t.Errorf("fine-tuned model lags %v (%v)", mb.Arch.InputLags, err)
	}
	c := tinyConfig(t, filepath.Join(dir, "c.safetensors"))
	c.Init, c.InputLags = a.Out, []int{0, 1, 6}
	if _, err := Run(context.Background(), c, nil); err == nil || !strings.Contains(err.Error(), "lag 3") {
		t.Errorf("lags that drop one the model reads: %v", err)
	}
}

// TestSettingErrorKeepsArguments: braces in the arguments (a path, a
// wrapped error) are not settings.
func TestSettingErrorKeepsArguments(t *testing.T) {
	err := settingf("{data} %s: %w", "runs/{date}/d", errors.New("no {such} file"))
	var se *SettingError
	if !errors.As(err, &se) {
		t.Fatal(err)
	}
	if got, want := se.Render(func(s string) string { return "--" + s }), "--data runs/{date}/d: no {such} file"; got != want {
		t.Errorf("Render = %q, want %q", got, want)
	}
	if got, want := err.Error(), "data runs/{date}/d: no {such} file"; got != want {
		t.Errorf("Error = %q, want %q", got, want)
	}
}

// TestTraces: a trace-lstm trained from scratch learns and is written as
// one; the two engines train it alike; a CNN-LSTM starting model becomes
// one with --traces; traces with taps or delays are refused.
func TestTraces(t *testing.T) {
	dir := t.TempDir()
	var models []*surrogate.Model
	var first []float64
	for _, engine := range []string{"unrolled", "gorgonia"} {
		cfg := tinyConfig(t, filepath.Join(dir, engine+".safetensors"))
		cfg.TracesMS, cfg.Engine, cfg.Epochs, cfg.Patience = []float64{0, 1, 4, 16}, engine, 4, 0
		cfg.FeedSpike = true
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h := res.History; len(h) != 4 || !(h[3].TrainLoss < 0.8*h[0].TrainLoss) {
			t.Errorf("%s: training loss did not fall: %+v", engine, h)
		}
		first = append(first, res.History[0].TrainLoss)
		m, err := surrogate.Load(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		if m.Arch.FamilyName() != surrogate.TraceFamily || fmt.Sprint(m.Arch.TracesMS) != "[0 1 4 16]" || m.W[surrogate.WConvInputs].Shape[0] != 4*len(m.Arch.Inputs) {
			t.Fatalf("%s: model %+v", engine, m.Arch)
		}
		models = append(models, m)
	}
	if d := math.Abs(first[0] - first[1]); !(d <= 1e-5*first[1]) {
		t.Errorf("first epoch's loss %g (unrolled) and %g (gorgonia)", first[0], first[1])
	}
	worst := maxWeightDiff(models[1], models[0])
	if !(worst <= 1e-4) {
		t.Errorf("engines' weights differ by up to %g", worst)
	}

	base := tinyConfig(t, filepath.Join(dir, "base.safetensors"))
	if _, err := Run(context.Background(), base, nil); err != nil {
		t.Fatal(err)
	}
	conv := tinyConfig(t, filepath.Join(dir, "conv.safetensors"))
	conv.Init, conv.TracesMS, conv.Epochs = base.Out, []float64{0, 0.5, 2}, 1
	if _, err := Run(context.Background(), conv, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := surrogate.Load(conv.Out); err != nil || m.Arch.FamilyName() != surrogate.TraceFamily || m.Arch.Kernel != base.Kernel {
		t.Errorf("from a CNN-LSTM: %v %+v", err, m)
	}
	// Fine-tuning a trace-lstm, as it is and refitted onto other traces
	// (more than its kernel's 3 samples).
	for _, taus := range [][]float64{nil, {0, 1, 2, 4, 16, 40}} {
		ft := tinyConfig(t, filepath.Join(dir, "ft.safetensors"))
		ft.Init, ft.TracesMS, ft.Epochs = filepath.Join(dir, "unrolled.safetensors"), taus, 1
		if _, err := Run(context.Background(), ft, nil); err != nil {
			t.Fatalf("fine-tuning with traces %v: %v", taus, err)
		}
		want := "[0 1 4 16]"
		if taus != nil {
			want = fmt.Sprint(taus)
		}
		if m, err := surrogate.Load(ft.Out); err != nil || fmt.Sprint(m.Arch.TracesMS) != want {
			t.Errorf("fine-tuned with traces %v: %v (%v)", taus, m.Arch.TracesMS, err)
		}
		os.Remove(ft.Out)
		os.Remove(ft.Out + ".ckpt")
	}
	psp := tinyConfig(t, filepath.Join(dir, "psp.safetensors"))
	psp.Init, psp.InputDelay = filepath.Join(dir, "unrolled.safetensors"), "psp"
	if _, err := Run(context.Background(), psp, nil); err == nil || !strings.Contains(err.Error(), "input_delay psp") {
		t.Errorf("input delays for a trace-lstm starting model: %v", err)
	}
	for _, tc := range []struct {
		edit func(c *Config)
		want string
	}{
		{func(c *Config) { c.InputLags = []int{0, 2} }, "traces_ms and input_lags"},
		{func(c *Config) { c.InputDelay = "psp" }, "input_delay psp"},
		{func(c *Config) { c.TracesMS = []float64{0, -2} }, "traces_ms: traces_ms [0 -2]"},
	} {
		c := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
		c.TracesMS = []float64{0, 2}
		tc.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error with %q, got %v", tc.want, err)
		}
	}
}

// TestInputDriven trains input-driven models from scratch, a CNN-LSTM on
// both engines and a trace-LSTM (their loss falls, their fed-back weights
// stay zero while the others move, and the two engines end on the same
// weights), and turns a model with feedback into one with --init: the
// starting model's fed-back weights are zeroed, and a residual one is
// refused.
func TestInputDriven(t *testing.T) {
	dir := t.TempDir()
	zero := func(m *surrogate.Model) bool {
		for _, name := range m.Arch.ZeroedFeedback() {
			if slices.ContainsFunc(m.W[name].Data, func(x float32) bool { return x != 0 }) {
				return false
			}
		}
		return true
	}
	trained := map[string]*surrogate.Model{}
	for _, tc := range []struct {
		name, engine string
		traces       []float64
	}{{"cnn-unrolled", "unrolled", nil}, {"cnn-gorgonia", "gorgonia", nil}, {"trace", "unrolled", []float64{0, 2, 8}}} {
		cfg := tinyConfig(t, filepath.Join(dir, tc.name+".safetensors"))
		cfg.Epochs, cfg.Patience, cfg.Engine, cfg.TracesMS = 4, 0, tc.engine, tc.traces
		cfg.InputDriven, cfg.FeedSpike = true, true
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h := res.History; len(h) != 4 || !(h[3].TrainLoss < 0.8*h[0].TrainLoss) {
			t.Errorf("%s: training loss did not fall: %+v", tc.name, h)
		}
		m, err := surrogate.Load(cfg.Out)
		if err != nil || !m.Arch.InputDriven || !zero(m) {
			t.Fatalf("%s: trained model: %v, input driven %v", tc.name, err, m != nil && m.Arch.InputDriven)
		}
		fresh, err := surrogate.New(m.Arch, m.Norm, cfg.Seed)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(fresh.W[surrogate.WConvInputs].Data, m.W[surrogate.WConvInputs].Data) {
			t.Errorf("%s: the input weights did not move", tc.name)
		}
		trained[tc.name] = m
	}
	if worst := maxWeightDiff(trained["cnn-gorgonia"], trained["cnn-unrolled"]); !(worst <= 1e-4) {
		t.Errorf("engines' weights differ by up to %g", worst)
	}

	fb := tinyConfig(t, filepath.Join(dir, "fb.safetensors"))
	fb.Epochs = 1
	if _, err := Run(context.Background(), fb, nil); err != nil {
		t.Fatal(err)
	}
	conv := tinyConfig(t, filepath.Join(dir, "conv.safetensors"))
	conv.Init, conv.InputDriven, conv.Epochs = fb.Out, true, 1
	if _, err := Run(context.Background(), conv, nil); err != nil {
		t.Fatal(err)
	}
	if m, err := surrogate.Load(conv.Out); err != nil || !m.Arch.InputDriven || !zero(m) {
		t.Errorf("--init with --input-driven: %v, input driven %v", err, m != nil && m.Arch.InputDriven)
	}

	res2 := tinyConfig(t, filepath.Join(dir, "res.safetensors"))
	res2.Residual, res2.Epochs = true, 1
	if _, err := Run(context.Background(), res2, nil); err != nil {
		t.Fatal(err)
	}
	bad := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
	bad.Init, bad.InputDriven = res2.Out, true
	if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), "residual") {
		t.Errorf("--input-driven from a residual model: %v", err)
	}
}

// TestSanitizeReport: every non-finite figure of a report (an empty
// validation's) becomes -1, so the model's metadata still encodes.
func TestSanitizeReport(t *testing.T) {
	var empty metrics.Pool
	r := empty.Report()
	r.ShiftMeanMS = math.Inf(1)
	if _, err := json.Marshal(r); err == nil {
		t.Fatal("the raw report encodes: the test no longer exercises non-finite figures")
	}
	s := sanitizeReport(r)
	if _, err := json.Marshal(s); err != nil {
		t.Fatalf("sanitized report: %v", err)
	}
	if s.BurstSur != -1 || s.Gamma != -1 || s.ShiftMeanMS != -1 || s.F1At2ms != r.F1At2ms {
		t.Errorf("sanitized: %+v", s)
	}
}

// TestHearsSpikes: an input-driven model that hears its own spikes keeps
// its Vm's weights at zero while its spike weights learn, both engines end
// on the same weights, and the setting is refused without --input-driven or
// from a starting model without a spike input.
func TestHearsSpikes(t *testing.T) {
	dir := t.TempDir()
	trainHearing(t, dir, func(c *Config) { c.HearsSpikes = true }, func(a surrogate.Arch) bool { return a.HearsSpikes && !a.HearsFired })

	bad := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
	bad.HearsSpikes = true
	if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), "hears_spikes needs input_driven") {
		t.Errorf("--hear-spikes without --input-driven: %v", err)
	}
	plain := tinyConfig(t, filepath.Join(dir, "plain.safetensors"))
	plain.Epochs, plain.FeedSpike = 1, false
	if _, err := Run(context.Background(), plain, nil); err != nil {
		t.Fatal(err)
	}
	from := tinyConfig(t, filepath.Join(dir, "from.safetensors"))
	from.Init, from.InputDriven, from.HearsSpikes = plain.Out, true, true
	if _, err := Run(context.Background(), from, nil); err == nil || !strings.Contains(err.Error(), "no spike input") {
		t.Errorf("--hear-spikes from a model without a spike input: %v", err)
	}
}

// TestHearsFired: a model that hears its fired spikes is fed the
// reference's spikes of the bin before, teacher-forced, with its Vm input
// zero; it trains on both engines to the same weights, its Vm's weights
// stay zero while its spike weights learn, and the setting is refused
// without --input-driven, beside --hear-spikes, or from a starting model
// without a spike input.
func TestHearsFired(t *testing.T) {
	a := surrogate.Arch{Inputs: []surrogate.Input{{Name: "a", Channels: []string{"a"}}}, Kernel: 2, Conv: 3, Hidden: 4, Layers: 1, SampleDT: 0.5,
		FeedSpike: true, InputDriven: true, HearsFired: true}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{2}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	const T = 12
	v, sp, in := make([]float32, T+1), make([]float32, T+1), [][]float32{make([]float32, T+1)}
	for k := range v {
		v[k] = -65 + float32(k)
		in[0][k] = float32(k % 3)
	}
	sp[2], sp[7] = 1, 1
	cfg := DefaultConfig()
	cfg.Seq = T
	f, err := newFeed(m, 1, a, m.Norm, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.startBatch([]*series{newSeries(0, v, sp, in)}, -65, nil, nil)
	f.fill(0, 1, 0, rand.New(rand.NewPCG(1, 1)))
	for k := 0; k < T; k++ {
		want := float32(0)
		if k > 0 {
			want = sp[k-1]
		}
		if f.steach[k] != want || f.mask[k] != 1 || f.inv[k] != 0 || f.vteach[k] != 0 {
			t.Fatalf("sample %d: spike input %v (want %v), mask %v/%v, Vm input %v", k, f.steach[k], want, f.mask[k], f.inv[k], f.vteach[k])
		}
	}
	// Blurred: every spike heard within ±2 samples of a reference spike,
	// about half of them left out, drawn anew for every batch; the targets
	// are the reference's.
	const L = 4000
	long := make([]float32, L+1)
	nRef := 0
	for k := 5; k < L-5; k += 20 {
		long[k] = 1
		nRef++
	}
	cfg.HearJitterMS, cfg.HearDrop, cfg.Seq = 1, 0.5, L
	if f, err = newFeed(m, 1, a, m.Norm, cfg, nil); err != nil {
		t.Fatal(err)
	}
	ls := newSeries(0, make([]float32, L+1), long, [][]float32{make([]float32, L+1)})
	var draws [][]float32
	for seed := uint64(1); seed <= 2; seed++ {
		f.startBatch([]*series{ls}, -65, rand.New(rand.NewPCG(seed, 1)), nil)
		f.fill(0, 1, 0, rand.New(rand.NewPCG(1, 1)))
		heard := 0
		for k := 1; k < L; k++ {
			if f.y[k] != long[k] {
				t.Fatalf("blurred: the target of sample %d is %v, the reference's %v", k, f.y[k], long[k])
			}
			if f.steach[k] == 0 {
				continue
			}
			heard++
			if !slices.Contains(long[max(0, k-1-2):k-1+3], 1) {
				t.Fatalf("blurred: a spike heard at sample %d, none of the reference within 2 samples of %d", k, k-1)
			}
		}
		if heard < nRef*35/100 || heard > nRef*65/100 {
			t.Errorf("blurred: %d of %d spikes heard with drop 0.5", heard, nRef)
		}
		draws = append(draws, append([]float32(nil), f.steach[:L]...))
	}
	if slices.Equal(draws[0], draws[1]) {
		t.Error("blurred: two batches hear the same spikes")
	}

	dir := t.TempDir()
	trained := trainHearing(t, dir, func(c *Config) { c.HearsFired, c.HearJitterMS, c.HearDrop = true, 1, 0.2 }, func(a surrogate.Arch) bool { return a.HearsFired && !a.HearsSpikes })
	// Its readout is part of its dynamics: the calibration's report is that
	// of rollouts under the readout it picks, whatever it started from.
	ds, err := openCorpus(tinyData(t))
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, ds.NumTraces())
	for i := range idx {
		idx[i] = i
	}
	fm := trained["unrolled"]
	set, err := load(ds, idx, fm.Arch.Inputs, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, start := range []surrogate.Readout{{P: 0.05, RefractoryMS: 1}, {P: 0.9, RefractoryMS: 10, ShiftMS: 2}} {
		fm.Readout = start
		rep := calibrateReadout(fm, set, -65, ReadoutGoal{RateTol: 0.1, SettleMS: 100})
		again := validate(fm, set, -65)
		if rep.F1At2ms != again.F1At2ms || rep.RateSurHz != again.RateSurHz || !(rep.RateSurHz > 0) {
			t.Errorf("from %+v: calibrated to %+v, reported F1 %v at %v Hz; its rollouts give F1 %v at %v Hz", start, fm.Readout, rep.F1At2ms, rep.RateSurHz, again.F1At2ms, again.RateSurHz)
		}
	}

	for _, tc := range []struct {
		name          string
		driven, spike bool
		want          string
	}{
		{"without --input-driven", false, false, "hears_fired needs input_driven"},
		{"with --hear-spikes", true, true, "hears_fired and hears_spikes"},
	} {
		bad := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
		bad.HearsFired, bad.InputDriven, bad.HearsSpikes = true, tc.driven, tc.spike
		if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--hear-fired %s: %v", tc.name, err)
		}
	}
	for _, tc := range []struct {
		name         string
		fired        bool
		jitter, drop float64
		want         string
	}{
		{"jitter without --hear-fired", false, 1, 0, "need hears_fired"},
		{"drop without --hear-fired", false, 0, 0.1, "need hears_fired"},
		{"drop 1", true, 0, 1, "hear_drop 1"},
		{"negative jitter", true, -1, 0, "hear_jitter_ms -1"},
	} {
		bad := tinyConfig(t, filepath.Join(dir, "bad.safetensors"))
		bad.HearsFired, bad.InputDriven, bad.HearJitterMS, bad.HearDrop = tc.fired, true, tc.jitter, tc.drop
		if _, err := Run(context.Background(), bad, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("--hear-fired %s: %v", tc.name, err)
		}
	}
	plain := tinyConfig(t, filepath.Join(dir, "plain.safetensors"))
	plain.Epochs, plain.FeedSpike = 1, false
	if _, err := Run(context.Background(), plain, nil); err != nil {
		t.Fatal(err)
	}
	from := tinyConfig(t, filepath.Join(dir, "from.safetensors"))
	from.Init, from.InputDriven, from.HearsFired = plain.Out, true, true
	if _, err := Run(context.Background(), from, nil); err == nil || !strings.Contains(err.Error(), "no spike input") {
		t.Errorf("--hear-fired from a model without a spike input: %v", err)
	}
}

// trainHearing trains an input-driven model that hears its spikes (hear
// sets how) on both engines, checks that the loss fell, the architecture
// is as arch wants, the Vm's weights stayed zero while the spike weights
// learned, and the engines agree, and returns the models by engine.
func trainHearing(t *testing.T, dir string, hear func(*Config), arch func(surrogate.Arch) bool) map[string]*surrogate.Model {
	t.Helper()
	trained := map[string]*surrogate.Model{}
	for _, engine := range []string{"unrolled", "gorgonia"} {
		cfg := tinyConfig(t, filepath.Join(dir, engine+".safetensors"))
		cfg.Epochs, cfg.Patience, cfg.Engine = 3, 0, engine
		cfg.InputDriven = true
		hear(&cfg)
		res, err := Run(context.Background(), cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if h := res.History; !(h[len(h)-1].TrainLoss < 0.8*h[0].TrainLoss) {
			t.Errorf("%s: training loss did not fall: %+v", engine, h)
		}
		m, err := surrogate.Load(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		if !m.Arch.InputDriven || !m.Arch.FeedSpike || !arch(m.Arch) {
			t.Fatalf("%s: architecture %+v", engine, m.Arch)
		}
		if slices.ContainsFunc(m.W[surrogate.WConvVm].Data, func(x float32) bool { return x != 0 }) {
			t.Errorf("%s: the Vm's weights moved", engine)
		}
		if !slices.ContainsFunc(m.W[surrogate.WConvSpike].Data, func(x float32) bool { return x != 0 }) {
			t.Errorf("%s: the spike weights are all zero", engine)
		}
		trained[engine] = m
	}
	if worst := maxWeightDiff(trained["gorgonia"], trained["unrolled"]); !(worst <= 1e-4) {
		t.Errorf("engines' weights differ by up to %g", worst)
	}
	return trained
}
