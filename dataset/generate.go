package dataset

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow/go/v15/arrow"

	"neurosurrogate/biophys"
	"neurosurrogate/internal/atomicfile"
)

// Config is a generation job: one shard of a dataset.
type Config struct {
	Cell       *biophys.Cell
	Traces     int     // traces in the whole dataset (all shards)
	DurationMS float64 // per trace
	DtMS       float64 // simulation step
	SampleDtMS float64 // a multiple of DtMS; DurationMS a multiple of it
	Seed       uint64
	Shard      int // this shard's index, 0 <= Shard < Shards
	Shards     int // number of shards (1: unsharded)
	// Regimes is the input mix; nil means DefaultRegimes(Cell).
	Regimes *Regimes
	// Compression of the Arrow buffers: "none" or "lz4"; "" means
	// DefaultCompression(Cell).
	Compression string
	// Timing adds a timing channel per synapse (Channel, ClassTiming): where
	// in each sample bin the synapse's events came.
	Timing bool
	// Record lists probes (biophys.ParseProbe: NAME@SECTION(X)) recorded
	// beside v_soma, a column each.
	Record []string
	// Workers is the number of simulations run in parallel (0: all cores).
	// It never changes the output.
	Workers int
	// Batch is the number of traces a worker simulates together, as cells
	// of one biophys.System (0: automatic, see BatchSize). A larger batch
	// than keeps its drive accumulators within 64 MB is lowered to that,
	// with a notice. It never changes the output.
	Batch int
	// Progress, if not nil, is called after each trace is written with the
	// traces done and the total of this shard.
	Progress func(done, total int)
	// Notice, if not nil, is told what Generate did beside the shard:
	// temporary files of a killed run removed, a stale lock taken over,
	// waiting for another job's lock.
	Notice func(msg string)
}

// Result describes a written shard.
type Result struct {
	Path        string
	Traces      int     // traces in this shard
	SimulatedMS float64 // simulated time, including retried subthreshold attempts
	Spikes      int
	Wall        time.Duration
}

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		i, err = strconv.Atoi(strings.TrimSpace(a))
		if err == nil {
			n, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	switch {
	case !ok || err != nil:
		return 0, 0, fmt.Errorf("shard %q: want i/n, e.g. 3/16 (shard 3 of 16, counting from 0)", s)
	case n < 1:
		return 0, 0, fmt.Errorf("shard %q: the number of shards must be at least 1", s)
	case n > 99999:
		return 0, 0, fmt.Errorf("shard %q: at most 99999 shards", s)
	case i < 0 || i >= n:
		return 0, 0, fmt.Errorf("shard %q: the index must satisfy 0 <= i < n (shards count from 0, so the last of %d is %d/%d)", s, n, n-1, n)
	}
	return i, n, nil
}

// multiple returns x/unit rounded when x is an integer multiple of unit.
func multiple(x, unit float64) (int, bool) {
	q := x / unit
	k := math.Round(q)
	return int(k), k >= 1 && math.Abs(q-k) <= 1e-9*math.Max(1, q)
}

// Settings checks a job's parameters and returns the dataset settings they
// make (everything but the shard index).
func (c *Config) Settings() (*Settings, error) {
	if c.Cell == nil {
		return nil, errors.New("no cell")
	}
	switch {
	case c.Traces < 1 || c.Traces > math.MaxInt32:
		return nil, fmt.Errorf("traces %d: must be at least 1", c.Traces)
	case !(c.DurationMS > 0) || !finite(c.DurationMS):
		return nil, fmt.Errorf("duration %v ms: must be positive", c.DurationMS)
	case !(c.DtMS >= biophys.MinDtMS) || !finite(c.DtMS):
		return nil, fmt.Errorf("dt %v ms: must be at least %g ms", c.DtMS, biophys.MinDtMS)
	case c.DurationMS/c.DtMS > biophys.MaxSteps:
		return nil, fmt.Errorf("duration %g ms at dt %g ms: %.3g steps per trace, more than %.0e", c.DurationMS, c.DtMS, c.DurationMS/c.DtMS, float64(biophys.MaxSteps))
	case !(c.SampleDtMS > 0) || !finite(c.SampleDtMS):
		return nil, fmt.Errorf("sample-dt %v ms: must be positive", c.SampleDtMS)
	case c.Shards < 1 || c.Shard < 0 || c.Shard >= c.Shards:
		return nil, fmt.Errorf("shard %d/%d: want 0 <= i < n", c.Shard, c.Shards)
	case c.Workers < 0:
		return nil, fmt.Errorf("workers %d: must not be negative", c.Workers)
	case c.Batch < 0:
		return nil, fmt.Errorf("batch %d: must not be negative", c.Batch)
	}
	if _, ok := multiple(c.SampleDtMS, c.DtMS); !ok {
		return nil, fmt.Errorf("sample-dt %g ms is not a multiple of dt %g ms", c.SampleDtMS, c.DtMS)
	}
	samples, ok := multiple(c.DurationMS, c.SampleDtMS)
	if !ok {
		return nil, fmt.Errorf("duration %g ms is not a multiple of sample-dt %g ms", c.DurationMS, c.SampleDtMS)
	}
	if samples > maxSamples {
		return nil, fmt.Errorf("duration %g ms / sample-dt %g ms = %d samples per trace: at most %d", c.DurationMS, c.SampleDtMS, samples, maxSamples)
	}
	if len(c.Cell.Synapses) == 0 {
		return nil, fmt.Errorf("cell %s has no synapses: there is nothing to drive it with", c.Cell.Name)
	}
	comp := c.Compression
	if comp == "" {
		comp = DefaultCompression(c.Cell)
	}
	if comp != "none" && comp != "lz4" {
		return nil, fmt.Errorf("compression %q: want none or lz4", comp)
	}
	reg := DefaultRegimes(c.Cell)
	if c.Regimes != nil {
		reg = *c.Regimes
	}
	if err := reg.Validate(); err != nil {
		return nil, err
	}
	ch, err := channelsFor(c.Cell, reg.StepFrac > 0, c.Timing)
	if err != nil {
		return nil, err
	}
	st := &Settings{
		Format: Format, Generator: Generator,
		CellName: c.Cell.Name, CellSHA256: c.Cell.Hash(),
		DtMS: c.DtMS, SampleDtMS: c.SampleDtMS, DurationMS: c.DurationMS, Samples: samples,
		Traces: c.Traces, Seed: c.Seed, Shards: c.Shards, ShardRule: ShardRule,
		RowsPerBatch: rowsPerBatch(samples, len(ch)),
		Compression:  comp,
		Channels:     ch, Regimes: reg,
	}
	if len(c.Record) > 0 {
		if st.Records, err = recordsFor(c.Cell, c.Record); err != nil {
			return nil, err
		}
	}
	if err := st.validate(); err != nil { // what a reader will check
		return nil, err
	}
	return st, nil
}

// recordsFor checks the probes on a one-cell System of the cell and
// names each record's unit.
func recordsFor(cell *biophys.Cell, specs []string) ([]Record, error) {
	tmpl, err := biophys.Compile(cell)
	if err != nil {
		return nil, err
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: tmpl}}, 0.025)
	if err != nil {
		return nil, err
	}
	var probes []biophys.Probe
	for _, s := range specs {
		p, err := biophys.ParseProbe(s)
		if err != nil {
			return nil, err
		}
		probes = append(probes, p)
	}
	r, err := sys.Recorder(0, probes)
	if err != nil {
		return nil, err
	}
	out := make([]Record, len(probes))
	for i, p := range probes {
		out[i] = Record{Name: p.String(), Unit: r.Units[i]}
	}
	return out, nil
}

// DefaultCompression is "none" for point cells (dense data that every Arrow
// reader, including JavaScript's, opens and memory-maps) and "lz4" for
// cells with more than PointCellMaxSynapses synapses, whose many drive
// columns are mostly zeros (16x smaller for the Hay L5PC). ZSTD is not
// offered: it gains 10% more, takes 5x the time, and its decoder allocates
// up to ~1 GB on a corrupt file.
func DefaultCompression(c *biophys.Cell) string {
	if len(c.Synapses) <= PointCellMaxSynapses {
		return "none"
	}
	return "lz4"
}

// metadata is the schema metadata of one shard.
func metadata(st *Settings, cell *biophys.Cell, shard int) arrow.Metadata {
	info := fmt.Sprintf(`{"index":%d,"count":%d,"traces":%d}`, shard, st.Shards, ShardTraces(st.Traces, shard, st.Shards))
	return arrow.NewMetadata(
		[]string{MetaFormat, MetaGenerator, MetaSettings, MetaShard, MetaCell, MetaSampling, MetaChecksum},
		[]string{Format, Generator, st.json(), info, string(cell.JSON()), SamplingDoc, checksumPlaceholder})
}

// Generate simulates one shard of a dataset and writes it into folder dir
// (created if needed) as ShardFileName(Shard, Shards). The file appears
// only when complete (written to a temporary file, then renamed). Shards
// already in dir must have been made with the same settings. The output is
// byte-identical for identical Configs, whatever Workers is.
func Generate(ctx context.Context, dir string, cfg Config) (*Result, error) {
	start := time.Now()
	st, err := cfg.Settings()
	if err != nil {
		return nil, err
	}
	tmpl, err := biophys.Compile(cfg.Cell)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("cannot create the output folder: %w", err)
	}
	final := filepath.Join(dir, ShardFileName(cfg.Shard, cfg.Shards))
	// One job per shard file at a time; its lock also tells which
	// temporary files of the shard are leftovers: those older than it.
	lease, err := atomicfile.TryLease(atomicfile.LockName(final), fmt.Sprintf("generate shard %d/%d", cfg.Shard, cfg.Shards), cfg.Notice)
	if err != nil {
		var held *atomicfile.HeldError
		if errors.As(err, &held) {
			return nil, fmt.Errorf("another job is generating shard %d/%d into %s: %w", cfg.Shard, cfg.Shards, dir, err)
		}
		return nil, fmt.Errorf("cannot write in the output folder: %w", err)
	}
	defer lease.Release()
	removed, err := atomicfile.CleanTemps(dir, []string{filepath.Base(final)}, lease.Taken())
	if err != nil {
		return nil, err
	}
	if len(removed) > 0 && cfg.Notice != nil {
		cfg.Notice(fmt.Sprintf("removed %d unfinished temporary file(s) a killed run left in %s: %s", len(removed), dir, strings.Join(removed, ", ")))
	}
	if err := checkFolder(dir, st); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+ShardFileName(cfg.Shard, cfg.Shards)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write in the output folder: %w", err)
	}
	f.Chmod(0o644) // shards are meant to be shared
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			f.Close()
			os.Remove(tmp)
		}
	}()
	md := metadata(st, cfg.Cell, cfg.Shard)
	sw, err := newShardWriter(f, st, md)
	if err != nil {
		return nil, fileError(tmp, err)
	}
	res := &Result{Path: final, Traces: ShardTraces(st.Traces, cfg.Shard, cfg.Shards)}
	workers := cfg.Workers
	if workers == 0 {
		workers = runtime.NumCPU()
	}
	workers = min(workers, max(1, res.Traces)) // no more than there are traces
	batch := batchFor(&cfg, st, tmpl, res.Traces, workers)
	err = produce(ctx, st, tmpl, cfg.Shard, workers, batch, func(t *Trace, simMS float64) error {
		res.SimulatedMS += simMS
		res.Spikes += t.Spikes
		if err := sw.add(t); err != nil {
			return fileError(tmp, err)
		}
		if cfg.Progress != nil {
			cfg.Progress((t.Index-cfg.Shard)/st.Shards+1, res.Traces)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := sw.close(); err != nil {
		return nil, fileError(tmp, err)
	}
	if err := sealShard(f, md); err != nil {
		return nil, fileError(tmp, fmt.Errorf("writing the checksum: %w", err))
	}
	if err := f.Sync(); err != nil {
		return nil, fileError(tmp, err)
	}
	if err := f.Close(); err != nil {
		return nil, fileError(tmp, err)
	}
	if err := publish(dir, tmp, final, st, lease, cfg.Notice); err != nil {
		return nil, err
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	res.Wall = time.Since(start)
	return res, nil
}

// FolderLock is the lock file that makes a job's last check of the
// folder and the renaming of its shard into it one step.
const FolderLock = ".generate.lock"

// folderWait bounds the wait for another job's folder lock, which is held
// for the milliseconds a check and a rename take (a dead holder's expires
// after atomicfile.StaleAfter).
const folderWait = 5 * time.Minute

// Test hooks: called with the shard file's name before the folder lock is
// taken, and under it after the last check.
var testHookPublish, testHookLocked func(name string)

// publish renames the finished temporary file tmp to final, checking under
// the folder lock that no job has written shards of other settings into
// the folder meanwhile (so two jobs cannot both check, then both rename),
// and that this job still holds the shard's lock.
func publish(dir, tmp, final string, st *Settings, shard *atomicfile.Lease, notice func(string)) error {
	if testHookPublish != nil {
		testHookPublish(filepath.Base(final))
	}
	lock, err := atomicfile.WaitLease(filepath.Join(dir, FolderLock), "generate: check the folder and add a shard", folderWait, notice)
	if err != nil {
		return err
	}
	defer lock.Release()
	if err := checkFolder(dir, st); err != nil {
		return err
	}
	if testHookLocked != nil {
		testHookLocked(filepath.Base(final))
	}
	if err := lock.Check(); err != nil {
		return err
	}
	if err := shard.Check(); err != nil {
		return fmt.Errorf("not writing %s: %w", final, err)
	}
	return os.Rename(tmp, final)
}

// checkFolder refuses to write into a folder holding shards made with other
// settings. It reads at most maxChecked shards (spread over the folder), so
// a job of a large array starts fast; Open checks every shard.
func checkFolder(dir string, st *Settings) error {
	files, _, err := listShards(dir)
	if err != nil {
		return err
	}
	if n := len(files); n > maxChecked {
		picked := make([]shardFile, maxChecked)
		for k := range picked {
			picked[k] = files[k*(n-1)/(maxChecked-1)]
		}
		files = picked
	}
	for _, f := range files {
		h, err := readHeader(f.path)
		if err != nil {
			return fmt.Errorf("%v\nthe output folder holds a file that is not a readable shard; remove it or write elsewhere", err)
		}
		if h.settingsJSON != st.json() {
			return fmt.Errorf("%s was made with different settings (%s): refusing to mix datasets in one folder; use another --out folder, or the same settings",
				f.path, diffSettings(&h.settings, st))
		}
	}
	return nil
}

const maxChecked = 32

// BatchSize is the number of traces a worker simulates together when
// Config.Batch is 0: as many as make batchNodes nodes (point cells share
// the per-step costs of a System; a many-compartment cell has long arrays
// already), at most what keeps a batch's float64 drive accumulators within
// batchBytes, and no more than gives every worker a batch.
func BatchSize(st *Settings, tmpl *biophys.Template, traces, workers int) int {
	b := max(1, batchNodes/tmpl.N)
	b = min(b, maxBatch(st))
	return max(1, min(b, (traces+workers-1)/max(1, workers)))
}

// maxBatch is the largest batch whose float64 drive accumulators fit in
// batchBytes (at least 1).
func maxBatch(st *Settings) int {
	return max(1, batchBytes/(8*st.Samples*len(st.Channels)))
}

// batchFor is the batch of a job of traces traces on workers workers:
// cfg.Batch, or BatchSize if it is 0; an explicit batch is lowered to
// maxBatch, with a notice, when it would simulate more traces together.
func batchFor(cfg *Config, st *Settings, tmpl *biophys.Template, traces, workers int) int {
	if cfg.Batch == 0 {
		return BatchSize(st, tmpl, traces, workers)
	}
	limit := maxBatch(st)
	if cfg.Batch <= limit || traces <= limit {
		return cfg.Batch
	}
	if cfg.Notice != nil {
		cfg.Notice(fmt.Sprintf("batch %d lowered to %d: the drive accumulators of a batch are limited to %d MB (%d channels x %d samples x 8 bytes per trace); the output is the same",
			cfg.Batch, limit, batchBytes>>20, len(st.Channels), st.Samples))
	}
	return limit
}

const (
	batchNodes = 2048
	batchBytes = 64 << 20
)

// produce simulates the shard's traces on workers goroutines, batch traces
// at a time, and hands them to emit in trace order. At most a few batches
// per worker wait in memory.
func produce(ctx context.Context, st *Settings, tmpl *biophys.Template, shard, workers, batch int,
	emit func(t *Trace, simMS float64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: stops the feeder and the workers
	defer cancel()
	type job struct {
		traces []int
		out    chan []outcome
	}
	jobs := make(chan job)
	slots := make(chan chan []outcome, workers+1)
	go func() {
		defer close(slots)
		defer close(jobs)
		for i := shard; i < st.Traces; {
			var traces []int
			for ; i < st.Traces && len(traces) < batch; i += st.Shards {
				traces = append(traces, i)
			}
			out := make(chan []outcome, 1)
			select {
			case slots <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{traces, out}:
			case <-ctx.Done():
				return
			}
		}
	}()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSim(st, tmpl)
			for j := range jobs {
				pls := make([]plan, len(j.traces))
				for k, i := range j.traces {
					pls[k] = drawParams(st, i)
				}
				j.out <- s.run(ctx, pls)
			}
		}()
	}
	for out := range slots {
		var rs []outcome
		select {
		case rs = <-out:
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, r := range rs {
			if err := ctx.Err(); err != nil {
				return err
			}
			if r.err != nil {
				return r.err
			}
			if err := emit(r.t, r.simMS); err != nil {
				return err
			}
		}
	}
	return ctx.Err()
}
