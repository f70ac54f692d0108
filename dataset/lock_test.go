package dataset

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"neurosurrogate/internal/atomicfile"
)

// TestConcurrentDifferentSettings: two jobs with different settings
// writing into one folder at the same time. The second one's last check
// happens while the first is between its own check and its rename (held
// there by a test hook): with the folder lock it waits, then sees the first
// one's shard and fails; the folder ends up holding one dataset.
func TestConcurrentDifferentSettings(t *testing.T) {
	dir := t.TempDir()
	a, b := smallConfig(t, 4), smallConfig(t, 4)
	b.Seed, b.Shard, b.Shards = 8, 0, 2 // another dataset, another file name
	nameA, nameB := ShardFileName(0, 1), ShardFileName(0, 2)
	inA := make(chan struct{}) // a has checked the folder, before its rename
	releaseA := make(chan struct{})
	bAtEnd := make(chan struct{}) // b has finished simulating
	testHookLocked = func(name string) {
		if name == nameA {
			close(inA)
			<-releaseA
		}
	}
	testHookPublish = func(name string) {
		if name == nameB {
			close(bAtEnd)
		}
	}
	defer func() { testHookLocked, testHookPublish = nil, nil }()
	var wg sync.WaitGroup
	var errA, errB error
	wg.Add(2)
	go func() { defer wg.Done(); _, errA = Generate(context.Background(), dir, a) }()
	<-inA
	go func() { defer wg.Done(); _, errB = Generate(context.Background(), dir, b) }()
	<-bAtEnd
	time.Sleep(200 * time.Millisecond) // b checks and renames now, unless it waits for the lock
	close(releaseA)
	wg.Wait()
	if errA != nil {
		t.Fatalf("first job: %v", errA)
	}
	if errB == nil || !strings.Contains(errB.Error(), "refusing to mix datasets") || !strings.Contains(errB.Error(), nameA) {
		t.Fatalf("second job: error %v, want a refusal naming %s", errB, nameA)
	}
	ents := readDir(t, dir)
	if len(ents) != 1 || ents[0].Name() != nameA {
		t.Fatalf("folder holds %v, want only %s", ents, nameA)
	}
	if err := readAll(dir); err != nil {
		t.Fatal(err)
	}
}

// deadPID returns the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestShardLock: a second job for a shard another live job is making fails
// at once, naming the lock; a lock left by a dead process, or an old one
// nobody refreshes, is taken over with a notice.
func TestShardLock(t *testing.T) {
	dir := t.TempDir()
	cfg := smallConfig(t, 2)
	lockPath := atomicfile.LockName(filepath.Join(dir, ShardFileName(0, 1)))
	held, err := atomicfile.TryLease(lockPath, "a test", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Generate(context.Background(), dir, cfg)
	if err == nil || !strings.Contains(err.Error(), "another job is generating shard 0/1") || !strings.Contains(err.Error(), lockPath) ||
		!strings.Contains(err.Error(), "a test") {
		t.Fatalf("error %v", err)
	}
	held.Release()
	host, _ := os.Hostname()
	dead, _ := json.Marshal(map[string]any{"pid": deadPID(t), "host": host, "token": "x", "since": "then"})
	tests := []struct {
		name    string
		content []byte
		age     time.Duration
		want    string
	}{
		{"dead process", dead, 0, "which has ended"},
		{"not refreshed", []byte(`{"pid":1,"host":"elsewhere","token":"y"}`), 2 * atomicfile.StaleAfter, "not refreshed for"},
		{"unreadable and old", []byte("garbage"), 2 * atomicfile.StaleAfter, "unreadable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			writeFile(t, lockPath, tc.content)
			then := time.Now().Add(-tc.age)
			if err := os.Chtimes(lockPath, then, then); err != nil {
				t.Fatal(err)
			}
			var notices []string
			c := cfg
			c.Notice = func(m string) { notices = append(notices, m) }
			if _, err := Generate(context.Background(), dir, c); err != nil {
				t.Fatal(err)
			}
			if len(notices) != 1 || !strings.Contains(notices[0], "took over the stale lock "+lockPath) || !strings.Contains(notices[0], tc.want) {
				t.Fatalf("notices %q, want one about the stale lock (%s)", notices, tc.want)
			}
			if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
				t.Fatalf("lock left behind: %v", err)
			}
		})
	}
	// A fresh lock of a live process elsewhere is respected.
	writeFile(t, lockPath, []byte(`{"pid":1,"host":"elsewhere","token":"z"}`))
	if _, err := Generate(context.Background(), dir, cfg); err == nil || !strings.Contains(err.Error(), "process 1 on host elsewhere") {
		t.Fatalf("error %v", err)
	}
}

// TestCleansLeftovers: the temporary files a killed job left of this shard
// are removed, with a notice naming them; other shards' and other files
// stay.
func TestCleansLeftovers(t *testing.T) {
	dir := t.TempDir()
	ours := ".shard-00000-of-00001.arrow.tmp-123"
	keep := []string{".shard-00001-of-00002.arrow.tmp-9", ".model.safetensors.tmp-4", "notes.txt"}
	old := time.Now().Add(-time.Hour)
	for _, n := range append(keep, ours) {
		writeFile(t, filepath.Join(dir, n), []byte("partial"))
		if err := os.Chtimes(filepath.Join(dir, n), old, old); err != nil {
			t.Fatal(err)
		}
	}
	var notices []string
	cfg := smallConfig(t, 2)
	cfg.Notice = func(m string) { notices = append(notices, m) }
	generate(t, dir, cfg)
	if len(notices) != 1 || !strings.Contains(notices[0], "removed 1 unfinished temporary file") || !strings.Contains(notices[0], ours) {
		t.Fatalf("notices %q", notices)
	}
	var left []string
	for _, e := range readDir(t, dir) {
		left = append(left, e.Name())
	}
	want := append([]string{ShardFileName(0, 1)}, keep...)
	slices.Sort(left)
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("folder holds %v, want %v", left, want)
	}
}

// TestLostShardLock: a job whose shard lock another job has taken over
// (here by writing its own lock file while the first job publishes) does
// not publish its shard and fails naming the lock; it leaves no temporary
// file and the other job's lock in place.
func TestLostShardLock(t *testing.T) {
	dir := t.TempDir()
	name := ShardFileName(0, 1)
	lockPath := atomicfile.LockName(filepath.Join(dir, name))
	other := []byte(`{"pid":1,"host":"elsewhere","token":"other"}`)
	testHookLocked = func(string) { writeFile(t, lockPath, other) }
	defer func() { testHookLocked = nil }()
	_, err := Generate(context.Background(), dir, smallConfig(t, 2))
	if err == nil || !strings.Contains(err.Error(), "lost the lock "+lockPath) {
		t.Fatalf("error %v, want the lost shard lock", err)
	}
	var left []string
	for _, e := range readDir(t, dir) {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, []string{filepath.Base(lockPath)}) {
		t.Errorf("folder holds %v, want only the other job's lock", left)
	}
	if got := readFile(t, lockPath); !slices.Equal(got, other) {
		t.Errorf("the other job's lock became %q", got)
	}
}
