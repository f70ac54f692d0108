package biophys

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadEventsTruncatedGzip: a .csv.gz cut short is reported as a read
// error, not as the partial line it happens to end in; the whole file reads.
func TestReadEventsTruncatedGzip(t *testing.T) {
	c, err := ParseCell("good.json", []byte(goodCell))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintln(zw, EventsHeader)
	for i := 0; i < 20000; i++ {
		fmt.Fprintf(zw, "%.4f,exc,0.00%d\n", float64(i)*0.1, 1+i%9)
	}
	zw.Close()
	dir := t.TempDir()
	whole := filepath.Join(dir, "whole.csv.gz")
	cut := filepath.Join(dir, "cut.csv.gz")
	os.WriteFile(whole, buf.Bytes(), 0o644)
	os.WriteFile(cut, buf.Bytes()[:buf.Len()*2/3], 0o644)
	if evs, err := ReadEventsFile(whole, c); err != nil || len(evs) != 20000 {
		t.Fatalf("whole file: %d events, %v", len(evs), err)
	}
	_, err = ReadEventsFile(cut, c)
	if err == nil || !strings.Contains(err.Error(), "cut.csv.gz") || !strings.Contains(err.Error(), "unexpected EOF") {
		t.Fatalf("cut file: %v", err)
	}
}
