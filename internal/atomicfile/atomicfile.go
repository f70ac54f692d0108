// Package atomicfile writes files so that no reader ever sees a half-written
// one: the data goes to a hidden temporary file in the same folder, which is
// synced and renamed over the target only when complete.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File is an output file being written: Commit puts it in place, Abort
// (safe after Commit) removes what was written.
type File struct {
	path string
	f    *os.File
	w    *bufio.Writer
}

// Create starts writing path (mode 0644, as outputs are meant to be shared).
func Create(path string) (*File, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	f.Chmod(0o644) // CreateTemp makes 0600
	return &File{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Write buffers p.
func (a *File) Write(p []byte) (int, error) { return a.w.Write(p) }

// Commit flushes, syncs and renames the file into place.
func (a *File) Commit() error {
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

// Abort removes the temporary file unless Commit has put it in place.
func (a *File) Abort() {
	if a.f != nil {
		a.f.Close()
		os.Remove(a.f.Name())
		a.f = nil
	}
}

// Write writes path atomically with write.
func Write(path string, write func(w io.Writer) error) error {
	a, err := Create(path)
	if err != nil {
		return err
	}
	defer a.Abort()
	if err := write(a); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return a.Commit()
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// CheckWritable probes, before a long job, whether a file can be created
// at path: it creates and removes a temporary file in path's folder.
func CheckWritable(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".probe-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
