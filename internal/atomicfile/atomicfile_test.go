package atomicfile_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"neurosurrogate/internal/atomicfile"
)

// TestWrite: a completed write is in place with mode 0644 and nothing else
// is left in the folder; a failed write leaves the old file untouched and
// no temporary file behind.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.txt")
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := fmt.Fprint(w, "first"); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := atomicfile.Write(path, func(w io.Writer) error { fmt.Fprint(w, "half"); return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("want the writer's error, got %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != "first" {
		t.Fatalf("file holds %q (%v), want the first write", b, err)
	}
	st, _ := os.Stat(path)
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind: %v", ents)
	}
	if err := atomicfile.CheckWritable(filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("CheckWritable accepts a missing folder")
	}
}

// Output written through a File appears only on Commit.
func ExampleFile() {
	dir, _ := os.MkdirTemp("", "atomicfile")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "trace.csv")
	f, _ := atomicfile.Create(path)
	defer f.Abort()
	fmt.Fprintln(f, "t_ms,v_mV")
	_, err := os.Stat(path)
	fmt.Println("before commit:", os.IsNotExist(err))
	f.Commit()
	_, err = os.Stat(path)
	fmt.Println("after commit:", err == nil)
	// Output:
	// before commit: true
	// after commit: true
}
