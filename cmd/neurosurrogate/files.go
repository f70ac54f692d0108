package main

import (
	"fmt"
	"neurosurrogate/internal/atomicfile"
	"os"
	"strconv"
)

// traceWriter writes t_ms,v_mV rows atomically.
type traceWriter struct {
	*atomicfile.File
	buf []byte
}

// newTraceWriter writes the header t_ms,v_mV and any extra columns'.
func newTraceWriter(path string, extra ...string) (*traceWriter, error) {
	a, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	tw := &traceWriter{File: a}
	fmt.Fprint(a, "t_ms,v_mV")
	for _, h := range extra {
		fmt.Fprint(a, ",", h)
	}
	fmt.Fprintln(a)
	return tw, nil
}

// add writes a row: the time, Vm, and the extra columns' values.
func (t *traceWriter) add(tms, v float64, extra ...float64) {
	t.buf = strconv.AppendFloat(t.buf[:0], tms, 'f', 4, 64)
	t.buf = append(t.buf, ',')
	t.buf = strconv.AppendFloat(t.buf, v, 'f', 5, 64)
	for _, x := range extra {
		t.buf = append(t.buf, ',')
		t.buf = strconv.AppendFloat(t.buf, x, 'g', 9, 64)
	}
	t.buf = append(t.buf, '\n')
	t.Write(t.buf)
}

// checkWritable fails early, before a long run, when flag's output path
// cannot be written: a folder, a missing folder, or no permission.
func checkWritable(flag, path string) error {
	if path == "" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("--%s %s: is a folder, want a file name", flag, path)
	}
	if err := atomicfile.CheckWritable(path); err != nil {
		return fmt.Errorf("--%s %s: cannot write there: %w", flag, path, err)
	}
	return nil
}
