package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// A Lease is a lock file: a file created exclusively (O_EXCL, which shared
// file systems honour too) holding its owner's process id, host and a
// random token. While it is held, a goroutine refreshes the file's
// modification time every Heartbeat. A lease whose owner is gone is taken
// over, with a notice: on the same host when the owner's process no longer
// exists (a live process on the same host keeps it, however long it was
// stopped), on another host when the file has not been refreshed for
// StaleAfter. Of several jobs taking one stale lease over at once, only one
// gets it.
//
// Leases guard an output for as long as a job writes it (so a second job
// writing the same output fails at once instead of racing the first) and
// short critical sections such as "check the folder, then rename into it".
type Lease struct {
	path  string
	owner leaseOwner
	taken time.Time

	stop chan struct{}
	done chan struct{}
	once sync.Once

	mu      sync.Mutex
	beatErr error // the first failed heartbeat
}

// leaseOwner is what a lock file holds.
type leaseOwner struct {
	PID   int    `json:"pid"`
	Host  string `json:"host"`
	Token string `json:"token"`
	Since string `json:"since"`
	What  string `json:"what,omitempty"`
}

// Heartbeat and StaleAfter time leases (variables for tests).
var (
	Heartbeat  = 10 * time.Second
	StaleAfter = 60 * time.Second
)

// HeldError says that another live job holds a lease.
type HeldError struct {
	Path  string
	PID   int
	Host  string
	Since string
	What  string
	// Alive: the holder is a live process on this host, whose lease does
	// not expire.
	Alive bool
}

func (e *HeldError) Error() string {
	who := fmt.Sprintf("process %d on host %s", e.PID, e.Host)
	if e.Host == "" {
		who = "another process"
	}
	what := ""
	if e.What != "" {
		what = " (" + e.What + ")"
	}
	if e.Alive {
		return fmt.Sprintf("%s is locked by %s%s since %s, which is running on this host (perhaps stopped): the lock stays while it exists; if it is not that job, remove the lock file",
			e.Path, who, what, e.Since)
	}
	return fmt.Sprintf("%s is locked by %s%s since %s; if that job is dead, the lock expires %v after its last heartbeat",
		e.Path, who, what, e.Since, StaleAfter)
}

// heldHere holds the tokens of the leases this process holds or is taking,
// so a lock file naming this process but none of them is known to be left
// by an earlier process with the same id.
var heldHere sync.Map

// testHookTakeover, if not nil, is called with the lock file's path when a
// job has judged it stale, before it takes it over.
var testHookTakeover func(path string)

// TryLease takes the lease at path, or returns a *HeldError when a live
// job holds it. what says what the lease is for (it is stored in the lock
// file and shown to a job that finds it held); notice, if not nil, is told
// when a stale lease is taken over.
func TryLease(path, what string, notice func(string)) (*Lease, error) {
	host, _ := os.Hostname()
	var tok [8]byte
	rand.Read(tok[:])
	me := leaseOwner{PID: os.Getpid(), Host: host, Token: hex.EncodeToString(tok[:]), What: what}
	heldHere.Store(me.Token, true) // before the file exists
	taken := false
	defer func() {
		if !taken {
			heldHere.Delete(me.Token)
		}
	}()
	for attempt := 0; ; attempt++ {
		me.Since = time.Now().UTC().Format(time.RFC3339)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			b, _ := json.Marshal(me)
			_, werr := f.Write(append(b, '\n'))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, fmt.Errorf("writing the lock file %s: %w", path, werr)
			}
			l := &Lease{path: path, owner: me, taken: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
			go l.beat()
			taken = true
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) || attempt >= 100 {
			return nil, fmt.Errorf("cannot create the lock file %s: %w", path, err)
		}
		held, why, err := stale(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue // released meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("lock file %s: %w", path, err)
		}
		if why == "" {
			return nil, &HeldError{Path: path, PID: held.PID, Host: held.Host, Since: held.Since, What: held.What, Alive: held.alive}
		}
		if testHookTakeover != nil {
			testHookTakeover(path)
		}
		// Take over: move the file aside under a name of this job's own (a
		// rename is atomic, so of the jobs that judged it stale, one moves
		// it and the others find it gone), and delete it if it is the file
		// judged stale. It may be the fresh lock of a job that took the
		// stale one over meanwhile: that is put back.
		aside := fmt.Sprintf("%s.stale-%s-%d", path, me.Token, attempt)
		if err := os.Rename(path, aside); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // another job moved it first
			}
			return nil, fmt.Errorf("taking over the stale lock %s: %w", path, err)
		}
		moved, err := os.ReadFile(aside)
		fi, serr := os.Stat(aside)
		if err == nil && serr == nil && string(moved) == held.raw && fi.ModTime().Equal(held.mod) {
			os.Remove(aside)
			if notice != nil {
				notice(fmt.Sprintf("took over the stale lock %s (%s)", path, why))
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("taking over the stale lock %s (moved to %s): %w", path, aside, err)
		}
		if err := putBack(path, aside, moved); err != nil {
			return nil, err
		}
	}
}

// putBack recreates the lock file path, holding raw, that TryLease moved
// aside by mistake (it was another job's, not the stale one), and removes
// aside. If a job has locked path meanwhile, the moved lock is lost: its
// owner's Check says so.
func putBack(path, aside string, raw []byte) error {
	defer os.Remove(aside)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("putting back the lock %s: %w", path, err)
	}
	_, werr := f.Write(raw)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("putting back the lock %s: %w", path, werr)
	}
	return nil
}

// WaitLease takes the lease at path, waiting up to timeout while live jobs
// hold it (a stale one is taken over as by TryLease).
func WaitLease(path, what string, timeout time.Duration, notice func(string)) (*Lease, error) {
	deadline := time.Now().Add(timeout)
	wait := 10 * time.Millisecond
	told := false
	for {
		l, err := TryLease(path, what, notice)
		var he *HeldError
		if !errors.As(err, &he) {
			return l, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("waited %v: %w", timeout, err)
		}
		if !told && notice != nil {
			notice(fmt.Sprintf("waiting for %s", he))
			told = true
		}
		time.Sleep(wait)
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// heldLease is a lock file's owner as read, with the raw text and the
// modification time; alive: its owner is a live process on this host.
type heldLease struct {
	leaseOwner
	raw   string
	mod   time.Time
	alive bool
}

// stale reads the lock file at path and says why its owner is gone ("":
// it is alive, as far as can be told).
func stale(path string) (heldLease, string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return heldLease{}, "", err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return heldLease{}, "", err
	}
	h := heldLease{raw: string(raw), mod: fi.ModTime()}
	age := time.Since(fi.ModTime())
	if json.Unmarshal(raw, &h.leaseOwner) != nil || h.PID <= 0 {
		// Written by no lease (or cut short): only its age tells.
		if age > StaleAfter {
			return h, fmt.Sprintf("unreadable, not refreshed for %v", age.Round(time.Second)), nil
		}
		return h, "", nil
	}
	host, _ := os.Hostname()
	if h.Host == host {
		if h.PID == os.Getpid() {
			if _, ok := heldHere.Load(h.Token); ok {
				h.alive = true
				return h, "", nil
			}
			return h, fmt.Sprintf("process %d on this host, which has ended (the id is this process's now)", h.PID), nil
		}
		alive, known := processAlive(h.PID)
		if known && !alive {
			return h, fmt.Sprintf("process %d on this host, which has ended", h.PID), nil
		}
		if known {
			// However long it was stopped (Ctrl-Z, a suspended machine),
			// it may go on writing: the lock stays.
			h.alive = true
			return h, "", nil
		}
	}
	if age > StaleAfter {
		return h, fmt.Sprintf("process %d on host %s, not refreshed for %v", h.PID, h.Host, age.Round(time.Second)), nil
	}
	return h, "", nil
}

// beat refreshes the lock file's modification time until Release.
func (l *Lease) beat() {
	defer close(l.done)
	t := time.NewTicker(Heartbeat)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			now := time.Now()
			if err := os.Chtimes(l.path, now, now); err != nil {
				l.mu.Lock()
				if l.beatErr == nil {
					l.beatErr = fmt.Errorf("the heartbeat of the lock %s failed at %s: %w", l.path, now.UTC().Format(time.RFC3339), err)
				}
				l.mu.Unlock()
			}
		}
	}
}

// Taken is when the lease was taken.
func (l *Lease) Taken() time.Time { return l.taken }

// Check says whether the lease is still this one's and kept alive: it
// fails once a heartbeat has failed (a lock not refreshed is taken over by
// jobs on other hosts after StaleAfter), or when another job has taken the
// lock over (after this one was stopped for longer than StaleAfter on
// another host, or its lock file was removed). A job checks before it
// writes what the lease guards.
func (l *Lease) Check() error {
	l.mu.Lock()
	err := l.beatErr
	l.mu.Unlock()
	if err != nil {
		return fmt.Errorf("%w: other jobs may take the lock over %v after its last refresh", err, StaleAfter)
	}
	return l.owned()
}

// owned says whether the lock file is still this lease's.
func (l *Lease) owned() error {
	raw, err := os.ReadFile(l.path)
	var o leaseOwner
	if err != nil || json.Unmarshal(raw, &o) != nil || o.Token != l.owner.Token {
		return fmt.Errorf("lost the lock %s to another job (was this one stopped for more than %v on a host the other could not check, or was the lock file removed?)", l.path, StaleAfter)
	}
	return nil
}

// Release gives the lease up: it removes the lock file if it is still this
// lease's. Safe to call more than once.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		if l.owned() == nil {
			os.Remove(l.path)
		}
		heldHere.Delete(l.owner.Token)
	})
}

// LockName is the lock file guarding the output at path: ".NAME.lock"
// beside it.
func LockName(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".lock")
}

// tempKinds are the infixes of the hidden files Create and CheckWritable
// make: ".NAME.tmp-*" and ".NAME.probe-*".
var tempKinds = []string{".tmp-", ".probe-"}

// probeAge: a probe lives for microseconds; one older than this is a
// leftover.
const probeAge = time.Minute

// CleanTemps removes what killed jobs left of the outputs named in dir:
// temporary files (".NAME.tmp-*") last modified before the time given,
// which should be when the caller took the lease guarding those outputs
// (so no live job writes them), and probe files (".NAME.probe-*") older
// than a minute. It returns the names removed.
func CleanTemps(dir string, names []string, before time.Time) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	var removed []string
	for _, e := range ents {
		name := e.Name()
		base, kind, ok := TempTarget(name)
		if !ok || !want[base] || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		limit := before
		if kind == ".probe-" {
			limit = time.Now().Add(-probeAge)
		}
		if !fi.ModTime().Before(limit) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, name)); err == nil {
			removed = append(removed, name)
		}
	}
	return removed, nil
}

// TempTarget says whether name is a temporary or probe file of this
// package (".NAME.tmp-*", ".NAME.probe-*") and of which output NAME, and
// which kind (".tmp-" or ".probe-").
func TempTarget(name string) (target, kind string, ok bool) {
	if !strings.HasPrefix(name, ".") {
		return "", "", false
	}
	for _, k := range tempKinds {
		if i := strings.LastIndex(name, k); i > 1 {
			return name[1:i], k, true
		}
	}
	return "", "", false
}
