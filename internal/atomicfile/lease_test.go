package atomicfile_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"neurosurrogate/internal/atomicfile"
)

// TestLease: a held lease is refused to others (TryLease at once, WaitLease
// after its timeout) and granted when released; a lease taken over by
// another job is not removed by its former owner's Release.
func TestLease(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".out.lock")
	a, err := atomicfile.TryLease(path, "job a", nil)
	if err != nil {
		t.Fatal(err)
	}
	var held *atomicfile.HeldError
	if _, err := atomicfile.TryLease(path, "job b", nil); !errors.As(err, &held) || held.What != "job a" || held.PID != os.Getpid() {
		t.Fatalf("second TryLease: %v", err)
	}
	var notices []string
	start := time.Now()
	if _, err := atomicfile.WaitLease(path, "job b", 100*time.Millisecond, func(m string) { notices = append(notices, m) }); err == nil ||
		!strings.Contains(err.Error(), "waited 100ms") || time.Since(start) < 100*time.Millisecond {
		t.Fatalf("WaitLease on a held lease: %v", err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "waiting for "+path) {
		t.Fatalf("notices %q", notices)
	}
	go func() { time.Sleep(50 * time.Millisecond); a.Release() }()
	b, err := atomicfile.WaitLease(path, "job b", 10*time.Second, nil)
	if err != nil {
		t.Fatalf("WaitLease after release: %v", err)
	}
	if err := b.Check(); err != nil {
		t.Fatal(err)
	}
	// Another job takes the lease over (b was stopped for too long).
	if err := os.WriteFile(path, []byte(`{"pid":1,"host":"elsewhere","token":"other"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b.Check(); err == nil || !strings.Contains(err.Error(), "lost the lock") {
		t.Fatalf("Check after a takeover: %v", err)
	}
	b.Release()
	if got, _ := os.ReadFile(path); !strings.Contains(string(got), "other") {
		t.Fatalf("Release removed another job's lock: %q", got)
	}
}

// writeLock writes a lock file with the given content, last refreshed age
// ago.
func writeLock(t *testing.T, path string, content []byte, age time.Duration) {
	t.Helper()
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	then := time.Now().Add(-age)
	if err := os.Chtimes(path, then, then); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentTakeover: jobs that have all judged one lock stale take it
// over one after another; the first gets the lease and the others, finding
// its fresh lock, are refused: one lease, one notice, and nothing left
// beside the lock file.
func TestConcurrentTakeover(t *testing.T) {
	const jobs = 4
	dir := t.TempDir()
	path := filepath.Join(dir, ".out.lock")
	writeLock(t, path, []byte(`{"pid":1,"host":"elsewhere","token":"old"}`), 2*atomicfile.StaleAfter)
	var judged, finished atomic.Int32
	deadline := time.Now().Add(10 * time.Second)
	atomicfile.SetTestHookTakeover(func(string) {
		k := judged.Add(1)
		if k > jobs {
			return
		}
		for judged.Load() < jobs && time.Now().Before(deadline) { // all have judged it stale
			time.Sleep(time.Millisecond)
		}
		for finished.Load() < k-1 && time.Now().Before(deadline) { // the earlier ones are done
			time.Sleep(time.Millisecond)
		}
	})
	defer atomicfile.SetTestHookTakeover(nil)
	leases := make([]*atomicfile.Lease, jobs)
	errs := make([]error, jobs)
	var mu sync.Mutex
	var notices []string
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer finished.Add(1)
			leases[i], errs[i] = atomicfile.TryLease(path, fmt.Sprint("job ", i), func(m string) {
				mu.Lock()
				notices = append(notices, m)
				mu.Unlock()
			})
		}()
	}
	wg.Wait()
	if time.Now().After(deadline) {
		t.Fatalf("the jobs did not all reach the takeover (%d did)", judged.Load())
	}
	var won []int
	for i, l := range leases {
		if l != nil {
			won = append(won, i)
			defer l.Release()
		}
	}
	if len(won) != 1 {
		t.Fatalf("jobs %v hold the lock, want one (errors %v)", won, errs)
	}
	winner := fmt.Sprint("job ", won[0])
	for i, err := range errs {
		var held *atomicfile.HeldError
		if i != won[0] && (!errors.As(err, &held) || held.What != winner || !held.Alive) {
			t.Errorf("job %d: error %v, want the lock held by %s", i, err, winner)
		}
	}
	if err := leases[won[0]].Check(); err != nil {
		t.Errorf("the winner: %v", err)
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "took over the stale lock "+path) {
		t.Errorf("notices %q, want one takeover", notices)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != ".out.lock" {
		t.Errorf("folder holds %v, want only the lock", ents)
	}
}

// TestLocalLockStaleness: on this host, a lock of a live process is kept
// however old (the process may be stopped, not dead), and one naming this
// process under a token it does not hold (left by an earlier process with
// the same id) is taken over however fresh.
func TestLocalLockStaleness(t *testing.T) {
	host, _ := os.Hostname()
	lock := func(pid int) []byte {
		b, _ := json.Marshal(map[string]any{"pid": pid, "host": host, "token": "t", "since": "then", "what": "a job"})
		return b
	}
	tests := []struct {
		name    string
		content []byte
		age     time.Duration
		held    string // the error's text, "" if taken over
		notice  string
	}{
		{"live process, old", lock(os.Getppid()), 10 * atomicfile.StaleAfter, "which is running on this host", ""},
		{"live process, fresh", lock(os.Getppid()), 0, "which is running on this host", ""},
		{"this process's id, fresh", lock(os.Getpid()), 0, "", "the id is this process's now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), ".out.lock")
			writeLock(t, path, tc.content, tc.age)
			var notices []string
			l, err := atomicfile.TryLease(path, "test", func(m string) { notices = append(notices, m) })
			if tc.held != "" {
				var held *atomicfile.HeldError
				if !errors.As(err, &held) || !held.Alive || !strings.Contains(err.Error(), tc.held) {
					t.Fatalf("error %v, want the lock held (%s)", err, tc.held)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Release()
			if len(notices) != 1 || !strings.Contains(notices[0], tc.notice) {
				t.Fatalf("notices %q, want a takeover (%s)", notices, tc.notice)
			}
		})
	}
}

// TestHeartbeatFailure: a heartbeat that fails (here the lock file was
// moved away for a while) makes Check fail, also once the file is back;
// Release still removes the lease's own lock file.
func TestHeartbeatFailure(t *testing.T) {
	defer func(h time.Duration) { atomicfile.Heartbeat = h }(atomicfile.Heartbeat)
	atomicfile.Heartbeat = 5 * time.Millisecond
	path := filepath.Join(t.TempDir(), ".out.lock")
	l, err := atomicfile.TryLease(path, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".away"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for err = l.Check(); err == nil || !strings.Contains(err.Error(), "heartbeat"); err = l.Check() {
		if time.Now().After(deadline) {
			t.Fatalf("Check with the lock file away: %v, want a failed heartbeat", err)
		}
		time.Sleep(time.Millisecond)
	}
	if err := os.Rename(path+".away", path); err != nil {
		t.Fatal(err)
	}
	if err := l.Check(); err == nil || !strings.Contains(err.Error(), "the heartbeat of the lock "+path+" failed") {
		t.Fatalf("Check with the lock file back: %v, want the failed heartbeat", err)
	}
	l.Release()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("Release left the lock file (%v)", err)
	}
}

// TestCleanTemps: only this package's hidden temporary files of the named
// outputs are removed: ".NAME.tmp-*" older than the time given, and
// ".NAME.probe-*" older than a minute.
func TestCleanTemps(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	files := []struct {
		name   string
		age    time.Duration
		remove bool
	}{
		{".out.tmp-1", time.Hour, true},
		{".out.tmp-2", -time.Second, false}, // newer than the lease
		{".out.probe-1", 2 * time.Minute, true},
		{".out.probe-2", 10 * time.Second, false}, // a probe may be in use
		{".other.tmp-1", time.Hour, false},        // not a named output
		{"out.tmp-1", time.Hour, false},           // not hidden: not ours
		{".out", time.Hour, false},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		then := now.Add(-f.age)
		if err := os.Chtimes(p, then, then); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := atomicfile.CleanTemps(dir, []string{"out"}, now)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range files {
		if f.remove {
			want = append(want, f.name)
		}
		if _, err := os.Stat(filepath.Join(dir, f.name)); os.IsNotExist(err) != f.remove {
			t.Errorf("%s: removed %v, want %v", f.name, os.IsNotExist(err), f.remove)
		}
	}
	slices.Sort(removed)
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("reported %v, want %v", removed, want)
	}
}
