package dataset

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"

	"neurosurrogate/biophys"
)

// BatchConfig configures a Batcher.
type BatchConfig struct {
	BatchSize int // windows per batch
	SeqLen    int // time steps per window; at most Samples-1
	// Stride is the distance (in samples) between the starts of
	// consecutive windows of a trace; 0 means SeqLen (no overlap).
	Stride int
	// Shuffle orders traces and windows randomly, deterministically by Seed
	// and the epoch number. Without it, batches follow the trace list and
	// time order.
	Shuffle bool
	Seed    uint64
	// Jitter (with Shuffle) shifts each trace's window grid by a random
	// offset in [0, Stride) every epoch, so windows do not always start at
	// the same samples. The number of windows may then vary slightly.
	Jitter bool
	// ShuffleTraces is how many traces are loaded at once; their windows
	// are mixed together (default 64). Memory holds about twice that many
	// traces.
	ShuffleTraces int
	// DropLast drops the last, incomplete batch of an epoch.
	DropLast bool
}

// Batch is a training batch of Size windows of SeqLen time steps, laid out
// batch x time x features (row-major). For window b and step t, with
// sample k = Start[b] + t of trace Trace[b]:
//
//	X[(b*SeqLen+t)*NumIn + 0]   = v_soma[k]
//	X[(b*SeqLen+t)*NumIn + 1+c] = channel c at k (Meta().Channels order)
//	Y[(b*SeqLen+t)*2 + 0]       = v_soma[k+1]
//	Y[(b*SeqLen+t)*2 + 1]       = spike[k] (spikes in (t_k, t_k+1])
//
// so a model reading X[b, t] predicts Y[b, t].
type Batch struct {
	Size, SeqLen  int
	NumIn, NumOut int
	X, Y          []float32
	Trace, Start  []int
}

// Batcher cuts traces into windows and serves them as batches, epoch by
// epoch. It is not safe for concurrent use (use one per goroutine).
type Batcher struct {
	ds     *Dataset
	traces []int
	cfg    BatchConfig
	last   int // last valid window start

	order   []int
	next    int
	pending []window
	rng     *rand.Rand
}

type window struct {
	t     *Trace
	start int
}

// NewBatcher makes a batcher over the given traces (e.g. the train list of
// Split) and starts epoch 0.
func NewBatcher(d *Dataset, traces []int, cfg BatchConfig) (*Batcher, error) {
	n := d.Samples()
	if cfg.Stride == 0 {
		cfg.Stride = cfg.SeqLen
	}
	if cfg.ShuffleTraces == 0 {
		cfg.ShuffleTraces = 64
	}
	switch {
	case cfg.BatchSize < 1:
		return nil, fmt.Errorf("batch size %d: must be at least 1", cfg.BatchSize)
	case cfg.SeqLen < 1 || cfg.SeqLen > n-1:
		return nil, fmt.Errorf("sequence length %d: want 1..%d (samples per trace - 1, for the next-step target)", cfg.SeqLen, n-1)
	case cfg.Stride < 1:
		return nil, fmt.Errorf("stride %d: must be at least 1", cfg.Stride)
	case cfg.ShuffleTraces < 1:
		return nil, fmt.Errorf("shuffle traces %d: must be at least 1", cfg.ShuffleTraces)
	case len(traces) == 0:
		return nil, errors.New("no traces to batch")
	}
	for _, i := range traces {
		if i < 0 || i >= d.NumTraces() {
			return nil, fmt.Errorf("trace %d: out of range 0..%d", i, d.NumTraces()-1)
		}
	}
	b := &Batcher{ds: d, traces: append([]int(nil), traces...), cfg: cfg, last: n - 1 - cfg.SeqLen}
	b.Epoch(0)
	return b, nil
}

// WindowsPerTrace is the number of windows cut from each trace (without jitter).
func (b *Batcher) WindowsPerTrace() int { return b.last/b.cfg.Stride + 1 }

// NumWindows is the number of windows per epoch (without jitter).
func (b *Batcher) NumWindows() int { return len(b.traces) * b.WindowsPerTrace() }

// Epoch restarts at the beginning of epoch e; the epoch's order depends
// only on the config's Seed and e.
func (b *Batcher) Epoch(e int) {
	b.rng = rand.New(rand.NewPCG(biophys.Seed(b.cfg.Seed, uint64(e), 1), biophys.Seed(b.cfg.Seed, uint64(e), 2)))
	b.order = append(b.order[:0], b.traces...)
	if b.cfg.Shuffle {
		b.rng.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
	}
	b.next = 0
	b.pending = nil
}

// Next returns the epoch's next batch, or io.EOF when the epoch is over.
func (b *Batcher) Next() (*Batch, error) {
	bs := b.cfg.BatchSize
	for len(b.pending) < bs && b.next < len(b.order) {
		end := min(len(b.order), b.next+b.cfg.ShuffleTraces)
		var ws []window
		for _, id := range b.order[b.next:end] {
			t, err := b.ds.Trace(id)
			if err != nil {
				return nil, err
			}
			off := 0
			if b.cfg.Shuffle && b.cfg.Jitter {
				off = b.rng.IntN(min(b.cfg.Stride, b.last+1))
			}
			for s := off; s <= b.last; s += b.cfg.Stride {
				ws = append(ws, window{t, s})
			}
		}
		b.next = end
		if b.cfg.Shuffle {
			b.rng.Shuffle(len(ws), func(i, j int) { ws[i], ws[j] = ws[j], ws[i] })
		}
		b.pending = append(append([]window(nil), b.pending...), ws...)
	}
	size := min(bs, len(b.pending))
	if size == 0 || (size < bs && b.cfg.DropLast) {
		b.pending = nil
		return nil, io.EOF
	}
	nc := len(b.ds.meta.Channels)
	L := b.cfg.SeqLen
	bt := &Batch{Size: size, SeqLen: L, NumIn: 1 + nc, NumOut: 2,
		X: make([]float32, size*L*(1+nc)), Y: make([]float32, size*L*2),
		Trace: make([]int, size), Start: make([]int, size)}
	for w, win := range b.pending[:size] {
		bt.Trace[w], bt.Start[w] = win.t.Index, win.start
		tr := win.t
		for t := 0; t < L; t++ {
			k := win.start + t
			x := bt.X[(w*L+t)*bt.NumIn:]
			x[0] = tr.V[k]
			for c, d := range tr.Drive {
				x[1+c] = d[k]
			}
			y := bt.Y[(w*L+t)*2:]
			y[0] = tr.V[k+1]
			y[1] = float32(tr.Spike[k])
		}
	}
	b.pending = b.pending[size:]
	return bt, nil
}
