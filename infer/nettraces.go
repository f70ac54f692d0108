package infer

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
	"github.com/apache/arrow/go/v15/arrow/memory"

	"neurosurrogate/internal/atomicfile"
)

// WriteNetworkTraces writes the traces a network run kept (EngineOptions
// RecordV) as an Arrow IPC file, one row per cell: cell (global index),
// population, its cell index within it, v (mV, one sample per model step
// from the end of the warm-up) and one column per model output of any
// recorded cell (named and with the unit as the output; NaN where the
// cell's model has no such output, and at sample 0 without a warm-up),
// with the output's waveform drawn at the cell's spikes if it has one.
func WriteNetworkTraces(path string, b *Built, run *RunResult) error {
	cells := make([]int, 0, len(run.V))
	for c := range run.V {
		cells = append(cells, c)
	}
	slices.Sort(cells)
	n := 0
	for _, c := range cells {
		n = max(n, len(run.V[c]))
	}
	// The outputs of every recorded cell's model, by name.
	var names, units []string
	for _, c := range cells {
		p, _ := b.PopOf(c)
		for _, o := range p.Model.Outputs {
			if !slices.Contains(names, o.Name) {
				names, units = append(names, o.Name), append(units, o.Unit)
			}
		}
	}
	meta := func(unit, doc string) arrow.Metadata {
		return arrow.NewMetadata([]string{"unit", "doc"}, []string{unit, doc})
	}
	list := arrow.FixedSizeListOfNonNullable(int32(n), arrow.PrimitiveTypes.Float32)
	fields := []arrow.Field{
		{Name: "cell", Type: arrow.PrimitiveTypes.Int32, Metadata: meta("", "global cell index")},
		{Name: "population", Type: arrow.BinaryTypes.String, Metadata: meta("", "population name")},
		{Name: "index", Type: arrow.PrimitiveTypes.Int32, Metadata: meta("", "cell index within its population")},
		{Name: "v", Type: list, Metadata: meta("mV", "the surrogate's Vm, one sample per model step from the end of the warm-up")},
	}
	for i, nm := range names {
		fields = append(fields, arrow.Field{Name: nm, Type: list, Metadata: meta(units[i], "the surrogate's output (a readout of its state), sampled as v")})
	}
	md := arrow.NewMetadata([]string{"network", "sample_dt_ms", "warmup_ms", "tstop_ms"},
		[]string{b.Net.Name, ftoa(b.SampleDT), ftoa(run.WarmupMS), ftoa(run.TstopMS)})
	schema := arrow.NewSchema(fields, &md)
	alloc := memory.NewGoAllocator()
	ib, pb, xb := array.NewInt32Builder(alloc), array.NewStringBuilder(alloc), array.NewInt32Builder(alloc)
	defer ib.Release()
	defer pb.Release()
	defer xb.Release()
	for _, c := range cells {
		p, local := b.PopOf(c)
		ib.Append(int32(c))
		pb.Append(p.Name)
		xb.Append(int32(local))
	}
	cols := []arrow.Array{ib.NewArray(), pb.NewArray(), xb.NewArray()}
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	series := func(get func(c int) []float32) {
		vb := array.NewFloat32Builder(alloc)
		defer vb.Release()
		for _, c := range cells {
			x := get(c)
			for k := 0; k < n; k++ {
				if k < len(x) {
					vb.Append(x[k])
				} else {
					vb.Append(float32(math.NaN()))
				}
			}
		}
		vals := vb.NewArray()
		d := array.NewData(list, len(cells), []*memory.Buffer{nil}, []arrow.ArrayData{vals.Data()}, 0, 0)
		cols = append(cols, array.MakeFromData(d))
		d.Release()
		vals.Release()
	}
	series(func(c int) []float32 { return run.V[c] })
	var spikes map[int][]float64 // of the recorded cells, for outputs with a waveform
	for _, nm := range names {
		series(func(c int) []float32 {
			p, _ := b.PopOf(c)
			for j, o := range p.Model.Outputs {
				if o.Name != nm || j >= len(run.Out[c]) {
					continue
				}
				if o.Waveform == nil {
					return run.Out[c][j]
				}
				if spikes == nil {
					spikes = recordedSpikes(run)
				}
				v := make([]float64, len(run.Out[c][j]))
				for k, x := range run.Out[c][j] {
					v[k] = float64(x)
				}
				o.Waveform.Draw(v, b.SampleDT, spikes[c])
				out := make([]float32, len(v))
				for k, x := range v {
					out[k] = float32(x)
				}
				return out
			}
			return nil
		})
	}
	rec := array.NewRecord(schema, cols, int64(len(cells)))
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

// recordedSpikes are the spike times of the cells whose traces run kept,
// from the end of the warm-up (the traces' t = 0), with those of the
// warm-up's end before them (negative).
func recordedSpikes(run *RunResult) map[int][]float64 {
	out := map[int][]float64{}
	for c, ts := range run.WarmSpikes {
		out[c] = append(out[c], ts...)
	}
	for _, sp := range run.Spikes {
		if _, ok := run.V[int(sp.Cell)]; ok {
			out[int(sp.Cell)] = append(out[int(sp.Cell)], sp.TimeMS)
		}
	}
	return out
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
