package biophys

import (
	"errors"
	"math"
	"os"
	"strings"
	"testing"

	"neurosurrogate/internal/inputerr"
)

// The fuzz targets below feed arbitrary bytes to every reader of files a
// user gives: cell JSON, SWC, NEURON's export and input events. Whatever
// the bytes, a reader returns a result or an error that names the file,
// never panics or hangs, and what it accepts is consistent. Seeds are the
// good files and the bad inputs reliability testing found. Run one with
// go test -run '^$' -fuzz '^FuzzParseCell$' -fuzztime 10s ./biophys

// namesFile fails unless err is an error in file name (an InputError or a
// size refusal naming it).
func namesFile(t *testing.T, err error, name string) {
	t.Helper()
	var ie *InputError
	var big *inputerr.TooLargeError
	switch {
	case errors.As(err, &ie):
		if ie.File != name {
			t.Fatalf("error names file %q, not %q: %v", ie.File, name, err)
		}
	case errors.As(err, &big):
	default:
		if !strings.Contains(err.Error(), name) {
			t.Fatalf("error does not name the file %q: %v", name, err)
		}
	}
}

// maxFuzzSegments keeps the compiled cells of fuzzing small: a few lines
// of JSON may ask for 32767 segments per section.
const maxFuzzSegments = 20000

// checkAccepted checks what a reader accepted: it validates, compiles
// without panicking (when small enough), and survives its own encoding.
func checkAccepted(t *testing.T, c *Cell) {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatalf("accepted a cell that does not validate: %v", err)
	}
	segs := 0
	for i := range c.Sections {
		segs += c.Sections[i].NsegOf()
	}
	if segs <= maxFuzzSegments {
		Compile(c) // may refuse (zero-area geometry); must not panic
	}
	b, err := MarshalCellCompact(c)
	if err != nil {
		t.Fatalf("cannot encode an accepted cell: %v", err)
	}
	again, err := ParseCell("again.json", b)
	if err != nil {
		t.Fatalf("an accepted cell, encoded, is refused: %v\n%s", err, b)
	}
	if again.Hash() != c.Hash() {
		t.Fatalf("an accepted cell changes when encoded and read again:\n%s\n%s", c.JSON(), again.JSON())
	}
}

func FuzzParseCell(f *testing.F) {
	for _, s := range []string{
		goodCell,
		inputerr.BOM + goodCell,
		strings.Replace(goodCell, `"Ra": 100, "cm": 1, "nseg": 3`, `"Ra": 100, "cm": 0, "nseg": 3`, 1),
		strings.Replace(goodCell, `"g": [1e-4, 2e-4, 3e-4]`, `"g": -1`, 1),
		strings.Replace(goodCell, `"v_init_mV": -65,`, `"celsius": -300, "v_init_mV": -65,`, 1),
		strings.Replace(goodCell, `{"name": "soma", "L"`, `{"name": "soma", "parent": "dend", "L"`, 1),
		strings.Replace(goodCell, `"parent": "soma"`, `"parent": 1`, 1),
		strings.Replace(goodCell, `"L": 20, "diam": 20,`, `"pt3d": [[0, 0, 0, 20], [20, 0, 0, 20]],`, 1),
		strings.Replace(goodCell, `"nseg": 3`, `"nseg": 0`, 1),
		goodCell[:len(goodCell)/2],
		"", "{}", "[]", "null",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("../artifacts/cells/ballstick.json"); err == nil {
		f.Add(b)
	}
	f.Add(chainCell(20))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCell("fuzz.json", data)
		if err != nil {
			namesFile(t, err, "fuzz.json")
			return
		}
		checkAccepted(t, c)
	})
}

func FuzzReadSWC(f *testing.F) {
	small, err := os.ReadFile("testdata/swc/small.swc")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(small),
		inputerr.BOM + string(small),
		"1 1 0 0 0 5 -1\n2 3 0 10 0 1 1\n3 4 0 20 0 1 2\n4 3 0 30 0 1 3\n5 4 0 40 0 1 4\n", // alternating types
		"1 1 0 0 0 5 -1\n2 3 0 10 0 1 3\n3 3 0 20 0 1 2\n",                                 // a cycle
		"1 1 0 0 0 5 -1\n1 3 0 10 0 1 1\n",                                                 // a repeated id
		"1 3 0 0 0 5 -1\n",                                                                 // no soma
		"1 1 0 0 0 0 -1\n",                                                                 // a soma of radius 0
		"1 1 0 0 0 5 -1\n2 3 0 0 0 1 1\n3 3 0 0 0 1 2\n",                                   // zero length
		"1 1 0 0 0 5 -1\n2 3 NaN 10 0 1 1\n",
		"# only a comment\n", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := DefaultSWCOptions("fuzz")
		opt.Nseg = NsegRule{Kind: "fixed", N: 1}
		c, err := ReadSWC("fuzz.swc", strings.NewReader(string(data)), opt)
		if err != nil {
			namesFile(t, err, "fuzz.swc")
			return
		}
		checkAccepted(t, c)
	})
}

func FuzzFromNEURONExport(f *testing.F) {
	small := `{"name": "two", "celsius": 34, "v_init_mV": -65, "spike_threshold_mV": 0, "spike_site": {"section": 0, "x": 0.5},
 "sections": [
  {"name": "soma", "type": "soma", "parent": -1, "nseg": 1, "L": 20, "Ra": 100, "diam_if_no_pt3d": 20,
   "segments": [{"x": 0.5, "cm": 1, "area_um2": 1256.6, "ri_Mohm": 0.03, "diam": 20}],
   "mechanisms": {"hh": {"gnabar": [0.12], "gkbar": [0.036], "gl": [0.0003], "el": [-54.3], "m": [0.05]}},
   "ions": {"na": {"ena": [50]}, "k": {"ek": [-77]}}},
  {"name": "dend", "type": "dend", "parent": 0, "parent_x": 1, "nseg": 2, "L": 100, "Ra": 100,
   "pt3d": [[0, 0, 0, 2], [100, 0, 0, 2]],
   "segments": [{"x": 0.25, "cm": 1, "area_um2": 314, "ri_Mohm": 0.8, "diam": 2}, {"x": 0.75, "cm": 2, "area_um2": 314, "ri_Mohm": 1.6, "diam": 2}],
   "mechanisms": {"pas": {"g": [1e-4, 1e-4], "e": [-65, -65]}}}]}`
	syn := `{"type": "ExpSyn", "synapses": [{"name": "exc0", "kind": "ExpSyn", "section": 1, "x": 0.5, "tau_ms": 2, "e_mV": 0}]}`
	for _, s := range [][2]string{
		{small, syn},
		{inputerr.BOM + small, inputerr.BOM + syn},
		{strings.Replace(small, `"celsius": 34`, `"celsius": -300`, 1), syn},
		{strings.Replace(small, `"cm": 2`, `"cm": 0`, 1), syn},
		{strings.Replace(small, `"g": [1e-4, 1e-4]`, `"g": [1e-4, -1]`, 1), syn},
		{strings.Replace(small, `"parent": 0,`, `"parent": 1,`, 1), syn},
		{small, strings.Replace(syn, `"tau_ms": 2`, `"tau_ms": -2`, 1)},
		{small, ""},
		{small[:len(small)/2], syn},
		{"", ""},
	} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, cellJSON, synJSON []byte) {
		if len(synJSON) == 0 {
			synJSON = nil
		}
		c, err := FromNEURONExport(cellJSON, synJSON)
		if err != nil {
			var ie *InputError
			var big *inputerr.TooLargeError
			if !errors.As(err, &ie) && !errors.As(err, &big) {
				t.Fatalf("not an error in the input: %v", err)
			}
			return
		}
		checkAccepted(t, c)
	})
}

func FuzzReadEvents(f *testing.F) {
	c, err := ParseCell("good.json", []byte(goodCell))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"block.events.csv", "high.events.csv", "low.events.csv"} {
		if b, err := os.ReadFile("testdata/neuron/" + name); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		EventsHeader + "\n1,exc,0.002\n0.5,exc,0.001\n",
		inputerr.BOM + EventsHeader + "\n1,exc,0.002\n",
		EventsHeader + "\n-1,exc,0.002\n",
		EventsHeader + "\nNaN,exc,0.002\n",
		EventsHeader + "\n1,exc,-0.002\n",
		EventsHeader + "\n1,exc,1e30\n",
		EventsHeader + "\n1,gaba,0.002\n",
		EventsHeader + "\n1,exc\n",
		"time,synapse,weight\n1,exc,0.002\n",
		"", "\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := ReadEvents("fuzz.csv", strings.NewReader(string(data)), c)
		if err != nil {
			namesFile(t, err, "fuzz.csv")
			return
		}
		for i, e := range evs {
			if !(e.TimeMS >= 0) || math.IsInf(e.TimeMS, 0) || e.Syn < 0 || e.Syn >= len(c.Synapses) || !(e.WeightUS >= 0 && e.WeightUS <= MaxWeightUS) {
				t.Fatalf("accepted event %d %+v", i, e)
			}
			if i > 0 && e.TimeMS < evs[i-1].TimeMS {
				t.Fatalf("events out of order at %d", i)
			}
		}
	})
}
