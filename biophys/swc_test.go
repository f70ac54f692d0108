package biophys

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

func readSWCFile(t *testing.T, path string, opt SWCOptions) *Cell {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := ReadSWC(path, f, opt)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSWCMatchesNEURON: the same SWC file imported by NEURON's Import3d
// (testdata/swc/neuron_swc.py) gives the same sections, attachments,
// lengths, nseg under the L40 rule, and segment areas and resistances.
func TestSWCMatchesNEURON(t *testing.T) {
	opt := DefaultSWCOptions("small")
	opt.Nseg = NsegRule{Kind: "L40"}
	c := readSWCFile(t, "testdata/swc/small.swc", opt)
	b, err := os.ReadFile("testdata/swc/small.neuron.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []struct {
		Name    string    `json:"name"`
		Parent  *string   `json:"parent"`
		ParentX *float64  `json:"parent_x"`
		L       float64   `json:"L"`
		Nseg    int       `json:"nseg"`
		N3d     int       `json:"n3d"`
		Area    []float64 `json:"area_um2"`
		Ri      []float64 `json:"ri_Mohm"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(c.Sections) != len(want) {
		t.Fatalf("%d sections, NEURON has %d", len(c.Sections), len(want))
	}
	for i, w := range want {
		s := &c.Sections[i]
		if s.Name != w.Name {
			t.Errorf("section %d is %q, NEURON's is %q", i, s.Name, w.Name)
			continue
		}
		if (s.Parent == nil) != (w.Parent == nil) || (s.Parent != nil && (s.Parent.Name != *w.Parent || *s.ParentX != *w.ParentX)) {
			t.Errorf("%s: parent differs from NEURON's %v(%v)", s.Name, w.Parent, w.ParentX)
		}
		if len(s.Pt3d) != w.N3d || s.Nseg != w.Nseg {
			t.Errorf("%s: %d points, nseg %d; NEURON %d points, nseg %d", s.Name, len(s.Pt3d), s.Nseg, w.N3d, w.Nseg)
		}
		g := s.Geometry()
		if math.Abs(g.L-w.L) > 1e-4*w.L {
			t.Errorf("%s: L %g, NEURON %g", s.Name, g.L, w.L)
		}
		for j := range w.Area {
			// NEURON stores 3-D points as float32: 1e-6 relative.
			if math.Abs(g.Seg[j].AreaUM2-w.Area[j]) > 1e-6*w.Area[j] || math.Abs(g.Seg[j].RiMohm-w.Ri[j]) > 1e-6*w.Ri[j] {
				t.Errorf("%s seg %d: area %g ri %g; NEURON %g %g", s.Name, j, g.Seg[j].AreaUM2, g.Seg[j].RiMohm, w.Area[j], w.Ri[j])
			}
		}
	}
	if _, err := Compile(c); err != nil {
		t.Fatal(err)
	}
}

func TestNsegRules(t *testing.T) {
	ra, L := 100.0, 500.0
	for _, tc := range []struct {
		rule string
		want int
	}{
		{"fixed:7", 7},
		{"L40", 1 + 2*12},
		// lambda_100 of a 2 um, Ra 100, cm 1 cable: 1e5*sqrt(2/(4 pi 100 100 1)) = 398.9 um
		{"dlambda", 13},    // int((500/(0.1*398.94)+0.9)/2)*2 + 1
		{"dlambda:0.3", 5}, // int((500/(0.3*398.94)+0.9)/2)*2 + 1
	} {
		r, err := ParseNsegRule(tc.rule)
		if err != nil {
			t.Fatal(err)
		}
		s := Section{L: &L, Diam: Values{2}, Ra: &ra, Cm: Values{1}}
		r.Apply(&s)
		if s.Nseg != tc.want {
			t.Errorf("%s: nseg %d, want %d", tc.rule, s.Nseg, tc.want)
		}
	}
	// The same rule over 3-D points of constant diameter gives the same answer.
	s := Section{Pt3d: [][4]float64{{0, 0, 0, 2}, {200, 0, 0, 2}, {500, 0, 0, 2}}, Ra: &ra, Cm: Values{1}}
	r, _ := ParseNsegRule("dlambda")
	r.Apply(&s)
	if s.Nseg != 13 {
		t.Errorf("dlambda over pt3d: nseg %d, want 13", s.Nseg)
	}
	for _, bad := range []string{"", "fixed", "fixed:0", "fixed:x", "L40:2", "dlambda:-1", "dlambda:0.1:0", "lambda"} {
		if _, err := ParseNsegRule(bad); err == nil {
			t.Errorf("rule %q accepted", bad)
		}
	}
}

func TestSWCErrors(t *testing.T) {
	good := "1 1 0 0 0 5 -1\n2 3 10 0 0 1 1\n3 3 20 0 0 1 2\n"
	for _, tc := range []struct {
		name, swc string
		want      []string
	}{
		{"unknown parent", good + "4 3 30 0 0 1 9\n", []string{"x.swc:4", "parent 9", "not in the file"}},
		{"no soma", "1 3 0 0 0 5 -1\n2 3 10 0 0 1 1\n", []string{"no soma"}},
		{"fields", good + "4 3 30 0 0 1\n", []string{"x.swc:4", "want 7 fields"}},
		{"not a number", good + "4 3 3x0 0 0 1 3\n", []string{"x.swc:4", "x:", "not a finite number"}},
		{"bad id", good + "four 3 30 0 0 1 3\n", []string{"x.swc:4", "id"}},
		{"duplicate id", good + "3 3 30 0 0 1 2\n", []string{"x.swc:4", "already used on line 3"}},
		{"negative radius", good + "4 3 30 0 0 -1 3\n", []string{"radius", "negative"}},
		{"cycle", good + "4 3 30 0 0 1 5\n5 3 40 0 0 1 4\n", []string{"cycle"}},
		{"two roots", good + "4 3 30 0 0 1 -1\n", []string{"2 root points"}},
		{"self", good + "4 3 30 0 0 1 4\n", []string{"own parent"}},
		{"empty", "# nothing\n", []string{"no points"}},
		{"dendrite root", "1 3 0 0 0 5 -1\n2 1 10 0 0 1 1\n", []string{"root point 1 has type 3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadSWC("x.swc", strings.NewReader(tc.swc), DefaultSWCOptions("x"))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestSWCSimulates: an imported morphology with default biophysics runs and
// fires under a current step and stays quiet without one.
func TestSWCSimulates(t *testing.T) {
	c := readSWCFile(t, "testdata/swc/small.swc", DefaultSWCOptions("small"))
	tm, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		amp  float64
		want bool
	}{{0, false}, {0.5, true}} {
		s, err := NewSystem([]Instance{{T: tm, Clamps: []Clamp{{Node: tm.SpikeNode, AmpNA: tc.amp, DelMS: 10, DurMS: 100}}}}, 0.025)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := s.Run(120, func(s *System) { n += len(s.Spikes()) }); err != nil {
			t.Fatal(err)
		}
		if (n > 0) != tc.want {
			t.Errorf("%g nA step: %d spikes", tc.amp, n)
		}
	}
}

func TestPathDistance(t *testing.T) {
	c, err := ParseCell("good.json", []byte(goodCell))
	if err != nil {
		t.Fatal(err)
	}
	// soma L 20 (root, measured from its middle); dend L 100 attached at soma(1).
	for _, tc := range []struct {
		sec  int
		x, d float64
	}{{0, 0.5, 0}, {0, 0, 10}, {1, 0, 10}, {1, 0.5, 60}, {1, 1, 110}} {
		if got := c.PathDistance(tc.sec, tc.x); math.Abs(got-tc.d) > 1e-9 {
			t.Errorf("section %d x %g: %g um, want %g", tc.sec, tc.x, got, tc.d)
		}
	}
}
