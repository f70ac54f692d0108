package biophys

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"neurosurrogate/internal/inputerr"
)

// Values is a section-level quantity given either as one number for the whole
// section or as one number per segment. In JSON it is a number or an array.
type Values []float64

// UnmarshalJSON accepts a number or an array of numbers.
func (v *Values) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var xs []float64
		if err := json.Unmarshal(b, &xs); err != nil {
			return &ValueError{Raw: append([]byte(nil), b...), Msg: fmt.Sprintf("want a number or an array of numbers: %v", err)}
		}
		*v = xs
		return nil
	}
	var x float64
	if err := json.Unmarshal(b, &x); err != nil {
		return &ValueError{Raw: append([]byte(nil), b...), Msg: fmt.Sprintf("want a number or an array of numbers, got %s", truncate(string(b), 40))}
	}
	*v = Values{x}
	return nil
}

// ValueError is a bad value, placed in its file by its raw text.
type ValueError = inputerr.ValueError

// MarshalJSON writes a single value as a number and several as an array.
func (v Values) MarshalJSON() ([]byte, error) {
	if len(v) == 1 {
		return json.Marshal(v[0])
	}
	return json.Marshal([]float64(v))
}

// expand returns the per-segment values for a section with nseg segments.
func (v Values) expand(nseg int) ([]float64, error) {
	out := make([]float64, nseg)
	switch len(v) {
	case 1:
		for i := range out {
			out[i] = v[0]
		}
	case nseg:
		copy(out, v)
	default:
		return nil, fmt.Errorf("has %d values; want 1 (whole section) or nseg=%d (one per segment)", len(v), nseg)
	}
	for i, x := range out {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("value %d is not finite", i)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
