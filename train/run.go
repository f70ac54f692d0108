package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/infer/metrics"
	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/surrogate"
	"neurosurrogate/surrogate/graph"
)

// Run trains a model. progress, if not nil, is called after every optimizer
// step and epoch.
func Run(ctx context.Context, cfg Config, progress func(Status)) (*Result, error) {
	r, err := setup(cfg, progress)
	if err != nil {
		return nil, err
	}
	defer r.close()
	stoppedBy, err := r.loop(ctx)
	if err != nil {
		return nil, err
	}
	return r.finish(stoppedBy)
}

// run is one training run: the data, the model with its optimizer (and
// moving average), the engines' feeds, and st, what the checkpoint keeps.
type run struct {
	cfg      Config
	progress func(Status)
	start    time.Time
	before   time.Duration // time spent before a resume
	lastCkpt time.Time
	lease    *atomicfile.Lease // on Out, for the run

	cell             *biophys.Cell
	vInit            float32
	trainSet, valSet []*series
	targetNorm       []meanScale // of the training heads' targets (Config.Targets)

	model, best, ema *surrogate.Model
	adam             *adam
	decayed          []string // the weights Config.WeightDecay shrinks
	st               checkpointState
	ckpt             string

	feeds []*feed
	per   []int // traces per feed

	chunks, batches, total int // per trace, per epoch, in the run
	firstStep              int
}

// setup checks the settings, loads the data, makes the model (or restores
// it from the checkpoint when resuming) and the engines' feeds, validates
// a starting model and writes the first checkpoint.
func setup(cfg Config, progress func(Status)) (*run, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, progress: progress, start: time.Now(), ckpt: CheckpointPath(cfg.Out)}
	graph.UseBLAS()
	if err := atomicfile.CheckWritable(cfg.Out); err != nil {
		return nil, settingf("{out} %s: cannot write there: %w", cfg.Out, err)
	}
	if err := r.lock(); err != nil {
		return nil, err
	}
	if err := r.prepare(); err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// prepare is setup's work after the settings are checked.
func (r *run) prepare() error {
	cfg := r.cfg
	ds, err := openCorpus(cfg.Data)
	if err != nil {
		return err
	}
	defer ds.Close()
	meta := ds.Meta()
	if r.cell, err = meta.Cell(); err != nil {
		return err
	}
	r.vInit = float32(r.cell.VInit())
	inputs, err := GroupInputs(cfg.Inputs, meta.Channels, r.cell)
	if err != nil {
		return settingf("{inputs}: %w", err)
	}
	inputs = surrogate.WithSubBins(inputs, cfg.SubBins)
	if cfg.Timing {
		if inputs, err = WithTiming(inputs, &meta.Settings, cfg.Data); err != nil {
			return err
		}
	}
	parts := max(1, cfg.SubBins)
	nTraces := ds.NumTraces()
	if cfg.MaxTraces > 0 {
		nTraces = min(nTraces, cfg.MaxTraces)
	}
	trIdx, valIdx, testIdx, err := r.split(ds, nTraces)
	if err != nil {
		return err
	}
	// One optimizer step unrolls Seq model steps, each predicting the next
	// sample: traces of one sample give no step at all (and an untrained
	// model), shorter ones than Seq+1 an unrolled graph mostly empty.
	if n := meta.Samples / parts; n < cfg.Seq+1 {
		// (the notes name settings, so they join the format; they hold no %)
		return settingf("{seq} %d: %s holds traces of %d model steps (%g ms every %g ms"+subBinsNote(parts)+"), too short: one optimizer step unrolls {seq} steps, each predicting the next sample, so it needs traces of {seq}+1 = %d; "+shortFix(n),
			cfg.Seq, cfg.Data, n, meta.DurationMS, meta.SampleDtMS*float64(parts), cfg.Seq+1)
	}
	var recs []int
	if len(cfg.Targets) > 0 {
		if recs, _, err = recordColumns(ds, cfg.Data, cfg.Targets, "targets"); err != nil {
			return err
		}
	}
	if r.trainSet, err = load(ds, trIdx, inputs, parts, recs); err != nil {
		return err
	}
	if r.valSet, err = load(ds, valIdx, inputs, parts, nil); err != nil {
		return err
	}
	r.targetNorm = standardize(r.trainSet, len(recs), 0)
	if err := r.makeModel(inputs, &meta.Settings, meta.SampleDtMS*float64(parts)); err != nil {
		return err
	}
	if more := ds.moreSettings(); more != "" {
		r.model.Info[InfoMoreDatasets] = more
	} else {
		delete(r.model.Info, InfoMoreDatasets) // (of a starting model trained on several)
	}
	split, _ := json.Marshal(map[string][]int{"validation": valIdx, "test": testIdx})
	r.model.Info["split"] = string(split)
	if err := r.restore(); err != nil {
		return err
	}
	if err := r.makeFeeds(); err != nil {
		return err
	}
	r.before = time.Duration(r.st.ElapsedS * float64(time.Second))
	r.firstStep = r.st.Step
	r.lastCkpt = time.Now()
	if !cfg.Resume && cfg.Init != "" {
		// The starting model competes in model selection as epoch -1, so
		// fine-tuning never returns something worse than what it started from.
		val := validate(r.model, r.valSet, r.vInit)
		rec := record(-1, 0, r.elapsed(), val, cfg.SelectRMSEWeight)
		r.st.History = append(r.st.History, rec)
		r.st.BestScore, r.st.BestEpoch, r.best = rec.Score, -1, r.model.Clone()
		r.report(fmt.Sprintf("initial model (%s): val F1(2ms) %.3f, RMSE %.2f mV", cfg.Init, rec.ValF1At2, rec.ValRMSESub), &val)
	}
	if !cfg.Resume {
		// A checkpoint exists from the start, so a failure always leaves one.
		return r.save()
	}
	return nil
}

// split divides the first nTraces traces into training, validation (at most
// ValMax, the first dataset's first) and test sets, or says how many
// traces a split needs.
func (r *run) split(ds *corpus, nTraces int) (trIdx, valIdx, testIdx []int, err error) {
	cfg := r.cfg
	trIdx, valIdx, testIdx, err = ds.split(nTraces, cfg.Seed, cfg.ValFrac, cfg.TestFrac)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(trIdx) == 0 || len(valIdx) == 0 {
		need := nTraces + 1
		for ; need < 1<<20; need++ {
			if tr, va, _, _ := dataset.Split(need, 0, cfg.ValFrac, cfg.TestFrac); len(tr) > 0 && len(va) > 0 {
				break
			}
		}
		return nil, nil, nil, fmt.Errorf("%s: %d traces are too few to split into training, validation (%g%%) and test (%g%%): use at least %d",
			cfg.Data, nTraces, 100*cfg.ValFrac, 100*cfg.TestFrac, need)
	}
	if cfg.ValMax > 0 && len(valIdx) > cfg.ValMax {
		valIdx = valIdx[:cfg.ValMax]
	}
	return trIdx, valIdx, testIdx, nil
}

// makeModel makes the model (from Init, or new from the settings), its
// input delays and provenance, and the optimizer's state.
func (r *run) makeModel(inputs []surrogate.Input, settings *dataset.Settings, stepDT float64) error {
	cfg := &r.cfg
	var err error
	if cfg.Init != "" {
		if r.model, err = initModel(cfg, inputs, r.cell, settings, r.trainSet); err != nil {
			return err
		}
	} else {
		arch := surrogate.Arch{Inputs: inputs, Kernel: cfg.Kernel, Conv: cfg.Conv, Hidden: cfg.Hidden, Layers: cfg.Layers, SampleDT: stepDT, Residual: cfg.Residual, FeedSpike: cfg.FeedSpike || cfg.HearsSpikes || cfg.HearsFired, InputDriven: cfg.InputDriven, HearsSpikes: cfg.HearsSpikes, HearsFired: cfg.HearsFired, SubBins: cfg.SubBins, InputLags: cfg.InputLags}
		if len(cfg.TracesMS) > 0 {
			arch.Family, arch.TracesMS = surrogate.TraceFamily, cfg.TracesMS
		}
		if r.model, err = surrogate.New(arch, normalization(r.trainSet, len(inputs)), cfg.Seed); err != nil {
			return err
		}
	}
	if n := len(cfg.Targets); n > 0 || r.model.Arch.AuxHeads > 0 {
		if r.model, err = r.model.WithAuxHeads(n, cfg.Seed); err != nil {
			return err
		}
	}
	m := r.model
	if cfg.InputDelay == "psp" {
		if len(m.Arch.TracesMS) > 0 {
			return settingf("{input_delay} psp: the model from {init} %s is a %s, whose inputs are not delayed (the traces carry the timing)", cfg.Init, surrogate.TraceFamily)
		}
		delays, err := PSPDelays(r.cell, m.Arch.Inputs, stepDT, 0)
		if err != nil {
			return settingf("{input_delay} psp: %w", err)
		}
		dj, _ := json.Marshal(delays)
		m.Info["input_delays"] = string(dj)
	}
	settingsJSON, _ := json.Marshal(settings)
	m.Info["cell_name"] = r.cell.Name
	m.Info["cell_hash"] = r.cell.Hash()
	m.Info["cell_v_init_mV"] = fmt.Sprint(r.cell.VInit())
	m.Info["cell_threshold_mV"] = fmt.Sprint(r.cell.Threshold())
	m.Info[surrogate.InfoDataset] = string(settingsJSON)
	delete(m.Info, surrogate.InfoDatasetBeforeSplit) // (of a starting model split into sub-bins)
	cfgJSON, _ := json.Marshal(r.cfg)
	m.Info["training"] = string(cfgJSON)
	r.adam = newAdam(m.W)
	archJSON, _ := json.Marshal(m.Arch)
	r.st = checkpointState{Config: r.cfg, Arch: string(archJSON), BestScore: -1e9, BestEpoch: -1}
	if r.cfg.EMA > 0 {
		r.ema = m.Clone()
	}
	if r.cfg.WeightDecay > 0 {
		r.decayed = decayedWeights(m.Arch)
	}
	return nil
}

// restore continues a run from its checkpoint when resuming.
func (r *run) restore() error {
	if !r.cfg.Resume {
		return nil
	}
	arch := r.st.Arch
	b, err := loadCheckpoint(r.ckpt, &r.st, r.model, r.adam, r.ema)
	if err != nil {
		return err
	}
	r.best = b
	if r.st.Arch != arch {
		return fmt.Errorf("%s: checkpoint was made for a different architecture or data (%s, now %s)", r.ckpt, r.st.Arch, arch)
	}
	// (loadCheckpoint has compared the settings)
	r.st.Config = r.cfg
	return nil
}

// makeFeeds splits the batch over replicas of the engine, one per core (at
// most two), and sizes the run in chunks, batches and steps.
func (r *run) makeFeeds() error {
	cfg := r.cfg
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = min(2, runtime.GOMAXPROCS(0))
	}
	replicas = max(1, min(replicas, cfg.Batch))
	r.per = make([]int, replicas)
	for i := range r.per {
		r.per[i] = cfg.Batch / replicas
		if i < cfg.Batch%replicas {
			r.per[i]++
		}
	}
	for i := range r.per {
		f, err := newFeed(r.model, r.per[i], r.model.Arch, r.model.Norm, cfg, r.targetNorm)
		if err != nil {
			return err
		}
		r.feeds = append(r.feeds, f)
	}
	samples := len(r.trainSet[0].v)
	r.chunks = (samples - 1 + cfg.Seq - 1) / cfg.Seq
	r.batches = (len(r.trainSet) + cfg.Batch - 1) / cfg.Batch
	r.total = cfg.Epochs * r.batches * r.chunks
	return nil
}

// lock takes the lock on the run's outputs (one run writes them at a
// time) and removes the temporary files a killed run left of them.
func (r *run) lock() error {
	out := r.cfg.Out
	lease, err := atomicfile.TryLease(atomicfile.LockName(out), "train --out "+out, r.cfg.Notice)
	if err != nil {
		var held *atomicfile.HeldError
		if errors.As(err, &held) {
			return settingf("another run is writing {out} %s: %w", out, err)
		}
		return settingf("{out} %s: cannot write there: %w", out, err)
	}
	r.lease = lease
	csv, png := CurvePaths(out)
	var names []string
	for _, p := range []string{out, r.ckpt, csv, png} {
		names = append(names, filepath.Base(p))
	}
	dir := filepath.Dir(out)
	removed, err := atomicfile.CleanTemps(dir, names, lease.Taken())
	if err != nil {
		lease.Release()
		return err
	}
	if len(removed) > 0 && r.cfg.Notice != nil {
		r.cfg.Notice(fmt.Sprintf("removed %d temporary file(s) a killed run left in %s: %s", len(removed), dir, strings.Join(removed, ", ")))
	}
	return nil
}

// close releases the engines and the lock.
func (r *run) close() {
	for _, f := range r.feeds {
		f.close()
	}
	r.feeds = nil
	if r.lease != nil {
		r.lease.Release()
	}
}

func (r *run) elapsed() time.Duration { return time.Since(r.start) + r.before }

// save writes the checkpoint, if the run still holds the lock.
func (r *run) save() error {
	if err := r.checkLease(); err != nil {
		return err
	}
	r.st.ElapsedS = r.elapsed().Seconds()
	return saveCheckpoint(r.ckpt, &r.st, r.model, r.adam, r.best, r.ema)
}

// checkLease says whether the run still holds the lock on its outputs;
// it is called before each write of them.
func (r *run) checkLease() error {
	if err := r.lease.Check(); err != nil {
		return fmt.Errorf("not writing %s: %w", r.cfg.Out, err)
	}
	return nil
}

// report tells progress where the run is.
func (r *run) report(msg string, val *metrics.Report) {
	if r.progress == nil {
		return
	}
	st := &r.st
	loss := [3]float64{math.NaN(), math.NaN(), math.NaN()}
	if st.LossN > 0 {
		for i := range loss {
			loss[i] = st.LossSum[i] / float64(st.LossN)
		}
	}
	r.progress(Status{Epoch: st.Epoch, Epochs: r.cfg.Epochs, Step: st.Step, TotalSteps: r.total, FirstStep: r.firstStep, Loss: loss[0], LossV: loss[1], LossS: loss[2], Val: val,
		BestEpoch: st.BestEpoch, Elapsed: r.elapsed(), Message: msg})
}

// evaluated is what validation and model selection see: the moving
// average if one is kept.
func (r *run) evaluated() *surrogate.Model {
	if r.ema != nil {
		return r.ema
	}
	return r.model
}

// loop runs the epochs from where the checkpoint left off, and says what
// stopped them.
func (r *run) loop(ctx context.Context) (stoppedBy string, err error) {
	cfg, st := r.cfg, &r.st
	for ; st.Epoch < cfg.Epochs; st.Epoch++ {
		order := shuffled(len(r.trainSet), cfg.Seed, uint64(st.Epoch))
		for ; st.Batch < r.batches; st.Batch++ {
			if err := ctx.Err(); err != nil {
				if err := r.save(); err != nil {
					return "", err
				}
				return "", settingf("interrupted; resume with {resume} (checkpoint %s): %w", r.ckpt, err)
			}
			if cfg.TimeBudget > 0 && r.elapsed() >= cfg.TimeBudget {
				return "time budget", nil
			}
			if err := r.batch(order); err != nil {
				return "", err
			}
			if time.Since(r.lastCkpt) >= cfg.CheckpointEvery {
				st.Batch++
				err := r.save()
				st.Batch--
				if err != nil {
					return "", err
				}
				r.lastCkpt = time.Now()
			}
		}
		stop, err := r.endEpoch()
		if err != nil {
			return "", err
		}
		if stop {
			st.Epoch++
			return "early stopping", nil
		}
	}
	return "epochs", nil
}

// batch trains on batch st.Batch of the epoch's order (the last batch
// wraps around): every chunk of its traces, one optimizer step each.
func (r *run) batch(order []int) error {
	cfg, st := r.cfg, &r.st
	tr := make([]*series, cfg.Batch)
	for i := range tr {
		tr[i] = r.trainSet[order[(st.Batch*cfg.Batch+i)%len(order)]]
	}
	off := 0
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(st.Step)+1<<41))
	var own [][]float32
	if cfg.HearOwn > 0 {
		m := *r.model // the weights trained, under the readout calibrated last (the moving average's, if one is kept)
		m.Readout = r.evaluated().Readout
		own = ownHeard(&m, tr, r.vInit, cfg.HearOwn, rng, len(r.feeds))
	}
	for i, f := range r.feeds {
		var o [][]float32
		if own != nil {
			o = own[off : off+r.per[i]]
		}
		f.startBatch(tr[off:off+r.per[i]], r.vInit, rng, o)
		off += r.per[i]
	}
	for c := 0; c < r.chunks; c++ {
		if err := r.step(c); err != nil {
			return err
		}
		if cfg.StopAfterSteps > 0 && st.Step >= cfg.StopAfterSteps {
			// As if killed: nothing past the last checkpoint survives.
			return fmt.Errorf("stopped after %d steps (test hook)", st.Step)
		}
	}
	return nil
}

// step is one optimizer step on chunk c of the batch: the feeds run their
// engines in parallel, their gradients are summed, clipped and applied.
func (r *run) step(c int) error {
	cfg, st := r.cfg, &r.st
	progressFrac := float64(st.Step) / float64(max(1, r.total))
	lr := cfg.LRMin + 0.5*(cfg.LR-cfg.LRMin)*(1+math.Cos(math.Pi*math.Min(1, progressFrac)))
	if st.Step < 100 {
		lr *= float64(st.Step+1) / 100
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, uint64(st.Step)+1<<40))
	for _, f := range r.feeds {
		f.fill(c*cfg.Seq, cfg.Batch, progressFrac, rng)
	}
	errs := make([]error, len(r.feeds))
	var wg sync.WaitGroup
	for i, f := range r.feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.run()
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	grads := map[string][]float32{}
	var loss [3]float64
	for _, f := range r.feeds {
		for k, g := range f.grads {
			if grads[k] == nil {
				grads[k] = append([]float32(nil), g...)
				continue
			}
			for i := range g {
				grads[k][i] += g[i]
			}
		}
		for i := range loss {
			loss[i] += f.loss[i]
		}
	}
	if cfg.nanAtStep > 0 && st.Step+1 == cfg.nanAtStep {
		loss[0] = math.NaN()
	}
	if math.IsNaN(loss[0]) || math.IsInf(loss[0], 0) {
		return settingf("%w at step %d (epoch %d); the last good checkpoint is %s; try a lower {lr}", ErrNaN, st.Step, st.Epoch, r.ckpt)
	}
	if r.model.Arch.InputDriven {
		for _, name := range r.model.Arch.ZeroedFeedback() {
			clear(grads[name]) // (they hear nothing: zero weights stay zero)
		}
	}
	clipNorm(grads, cfg.Clip)
	if cfg.WeightDecay > 0 {
		decayWeights(r.model, r.decayed, lr*cfg.WeightDecay)
	}
	r.adam.update(r.model.W, grads, lr)
	if r.ema != nil {
		updateEMA(r.ema, r.model, math.Min(cfg.EMA, float64(1+st.Step)/float64(10+st.Step)))
	}
	st.Step++
	st.Samples += int64(cfg.Batch * cfg.Seq)
	for i := range loss {
		st.LossSum[i] += loss[i]
	}
	st.LossN++
	r.report("", nil)
	return nil
}

// endEpoch validates by free-running rollouts, keeps the best model so
// far, checkpoints, and says whether early stopping ends the run.
func (r *run) endEpoch() (stop bool, err error) {
	cfg, st := r.cfg, &r.st
	var val metrics.Report
	if cfg.SelectThreshold {
		val = calibrateThreshold(r.evaluated(), r.valSet, r.vInit, cfg.ReadoutGoal())
	} else {
		val = validate(r.evaluated(), r.valSet, r.vInit)
	}
	rec := r.recordNow(val)
	st.History = append(st.History, rec)
	if rec.Score > st.BestScore {
		st.BestScore, st.BestEpoch, st.Stale = rec.Score, st.Epoch, 0
		r.best = r.evaluated().Clone()
	} else {
		st.Stale++
	}
	st.Batch = 0
	r.report(fmt.Sprintf("epoch %d: val F1(2ms) %.3f, RMSE %.2f mV", st.Epoch, val.F1At2ms, val.RMSESubMV), &val)
	st.LossSum, st.LossN = [3]float64{}, 0 // after the report, so it shows the epoch's loss
	st.Epoch++
	err = r.save()
	st.Epoch--
	if err != nil {
		return false, err
	}
	r.lastCkpt = time.Now()
	return cfg.Patience > 0 && st.Stale >= cfg.Patience, nil
}

// recordNow is the learning curve's row for a validation now, with the
// epoch's mean training loss so far.
func (r *run) recordNow(val metrics.Report) EpochRecord {
	st := &r.st
	rec := record(st.Epoch, st.Step, r.elapsed(), val, r.cfg.SelectRMSEWeight)
	if st.LossN > 0 {
		rec.TrainLoss, rec.LossV, rec.LossS = st.LossSum[0]/float64(st.LossN), st.LossSum[1]/float64(st.LossN), st.LossSum[2]/float64(st.LossN)
	}
	return rec
}

// finish calibrates the best model's spike readout, writes the model, the
// last checkpoint and the learning curve, and reports.
func (r *run) finish(stoppedBy string) (*Result, error) {
	st := &r.st
	if st.Step == 0 {
		// An untrained model would be written, with the validation of
		// random weights (F1 1.000 on data without spikes).
		return nil, settingf("stopped by %s before the first optimizer step: no model written; raise {time_budget} (%v)", stoppedBy, r.cfg.TimeBudget)
	}
	if r.best == nil {
		// Stopped before any validation: validate what there is.
		st.History = append(st.History, r.recordNow(validate(r.evaluated(), r.valSet, r.vInit)))
		r.best, st.BestEpoch = r.evaluated().Clone(), st.Epoch
	}
	best := r.best
	// The spike readout is calibrated on the validation traces.
	cal := calibrateReadout(best, r.valSet, r.vInit, r.cfg.ReadoutGoal())
	// The model written: without the training heads, which served training
	// only (best keeps them for the checkpoint).
	written := best
	if best.Arch.AuxHeads > 0 {
		written = best.Clone()
		written.StripAux()
	}
	res := &Result{Model: written, History: st.History, Params: written.Arch.ParamCount(), Checkpoint: r.ckpt,
		Elapsed: r.elapsed(), Steps: st.Step, Samples: st.Samples, StoppedBy: stoppedBy, Calibrated: cal}
	for _, h := range st.History {
		if h.Epoch == st.BestEpoch {
			res.Best = h
		}
	}
	mj, _ := json.Marshal(map[string]any{"best_epoch": res.Best, "validation_after_readout_calibration": sanitizeReport(cal), "readout": best.Readout})
	written.Info["metrics"] = string(mj)
	summary, _ := json.Marshal(map[string]any{"stopped_by": stoppedBy, "elapsed_s": res.Elapsed.Seconds(), "steps": res.Steps,
		"samples": res.Samples, "params": res.Params, "best_epoch": st.BestEpoch, "train_traces": len(r.trainSet)})
	written.Info["training_run"] = string(summary)
	if err := r.checkLease(); err != nil {
		return nil, err
	}
	if err := written.Save(r.cfg.Out); err != nil {
		return nil, err
	}
	if err := r.save(); err != nil {
		return nil, err
	}
	if err := r.checkLease(); err != nil {
		return nil, err
	}
	if err := writeCurve(r.cfg.Out, st.History); err != nil {
		return nil, err
	}
	return res, nil
}

// subBinsNote says how sub-bins make a model step, for messages.
func subBinsNote(parts int) string {
	if parts <= 1 {
		return ""
	}
	return fmt.Sprintf(", %d dataset samples per model step with {sub_bins} %d", parts, parts)
}

// shortFix says what to do about traces of n model steps, too short for
// the unrolled graph.
func shortFix(n int) string {
	if n >= 3 { // {seq} is at least 2
		return fmt.Sprintf("use {seq} %d or less, or generate longer traces", n-1)
	}
	return "generate longer traces (at least 3 model steps)"
}
