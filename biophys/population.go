package biophys

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
)

// Population spreads cells over several Systems, one per worker, and steps
// them in lockstep. Cells are numbered globally in the order given; each
// System holds a contiguous block of them. Between calls to Advance the
// caller may read spikes and queue events (a network layer delivers spikes
// with delays at least as long as the interval it advances by).
type Population struct {
	Systems []*System
	first   []int // global index of each System's first cell
	n       int
}

// NewPopulation places cells on up to workers Systems (workers <= 0: one
// per core), balancing their node counts.
func NewPopulation(cells []Instance, dtMS float64, workers int) (*Population, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("population: no cells")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(cells))
	total := 0
	for _, c := range cells {
		total += c.T.N
	}
	if err := CheckMemory(int64(len(cells)), int64(total)); err != nil {
		return nil, err
	}
	p := &Population{n: len(cells)}
	// Cell i goes to the worker that owns the midpoint of its nodes in the
	// running node count: contiguous blocks of about equal cost.
	owner := make([]int, len(cells))
	acc := 0
	for i, c := range cells {
		owner[i] = min(workers-1, (2*acc+c.T.N)*workers/(2*total))
		acc += c.T.N
	}
	for start := 0; start < len(cells); {
		end := start
		for end < len(cells) && owner[end] == owner[start] {
			end++
		}
		sys, err := NewSystem(cells[start:end], dtMS)
		if err != nil {
			return nil, err
		}
		p.Systems = append(p.Systems, sys)
		p.first = append(p.first, start)
		start = end
	}
	return p, nil
}

// Cells is the number of cells.
func (p *Population) Cells() int { return p.n }

// Locate returns the System holding global cell c and its index there.
func (p *Population) Locate(c int) (*System, int) {
	for i := len(p.first) - 1; i >= 0; i-- {
		if c >= p.first[i] {
			return p.Systems[i], c - p.first[i]
		}
	}
	return nil, -1
}

// T is the current time (ms).
func (p *Population) T() float64 { return p.Systems[0].T() }

// Advance steps every System by steps time steps, in parallel. after, if not
// nil, is called after every step of each System with that System's index
// (calls for different Systems run concurrently).
func (p *Population) Advance(steps int, after func(sys int, s *System)) error {
	errs := make([]error, len(p.Systems))
	var wg sync.WaitGroup
	for i, s := range p.Systems {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < steps; k++ {
				if err := s.Step(); err != nil {
					if ue, ok := err.(*UnstableError); ok && ue.Cell >= 0 {
						ue.Cell += p.first[i]
					}
					errs[i] = err
					return
				}
				if after != nil {
					after(i, s)
				}
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// Spikes drains every System's spikes, with global cell indices, ordered by
// System then time.
func (p *Population) Spikes(dst []Spike) []Spike {
	for i, s := range p.Systems {
		n := len(dst)
		dst = s.DrainSpikes(dst)
		for k := n; k < len(dst); k++ {
			dst[k].Cell += p.first[i]
		}
	}
	return dst
}

// String describes the split, e.g. "1000 cells on 2 workers (500, 500)".
func (p *Population) String() string {
	var parts []string
	for _, s := range p.Systems {
		parts = append(parts, fmt.Sprint(s.Cells()))
	}
	return fmt.Sprintf("%d cells on %d workers (%s)", p.n, len(p.Systems), strings.Join(parts, ", "))
}
