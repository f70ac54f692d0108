package dataset

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"neurosurrogate/biophys"
)

var goAlloc = memory.NewGoAllocator()

// boundedAlloc refuses allocations larger than the file being read, so a
// corrupt size field cannot exhaust memory (nothing in an uncompressed file
// is larger than the file).
type boundedAlloc struct{ limit int }

type allocError struct{ n int }

func (e allocError) Error() string {
	return fmt.Sprintf("a buffer of %d bytes, larger than the file: corrupt size field", e.n)
}

func (a *boundedAlloc) Allocate(n int) []byte {
	if n < 0 || n > a.limit {
		panic(allocError{n})
	}
	return goAlloc.Allocate(n)
}

func (a *boundedAlloc) Reallocate(n int, b []byte) []byte {
	if n < 0 || n > a.limit {
		panic(allocError{n})
	}
	return goAlloc.Reallocate(n, b)
}

func (a *boundedAlloc) Free(b []byte) { goAlloc.Free(b) }

// protect runs f and turns a panic (the Arrow library panics on some
// corrupt input) into an error.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("corrupt data: %w", e)
			} else {
				err = fmt.Errorf("corrupt data: %v", r)
			}
		}
	}()
	return f()
}

var shardName = regexp.MustCompile(`^shard-(\d{5})-of-(\d{5})\.arrow$`)

type shardFile struct {
	path         string
	index, count int
}

// listShards lists the shard files of a folder (by name) and counts
// unfinished temporary files.
func listShards(dir string) ([]shardFile, int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	var out []shardFile
	tmps := 0
	for _, e := range ents {
		name := e.Name()
		if strings.HasPrefix(name, ".shard-") && strings.Contains(name, ".tmp-") {
			tmps++
			continue
		}
		m := shardName.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		out = append(out, shardFile{path: filepath.Join(dir, name), index: i, count: n})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].path < out[b].path })
	return out, tmps, nil
}

// header is what a shard file says about itself.
type header struct {
	path         string
	size         int64
	settings     Settings
	settingsJSON string
	shard        ShardInfo
	cellJSON     string
	checksum     string // MetaChecksum ("": a shard written before checksums)
	records      int
	verified     bool // the checksum was checked (by Dataset.openShard)
}

// arrowFile is an open Arrow IPC file.
type arrowFile struct {
	f      *os.File
	r      *ipc.FileReader
	size   int64
	alloc  *boundedAlloc
	blocks []block // record batches, from the checked footer
}

func (a *arrowFile) close() {
	a.r.Close()
	a.f.Close()
}

// openArrow opens an Arrow IPC file after checking its footer, with a
// bounded allocator.
func openArrow(path string) (*arrowFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	a := &arrowFile{f: f, size: fi.Size(), alloc: &boundedAlloc{limit: int(min(fi.Size()+4096, 1<<50))}}
	err = protect(func() error {
		var err error
		if a.blocks, err = checkFooter(f, fi.Size()); err != nil {
			return err
		}
		a.r, err = ipc.NewFileReader(f, ipc.WithAllocator(a.alloc))
		return err
	})
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: not a readable Arrow IPC file (truncated, corrupt, or another format): %v", path, err)
	}
	return a, nil
}

// readHeader opens a shard file and checks its metadata and schema.
func readHeader(path string) (*header, error) {
	a, err := openArrow(path)
	if err != nil {
		return nil, err
	}
	defer a.close()
	return checkHeader(path, a.r, a.size)
}

func checkHeader(path string, r *ipc.FileReader, size int64) (*header, error) {
	h := &header{path: path, size: size}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
	var schema *arrow.Schema
	var nrec int
	if err := protect(func() error {
		schema = r.Schema()
		nrec = r.NumRecords()
		return nil
	}); err != nil {
		return nil, bad("%v", err)
	}
	md := schema.Metadata()
	get := func(k string) (string, bool) { return md.GetValue(k) }
	format, ok := get(MetaFormat)
	if !ok {
		return nil, bad("an Arrow file, but not a neurosurrogate dataset shard (no %q in its schema metadata)", MetaFormat)
	}
	if format != Format {
		return nil, bad("dataset format %q; this program reads %q (made by another version?)", clip(format, 60), Format)
	}
	for _, k := range []string{MetaSettings, MetaShard, MetaCell} {
		if _, ok := get(k); !ok {
			return nil, bad("schema metadata %q is missing", k)
		}
	}
	h.settingsJSON, _ = get(MetaSettings)
	if err := decodeStrict(h.settingsJSON, &h.settings); err != nil {
		return nil, bad("schema metadata %q: %v", MetaSettings, err)
	}
	if err := h.settings.validate(); err != nil {
		return nil, bad("schema metadata %q: %v", MetaSettings, err)
	}
	st := &h.settings
	shardJSON, _ := get(MetaShard)
	if err := decodeStrict(shardJSON, &h.shard); err != nil {
		return nil, bad("schema metadata %q: %v", MetaShard, err)
	}
	sh := h.shard
	if sh.Count != st.Shards || sh.Index < 0 || sh.Index >= sh.Count {
		return nil, bad("schema metadata %q: shard %d of %d, but the settings say %d shards", MetaShard, sh.Index, sh.Count, st.Shards)
	}
	if want := ShardTraces(st.Traces, sh.Index, sh.Count); sh.Traces != want {
		return nil, bad("schema metadata %q: %d traces, want %d", MetaShard, sh.Traces, want)
	}
	if base := filepath.Base(path); shardName.MatchString(base) && base != ShardFileName(sh.Index, sh.Count) {
		return nil, bad("the file is named as another shard: its metadata says shard %d of %d (%s); was it renamed?", sh.Index, sh.Count, ShardFileName(sh.Index, sh.Count))
	}
	h.cellJSON, _ = get(MetaCell)
	sum := sha256.Sum256([]byte(h.cellJSON))
	if hex.EncodeToString(sum[:]) != st.CellSHA256 {
		return nil, bad("schema metadata %q does not match the cell_sha256 in the settings", MetaCell)
	}
	if sum, ok := get(MetaChecksum); ok {
		if !checksumForm.MatchString(sum) {
			return nil, bad("schema metadata %q is %q, want %s and 64 hex digits", MetaChecksum, clip(sum, 80), checksumPrefix)
		}
		h.checksum = sum
	}
	if err := checkSchema(schema, schemaFor(st, nil)); err != nil {
		return nil, bad("schema differs from the one its settings imply: %v", err)
	}
	wantRec := (sh.Traces + st.RowsPerBatch - 1) / st.RowsPerBatch
	if nrec != wantRec {
		return nil, bad("%d record batches, want %d for %d traces (truncated or modified?)", nrec, wantRec, sh.Traces)
	}
	perTrace := float64(st.Samples) * float64(4*(2+len(st.Channels))+1)
	if st.Compression == "none" && float64(sh.Traces)*perTrace > float64(size) {
		return nil, bad("%d bytes is too small for %d traces of %d samples (truncated?)", size, sh.Traces, st.Samples)
	}
	h.records = nrec
	return h, nil
}

// Meta describes a dataset: its Settings (the same in every shard), the
// folder and files, and the cell description.
type Meta struct {
	Settings
	Dir      string   // the folder
	Files    []string // shard files, by shard index
	CellJSON []byte   // the cell description (canonical JSON)
}

// Cell parses the cell description the data was generated with.
func (m *Meta) Cell() (*biophys.Cell, error) {
	return biophys.ParseCell(m.CellName+" (from dataset "+m.Dir+")", m.CellJSON)
}

// Dataset is a folder of shards opened as one dataset. Shards are read
// lazily, one record batch at a time, so a dataset larger than memory can
// be read. Its methods are safe for concurrent use.
type Dataset struct {
	meta   Meta
	shards []*header

	mu    sync.Mutex
	clock uint64
	open  []*openShard // at most maxOpen
	cache []*batch     // at most maxCached
}

const (
	maxOpen   = 64
	maxCached = 8
)

type openShard struct {
	shard int
	*arrowFile
	used uint64
}

// batch is one decoded record batch.
type batch struct {
	shard, rec int
	rows       int
	v          []float32   // rows*samples
	drive      [][]float32 // per channel, rows*samples
	records    [][]float32 // per record, rows*samples
	spike      []uint8
	params     []Params
	used       uint64
}

// Open opens the dataset in folder dir: every shard-NNNNN-of-NNNNN.arrow
// in it. It checks that all shards share the settings and the schema, and
// that no shard is missing or doubled. A shard's checksum (MetaChecksum)
// is verified before its first trace is returned, which reads the shard
// once; every record batch's values are checked when it is decoded
// (checkValues).
func Open(dir string) (*Dataset, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is a file; open the dataset folder that holds the shard files", dir)
	}
	files, tmps, err := listShards(dir)
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		msg := fmt.Sprintf("%s: no shard files (shard-NNNNN-of-NNNNN.arrow): not a dataset folder", dir)
		if tmps > 0 {
			msg += fmt.Sprintf(" (%d unfinished temporary files: a generate run is in progress or was killed)", tmps)
		}
		return nil, errors.New(msg)
	}
	var first *header
	var shards []*header
	for _, sf := range files {
		h, err := readHeader(sf.path)
		if err != nil {
			return nil, err
		}
		if first == nil {
			first = h
			shards = make([]*header, h.settings.Shards)
		} else if h.settingsJSON != first.settingsJSON {
			return nil, fmt.Errorf("%s and %s belong to different datasets (%s); a folder must hold the shards of one dataset",
				first.path, h.path, diffSettings(&first.settings, &h.settings))
		}
		if prev := shards[h.shard.Index]; prev != nil {
			return nil, fmt.Errorf("shard %d is doubled: %s and %s", h.shard.Index, prev.path, h.path)
		}
		shards[h.shard.Index] = h
	}
	var missing []string
	for i, h := range shards {
		if h == nil {
			missing = append(missing, strconv.Itoa(i))
		}
	}
	if len(missing) > 0 {
		list := strings.Join(missing, ", ")
		if len(missing) > 12 {
			list = strings.Join(missing[:12], ", ") + ", ..."
		}
		msg := fmt.Sprintf("%s: %d of %d shards are missing (%s); generate them with --shard i/%d", dir, len(missing), len(shards), list, len(shards))
		if tmps > 0 {
			msg += fmt.Sprintf(" (%d unfinished temporary files: generate runs in progress or killed)", tmps)
		}
		return nil, errors.New(msg)
	}
	d := &Dataset{shards: shards}
	d.meta = Meta{Settings: first.settings, Dir: dir, CellJSON: []byte(first.cellJSON)}
	for _, h := range shards {
		d.meta.Files = append(d.meta.Files, h.path)
	}
	return d, nil
}

// Verify checks the checksum of every shard that has one (Dataset reads
// check a shard's before its first trace is returned; Verify checks them
// all up front) and returns the number of shards without one (written
// before shards carried checksums).
func (d *Dataset) Verify() (unchecked int, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for s, h := range d.shards {
		if h.checksum == "" {
			unchecked++
			continue
		}
		if h.verified {
			continue
		}
		d.clock++
		if _, err := d.openShard(s); err != nil {
			return unchecked, err
		}
	}
	return unchecked, nil
}

// Meta returns the dataset's description.
func (d *Dataset) Meta() *Meta { return &d.meta }

// NumTraces is the number of traces.
func (d *Dataset) NumTraces() int { return d.meta.Traces }

// Samples is the number of samples per trace.
func (d *Dataset) Samples() int { return d.meta.Samples }

// Close closes the open shard files.
func (d *Dataset) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, o := range d.open {
		o.close()
	}
	d.open, d.cache = nil, nil
	return nil
}

// locate maps a trace index to its shard, record batch and row.
func (d *Dataset) locate(i int) (shard, rec, row int) {
	n, rpb := d.meta.Shards, d.meta.RowsPerBatch
	r := i / n
	return i % n, r / rpb, r % rpb
}

// Trace reads trace i (0 <= i < NumTraces). The slices are the caller's.
func (d *Dataset) Trace(i int) (*Trace, error) {
	if i < 0 || i >= d.meta.Traces {
		return nil, fmt.Errorf("trace %d: out of range 0..%d", i, d.meta.Traces-1)
	}
	s, rec, row := d.locate(i)
	b, err := d.batch(s, rec)
	if err != nil {
		return nil, err
	}
	return b.trace(i, row, d.meta.Samples), nil
}

func (b *batch) trace(i, row, n int) *Trace {
	t := &Trace{Index: i, Params: b.params[row]}
	t.Segments = append([]Segment(nil), t.Segments...)
	t.V = append([]float32(nil), b.v[row*n:(row+1)*n]...)
	t.Spike = append([]uint8(nil), b.spike[row*n:(row+1)*n]...)
	t.Drive = make([][]float32, len(b.drive))
	for c, x := range b.drive {
		t.Drive[c] = append([]float32(nil), x[row*n:(row+1)*n]...)
	}
	if len(b.records) > 0 {
		t.Rec = make([][]float32, len(b.records))
		for r, x := range b.records {
			t.Rec[r] = append([]float32(nil), x[row*n:(row+1)*n]...)
		}
	}
	return t
}

// Scan calls fn for every trace in storage order (shard by shard, each in
// increasing trace index), reading each record batch once.
func (d *Dataset) Scan(fn func(t *Trace) error) error {
	n := d.meta.Shards
	for s, h := range d.shards {
		for rec := 0; rec < h.records; rec++ {
			b, err := d.batch(s, rec)
			if err != nil {
				return err
			}
			for row := 0; row < b.rows; row++ {
				i := (rec*d.meta.RowsPerBatch+row)*n + s
				if err := fn(b.trace(i, row, d.meta.Samples)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// batch returns record batch rec of shard s, decoded and checked.
func (d *Dataset) batch(s, rec int) (*batch, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clock++
	for _, b := range d.cache {
		if b.shard == s && b.rec == rec {
			b.used = d.clock
			return b, nil
		}
	}
	o, err := d.openShard(s)
	if err != nil {
		return nil, err
	}
	b, err := d.decode(o, rec)
	if err != nil {
		return nil, fmt.Errorf("%s: record batch %d: %w", d.shards[s].path, rec, err)
	}
	b.used = d.clock
	if len(d.cache) >= maxCached {
		old := 0
		for k, c := range d.cache {
			if c.used < d.cache[old].used {
				old = k
			}
		}
		d.cache[old] = b
	} else {
		d.cache = append(d.cache, b)
	}
	return b, nil
}

func (d *Dataset) openShard(s int) (*openShard, error) {
	for _, o := range d.open {
		if o.shard == s {
			o.used = d.clock
			return o, nil
		}
	}
	h := d.shards[s]
	a, err := openArrow(h.path)
	if err != nil {
		return nil, err
	}
	// The file may have been replaced since Open.
	h2, err := checkHeader(h.path, a.r, a.size)
	if err == nil && (h2.settingsJSON != h.settingsJSON || h2.checksum != h.checksum) {
		err = fmt.Errorf("%s changed since the dataset was opened", h.path)
	}
	if err == nil && !h.verified {
		// Once per shard: every read of its traces comes after this.
		if err = a.verify(h); err == nil {
			h.verified = true
		}
	}
	if err != nil {
		a.close()
		return nil, err
	}
	// A compressed buffer may be larger than the file: allow the largest
	// buffer a record batch of this dataset has.
	st := &h.settings
	a.alloc.limit = max(a.alloc.limit, st.RowsPerBatch*st.Samples*4+4096)
	o := &openShard{shard: s, arrowFile: a, used: d.clock}
	if len(d.open) >= maxOpen {
		old := 0
		for k, x := range d.open {
			if x.used < d.open[old].used {
				old = k
			}
		}
		d.open[old].close()
		d.open[old] = o
	} else {
		d.open = append(d.open, o)
	}
	return o, nil
}

// decode reads and checks one record batch.
func (d *Dataset) decode(o *openShard, rec int) (b *batch, err error) {
	st := &d.meta.Settings
	h := d.shards[o.shard]
	if rec < 0 || rec >= h.records {
		return nil, fmt.Errorf("no record batch %d (the file has %d)", rec, h.records)
	}
	rows := min(st.RowsPerBatch, h.shard.Traces-rec*st.RowsPerBatch)
	err = protect(func() error {
		if rec >= len(o.blocks) {
			return fmt.Errorf("no record batch %d in the footer", rec)
		}
		if err := checkMessage(o.f, o.blocks[rec], o.size, st.Compression); err != nil {
			return err
		}
		r, err := o.r.RecordAt(rec)
		if err != nil {
			return err
		}
		defer r.Release()
		b, err = extract(r, st, o.shard, rec, rows)
		return err
	})
	return b, err
}

// extract checks a record against the settings and copies out its data
// (the slices alias the record's buffers, which the Go allocator owns).
func extract(r arrow.Record, st *Settings, shard, rec, rows int) (*batch, error) {
	n := st.Samples
	if int(r.NumRows()) != rows {
		return nil, fmt.Errorf("%d rows, want %d", r.NumRows(), rows)
	}
	nc, nr := len(st.Channels), len(st.Records)
	if int(r.NumCols()) != 5+nc+nr {
		return nil, fmt.Errorf("%d columns, want %d", r.NumCols(), 5+nc+nr)
	}
	b := &batch{shard: shard, rec: rec, rows: rows}
	col := func(k int) arrow.Array { return r.Column(k) }
	name := func(k int) string { return r.ColumnName(k) }
	noNulls := func(k int, a arrow.Array) error {
		if a.Len() != rows || a.NullN() != 0 {
			return fmt.Errorf("column %q: %d values with %d nulls, want %d values and no nulls", name(k), a.Len(), a.NullN(), rows)
		}
		return nil
	}
	idx, ok := col(0).(*array.Int32)
	if !ok {
		return nil, fmt.Errorf("column %q: unexpected type", name(0))
	}
	if err := noNulls(0, idx); err != nil {
		return nil, err
	}
	for row, got := range idx.Int32Values() {
		want := (rec*st.RowsPerBatch+row)*st.Shards + shard
		if int(got) != want {
			return nil, fmt.Errorf("row %d is trace %d, want %d (file modified?)", row, got, want)
		}
	}
	f32 := func(k int) ([]float32, error) {
		l, ok := col(k).(*array.FixedSizeList)
		if !ok {
			return nil, fmt.Errorf("column %q: unexpected type", name(k))
		}
		if err := noNulls(k, l); err != nil {
			return nil, err
		}
		vals, ok := l.ListValues().(*array.Float32)
		if !ok {
			return nil, fmt.Errorf("column %q: unexpected value type", name(k))
		}
		off := l.Data().Offset()
		if vals.NullN() != 0 || vals.Len() < (off+rows)*n {
			return nil, fmt.Errorf("column %q: %d values (%d null), want %d", name(k), vals.Len(), vals.NullN(), (off+rows)*n)
		}
		return vals.Float32Values()[off*n : (off+rows)*n], nil
	}
	times, err := f32(1)
	if err != nil {
		return nil, err
	}
	if b.v, err = f32(2); err != nil {
		return nil, err
	}
	b.drive = make([][]float32, nc)
	for c := range nc {
		if b.drive[c], err = f32(3 + c); err != nil {
			return nil, err
		}
	}
	if nr > 0 {
		b.records = make([][]float32, nr)
	}
	for i := range nr {
		if b.records[i], err = f32(3 + nc + i); err != nil {
			return nil, err
		}
	}
	k := 3 + nc + nr
	sl, ok := col(k).(*array.FixedSizeList)
	if !ok {
		return nil, fmt.Errorf("column %q: unexpected type", name(k))
	}
	if err := noNulls(k, sl); err != nil {
		return nil, err
	}
	sv, ok := sl.ListValues().(*array.Uint8)
	off := sl.Data().Offset()
	if !ok || sv.NullN() != 0 || sv.Len() < (off+rows)*n {
		return nil, fmt.Errorf("column %q: wrong values", name(k))
	}
	b.spike = sv.Uint8Values()[off*n : (off+rows)*n]
	b.params, err = readParams(col(k+1), rows)
	if err != nil {
		return nil, fmt.Errorf("column %q: %v", ColParams, err)
	}
	if err := checkValues(b, times, st, shard, rec); err != nil {
		return nil, err
	}
	return b, nil
}

func readParams(a arrow.Array, rows int) ([]Params, error) {
	s, ok := a.(*array.Struct)
	if !ok || s.Len() != rows || s.NullN() != 0 || s.NumField() != 11 {
		return nil, errors.New("unexpected layout")
	}
	for k := 0; k < s.NumField(); k++ {
		if s.Field(k).Len() < rows || s.Field(k).NullN() != 0 {
			return nil, fmt.Errorf("field %d: too short or has nulls", k)
		}
	}
	regime, ok1 := s.Field(0).(*array.String)
	segs, ok2 := s.Field(5).(*array.List)
	att, ok3 := s.Field(9).(*array.Int32)
	spk, ok4 := s.Field(10).(*array.Int32)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return nil, errors.New("unexpected field types")
	}
	f64 := make([]*array.Float64, 11)
	for _, k := range []int{1, 2, 3, 4, 6, 7, 8} {
		if f64[k], ok = s.Field(k).(*array.Float64); !ok {
			return nil, fmt.Errorf("field %d: unexpected type", k)
		}
	}
	sv, ok := segs.ListValues().(*array.Struct)
	if !ok || sv.NumField() != 3 {
		return nil, errors.New("segments: unexpected layout")
	}
	var sf [3]*array.Float64
	for k := range sf {
		if sf[k], ok = sv.Field(k).(*array.Float64); !ok || sf[k].NullN() != 0 {
			return nil, errors.New("segments: unexpected field")
		}
	}
	out := make([]Params, rows)
	for i := range out {
		p := &out[i]
		p.Regime = regime.Value(i)
		p.ExcRateHz, p.ExcWeightUS = f64[1].Value(i), f64[2].Value(i)
		p.InhRateHz, p.InhWeightUS = f64[3].Value(i), f64[4].Value(i)
		p.StepAmpNA, p.StepStartMS, p.StepDurMS = f64[6].Value(i), f64[7].Value(i), f64[8].Value(i)
		p.Attempts, p.Spikes = int(att.Value(i)), int(spk.Value(i))
		lo, hi := segs.ValueOffsets(i)
		if lo < 0 || hi < lo || int(hi) > sf[0].Len() || int(hi) > sf[1].Len() || int(hi) > sf[2].Len() {
			return nil, fmt.Errorf("row %d: bad segment offsets %d..%d", i, lo, hi)
		}
		for j := int(lo); j < int(hi); j++ {
			p.Segments = append(p.Segments, Segment{sf[0].Value(j), sf[1].Value(j), sf[2].Value(j)})
		}
	}
	return out, nil
}
