package inputerr

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// BOM is the UTF-8 byte-order mark that some editors write at the start
// of a text file. It carries no content, and readers skip it.
const BOM = "\ufeff"

// TrimBOM returns data without a leading UTF-8 byte-order mark. Line
// numbers are unchanged (the mark holds no newline).
func TrimBOM(data []byte) []byte { return bytes.TrimPrefix(data, []byte(BOM)) }

// TooLargeError is a file beyond the size a reader accepts: reading it
// would take memory without bound.
type TooLargeError struct {
	File  string
	Size  int64 // bytes, or -1 when only known to exceed Limit
	Limit int64
	What  string // what the limit is on, plural: "cell descriptions", ...
}

func (e *TooLargeError) Error() string {
	size := "more than " + MB(e.Limit)
	if e.Size >= 0 {
		size = MB(e.Size)
	}
	return fmt.Sprintf("%s: %s, more than the %s limit on %s", e.File, size, MB(e.Limit), e.What)
}

// MB writes a size in bytes for messages: in bytes below a megabyte, in
// megabytes (MiB) below a gigabyte, else in gigabytes (GiB).
func MB(n int64) string {
	switch {
	case n < 1<<20:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<30:
		return fmt.Sprintf("%.4g MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.4g GB", float64(n)/(1<<30))
}

// ReadBinary reads the file at path, of at most limit bytes, as it is (a
// binary file: no byte-order mark to skip); a larger file is refused as by
// ReadFile.
func ReadBinary(path string, limit int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, &TooLargeError{File: path, Size: st.Size(), Limit: limit, What: what}
	}
	return io.ReadAll(LimitReader(f, path, limit, what))
}

// ReadFile reads the file at path, of at most limit bytes, without a
// leading byte-order mark. A larger file is refused, by its size before
// reading when the file system knows it, else after reading limit bytes;
// what names what the limit is on, in the plural ("cell descriptions").
func ReadFile(path string, limit int64, what string) ([]byte, error) {
	data, err := ReadBinary(path, limit, what)
	if err != nil {
		return nil, err
	}
	return TrimBOM(data), nil
}

// LimitReader reads r, the file name, and fails with a TooLargeError once
// more than limit bytes have come.
func LimitReader(r io.Reader, name string, limit int64, what string) io.Reader {
	return &limitReader{r: r, left: limit, err: &TooLargeError{File: name, Size: -1, Limit: limit, What: what}}
}

type limitReader struct {
	r    io.Reader
	left int64
	err  *TooLargeError
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.err
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		// The byte past the limit is never handed on.
		return n - 1, l.err
	}
	return n, err
}
