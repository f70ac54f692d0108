package biophys

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/internal/inputerr"
)

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestByteOrderMark: every reader of a cell — cell JSON, SWC, NEURON's
// export and its synapse list — and the event reader accept a file that
// starts with a UTF-8 byte-order mark (as some Windows editors save) and
// read the same thing as without it.
func TestByteOrderMark(t *testing.T) {
	bom := func(b []byte) []byte { return append([]byte(inputerr.BOM), b...) }
	want, err := ParseCell("c.json", []byte(goodCell))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCell("c.json", bom([]byte(goodCell)))
	if err != nil || got.Hash() != want.Hash() {
		t.Errorf("cell JSON with a BOM: %v", err)
	}
	// Errors keep their lines.
	bad := strings.Replace(goodCell, `"L": 100`, `"L": -1`, 1)
	if _, err := ParseCell("c.json", bom([]byte(bad))); err == nil || !strings.HasPrefix(err.Error(), `c.json:8: section 1 ("dend") L`) {
		t.Errorf("error in a cell JSON with a BOM: %v", err)
	}

	swc, err := os.ReadFile("testdata/swc/small.swc")
	if err != nil {
		t.Fatal(err)
	}
	opt := DefaultSWCOptions("small")
	ws, err := ReadSWC("small.swc", bytes.NewReader(swc), opt)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := ReadSWC("small.swc", bytes.NewReader(bom(swc)), opt)
	if err != nil || gs.Hash() != ws.Hash() {
		t.Errorf("SWC with a BOM: %v", err)
	}

	cj, sj := gunzipFile(t, "testdata/hay/cell.json.gz"), gunzipFile(t, "testdata/hay/synapses.json.gz")
	we, err := FromNEURONExport(cj, sj)
	if err != nil {
		t.Fatal(err)
	}
	ge, err := FromNEURONExport(bom(cj), bom(sj))
	if err != nil || ge.Hash() != we.Hash() {
		t.Errorf("NEURON export with a BOM: %v", err)
	}

	evs, err := ReadEvents("e.csv", strings.NewReader(inputerr.BOM+EventsHeader+"\n1.5,exc,0.002\n"), want)
	if err != nil || len(evs) != 1 || evs[0] != (Event{TimeMS: 1.5, Syn: 0, WeightUS: 0.002}) {
		t.Errorf("events with a BOM: %v, %v", evs, err)
	}
}

// sparseFile makes a file of size bytes that takes no space on disk.
func sparseFile(t *testing.T, name string, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

// comments is an SWC stream of comment lines without end.
type comments struct{}

func (comments) Read(p []byte) (int, error) {
	const line = "# a comment line that goes on and on\n"
	for i := range p {
		p[i] = line[i%len(line)]
	}
	return len(p), nil
}

// TestSizeLimits: inputs beyond the documented limits are refused with
// the file and the limit, before they are read when their size is known,
// and as soon as the limit is passed when it is not.
func TestSizeLimits(t *testing.T) {
	isBig := func(err error) bool {
		var big *inputerr.TooLargeError
		return errors.As(err, &big)
	}
	// Sparse files of 1 TiB: reading one would run out of memory.
	cellFile := sparseFile(t, "big.json", 1<<40)
	if _, err := LoadCell(cellFile); !isBig(err) || !strings.Contains(err.Error(), cellFile+": 1024 GB, more than the 64 MB limit on cell descriptions") {
		t.Errorf("cell file over the limit: %v", err)
	}
	if _, err := ParseCell("big.json", make([]byte, MaxCellBytes+1)); !isBig(err) {
		t.Errorf("cell bytes over the limit: %v", err)
	}
	if _, err := FromNEURONExport(make([]byte, MaxExportBytes+1), nil); !isBig(err) {
		t.Errorf("NEURON export over the limit: %v", err)
	}
	if _, err := ReadSWC("pipe.swc", comments{}, DefaultSWCOptions("x")); !isBig(err) || !strings.Contains(err.Error(), "pipe.swc: more than 64 MB") {
		t.Errorf("endless SWC: %v", err)
	}

	c, err := ParseCell("c.json", []byte(goodCell))
	if err != nil {
		t.Fatal(err)
	}
	evFile := sparseFile(t, "big.csv", 1<<40)
	if _, err := ReadEventsFile(evFile, c); !isBig(err) || !strings.Contains(err.Error(), evFile+": 1024 GB, more than the 512 MB limit on event files") {
		t.Errorf("event file over the limit: %v", err)
	}
	// The count and the bytes after decompression, with lowered limits.
	defer func(n, b int64) { maxEvents, maxEventBytes = n, b }(maxEvents, maxEventBytes)
	maxEvents, maxEventBytes = 5, 1000
	var csv strings.Builder
	csv.WriteString(EventsHeader + "\n")
	for i := 0; i < 6; i++ {
		fmt.Fprintf(&csv, "%d,exc,0.001\n", i)
	}
	if _, err := ReadEvents("six.csv", strings.NewReader(csv.String()), c); err == nil || err.Error() != "six.csv:7: more than 5 events in one file; split the input" {
		t.Errorf("six events with a limit of 5: %v", err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(EventsHeader + "\n" + strings.Repeat("\n", 2000)))
	zw.Close()
	gzFile := filepath.Join(t.TempDir(), "blank.csv.gz")
	os.WriteFile(gzFile, gz.Bytes(), 0o644)
	if _, err := ReadEventsFile(gzFile, c); !isBig(err) || !strings.Contains(err.Error(), gzFile+": more than ") {
		t.Errorf("gzipped events over the byte limit: %v", err)
	}
}
