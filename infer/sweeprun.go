package infer

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"neurosurrogate/infer/metrics"
	"neurosurrogate/internal/atomicfile"
	"neurosurrogate/internal/inputerr"
)

// SweepPlan is a parameter sweep: a base network description, the axes
// varied over it and how every variant is run and read out. Its JSON is
// kept beside the results, so that a sweep resumed in the same folder is
// the same sweep.
type SweepPlan struct {
	Name string `json:"name"` // the base network's file or shipped name
	// Base is the base network description (JSON text).
	Base  json.RawMessage `json:"base"`
	Axes  []SweepAxis     `json:"axes"`
	Tstop float64         `json:"tstop_ms"`
	// WindowMS is the stimulus response window, BinMS the PSTH bin.
	WindowMS float64 `json:"window_ms"`
	BinMS    float64 `json:"bin_ms"`
	// Batch is the variants run together in one engine pass.
	Batch int  `json:"batch"`
	PSTH  bool `json:"psth"`
	// WarmupMS, if set, replaces the base network's warmup_ms.
	WarmupMS *float64 `json:"warmup_ms,omitempty"`
	// SharedWarmup runs the base network's warm-up once per pass and lets
	// every variant take over at its end (ForkSurrogate): possible when every
	// axis acts only after the warm-up (AfterWarmup).
	SharedWarmup bool `json:"shared_warmup,omitempty"`
}

// afterWarmup matches the fields a variant can take over at the end of a
// shared warm-up: recurrent weights and plasticity, and stimuli.
var afterWarmup = regexp.MustCompile(`^(projections\.[0-9]+\.(weight_uS|stp\.(U|tau_rec_ms|tau_facil_ms))|stimuli\.[0-9]+\.[a-zA-Z_]+)$`)

// AfterWarmup says whether a swept field acts only after the warm-up, so
// that variants of it can share one: a projection's weight_uS or
// plasticity (stp.U, stp.tau_rec_ms, stp.tau_facil_ms), or a stimulus's
// numbers (its events must still come after the warm-up).
func AfterWarmup(path string) bool { return afterWarmup.MatchString(path) }

// Warm-up modes of a sweep (SetWarmupMode).
const (
	WarmupAuto   = "auto"   // shared when every axis allows it, else own
	WarmupShared = "shared" // one warm-up of the base network per pass
	WarmupOwn    = "own"    // every variant warms up as itself
)

// SetWarmupMode chooses how the sweep's variants warm up (WarmupAuto,
// WarmupShared, WarmupOwn); shared is refused for an axis that acts
// before the end of the warm-up.
func (p *SweepPlan) SetWarmupMode(mode string) error {
	var before []string
	for _, a := range p.Axes {
		if !AfterWarmup(a.Path) {
			before = append(before, a.Path)
		}
	}
	switch mode {
	case WarmupOwn:
		p.SharedWarmup = false
	case WarmupAuto:
		p.SharedWarmup = len(before) == 0
	case WarmupShared:
		if len(before) > 0 {
			return fmt.Errorf("a shared warm-up needs axes that act after it (projections.N.weight_uS, projections.N.stp.*, stimuli.N.*); %s changes the network before", strings.Join(before, ", "))
		}
		p.SharedWarmup = true
	default:
		return fmt.Errorf("%q: want %s, %s or %s", mode, WarmupAuto, WarmupShared, WarmupOwn)
	}
	return nil
}

// BaseBuilt builds the base network, the one a shared warm-up runs.
func (p *SweepPlan) BaseBuilt(r Resolver) (*Built, error) {
	net, err := p.network(nil)
	if err != nil {
		return nil, err
	}
	return Build(net, r)
}

// SweepAxis is Axis in the plan's JSON.
type SweepAxis struct {
	Path   string    `json:"path"`
	Values []float64 `json:"values"`
}

// SweepRow is one variant's parameter values and readouts.
type SweepRow struct {
	Variant int
	Values  []float64
	Spikes  int
	R       Readouts
	PSTH    []float64 // Hz per cell in bins of the plan's BinMS (with Plan.PSTH)
}

// MaxSweepVariants bounds a sweep's grid.
const MaxSweepVariants = 1 << 20

// NewSweepPlan checks that every axis addresses a number of the base
// network and that the grid is not too large. batchCells sets how many
// variants share an engine pass (about that many cells).
func NewSweepPlan(name string, base []byte, axes []Axis, tstopMS, windowMS, binMS float64, batchCells int, psth bool, warmupMS *float64) (*SweepPlan, error) {
	p := &SweepPlan{Name: name, Tstop: tstopMS, WindowMS: windowMS, BinMS: binMS, PSTH: psth, WarmupMS: warmupMS}
	net, err := ParseNetwork(name, base)
	if err != nil {
		return nil, err
	}
	compact := &bytes.Buffer{}
	if err := json.Compact(compact, base); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	p.Base = compact.Bytes()
	n := 1
	seen := map[string]bool{}
	for _, a := range axes {
		if seen[a.Path] {
			return nil, fmt.Errorf("axis %s: given twice", a.Path)
		}
		seen[a.Path] = true
		if a.Path == "warmup_ms" {
			return nil, fmt.Errorf("axis warmup_ms: every variant of a sweep runs in one pass with one warm-up; run one sweep per warm-up")
		}
		if len(a.Values) == 0 {
			return nil, fmt.Errorf("axis %s: no values", a.Path)
		}
		if n *= len(a.Values); n > MaxSweepVariants {
			return nil, fmt.Errorf("the grid has more than %d variants", MaxSweepVariants)
		}
		p.Axes = append(p.Axes, SweepAxis(a))
	}
	// Every axis must address a number, and the extremes of each axis must
	// give valid networks (errors name the axis and value). A pass is sized
	// for the largest population counts among them.
	counts := make([]int, len(net.Populations))
	for i, pop := range net.Populations {
		counts[i] = pop.Count
	}
	for i, a := range axes {
		for _, v := range []float64{slices.Min(a.Values), slices.Max(a.Values)} {
			vals := make([]float64, len(axes))
			for j := range axes {
				vals[j] = axes[j].Values[0]
			}
			vals[i] = v
			vn, err := p.network(vals)
			if err != nil {
				return nil, err
			}
			for j, pop := range vn.Populations {
				counts[j] = max(counts[j], pop.Count)
			}
		}
	}
	cells := 0
	for _, c := range counts {
		cells += c
	}
	p.Batch = max(1, min(n, batchCells/max(1, cells)))
	return p, nil
}

// Points is the grid of values, the last axis varying fastest.
func (p *SweepPlan) Points() [][]float64 {
	axes := make([]Axis, len(p.Axes))
	for i, a := range p.Axes {
		axes[i] = Axis(a)
	}
	return Grid(axes)
}

// Len is the number of variants.
func (p *SweepPlan) Len() int {
	n := 1
	for _, a := range p.Axes {
		n *= len(a.Values)
	}
	return n
}

// Point is variant i's values, one per axis.
func (p *SweepPlan) Point(i int) []float64 {
	out := make([]float64, len(p.Axes))
	for a := len(p.Axes) - 1; a >= 0; a-- {
		d := len(p.Axes[a].Values)
		out[a] = p.Axes[a].Values[i%d]
		i /= d
	}
	return out
}

func (p *SweepPlan) paths() []string {
	var s []string
	for _, a := range p.Axes {
		s = append(s, a.Path)
	}
	return s
}

// network is the base network with the axes set to vals (nil: the base
// network itself).
func (p *SweepPlan) network(vals []float64) (*Network, error) {
	data := []byte(p.Base)
	if vals != nil {
		var err error
		if data, err = SetFields(p.Base, p.paths(), vals); err != nil {
			return nil, err
		}
	}
	net, err := ParseNetwork(p.Name, data)
	if err != nil {
		// Lines of the variant's compacted text mean nothing to the user.
		var ie *inputerr.Error
		if errors.As(err, &ie) {
			ie.Line = 0
		}
		return nil, fmt.Errorf("variant %s: %w", describe(p.paths(), vals), err)
	}
	net.lines = nil // lines of the compacted text mean nothing to the user
	if p.WarmupMS != nil {
		net.WarmupMS = *p.WarmupMS
	}
	return net, nil
}

func describe(paths []string, vals []float64) string {
	s := ""
	for i, x := range paths {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s = %g", x, vals[i])
	}
	return s
}

// Variant builds variant i of the grid.
func (p *SweepPlan) Variant(i int, r Resolver) (*Built, error) {
	vals := p.Point(i)
	net, err := p.network(vals)
	if err != nil {
		return nil, err
	}
	b, err := Build(net, r)
	if err != nil {
		return nil, fmt.Errorf("variant %s: %w", describe(p.paths(), vals), err)
	}
	return b, nil
}

// stimTime is when a network's first stimulus starts (NaN: none).
func stimTime(n *Network) float64 {
	t := math.NaN()
	for _, s := range n.Stimuli {
		x := s.TimeMS
		if x == nil {
			x = s.StartMS
		}
		if math.IsNaN(t) || *x < t {
			t = *x
		}
	}
	return t
}

// Readouts of a variant's run in the plan's windows.
func (p *SweepPlan) readouts(b *Built, run *RunResult) (Readouts, []float64) {
	r := ComputeReadouts(b, run, ReadoutOptions{StimMS: stimTime(b.Net), WindowMS: p.WindowMS, BinMS: p.BinMS})
	psth := r.PSTH
	r.PSTH = nil // kept in the row only when asked for
	if !p.PSTH {
		psth = nil
	}
	return r, psth
}

// BatchRun is what one engine pass of a sweep produced.
type BatchRun struct {
	Rows      []SweepRow
	CellSteps float64 // cells × steps stepped, warm-up included
	// Where the time went: building the variants and stacking them, the
	// engine's stepping (Deliver of it spent delivering spikes, with
	// plasticity), reading the variants out.
	Build, Wall, Deliver, Readout time.Duration
}

// RunBatch runs variants lo..hi-1 of the grid as one stacked network in
// the surrogate engine and reads each out. progress, if not nil, gets the
// steps done of the batch's total.
func (p *SweepPlan) RunBatch(lo, hi int, r Resolver, workers int, progress func(step, steps int)) (*BatchRun, error) {
	start := time.Now()
	var vs []*Built
	for i := lo; i < hi; i++ {
		b, err := p.Variant(i, r)
		if err != nil {
			return nil, err
		}
		vs = append(vs, b)
	}
	st, err := Stack(vs)
	if err != nil {
		return nil, err
	}
	var base *Built
	if p.SharedWarmup {
		if base, err = p.BaseBuilt(r); err != nil {
			return nil, err
		}
	}
	build := time.Since(start)
	warm := vs[0].Net.WarmupMS
	steps := int(math.Round((p.Tstop + warm) / st.SampleDT))
	opt := EngineOptions{Workers: workers, WarmupMS: warm, ProgressEvery: max(1, steps/50),
		Progress: func(k, n, _ int) {
			if progress != nil {
				progress(k, n)
			}
		}}
	var run *RunResult
	if base != nil {
		run, err = ForkSurrogate(base, st, p.Tstop, opt)
	} else {
		run, err = RunSurrogate(st.Built, p.Tstop, opt)
	}
	if err != nil {
		return nil, err
	}
	out := &BatchRun{Build: build, Wall: run.Wall, Deliver: run.Deliver, CellSteps: float64(st.Cells) * float64(run.Steps)}
	if base != nil { // the warm-up stepped the base network's cells only
		w := math.Round(run.WarmupMS / st.SampleDT)
		out.CellSteps = float64(base.Cells)*w + float64(st.Cells)*(float64(run.Steps)-w)
	}
	start = time.Now()
	for v, vr := range st.Split(run) {
		ro, psth := p.readouts(vs[v], vr)
		out.Rows = append(out.Rows, SweepRow{Variant: lo + v, Values: p.Point(lo + v), Spikes: len(vr.Spikes), R: ro, PSTH: psth})
	}
	out.Readout = time.Since(start)
	return out, nil
}

// CheckRow is a variant run in the reference simulator beside its
// surrogate row.
type CheckRow struct {
	Variant int
	DtMS    float64 // the reference's time step
	Ref     Readouts
	RefPSTH []float64
	Wall    time.Duration
}

// CheckPoints picks k variants of a grid with the given number of values
// per axis, spread over every axis at once: the grid's first point, then
// the points of a Halton sequence (bases 2, 3, 5, ... per axis) until k
// distinct ones are found. It returns their indices in grid order (the
// last axis fastest), ascending.
func CheckPoints(dims []int, k int) []int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	k = min(k, n)
	seen := map[int]bool{}
	var out []int
	add := func(i int) {
		if !seen[i] && len(out) < k {
			seen[i] = true
			out = append(out, i)
		}
	}
	if k > 0 {
		add(0)
	}
	primes := []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47}
	for j := 1; len(out) < k && j < 1<<20; j++ {
		i := 0
		for a, d := range dims {
			h := radicalInverse(j, primes[a%len(primes)])
			i = i*d + min(d-1, int(h*float64(d)))
		}
		add(i)
	}
	for i := 0; len(out) < k; i++ { // more axes than primes: fill in order
		add(i)
	}
	slices.Sort(out)
	return out
}

// radicalInverse is j's digits in base b mirrored about the point.
func radicalInverse(j, b int) float64 {
	x, f := 0.0, 1.0/float64(b)
	for ; j > 0; j /= b {
		x += float64(j%b) * f
		f /= float64(b)
	}
	return x
}

// RunCheck runs variant i in the reference simulator (the whole network,
// at dtMS) and reads it out.
func (p *SweepPlan) RunCheck(i int, r Resolver, dtMS float64, workers int, progress func(ms float64)) (CheckRow, error) {
	b, err := p.Variant(i, r)
	if err != nil {
		return CheckRow{}, err
	}
	prog := func(ms float64, _ int) {
		if progress != nil {
			progress(ms)
		}
	}
	var run *RunResult
	if p.SharedWarmup {
		base, err := p.BaseBuilt(r)
		if err != nil {
			return CheckRow{}, err
		}
		run, err = RunReferenceSwitched(base, b, p.Tstop, b.Net.WarmupMS, dtMS, workers, prog)
		if err != nil {
			return CheckRow{}, fmt.Errorf("variant %s: %w", describe(p.paths(), p.Point(i)), err)
		}
	} else {
		run, err = RunReference(b, p.Tstop, b.Net.WarmupMS, dtMS, workers, prog)
	}
	if err != nil {
		return CheckRow{}, err
	}
	ro, psth := p.readouts(b, run)
	return CheckRow{Variant: i, DtMS: dtMS, Ref: ro, RefPSTH: psth, Wall: run.Wall}, nil
}

// SweepDir keeps a sweep's plan and finished batches in a folder, so
// that a sweep killed part way resumes where it stopped: plan.json, and
// one file per finished batch and per reference check under parts/.
type SweepDir struct {
	Dir  string
	Plan *SweepPlan
}

// ErrOtherSweep is returned by OpenSweepDir for a folder that holds
// another sweep's results.
var ErrOtherSweep = errors.New("the folder holds another sweep")

// OpenSweepDir creates dir (or opens it to resume) for plan. A folder
// with a different plan is refused rather than mixed or overwritten.
func OpenSweepDir(dir string, plan *SweepPlan) (*SweepDir, error) {
	want, err := json.MarshalIndent(plan, "", " ")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "plan.json")
	have, err := os.ReadFile(path)
	switch {
	case err == nil:
		if !bytes.Equal(have, want) {
			return nil, fmt.Errorf("%s: %w (another base network, axes, tstop, windows or batch); give another --out", path, ErrOtherSweep)
		}
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		if err := atomicfile.WriteFile(path, want); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "parts"), 0o755); err != nil {
		return nil, err
	}
	return &SweepDir{Dir: dir, Plan: plan}, nil
}

// Key is a short hash of the plan (it names the default output folder).
func (p *SweepPlan) Key() string {
	b, _ := json.Marshal(p)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:4])
}

func (d *SweepDir) part(kind string, i int) string {
	return filepath.Join(d.Dir, "parts", fmt.Sprintf("%s-%06d.gob", kind, i))
}

// Batch returns batch j's rows if it is done (ok false: not yet).
func (d *SweepDir) Batch(j int) (rows []SweepRow, ok bool, err error) {
	ok, err = readGob(d.part("batch", j), &rows)
	return rows, ok, err
}

// SaveBatch keeps batch j's rows.
func (d *SweepDir) SaveBatch(j int, rows []SweepRow) error { return writeGob(d.part("batch", j), rows) }

// Check returns variant i's reference check if it was done at time step
// dtMS (a check at another step is not this one: ok false).
func (d *SweepDir) Check(i int, dtMS float64) (c CheckRow, ok bool, err error) {
	ok, err = readGob(d.part("check", i), &c)
	return c, ok && c.DtMS == dtMS, err
}

// SaveCheck keeps variant i's reference check.
func (d *SweepDir) SaveCheck(c CheckRow) error { return writeGob(d.part("check", c.Variant), c) }

func readGob(path string, v any) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := gob.NewDecoder(f).Decode(v); err != nil {
		return false, fmt.Errorf("%s: unreadable (%v); delete it to run that part again", path, err)
	}
	return true, nil
}

func writeGob(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error { return gob.NewEncoder(w).Encode(v) })
}

// CheckStat compares a readout between surrogate and reference over the
// checked variants.
type CheckStat struct {
	Readout string    `json:"readout"`
	Sur     []float64 `json:"surrogate"`
	Ref     []float64 `json:"reference"`
	// Corr is Pearson's r over the variants (NaN if either side is
	// constant or fewer than 3 are defined); MeanAbsDiff the mean |sur − ref|.
	Corr        float64 `json:"corr"`
	MeanAbsDiff float64 `json:"mean_abs_diff"`
}

// CompareChecks lines up the surrogate rows and reference checks readout
// by readout.
func CompareChecks(names []string, rows []SweepRow, checks []CheckRow) []CheckStat {
	byVariant := map[int]SweepRow{}
	for _, r := range rows {
		byVariant[r.Variant] = r
	}
	slices.SortFunc(checks, func(a, b CheckRow) int { return cmp.Compare(a.Variant, b.Variant) })
	var out []CheckStat
	for _, name := range names {
		st := CheckStat{Readout: name}
		var xs, ys []float64
		sum, n := 0.0, 0
		for _, c := range checks {
			s, r := byVariant[c.Variant].R.Value(name), c.Ref.Value(name)
			st.Sur, st.Ref = append(st.Sur, s), append(st.Ref, r)
			if !math.IsNaN(s) && !math.IsNaN(r) {
				xs, ys = append(xs, s), append(ys, r)
				sum += math.Abs(s - r)
				n++
			}
		}
		st.Corr, st.MeanAbsDiff = math.NaN(), math.NaN()
		if n >= 3 {
			st.Corr = metrics.Pearson(xs, ys)
		}
		if n > 0 {
			st.MeanAbsDiff = sum / float64(n)
		}
		out = append(out, st)
	}
	return out
}

// AxisPaths are the swept fields.
func (p *SweepPlan) AxisPaths() []string { return p.paths() }
