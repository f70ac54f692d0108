package surrogate

import (
	"bytes"
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
// offset, dtype and shape. name is used in errors. As the format demands,
// names are unique, each tensor's byte range holds exactly its elements,
// and the ranges tile the data bytes in order: from 0, without holes or
// overlaps, to the end of the file.
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
	entries, err := headerEntries(data[8 : 8+hl])
	if err != nil {
		return nil, nil, bad("%v", err)
	}
	body := data[8+hl:]
	meta := map[string]string{}
	tensors := map[string]*Tensor{}
	type span struct {
		lo, hi int64
		name   string
	}
	var spans []span
	for _, ent := range entries {
		k, v := ent.key, ent.value
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
		if size := hi - lo; size != 4*n {
			what := "too large"
			if size < 4*n {
				what = "too small"
			}
			return nil, nil, bad("tensor %q: byte range [%d, %d) is %s: %d bytes, shape %v needs %d", k, lo, hi, what, size, e.Shape, 4*n)
		}
		t := &Tensor{Shape: e.Shape, Data: make([]float32, n)}
		for i := range t.Data {
			t.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(body[lo+int64(4*i):]))
		}
		tensors[k] = t
		spans = append(spans, span{lo, hi, k})
	}
	sort.Slice(spans, func(i, j int) bool {
		if spans[i].lo != spans[j].lo {
			return spans[i].lo < spans[j].lo
		}
		return spans[i].hi < spans[j].hi
	})
	end, prev := int64(0), ""
	for _, s := range spans {
		switch {
		case s.lo < end:
			return nil, nil, bad("tensors %q and %q overlap: [%d, %d) starts before byte %d", prev, s.name, s.lo, s.hi, end)
		case s.lo > end && prev == "":
			return nil, nil, bad("tensor %q: the data starts at byte %d, not 0 (%d bytes no tensor holds)", s.name, s.lo, s.lo)
		case s.lo > end:
			return nil, nil, bad("tensors %q and %q: bytes [%d, %d) between them belong to no tensor", prev, s.name, end, s.lo)
		}
		end, prev = s.hi, s.name
	}
	if end != int64(len(body)) {
		return nil, nil, bad("%d data bytes after the last tensor's end (%d of %d)", int64(len(body))-end, end, len(body))
	}
	return tensors, meta, nil
}

type headerEntry struct {
	key   string
	value json.RawMessage
}

// headerEntries splits a safetensors header, a JSON object, into its
// entries in file order, refusing duplicate names (which a map would
// silently merge).
func headerEntries(h []byte) ([]headerEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(h))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("header is not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("header is not a JSON object")
	}
	var out []headerEntry
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header is not JSON: %v", err)
		}
		k, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("header is not JSON: key %v", tok)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("header is not JSON: %q: %v", k, err)
		}
		if seen[k] {
			return nil, fmt.Errorf("header names %q twice", k)
		}
		seen[k] = true
		out = append(out, headerEntry{k, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header is not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("header is not JSON: data after the object")
	}
	return out, nil
}
