package dataset

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// posWriter is a buffered writer that also answers Seek(0, io.SeekCurrent),
// all the Arrow file writer asks of its io.WriteSeeker.
type posWriter struct {
	w   *bufio.Writer
	pos int64
}

func (p *posWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.pos += int64(n)
	return n, err
}

func (p *posWriter) Seek(off int64, whence int) (int64, error) {
	if off == 0 && whence == io.SeekCurrent {
		return p.pos, nil
	}
	return 0, errors.New("posWriter: only Seek(0, io.SeekCurrent) is supported")
}

// shardWriter streams traces into one Arrow IPC file, RowsPerBatch rows per
// record batch.
type shardWriter struct {
	st     *Settings
	schema *arrow.Schema
	f      *os.File
	bw     *posWriter
	w      *ipc.FileWriter
	times  []float32
	rows   []*Trace
}

func newShardWriter(f *os.File, st *Settings, md arrow.Metadata) (*shardWriter, error) {
	schema := schemaFor(st, &md)
	bw := &posWriter{w: bufio.NewWriterSize(f, 1<<20)}
	opts := []ipc.Option{ipc.WithSchema(schema), ipc.WithAllocator(goAlloc)}
	switch st.Compression {
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	}
	w, err := ipc.NewFileWriter(bw, opts...)
	if err != nil {
		return nil, err
	}
	times := make([]float32, st.Samples)
	for k := range times {
		times[k] = float32(float64(k) * st.SampleDtMS)
	}
	return &shardWriter{st: st, schema: schema, f: f, bw: bw, w: w, times: times}, nil
}

// add queues a trace and writes a record batch when one is full.
func (sw *shardWriter) add(t *Trace) error {
	sw.rows = append(sw.rows, t)
	if len(sw.rows) == sw.st.RowsPerBatch {
		return sw.flush()
	}
	return nil
}

func (sw *shardWriter) flush() error {
	if len(sw.rows) == 0 {
		return nil
	}
	rec := sw.record(sw.rows)
	defer rec.Release()
	sw.rows = sw.rows[:0]
	return sw.w.Write(rec)
}

// close writes the last batch and the footer, and flushes the buffer.
func (sw *shardWriter) close() error {
	if err := sw.flush(); err != nil {
		return err
	}
	if err := sw.w.Close(); err != nil {
		return err
	}
	return sw.bw.w.Flush()
}

// fixedList wraps vals (rows*n values) as a FixedSizeList array without copying.
func fixedList(typ *arrow.FixedSizeListType, elem arrow.DataType, buf []byte, rows, n int) arrow.Array {
	child := array.NewData(elem, rows*n, []*memory.Buffer{nil, memory.NewBufferBytes(buf)}, nil, 0, 0)
	defer child.Release()
	d := array.NewData(typ, rows, []*memory.Buffer{nil}, []arrow.ArrayData{child}, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

func (sw *shardWriter) record(rows []*Trace) arrow.Record {
	st := sw.st
	n, nr := st.Samples, len(rows)
	cols := make([]arrow.Array, 0, sw.schema.NumFields())
	release := func() {
		for _, c := range cols {
			c.Release()
		}
	}
	defer release()

	idx := make([]int32, nr)
	for i, t := range rows {
		idx[i] = int32(t.Index)
	}
	cols = append(cols, array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, nr,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx))}, nil, 0, 0)))

	f32 := func(get func(t *Trace) []float32) arrow.Array {
		vals := make([]float32, 0, nr*n)
		for _, t := range rows {
			vals = append(vals, get(t)...)
		}
		return fixedList(listF32(n), arrow.PrimitiveTypes.Float32, arrow.Float32Traits.CastToBytes(vals), nr, n)
	}
	cols = append(cols, f32(func(*Trace) []float32 { return sw.times }))
	cols = append(cols, f32(func(t *Trace) []float32 { return t.V }))
	for c := range st.Channels {
		cols = append(cols, f32(func(t *Trace) []float32 { return t.Drive[c] }))
	}
	for r := range st.Records {
		cols = append(cols, f32(func(t *Trace) []float32 { return t.Rec[r] }))
	}
	spikes := make([]byte, 0, nr*n)
	for _, t := range rows {
		spikes = append(spikes, t.Spike...)
	}
	cols = append(cols, fixedList(listU8(n), arrow.PrimitiveTypes.Uint8, spikes, nr, n))
	cols = append(cols, paramsArray(rows))
	return array.NewRecord(sw.schema, cols, int64(nr))
}

func paramsArray(rows []*Trace) arrow.Array {
	b := array.NewStructBuilder(goAlloc, paramsType)
	defer b.Release()
	f64 := func(i int) *array.Float64Builder { return b.FieldBuilder(i).(*array.Float64Builder) }
	i32 := func(i int) *array.Int32Builder { return b.FieldBuilder(i).(*array.Int32Builder) }
	segs := b.FieldBuilder(5).(*array.ListBuilder)
	seg := segs.ValueBuilder().(*array.StructBuilder)
	for _, t := range rows {
		p := &t.Params
		b.Append(true)
		b.FieldBuilder(0).(*array.StringBuilder).Append(p.Regime)
		f64(1).Append(p.ExcRateHz)
		f64(2).Append(p.ExcWeightUS)
		f64(3).Append(p.InhRateHz)
		f64(4).Append(p.InhWeightUS)
		segs.Append(true)
		for _, s := range p.Segments {
			seg.Append(true)
			seg.FieldBuilder(0).(*array.Float64Builder).Append(s.StartMS)
			seg.FieldBuilder(1).(*array.Float64Builder).Append(s.ExcRateHz)
			seg.FieldBuilder(2).(*array.Float64Builder).Append(s.InhRateHz)
		}
		f64(6).Append(p.StepAmpNA)
		f64(7).Append(p.StepStartMS)
		f64(8).Append(p.StepDurMS)
		i32(9).Append(int32(p.Attempts))
		i32(10).Append(int32(p.Spikes))
	}
	return b.NewArray()
}

// rowsPerBatch picks how many traces go into one record batch: about 32 KiB
// of data per batch, at least one trace. Reading one trace reads one batch.
func rowsPerBatch(samples, channels int) int {
	per := samples*4*(2+channels) + samples + 64
	return max(1, min(1024, (32<<10)/per))
}

// fileError names the file an error is about.
func fileError(path string, err error) error {
	return fmt.Errorf("%s: %w", path, err)
}
