package atomicfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
