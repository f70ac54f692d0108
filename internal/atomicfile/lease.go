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
// exists, on any host when the file has not been refreshed for StaleAfter.
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
	return fmt.Sprintf("%s is locked by %s%s since %s; if that job is dead, the lock expires %v after its last heartbeat",
		e.Path, who, what, e.Since, StaleAfter)
}

// TryLease takes the lease at path, or returns a *HeldError when a live
// job holds it. what says what the lease is for (it is stored in the lock
// file and shown to a job that finds it held); notice, if not nil, is told
// when a stale lease is taken over.
func TryLease(path, what string, notice func(string)) (*Lease, error) {
	host, _ := os.Hostname()
	var tok [8]byte
	rand.Read(tok[:])
	me := leaseOwner{PID: os.Getpid(), Host: host, Token: hex.EncodeToString(tok[:]), What: what}
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
			return nil, &HeldError{Path: path, PID: held.PID, Host: held.Host, Since: held.Since, What: held.What}
		}
		// Take over, unless it changed since it was judged stale.
		again, err := os.ReadFile(path)
		if err == nil && string(again) == held.raw {
			os.Remove(path)
			if notice != nil {
				notice(fmt.Sprintf("took over the stale lock %s (%s)", path, why))
			}
		}
	}
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

// heldLease is a lock file's owner as read, with the raw text.
type heldLease struct {
	leaseOwner
	raw string
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
	h := heldLease{raw: string(raw)}
	age := time.Since(fi.ModTime())
	if json.Unmarshal(raw, &h.leaseOwner) != nil || h.PID <= 0 {
		// Written by no lease (or cut short): only its age tells.
		if age > StaleAfter {
			return h, fmt.Sprintf("unreadable, not refreshed for %v", age.Round(time.Second)), nil
		}
		return h, "", nil
	}
	host, _ := os.Hostname()
	if h.Host == host && h.PID != os.Getpid() && !processAlive(h.PID) {
		return h, fmt.Sprintf("process %d on this host, which has ended", h.PID), nil
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
			os.Chtimes(l.path, now, now)
		}
	}
}

// Taken is when the lease was taken.
func (l *Lease) Taken() time.Time { return l.taken }

// Check says whether the lease is still this one's (a job stopped for
// longer than StaleAfter may have lost it).
func (l *Lease) Check() error {
	raw, err := os.ReadFile(l.path)
	var o leaseOwner
	if err != nil || json.Unmarshal(raw, &o) != nil || o.Token != l.owner.Token {
		return fmt.Errorf("lost the lock %s to another job (this one was stopped for more than %v?)", l.path, StaleAfter)
	}
	return nil
}

// Release gives the lease up: it removes the lock file if it is still this
// lease's. Safe to call more than once.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		if l.Check() == nil {
			os.Remove(l.path)
		}
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
