package train

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/surrogate"
)

// TestCheckpointChecksum: a checkpoint with a changed byte, in a tensor
// or in the run's state (a step number that still parses), is refused on
// resume with an error naming the file; one without a checksum (written
// before checkpoints carried one) is resumed.
func TestCheckpointChecksum(t *testing.T) {
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.CheckpointEvery, cfg.StopAfterSteps = 0, 25 // checkpointed after the first batch, step 20
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("want the test stop, got %v", err)
	}
	ckpt := CheckpointPath(cfg.Out)
	good, err := os.ReadFile(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(good, []byte(`"`+ckptSum+`":"`)) {
		t.Fatal("the checkpoint has no checksum")
	}
	step := bytes.Index(good, []byte(`\"step\":20`))
	if step < 0 {
		t.Fatal("no step 20 in the checkpoint's state")
	}
	cfg.StopAfterSteps, cfg.Resume = 0, true
	for _, tc := range []struct {
		name string
		at   int
		xor  byte
	}{
		{"tensor data", len(good) - 7, 1},
		{"another tensor", len(good) - len(good)/3, 0x10},
		{"state", step + len(`\"step\":`), '2' ^ '1'},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := append([]byte(nil), good...)
			bad[tc.at] ^= tc.xor
			if err := os.WriteFile(ckpt, bad, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Run(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), ckpt+": checksum mismatch") || !strings.Contains(asFlags(err), "without --resume") {
				t.Fatalf("error %v, want a checksum mismatch naming %s", err, ckpt)
			}
		})
	}
	// Without the checksum, as before checkpoints carried one: resumed.
	ts, meta, err := surrogate.ReadSafetensors(ckpt, good)
	if err != nil {
		t.Fatal(err)
	}
	delete(meta, ckptSum)
	var old bytes.Buffer
	if err := surrogate.WriteSafetensors(&old, ts, meta); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ckpt, old.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatalf("resuming a checkpoint without checksum: %v", err)
	}
}

// fuzzModel is a tiny model and training state for FuzzCheckpoint.
func fuzzModel(t testing.TB) (*surrogate.Model, string) {
	m := oneInputModel(t, surrogate.Arch{Kernel: 2, Conv: 2, Hidden: 2, Layers: 1})
	aj, _ := json.Marshal(m.Arch)
	return m, string(aj)
}

// FuzzCheckpoint feeds damaged checkpoints to the resume loader: whatever
// the bytes, it returns an error or a state, never panics, and a state it
// accepts is finite and survives saving and loading unchanged.
func FuzzCheckpoint(f *testing.F) {
	cfg := DefaultConfig()
	m, arch := fuzzModel(f)
	a := newAdam(m.W)
	a.step = 3
	for name := range a.m {
		for i := range a.m[name] {
			a.m[name][i], a.v[name][i] = float32(i)*0.01-0.02, float32(i)*1e-4
		}
	}
	st := checkpointState{Config: cfg, Arch: arch, Epoch: 1, Step: 3, BestScore: 0.5, BestEpoch: 0,
		History: []EpochRecord{{Epoch: 0, Step: 3, ValF1At2: 0.5}}}
	path := filepath.Join(f.TempDir(), "m.ckpt")
	if err := saveCheckpoint(path, &st, m, a, m.Clone(), m.Clone()); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	ts, meta, err := surrogate.ReadSafetensors(path, good)
	if err != nil {
		f.Fatal(err)
	}
	delete(meta, ckptSum) // as written before checkpoints had a checksum: mutations reach the state
	var old bytes.Buffer
	if err := surrogate.WriteSafetensors(&old, ts, meta); err != nil {
		f.Fatal(err)
	}
	f.Add(old.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		load := func(data []byte) (*checkpointState, *surrogate.Model, *adam, *surrogate.Model, *surrogate.Model, error) {
			m, _ := fuzzModel(t)
			ema := m.Clone()
			a := newAdam(m.W)
			st := &checkpointState{Config: cfg}
			best, err := decodeCheckpoint("fuzz.ckpt", data, st, m, a, ema)
			return st, m, a, ema, best, err
		}
		st, m, a, ema, best, err := load(data)
		if err != nil {
			return
		}
		for name, w := range m.W {
			for i, x := range w.Data {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) || a.v[name][i] < 0 || math.IsNaN(float64(a.m[name][i])) {
					t.Fatalf("accepted a non-finite state at %s[%d]", name, i)
				}
			}
		}
		again := filepath.Join(t.TempDir(), "again.ckpt")
		if err := saveCheckpoint(again, st, m, a, best, ema); err != nil {
			t.Fatal(err)
		}
		data2, err := os.ReadFile(again)
		if err != nil {
			t.Fatal(err)
		}
		st2, m2, a2, ema2, _, err := load(data2)
		if err != nil {
			t.Fatalf("a saved accepted state does not load: %v", err)
		}
		j1, _ := json.Marshal(st)
		j2, _ := json.Marshal(st2)
		if !bytes.Equal(j1, j2) || a.step != a2.step {
			t.Fatalf("state changed by saving and loading:\n%s\n%s", j1, j2)
		}
		for name, w := range m.W {
			for i := range w.Data {
				if math.Float32bits(w.Data[i]) != math.Float32bits(m2.W[name].Data[i]) || a.m[name][i] != a2.m[name][i] ||
					ema.W[name].Data[i] != ema2.W[name].Data[i] {
					t.Fatalf("%s[%d] changed by saving and loading", name, i)
				}
			}
		}
	})
}

// TestRunLockAndLeftovers: a run writing the same outputs as a live run
// fails at once, naming the lock; a stale lock is taken over, and the
// temporary files a killed run left beside the outputs are removed, with
// notices; other files stay.
func TestRunLockAndLeftovers(t *testing.T) {
	dir := t.TempDir()
	cfg := tinyConfig(t, filepath.Join(dir, "m.safetensors"))
	cfg.StopAfterSteps = 1
	lockPath := atomicfile.LockName(cfg.Out)
	held, err := atomicfile.TryLease(lockPath, "another training", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(asFlags(err), "another run is writing --out "+cfg.Out) || !strings.Contains(err.Error(), lockPath) {
		t.Fatalf("error %v", err)
	}
	held.Release()

	// What a run killed on this host leaves: its lock and temporary files.
	dead := exec.Command(os.Args[0], "-test.run=^$")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	lock, _ := json.Marshal(map[string]any{"pid": dead.Process.Pid, "host": host, "token": "x"})
	leftovers := []string{".m.safetensors.tmp-1", ".m.safetensors.ckpt.tmp-22", ".m.curve.csv.tmp-3", ".m.curve.png.tmp-4", ".m.safetensors.probe-5"}
	keep := []string{".other.safetensors.tmp-1", "notes.txt"}
	old := time.Now().Add(-time.Hour)
	for _, n := range append(append([]string(nil), leftovers...), keep...) {
		p := filepath.Join(dir, n)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(lockPath, lock, 0o644); err != nil {
		t.Fatal(err)
	}
	var notices []string
	cfg.Notice = func(m string) { notices = append(notices, m) }
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("want the test stop, got %v", err)
	}
	if len(notices) != 2 || !strings.Contains(notices[0], "took over the stale lock "+lockPath) ||
		!strings.Contains(notices[1], "removed 5 temporary file(s)") {
		t.Fatalf("notices %q", notices)
	}
	for _, n := range leftovers {
		if !strings.Contains(notices[1], n) {
			t.Errorf("notice does not name %s", n)
		}
		if _, err := os.Stat(filepath.Join(dir, n)); !os.IsNotExist(err) {
			t.Errorf("%s left (%v)", n, err)
		}
	}
	for _, n := range append(keep, filepath.Base(CheckpointPath(cfg.Out))) {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Errorf("the run left its lock (%v)", err)
	}
}

// TestLostLockStopsWrites: a run whose lock another job takes over (here
// by writing its own lock file after the second step) writes nothing more
// (no checkpoint, model or learning curve) and fails naming the lock:
// at its next checkpoint, or before writing its model when the time
// budget ends it.
func TestLostLockStopsWrites(t *testing.T) {
	for _, tc := range []struct {
		name       string
		ckptEvery  time.Duration
		timeBudget time.Duration
	}{
		{"at a checkpoint", 0, 0},
		{"before the model", time.Hour, 2 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := tinyConfig(t, filepath.Join(dir, "m.safetensors"))
			cfg.CheckpointEvery, cfg.TimeBudget = tc.ckptEvery, tc.timeBudget
			lockPath := atomicfile.LockName(cfg.Out)
			other := []byte(`{"pid":1,"host":"elsewhere","token":"other"}`)
			var ckpt []byte
			_, err := Run(context.Background(), cfg, func(s Status) {
				if s.Step != 2 || ckpt != nil {
					return
				}
				var err error
				if ckpt, err = os.ReadFile(CheckpointPath(cfg.Out)); err != nil {
					t.Error(err)
				}
				if err := os.WriteFile(lockPath, other, 0o644); err != nil {
					t.Error(err)
				}
				time.Sleep(tc.timeBudget) // the run is out of time at its next batch
			})
			if err == nil || !strings.Contains(err.Error(), "lost the lock "+lockPath) {
				t.Fatalf("error %v, want the lost lock", err)
			}
			if got, _ := os.ReadFile(CheckpointPath(cfg.Out)); !bytes.Equal(got, ckpt) {
				t.Error("the checkpoint was written after the lock was lost")
			}
			csv, png := CurvePaths(cfg.Out)
			for _, p := range []string{cfg.Out, csv, png} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s written after the lock was lost (%v)", p, err)
				}
			}
			if got, _ := os.ReadFile(lockPath); !bytes.Equal(got, other) {
				t.Errorf("the other job's lock became %q", got)
			}
		})
	}
}

// TestResumeRefusesChangedSettings: a resumed run must be the run that was
// stopped; each setting that would change it is refused by name, and a
// longer run is pointed to --init.
func TestResumeRefusesChangedSettings(t *testing.T) {
	cfg := tinyConfig(t, filepath.Join(t.TempDir(), "m.safetensors"))
	cfg.CheckpointEvery, cfg.StopAfterSteps = 0, 25
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "stopped after") {
		t.Fatalf("want the test stop, got %v", err)
	}
	for _, tc := range []struct {
		name, want string
		change     func(*Config)
	}{
		{"epochs", "epochs was 2, now 5", func(c *Config) { c.Epochs = 5 }},
		{"input-driven", "input_driven was false, now true", func(c *Config) { c.InputDriven = true }},
		{"feed spike", "feed_spike was", func(c *Config) { c.FeedSpike = !c.FeedSpike }},
		{"clip", "clip was", func(c *Config) { c.Clip *= 2 }},
		{"validation traces", "val_max was", func(c *Config) { c.ValMax++ }},
		{"weight decay", "weight_decay was 0, now 0.1", func(c *Config) { c.WeightDecay = 0.1 }},
		// model selection: how each epoch's spikes are read
		{"select threshold", "select_threshold was false, now true", func(c *Config) { c.SelectThreshold = true }},
		{"rate tolerance", "rate_tolerance was", func(c *Config) { c.RateTolerance *= 2 }},
		{"settle", "rate_settle_ms was", func(c *Config) { c.RateSettleMS += 100 }},
		{"burst tolerance", "burst_tolerance was 0, now 0.25", func(c *Config) { c.BurstTolerance = 0.25 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cfg
			c.StopAfterSteps, c.Resume = 0, true
			tc.change(&c)
			_, err := Run(context.Background(), c, nil)
			if err == nil || !strings.Contains(err.Error(), "different settings: "+tc.want) {
				t.Fatalf("error %v, want one naming %q", err, tc.want)
			}
			if tc.name == "epochs" && !strings.Contains(asFlags(err), "with --init") {
				t.Errorf("a longer run is not pointed to --init: %s", asFlags(err))
			}
		})
	}
}
