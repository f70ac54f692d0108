package inputerr_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/internal/inputerr"
)

// TestReadFile: a file within the limit is read whole, without a leading
// byte-order mark (and only a leading one); a larger file is refused by
// its size, naming the file, its size and the limit.
func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, want string
	}{
		{"plain", `{"a": 1}`, `{"a": 1}`},
		{"bom", "\ufeff{\"a\": 1}", `{"a": 1}`},
		{"bom inside", "{\"a\": \"\ufeff\"}", "{\"a\": \"\ufeff\"}"},
		{"exactly the limit", strings.Repeat("x", 16), strings.Repeat("x", 16)},
	} {
		p := filepath.Join(dir, tc.name)
		os.WriteFile(p, []byte(tc.content), 0o644)
		got, err := inputerr.ReadFile(p, 16, "test files")
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: got %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
	// A sparse file of 1 TiB: refused by its size, before reading (which
	// would run out of memory).
	p := filepath.Join(dir, "huge.json")
	f, _ := os.Create(p)
	if err := f.Truncate(1 << 40); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err := inputerr.ReadFile(p, 64<<20, "cell descriptions")
	var big *inputerr.TooLargeError
	if !errors.As(err, &big) || err.Error() != p+": 1024 GB, more than the 64 MB limit on cell descriptions" {
		t.Errorf("huge file: %v", err)
	}
}

// endless yields the same bytes forever, as a pipe might.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// TestLimitReader: a stream of unknown size passes exactly limit bytes and
// then fails with a TooLargeError naming the stream.
func TestLimitReader(t *testing.T) {
	for _, limit := range []int64{0, 1, 1000, 1 << 20} {
		got, err := io.ReadAll(inputerr.LimitReader(endless{}, "pipe", limit, "test streams"))
		var big *inputerr.TooLargeError
		if int64(len(got)) != limit || !errors.As(err, &big) || !strings.HasPrefix(err.Error(), "pipe: more than ") {
			t.Errorf("limit %d: read %d bytes, error %v", limit, len(got), err)
		}
		// A stream that ends within the limit reads whole.
		got, err = io.ReadAll(inputerr.LimitReader(strings.NewReader(strings.Repeat("y", int(limit))), "short", limit, "test streams"))
		if int64(len(got)) != limit || err != nil {
			t.Errorf("limit %d, stream of %d: read %d bytes, error %v", limit, limit, len(got), err)
		}
	}
}
