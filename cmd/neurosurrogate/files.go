package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"neurosurrogate/surrogate"
)

// atomicFile writes to a temporary file beside path and renames it into place
// on commit, so an interrupted run never leaves a file that looks complete.
type atomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

func createAtomic(path string) (*atomicFile, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	f.Chmod(0o644)
	return &atomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

func (a *atomicFile) Write(p []byte) (int, error) { return a.w.Write(p) }

func (a *atomicFile) commit() error {
	if a.f == nil {
		return nil
	}
	err := a.w.Flush()
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(a.f.Name(), a.path)
	}
	if err != nil {
		os.Remove(a.f.Name())
		a.f = nil
		return fmt.Errorf("writing %s: %w", a.path, err)
	}
	a.f = nil
	return nil
}

// abort removes the temporary file if commit was not reached.
func (a *atomicFile) abort() {
	if a.f != nil {
		a.f.Close()
		os.Remove(a.f.Name())
		a.f = nil
	}
}

// traceWriter writes t_ms,v_mV rows atomically.
type traceWriter struct {
	*atomicFile
	buf []byte
}

func newTraceWriter(path string) (*traceWriter, error) {
	a, err := createAtomic(path)
	if err != nil {
		return nil, err
	}
	tw := &traceWriter{atomicFile: a}
	fmt.Fprintln(a, "t_ms,v_mV")
	return tw, nil
}

func (t *traceWriter) add(tms, v float64) {
	t.buf = strconv.AppendFloat(t.buf[:0], tms, 'f', 4, 64)
	t.buf = append(t.buf, ',')
	t.buf = strconv.AppendFloat(t.buf, v, 'f', 5, 64)
	t.buf = append(t.buf, '\n')
	t.w.Write(t.buf)
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
	if err := surrogate.CheckWritable(path); err != nil {
		return fmt.Errorf("--%s %s: cannot write there: %w", flag, path, err)
	}
	return nil
}
