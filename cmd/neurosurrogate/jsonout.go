package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
)

// sanitize returns v in a form encoding/json accepts: structs become maps
// keyed by their json tags (embedded structs flattened), and floats that
// are NaN or infinite become null.
func sanitize(v any) any { return clean(reflect.ValueOf(v)) }

func clean(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return clean(v.Elem())
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil
		}
		return f
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return []any{}
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = clean(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		for _, k := range v.MapKeys() {
			out[k.String()] = clean(v.MapIndex(k))
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		addFields(v, out)
		return out
	}
	return v.Interface()
}

func addFields(v reflect.Value, out map[string]any) {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			addFields(v.Field(i), out)
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.Contains(opts, "omitempty") && v.Field(i).IsZero() {
			continue
		}
		out[name] = clean(v.Field(i))
	}
}

// printJSON writes v (sanitized) as one JSON line: the last line of a
// command's report under --json.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(sanitize(v))
	if err != nil {
		return fmt.Errorf("encoding the JSON result: %w", err)
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}
