package surrogate

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"testing"
)

// stFile assembles a safetensors file from a JSON header (padded with
// spaces to 8 bytes, as writers do) and n data bytes holding the float32s
// 0, 1, 2, ... (n/4 of them).
func stFile(header string, n int) []byte {
	for len(header)%8 != 0 {
		header += " "
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	out = append(out, header...)
	for i := 0; i < n/4; i++ {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(float32(i)))
	}
	return append(out, make([]byte, n%4)...)
}

// tensorJSON is one header entry: an F32 tensor of the shape at [lo, hi).
func tensorJSON(name, shape string, lo, hi int) string {
	return `"` + name + `":{"dtype":"F32","shape":` + shape + `,"data_offsets":[` + strconv.Itoa(lo) + `,` + strconv.Itoa(hi) + `]}`
}

// TestReadSafetensorsLayout: files whose byte ranges tile the data exactly
// load with the right values; a range larger or smaller than its tensor,
// overlapping ranges, holes, data before the first or after the last
// tensor, ranges outside the file and duplicate names are refused with an
// error naming the file and the tensors concerned.
func TestReadSafetensorsLayout(t *testing.T) {
	a8 := tensorJSON("a", "[2]", 0, 8)     // 2 floats
	b12 := tensorJSON("b", "[1,3]", 8, 20) // 3 floats after a
	good := []struct {
		name   string
		header string
		n      int
		want   map[string][]float32
	}{
		{"two tensors", `{` + a8 + `,` + b12 + `}`, 20, map[string][]float32{"a": {0, 1}, "b": {2, 3, 4}}},
		{"header order is not data order", `{` + tensorJSON("b", "[1,3]", 0, 12) + `,` + tensorJSON("a", "[2]", 12, 20) + `}`, 20,
			map[string][]float32{"b": {0, 1, 2}, "a": {3, 4}}},
		{"empty tensor", `{` + a8 + `,` + tensorJSON("e", "[0,5]", 8, 8) + `,` + b12 + `}`, 20,
			map[string][]float32{"a": {0, 1}, "e": {}, "b": {2, 3, 4}}},
		{"empty tensor listed after its neighbour", `{` + a8 + `,` + b12 + `,` + tensorJSON("e", "[0]", 8, 8) + `}`, 20,
			map[string][]float32{"a": {0, 1}, "e": {}, "b": {2, 3, 4}}},
		{"scalar", `{` + tensorJSON("s", "[]", 0, 4) + `}`, 4, map[string][]float32{"s": {0}}},
		{"metadata only", `{"__metadata__":{"k":"v"}}`, 0, map[string][]float32{}},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			ts, _, err := ReadSafetensors("x.safetensors", stFile(tc.header, tc.n))
			if err != nil {
				t.Fatal(err)
			}
			if len(ts) != len(tc.want) {
				t.Fatalf("%d tensors, want %d", len(ts), len(tc.want))
			}
			for k, want := range tc.want {
				got := ts[k]
				if got == nil || len(got.Data) != len(want) {
					t.Fatalf("tensor %s: %v, want %v", k, got, want)
				}
				for i := range want {
					if got.Data[i] != want[i] {
						t.Fatalf("tensor %s: %v, want %v", k, got.Data, want)
					}
				}
			}
		})
	}
	bad := []struct {
		name   string
		header string
		n      int
		want   []string // in the error, besides the file name
	}{
		{"range too large", `{` + tensorJSON("a", "[2]", 0, 12) + `,` + tensorJSON("b", "[1,3]", 12, 24) + `}`, 24,
			[]string{`"a"`, "too large", "12 bytes", "needs 8"}},
		{"range too small", `{` + tensorJSON("a", "[2]", 0, 4) + `,` + tensorJSON("b", "[1,3]", 4, 16) + `}`, 16,
			[]string{`"a"`, "too small", "4 bytes", "needs 8"}},
		{"last range takes the trailing bytes", `{` + a8 + `,` + tensorJSON("b", "[1,3]", 8, 24) + `}`, 24,
			[]string{`"b"`, "too large"}},
		{"overlap", `{` + a8 + `,` + tensorJSON("b", "[1,3]", 4, 16) + `}`, 16, []string{`"a"`, `"b"`, "overlap"}},
		{"same range twice", `{` + a8 + `,` + tensorJSON("c", "[2]", 0, 8) + `}`, 8, []string{`"a"`, `"c"`, "overlap"}},
		{"hole between tensors", `{` + a8 + `,` + tensorJSON("b", "[1,3]", 12, 24) + `}`, 24,
			[]string{`"a"`, `"b"`, "[8, 12)", "belong to no tensor"}},
		{"data before the first tensor", `{` + tensorJSON("a", "[2]", 4, 12) + `,` + tensorJSON("b", "[1,3]", 12, 24) + `}`, 24,
			[]string{`"a"`, "starts at byte 4"}},
		{"bytes after the last tensor", `{` + a8 + `,` + b12 + `}`, 24, []string{"4 data bytes after the last tensor"}},
		{"data without tensors", `{}`, 8, []string{"8 data bytes after"}},
		{"range past the file", `{` + a8 + `,` + b12 + `}`, 16, []string{`"b"`, "[8, 20)", "outside the 16 data bytes"}},
		{"negative offset", `{` + tensorJSON("a", "[2]", -4, 4) + `}`, 8, []string{`"a"`, "outside"}},
		{"reversed range", `{` + tensorJSON("a", "[2]", 8, 0) + `}`, 8, []string{`"a"`, "outside"}},
		{"duplicate name", `{` + a8 + `,` + tensorJSON("a", "[1,3]", 8, 20) + `}`, 20, []string{`"a"`, "twice"}},
		{"header not an object", `[1, 2]`, 0, []string{"not a JSON object"}},
		{"text after the header object", `{` + a8 + `} x`, 8, []string{"not JSON"}},
		{"negative dimension", `{` + tensorJSON("a", "[-2]", 0, 8) + `}`, 8, []string{`"a"`, "dimension -2"}},
		{"offsets not integers", `{"a":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}`, 8, []string{`"a"`}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadSafetensors("x.safetensors", stFile(tc.header, tc.n))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range append([]string{"x.safetensors"}, tc.want...) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// FuzzReadSafetensors: no input makes the reader panic, and what it
// accepts has its data bytes exactly covered by its tensors.
func FuzzReadSafetensors(f *testing.F) {
	a8, b12 := tensorJSON("a", "[2]", 0, 8), tensorJSON("b", "[1,3]", 8, 20)
	f.Add(stFile(`{`+a8+`,`+b12+`}`, 20))
	f.Add(stFile(`{`+a8+`,`+tensorJSON("b", "[1,3]", 12, 24)+`}`, 24))
	f.Add(stFile(`{`+tensorJSON("a", "[2]", 0, 12)+`}`, 12))
	f.Add(stFile(`{"__metadata__":{"k":"v"},`+a8+`}`, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		ts, _, err := ReadSafetensors("fuzz", data)
		if err != nil {
			return
		}
		hl := binary.LittleEndian.Uint64(data[:8])
		total := 0
		for _, x := range ts {
			total += 4 * len(x.Data)
		}
		if total != len(data)-8-int(hl) {
			t.Fatalf("accepted %d data bytes holding %d bytes of tensors", len(data)-8-int(hl), total)
		}
	})
}
