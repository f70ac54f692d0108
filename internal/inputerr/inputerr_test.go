package inputerr_test

import (
	"encoding/json"
	"strings"
	"testing"

	"neurosurrogate/internal/inputerr"
)

type doc struct {
	Name string  `json:"name"`
	X    float64 `json:"x"`
}

// TestFromJSON: each kind of encoding/json error is placed on its line.
func TestFromJSON(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"syntax", "{\n\"name\": \"a\",\n\"x\": 1,,\n}", "f.json:3: invalid JSON"},
		{"type", "{\n\"name\": \"a\",\n\"x\": \"one\"\n}", "f.json:3: x: wrong type: got JSON string, want float64"},
		{"unknown field", "{\n\"name\": \"a\",\n\n\"y\": 2\n}", `f.json:4: unknown field "y"`},
		{"truncated", "{\n\"name\": \"a\",", "f.json:2: invalid JSON: the file ends before its object is closed"},
		{"empty", " \n", "f.json:1: empty file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := json.NewDecoder(strings.NewReader(tc.text))
			dec.DisallowUnknownFields()
			var d doc
			err := dec.Decode(&d)
			if err == nil {
				t.Fatal("decoded")
			}
			if got := inputerr.FromJSON("f.json", []byte(tc.text), err).Error(); !strings.HasPrefix(got, tc.want) {
				t.Errorf("got %q, want prefix %q", got, tc.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	data := []byte("a\nbb\nccc")
	for _, tc := range []struct {
		off  int64
		want int
	}{{-3, 1}, {0, 1}, {1, 1}, {2, 2}, {5, 3}, {99, 3}} {
		if got := inputerr.Line(data, tc.off); got != tc.want {
			t.Errorf("Line(%d) = %d, want %d", tc.off, got, tc.want)
		}
	}
}
