package infer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Axis is one swept field of a network description: its path (object keys
// and list indices joined by dots, e.g. "projections.0.stp.U" or
// "populations.0.background.0.rate_hz") and the values it takes.
type Axis struct {
	Path   string
	Values []float64
}

// MaxAxisValues bounds the values of one axis.
const MaxAxisValues = 100000

// ParseAxis reads PATH=LO:HI:N (N values evenly spaced from LO to HI) or
// PATH=V1,V2,... .
func ParseAxis(s string) (Axis, error) {
	path, vals, ok := strings.Cut(s, "=")
	if !ok || path == "" || vals == "" {
		return Axis{}, fmt.Errorf("%q: want PATH=LO:HI:N or a list PATH=V1,V2", s)
	}
	a := Axis{Path: path}
	num := func(x string) (float64, error) {
		v, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("%q: %q is not a finite number", s, x)
		}
		return v, nil
	}
	if f := strings.Split(vals, ":"); len(f) == 3 {
		lo, err1 := num(f[0])
		hi, err2 := num(f[1])
		n, err3 := strconv.Atoi(strings.TrimSpace(f[2]))
		if err := errors.Join(err1, err2, err3); err != nil || n < 1 || n > MaxAxisValues || n == 1 && lo != hi {
			return Axis{}, fmt.Errorf("%q: want LO:HI:N with 1 <= N <= %d (N = 1 only with LO = HI)", s, MaxAxisValues)
		}
		for i := 0; i < n; i++ {
			v := lo
			if n > 1 {
				v = lo + (hi-lo)*float64(i)/float64(n-1)
			}
			a.Values = append(a.Values, v)
		}
		return a, nil
	}
	for _, x := range strings.Split(vals, ",") {
		v, err := num(x)
		if err != nil {
			return Axis{}, err
		}
		a.Values = append(a.Values, v)
	}
	if len(a.Values) > MaxAxisValues {
		return Axis{}, fmt.Errorf("%q: %d values, at most %d", s, len(a.Values), MaxAxisValues)
	}
	return a, nil
}

// Grid is every combination of the axes' values, the last axis varying
// fastest.
func Grid(axes []Axis) [][]float64 {
	out := [][]float64{{}}
	for _, a := range axes {
		var next [][]float64
		for _, head := range out {
			for _, v := range a.Values {
				next = append(next, append(slices.Clone(head), v))
			}
		}
		out = next
	}
	return out
}

// SetFields returns the network description data with the number at each
// path replaced by the value of the same index. A path must lead through
// existing object keys and list indices to a number.
func SetFields(data []byte, paths []string, values []float64) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("network description: %w", err)
	}
	for i, p := range paths {
		if err := setPath(doc, p, values[i]); err != nil {
			return nil, err
		}
	}
	return json.Marshal(doc)
}

// setPath sets the number at path in doc (decoded with UseNumber).
func setPath(doc any, path string, v float64) error {
	keys := strings.Split(path, ".")
	cur := doc
	for i, k := range keys {
		last := i == len(keys)-1
		at := strings.Join(keys[:i], ".")
		if at == "" {
			at = "the top level"
		}
		switch c := cur.(type) {
		case map[string]any:
			x, ok := c[k]
			if !ok {
				return fmt.Errorf("path %s: %s has no field %q (it has %s)", path, at, k, strings.Join(slices.Sorted(maps.Keys(c)), ", "))
			}
			if last {
				if _, isNum := x.(json.Number); !isNum {
					return fmt.Errorf("path %s: not a number (a %s)", path, kindOf(x))
				}
				c[k] = json.Number(strconv.FormatFloat(v, 'g', -1, 64))
				return nil
			}
			cur = x
		case []any:
			j, err := strconv.Atoi(k)
			if err != nil || j < 0 || j >= len(c) {
				return fmt.Errorf("path %s: %s is a list of %d; %q is not an index of it", path, at, len(c), k)
			}
			if last {
				if _, isNum := c[j].(json.Number); !isNum {
					return fmt.Errorf("path %s: not a number (a %s)", path, kindOf(c[j]))
				}
				c[j] = json.Number(strconv.FormatFloat(v, 'g', -1, 64))
				return nil
			}
			cur = c[j]
		default:
			return fmt.Errorf("path %s: %s is a %s, not an object or list", path, at, kindOf(cur))
		}
	}
	return fmt.Errorf("path %q: empty", path)
}

func kindOf(x any) string {
	switch x.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case nil:
		return "null"
	}
	return "number"
}
