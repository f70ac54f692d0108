package biophys

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"neurosurrogate/internal/inputerr"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Event is one synaptic input: at TimeMS, add WeightUS to synapse Syn.
type Event struct {
	TimeMS   float64
	Syn      int // index in the cell's Synapses
	WeightUS float64
}

// EventsHeader is the required first line of an input-event CSV file.
const EventsHeader = "time_ms,synapse,weight_uS"

// Limits on one input-event file: more events, or more bytes of CSV (after
// decompression), are refused rather than read into memory without bound.
// Ten million events take 240 MB as Events.
const (
	MaxEvents     = 10_000_000
	MaxEventBytes = 512 << 20
)

// The limits in force (tests lower them).
var maxEvents, maxEventBytes int64 = MaxEvents, MaxEventBytes

// ReadEventsFile reads an input-event CSV file for cell c (gzipped when
// the name ends in .gz).
func ReadEventsFile(path string, c *Cell) ([]Event, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > maxEventBytes {
		return nil, &inputerr.TooLargeError{File: path, Size: st.Size(), Limit: maxEventBytes, What: "event files"}
	}
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			return nil, &InputError{File: path, Msg: fmt.Sprintf("not a gzip file: %v", err)}
		}
		defer gz.Close()
		r = gz
	}
	return ReadEvents(path, r, c)
}

// readErr records the first read error, so that a cut-short compressed file
// is reported as such rather than as the partial line it ends in.
type readErr struct {
	r   io.Reader
	err error
}

func (e *readErr) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// or returns the read error, if there was one, instead of a parse error.
func (e *readErr) or(name string, line int, parse error) error {
	if e.err != nil {
		return fmt.Errorf("%s: reading stopped near line %d: %w (is the file cut short or corrupt?)", name, line, e.err)
	}
	return parse
}

// ReadEvents parses input events (CSV with header time_ms,synapse,weight_uS)
// naming synapses of cell c. Errors name the file and line. The result is
// sorted by time (stable, so equal times keep file order). A leading UTF-8
// byte-order mark is skipped; more than MaxEvents events or MaxEventBytes
// bytes are refused.
func ReadEvents(name string, r io.Reader, c *Cell) ([]Event, error) {
	rd := &readErr{r: r}
	evs, line, err := readEvents(name, rd, c)
	if err != nil {
		return nil, rd.or(name, line, err)
	}
	return evs, nil
}

// readEvents is ReadEvents on a reader whose read errors the caller
// checks; it also returns the line it stopped at.
func readEvents(name string, r io.Reader, c *Cell) ([]Event, int, error) {
	sc := bufio.NewScanner(inputerr.LimitReader(r, name, maxEventBytes, "event files"))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	line := 0
	var out []Event
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if line == 1 {
			text = strings.TrimPrefix(text, inputerr.BOM)
			if strings.ReplaceAll(text, " ", "") != EventsHeader {
				return nil, line, &InputError{File: name, Line: 1, Msg: fmt.Sprintf("header is %q; want %q", truncate(text, 60), EventsHeader)}
			}
			continue
		}
		if text == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != 3 {
			return nil, line, &InputError{File: name, Line: line, Msg: fmt.Sprintf("want 3 fields (time_ms,synapse,weight_uS), got %d in %q", len(f), truncate(text, 60))}
		}
		t, err := strconv.ParseFloat(strings.TrimSpace(f[0]), 64)
		if err != nil {
			return nil, line, &InputError{File: name, Line: line, Field: "time_ms", Msg: fmt.Sprintf("%q is not a number", f[0])}
		}
		if math.IsNaN(t) || math.IsInf(t, 0) || t < 0 {
			return nil, line, &InputError{File: name, Line: line, Field: "time_ms", Msg: fmt.Sprintf("%v: times must be finite and >= 0", t)}
		}
		syn := strings.TrimSpace(f[1])
		idx := c.SynapseIndex(syn)
		if idx < 0 {
			return nil, line, &InputError{File: name, Line: line, Field: "synapse", Msg: fmt.Sprintf("unknown synapse %q (cell %s has %s)", syn, c.Name, listNames(c.SynapseNames(), 8))}
		}
		w, err := strconv.ParseFloat(strings.TrimSpace(f[2]), 64)
		if err != nil {
			return nil, line, &InputError{File: name, Line: line, Field: "weight_uS", Msg: fmt.Sprintf("%q is not a number", f[2])}
		}
		if !(w >= 0 && w <= MaxWeightUS) {
			return nil, line, &InputError{File: name, Line: line, Field: "weight_uS", Msg: fmt.Sprintf("%v: weights must lie in [0, %g] uS", w, MaxWeightUS)}
		}
		if int64(len(out)) == maxEvents {
			return nil, line, &InputError{File: name, Line: line, Msg: fmt.Sprintf("more than %d events in one file; split the input", maxEvents)}
		}
		out = append(out, Event{TimeMS: t, Syn: idx, WeightUS: w})
	}
	if err := sc.Err(); err != nil {
		var big *inputerr.TooLargeError
		switch {
		case errors.Is(err, bufio.ErrTooLong):
			return nil, line, &InputError{File: name, Line: line + 1, Msg: "line too long"}
		case errors.As(err, &big):
			return nil, line, err
		}
		return nil, line, fmt.Errorf("%s: %w", name, err)
	}
	if line == 0 {
		return nil, line, &InputError{File: name, Line: 1, Msg: fmt.Sprintf("empty file; want header %q", EventsHeader)}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS < out[j].TimeMS })
	return out, line, nil
}

// WriteEvents writes events for cell c as CSV.
func WriteEvents(w io.Writer, c *Cell, evs []Event) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, EventsHeader)
	for _, e := range evs {
		fmt.Fprintf(bw, "%.4f,%s,%s\n", e.TimeMS, c.Synapses[e.Syn].Name, strconv.FormatFloat(e.WeightUS, 'g', -1, 64))
	}
	return bw.Flush()
}

func listNames(names []string, n int) string {
	if len(names) == 0 {
		return "no synapses"
	}
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", ... (%d in all)", len(names))
}

// Stream yields one synapse's input events in time order.
type Stream interface {
	// Next returns the next event's time and weight, or ok = false when done.
	Next() (timeMS, weightUS float64, ok bool)
}

// Poisson is a homogeneous Poisson event stream of RateHz with a fixed
// weight, drawn from its own seeded source.
type Poisson struct {
	RateHz, WeightUS float64
	UntilMS          float64 // no events at or after this time (0: unbounded)
	t                float64
	rng              *rand.Rand
}

// Limits on input a user can ask for: a synapse receiving more than a
// million events per second, or a weight of more than 1000 uS (1 mS), is a
// typing mistake, not an input (and the first would never finish drawing).
const (
	MaxRateHz   = 1e6
	MaxWeightUS = 1e3
)

// Limits on time steps: a step below a nanosecond or a run of more than a
// billion steps is a typing mistake, not a simulation (it would run for
// days or, as dt -> 0, forever).
const (
	MinDtMS  = 1e-6
	MaxSteps = 1e9
)

// NewPoisson makes a Poisson stream from a seed pair.
func NewPoisson(rateHz, weightUS, untilMS float64, seed1, seed2 uint64) *Poisson {
	return &Poisson{RateHz: rateHz, WeightUS: weightUS, UntilMS: untilMS, rng: rand.New(rand.NewPCG(seed1, seed2))}
}

// Next draws the next inter-event interval.
func (p *Poisson) Next() (float64, float64, bool) {
	if p.RateHz <= 0 {
		return 0, 0, false
	}
	p.t += p.rng.ExpFloat64() * 1000 / p.RateHz
	if p.UntilMS > 0 && p.t >= p.UntilMS {
		return 0, 0, false
	}
	return p.t, p.WeightUS, true
}

// PoissonEvents draws a whole Poisson train in [0, untilMS).
func PoissonEvents(rateHz, weightUS, untilMS float64, syn int, seed1, seed2 uint64) []Event {
	p := NewPoisson(rateHz, weightUS, untilMS, seed1, seed2)
	var out []Event
	for {
		t, w, ok := p.Next()
		if !ok {
			return out
		}
		out = append(out, Event{TimeMS: t, Syn: syn, WeightUS: w})
	}
}

// MergeEvents merges event lists into one sorted by time (stable).
func MergeEvents(lists ...[]Event) []Event {
	var out []Event
	for _, l := range lists {
		out = append(out, l...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].TimeMS < out[j].TimeMS })
	return out
}

// SplitMix64 derives well-mixed seeds from a base seed and stream numbers, so
// every cell and synapse gets an independent reproducible source.
func SplitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Seed combines a base seed with any number of indices into one seed.
func Seed(base uint64, idx ...uint64) uint64 {
	s := SplitMix64(base)
	for _, i := range idx {
		s = SplitMix64(s ^ SplitMix64(i+0x632be59bd9b4e019))
	}
	return s
}

// queued is an event waiting in a System's queue.
type queued struct {
	t      float64
	w      float64
	target int32 // global synapse id
	stream int32 // stream that produced it, -1 for none
	seq    uint64
}

// eventQueue is a binary min-heap on (t, seq).
type eventQueue []queued

func (q eventQueue) less(i, j int) bool {
	if q[i].t != q[j].t {
		return q[i].t < q[j].t
	}
	return q[i].seq < q[j].seq
}

func (q *eventQueue) push(e queued) {
	*q = append(*q, e)
	h := *q
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (q *eventQueue) pop() queued {
	h := *q
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	*q = h
	return top
}
