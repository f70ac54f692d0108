package surrogate

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
)

// Tensor is a named float32 array with a shape, row-major.
type Tensor struct {
	Shape []int
	Data  []float32
}

// NewTensor allocates a zero tensor.
func NewTensor(shape ...int) *Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// Size is the number of elements.
func (t *Tensor) Size() int { return len(t.Data) }

// maxHeader bounds the JSON header a loader accepts (100 MB).
const maxHeader = 100 << 20

type stEntry struct {
	Dtype       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// WriteSafetensors writes tensors and string metadata in the safetensors
// format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte
// range, then the raw little-endian data. Tensors are written in name order.
func WriteSafetensors(w io.Writer, tensors map[string]*Tensor, meta map[string]string) error {
	names := make([]string, 0, len(tensors))
	for n := range tensors {
		names = append(names, n)
	}
	sort.Strings(names)
	header := map[string]any{}
	if len(meta) > 0 {
		header["__metadata__"] = meta
	}
	off := int64(0)
	for _, n := range names {
		t := tensors[n]
		size := int64(4 * len(t.Data))
		header[n] = stEntry{Dtype: "F32", Shape: t.Shape, DataOffsets: [2]int64{off, off + size}}
		off += size
	}
	hb, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(hb)%8 != 0 {
		hb = append(hb, ' ')
	}
	var lenb [8]byte
	binary.LittleEndian.PutUint64(lenb[:], uint64(len(hb)))
	if _, err := w.Write(lenb[:]); err != nil {
		return err
	}
	if _, err := w.Write(hb); err != nil {
		return err
	}
	buf := make([]byte, 0, 1<<16)
	for _, n := range names {
		for _, x := range tensors[n].Data {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
			if len(buf) >= 1<<16-4 {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	_, err = w.Write(buf)
	return err
}

// ReadSafetensors parses a safetensors file held in data, checking every
// offset, dtype and shape. name is used in errors.
func ReadSafetensors(name string, data []byte) (map[string]*Tensor, map[string]string, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s: not a valid safetensors file: %s", name, fmt.Sprintf(format, args...))
	}
	if len(data) < 8 {
		return nil, nil, bad("%d bytes, shorter than the 8-byte header length", len(data))
	}
	hl := binary.LittleEndian.Uint64(data[:8])
	if hl > maxHeader || hl > uint64(len(data)-8) {
		return nil, nil, bad("header length %d does not fit in a %d-byte file (truncated?)", hl, len(data))
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+hl], &raw); err != nil {
		return nil, nil, bad("header is not JSON: %v", err)
	}
	body := data[8+hl:]
	meta := map[string]string{}
	tensors := map[string]*Tensor{}
	type span struct {
		lo, hi int64
		name   string
	}
	var spans []span
	for k, v := range raw {
		if k == "__metadata__" {
			if err := json.Unmarshal(v, &meta); err != nil {
				return nil, nil, bad("__metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var e stEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, nil, bad("tensor %q: %v", k, err)
		}
		if e.Dtype != "F32" {
			return nil, nil, bad("tensor %q has dtype %q; only F32 is supported", k, e.Dtype)
		}
		n := int64(1)
		for _, d := range e.Shape {
			if d < 0 || d > 1<<30 {
				return nil, nil, bad("tensor %q has dimension %d", k, d)
			}
			n *= int64(d)
			if n > 1<<31 {
				return nil, nil, bad("tensor %q is too large", k)
			}
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo || hi > int64(len(body)) {
			return nil, nil, bad("tensor %q: byte range [%d, %d) outside the %d data bytes (truncated?)", k, lo, hi, len(body))
		}
		if hi-lo != 4*n {
			return nil, nil, bad("tensor %q: shape %v needs %d bytes, range holds %d", k, e.Shape, 4*n, hi-lo)
		}
		t := &Tensor{Shape: e.Shape, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[lo+int64(4*i):]))
		}
		tensors[k] = t
		spans = append(spans, span{lo, hi, k})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	for i := 1; i < len(spans); i++ {
		if spans[i].lo < spans[i-1].hi {
			return nil, nil, bad("tensors %q and %q overlap", spans[i-1].name, spans[i].name)
		}
	}
	return tensors, meta, nil
}
