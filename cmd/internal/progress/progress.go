// Package progress renders progress of long jobs: a bar with rate and ETA
// on a terminal, plain lines (at most one every few seconds) otherwise.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Bar reports done/total of a job with a label and an optional status text.
type Bar struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	unit     string
	total    int64
	done     int64
	base     int64 // units already done when this process started
	status   string
	start    time.Time
	last     time.Time
	tty      bool
	every    time.Duration
	finished bool
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// New starts a bar on stderr for total units (e.g. "traces").
func New(label string, total int64, unit string) *Bar {
	return NewTo(os.Stderr, IsTerminal(os.Stderr), label, total, unit)
}

// NewTo starts a bar on w; tty selects the redrawn bar over plain lines.
func NewTo(w io.Writer, tty bool, label string, total int64, unit string) *Bar {
	now := time.Now()
	b := &Bar{w: w, label: label, unit: unit, total: total, start: now, tty: tty, every: 5 * time.Second}
	if tty {
		b.every = 150 * time.Millisecond
	}
	return b
}

// StartAt declares that done units were finished before the bar started
// (a resumed job), so rate and ETA count only the work done since. A job
// that finds its finished units as it goes calls it again with the count
// found so far.
func (b *Bar) StartAt(done int64) {
	b.mu.Lock()
	b.base, b.done = done, max(b.done, done)
	b.mu.Unlock()
}

// Set records progress and a status text (e.g. current loss); it redraws at
// most every 150 ms on a terminal and writes a line every 5 s otherwise.
func (b *Bar) Set(done int64, status string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.done, b.status = done, status
	if now := time.Now(); now.Sub(b.last) >= b.every {
		b.last = now
		b.draw(false)
	}
}

// Done draws the final state and ends the line.
func (b *Bar) Done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.finished {
		return
	}
	b.finished = true
	b.draw(true)
}

func (b *Bar) draw(final bool) {
	el := time.Since(b.start)
	run := b.done - b.base // units done by this process
	// A rate over less than a second says nothing (a resumed run's first
	// update comes one step after the bar starts): rate and ETA wait.
	measured := el >= minMeasure || final
	rate := "?"
	if measured {
		rate = fmt.Sprintf("%.4g", float64(run)/el.Seconds())
	}
	eta := "?"
	if measured && run > 0 && b.total > 0 {
		rem := time.Duration(float64(el) * float64(b.total-b.done) / float64(run))
		eta = fmtDur(rem)
	}
	if final {
		eta = "done in " + fmtDur(el)
	} else {
		eta = "ETA " + eta
	}
	pct := 0.0
	if b.total > 0 {
		pct = 100 * float64(b.done) / float64(b.total)
	}
	status := ""
	if b.status != "" {
		status = "  " + b.status
	}
	if b.tty {
		const width = 28
		fill := int(pct / 100 * width)
		fill = max(0, min(width, fill))
		bar := strings.Repeat("█", fill) + strings.Repeat("░", width-fill)
		fmt.Fprintf(b.w, "\r\033[K%s %s %d/%d %s (%s %s/s) %s%s", b.label, bar, b.done, b.total, b.unit, rate, b.unit, eta, status)
		if final {
			fmt.Fprintln(b.w)
		}
		return
	}
	fmt.Fprintf(b.w, "%s: %d/%d %s (%.1f%%, %s %s/s) %s%s\n", b.label, b.done, b.total, b.unit, pct, rate, b.unit, eta, status)
}

// minMeasure is the shortest time a rate and an ETA are computed over.
const minMeasure = time.Second

func fmtDur(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
