package infer

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"math"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"neurosurrogate/internal/atomicfile"
)

// SweepMetadataKey is the schema metadata key of a sweep table holding
// its plan (JSON).
const SweepMetadataKey = "neurosurrogate.sweep"

// WriteSweepArrow writes the sweep's rows, one per variant in grid order,
// as an Arrow IPC file: variant, one float64 column per axis (named by its
// path), spikes, one float64 column per readout (NaN where a readout is
// undefined, e.g. the ISI CV of a silent network), and with Plan.PSTH a
// fixed-size list psth_hz. Units are in each field's metadata, the plan
// in the schema's.
func WriteSweepArrow(path string, plan *SweepPlan, names []string, rows []SweepRow) error {
	planJSON, err := json.Marshal(plan)
	if err != nil {
		return err
	}
	meta := func(unit, doc string) arrow.Metadata {
		return arrow.NewMetadata([]string{"unit", "doc"}, []string{unit, doc})
	}
	fields := []arrow.Field{{Name: "variant", Type: arrow.PrimitiveTypes.Int32, Metadata: meta("", "index in the grid, the last axis varying fastest")}}
	for _, a := range plan.Axes {
		fields = append(fields, arrow.Field{Name: a.Path, Type: arrow.PrimitiveTypes.Float64, Metadata: meta("", "swept field of the network description")})
	}
	fields = append(fields, arrow.Field{Name: "spikes", Type: arrow.PrimitiveTypes.Int64, Metadata: meta("count", "spikes in the measured period")})
	for _, n := range names {
		fields = append(fields, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Float64, Metadata: meta(ReadoutUnit(n), "readout (docs/sweeps.md)")})
	}
	bins := 0
	if plan.PSTH {
		bins = int(math.Ceil(plan.Tstop / plan.BinMS))
		fields = append(fields, arrow.Field{Name: "psth_hz", Type: arrow.FixedSizeListOfNonNullable(int32(bins), arrow.PrimitiveTypes.Float32),
			Metadata: meta("Hz", "population rate per cell in bins of bin_ms from the end of the warm-up")})
	}
	md := arrow.NewMetadata([]string{SweepMetadataKey}, []string{string(planJSON)})
	schema := arrow.NewSchema(fields, &md)

	alloc := memory.NewGoAllocator()
	var cols []arrow.Array
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	ib := array.NewInt32Builder(alloc)
	sb := array.NewInt64Builder(alloc)
	fb := array.NewFloat64Builder(alloc)
	defer ib.Release()
	defer sb.Release()
	defer fb.Release()
	for _, r := range rows {
		ib.Append(int32(r.Variant))
	}
	cols = append(cols, ib.NewArray())
	for i := range plan.Axes {
		for _, r := range rows {
			fb.Append(r.Values[i])
		}
		cols = append(cols, fb.NewArray())
	}
	for _, r := range rows {
		sb.Append(int64(r.Spikes))
	}
	cols = append(cols, sb.NewArray())
	for _, n := range names {
		for _, r := range rows {
			fb.Append(r.R.Value(n))
		}
		cols = append(cols, fb.NewArray())
	}
	if plan.PSTH {
		vb := array.NewFloat32Builder(alloc)
		defer vb.Release()
		for _, r := range rows {
			for j := range bins {
				x := float32(0)
				if j < len(r.PSTH) {
					x = float32(r.PSTH[j])
				}
				vb.Append(x)
			}
		}
		vals := vb.NewArray()
		d := array.NewData(fields[len(fields)-1].Type, len(rows), []*memory.Buffer{nil}, []arrow.ArrayData{vals.Data()}, 0, 0)
		cols = append(cols, array.MakeFromData(d))
		d.Release()
		vals.Release()
	}
	rec := array.NewRecord(schema, cols, int64(len(rows)))
	defer rec.Release()
	return atomicfile.Write(path, func(w io.Writer) error {
		bw := &seekWriter{w: bufio.NewWriterSize(w, 1<<16)}
		fw, err := ipc.NewFileWriter(bw, ipc.WithSchema(schema), ipc.WithAllocator(alloc))
		if err != nil {
			return err
		}
		if err := fw.Write(rec); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		return bw.w.Flush()
	})
}

// seekWriter is a buffered writer that also answers Seek(0,
// io.SeekCurrent), all the Arrow file writer asks of its io.WriteSeeker.
type seekWriter struct {
	w   *bufio.Writer
	pos int64
}

func (p *seekWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	p.pos += int64(n)
	return n, err
}

func (p *seekWriter) Seek(off int64, whence int) (int64, error) {
	if off == 0 && whence == io.SeekCurrent {
		return p.pos, nil
	}
	return 0, errors.New("seekWriter: only Seek(0, io.SeekCurrent) is supported")
}
