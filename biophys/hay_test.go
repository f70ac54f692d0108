package biophys_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"neurosurrogate/biophys"
)

// The Hay et al. 2011 L5 pyramidal cell: NEURON's export of it, its synapse
// sites and NEURON's golden runs live in testdata/hay (see the README there);
// artifacts/cells/hay-l5pc.json is generated from them.

var updateHay = flag.Bool("update-hay", false, "rewrite artifacts/cells/hay-l5pc.json from testdata/hay")

const hayDir = "testdata/hay"

func readGz(t testing.TB, path string) []byte {
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

// hayExport is the cell NEURON built (cell.json) as raw JSON and the synapse sites.
func hayExport(t testing.TB) (cellJSON, synJSON []byte) {
	return readGz(t, filepath.Join(hayDir, "cell.json.gz")), readGz(t, filepath.Join(hayDir, "synapses.json.gz"))
}

// TestHayArtifact regenerates artifacts/cells/hay-l5pc.json from NEURON's
// export and checks that the committed file is byte for byte the same, so
// the two cannot drift apart. Run with -update-hay to rewrite it.
func TestHayArtifact(t *testing.T) {
	cj, sj := hayExport(t)
	c, err := biophys.FromNEURONExport(cj, sj)
	if err != nil {
		t.Fatal(err)
	}
	got, err := biophys.MarshalCellCompact(c)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "artifacts", "cells", "hay-l5pc.json")
	if *updateHay {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs from the conversion of %s (%d vs %d bytes); regenerate with go test ./biophys -run TestHayArtifact -update-hay", path, hayDir, len(want), len(got))
	}
	// The artifact is a valid cell that decodes to the converted description.
	back, err := biophys.ParseCell(path, want)
	if err != nil {
		t.Fatal(err)
	}
	if back.Hash() != c.Hash() {
		t.Errorf("decoding %s does not give back the converted cell", path)
	}
	if back.Name != "hay-l5pc" || len(back.Sections) != 196 || len(back.Synapses) != 200 {
		t.Errorf("name %q, %d sections, %d synapses; want hay-l5pc, 196, 200", back.Name, len(back.Sections), len(back.Synapses))
	}
	if *back.VInitMV != -80 || *back.SpikeThresholdMV != -10 || back.CelsiusOrDefault() != 6.3 ||
		back.SpikeSite.Section.Name != "soma[0]" || back.SpikeSite.X != 0.5 {
		t.Errorf("v_init %v, threshold %v, celsius %v, spike site %v; want -80, -10, 6.3, soma[0](0.5)",
			*back.VInitMV, *back.SpikeThresholdMV, back.CelsiusOrDefault(), back.SpikeSite)
	}
	tm, err := biophys.Compile(back)
	if err != nil {
		t.Fatal(err)
	}
	if n := tm.Segments(); n != 642 {
		t.Errorf("%d segments, want 642", n)
	}
}

// exportSection is the part of a NEURON-export section the tests check against.
type exportSection struct {
	Name     string  `json:"name"`
	L        float64 `json:"L"`
	Nseg     int     `json:"nseg"`
	Segments []struct {
		X       float64 `json:"x"`
		Cm      float64 `json:"cm"`
		AreaUM2 float64 `json:"area_um2"`
		RiMohm  float64 `json:"ri_Mohm"`
		Diam    float64 `json:"diam"`
	} `json:"segments"`
	Mechanisms map[string]map[string][]float64 `json:"mechanisms"`
}

func relErr(got, want float64) float64 {
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-300)
}

// TestHayGeometry checks that the geometry computed from the 3-D points (and
// the axon stubs' L and diam) reproduces NEURON's area and axial resistance
// of every segment.
func TestHayGeometry(t *testing.T) {
	cj, sj := hayExport(t)
	var ex struct {
		Sections []exportSection `json:"sections"`
	}
	if err := json.Unmarshal(cj, &ex); err != nil {
		t.Fatal(err)
	}
	c, err := biophys.FromNEURONExport(cj, sj)
	if err != nil {
		t.Fatal(err)
	}
	const tol = 1e-9 // the issue asks for 1e-6; NEURON's own arithmetic gives ~1e-16
	worstA, worstR, worstL, worstD, nseg := 0.0, 0.0, 0.0, 0.0, 0
	for i := range c.Sections {
		s, e := &c.Sections[i], &ex.Sections[i]
		g := s.Geometry()
		if len(g.Seg) != e.Nseg {
			t.Fatalf("section %s: %d segments, NEURON has %d", s.Name, len(g.Seg), e.Nseg)
		}
		if r := relErr(g.L, e.L); r > tol {
			t.Errorf("section %s: L %.9g um, NEURON %.9g", s.Name, g.L, e.L)
		}
		worstL = math.Max(worstL, relErr(g.L, e.L))
		for j, sg := range g.Seg {
			ne := e.Segments[j]
			ra, rr, rd := relErr(sg.AreaUM2, ne.AreaUM2), relErr(sg.RiMohm, ne.RiMohm), relErr(sg.Diam, ne.Diam)
			if ra > tol || rr > tol || rd > tol {
				t.Errorf("section %s segment %d: area %.9g um2 (NEURON %.9g), ri %.9g MOhm (NEURON %.9g), diam %.9g (NEURON %.9g)",
					s.Name, j, sg.AreaUM2, ne.AreaUM2, sg.RiMohm, ne.RiMohm, sg.Diam, ne.Diam)
			}
			worstA, worstR, worstD = math.Max(worstA, ra), math.Max(worstR, rr), math.Max(worstD, rd)
			nseg++
		}
	}
	t.Logf("%d segments: worst relative error area %.2g, ri %.2g, diam %.2g; section L %.2g", nseg, worstA, worstR, worstD, worstL)
	if nseg != 642 {
		t.Errorf("%d segments, want 642", nseg)
	}
}

// TestHayConversion checks the converter's choices against the export:
// registered parameters only, per-segment values kept or collapsed exactly,
// eca left to Nernst where CaDynamics_E2 writes cai, parents by name.
func TestHayConversion(t *testing.T) {
	cj, sj := hayExport(t)
	var ex struct {
		Sections []struct {
			exportSection
			Parent int                             `json:"parent"`
			Ions   map[string]map[string][]float64 `json:"ions"`
		} `json:"sections"`
	}
	if err := json.Unmarshal(cj, &ex); err != nil {
		t.Fatal(err)
	}
	c, err := biophys.FromNEURONExport(cj, sj)
	if err != nil {
		t.Fatal(err)
	}
	perSeg := 0
	for i := range c.Sections {
		s, e := &c.Sections[i], &ex.Sections[i]
		if e.Parent >= 0 && (s.Parent == nil || s.Parent.Name != ex.Sections[e.Parent].Name) {
			t.Errorf("section %s: parent %v, want %q", s.Name, s.Parent, ex.Sections[e.Parent].Name)
		}
		for mname, params := range e.Mechanisms {
			m, ok := biophys.LookupMechanism(mname)
			if !ok {
				t.Fatalf("mechanism %s not registered", mname)
			}
			got := s.Mechanisms[mname]
			for _, p := range m.Params {
				want, ok := params[p.Name]
				if !ok {
					continue
				}
				g := got[p.Name]
				if len(g) != 1 && len(g) != len(want) {
					t.Fatalf("section %s %s.%s: %d values", s.Name, mname, p.Name, len(g))
				}
				if len(g) > 1 {
					perSeg++
				}
				for j, w := range want {
					if x := g[min(j, len(g)-1)]; x != w {
						t.Errorf("section %s %s.%s[%d] = %v, NEURON %v", s.Name, mname, p.Name, j, x, w)
					}
				}
			}
			for k := range got {
				if _, ok := params[k]; !ok {
					t.Errorf("section %s %s.%s not in the export", s.Name, mname, k)
				}
			}
			if len(got) != len(m.Params) && mname != "pas" {
				t.Errorf("section %s %s: %d parameters kept, want %d", s.Name, mname, len(got), len(m.Params))
			}
		}
		for j, seg := range e.Segments {
			if cm := s.Cm[min(j, len(s.Cm)-1)]; cm != seg.Cm {
				t.Errorf("section %s cm[%d] = %v, NEURON %v", s.Name, j, cm, seg.Cm)
			}
		}
		_, hasCaDyn := s.Mechanisms["CaDynamics_E2"]
		_, exported := e.Ions["ca"]["eca"]
		if _, ok := s.Ions["eca"]; ok != (exported && !hasCaDyn) {
			t.Errorf("section %s: eca given %v, exported %v, CaDynamics_E2 %v", s.Name, ok, exported, hasCaDyn)
		}
		for _, ion := range []struct{ ion, e string }{{"na", "ena"}, {"k", "ek"}} {
			if w, ok := e.Ions[ion.ion][ion.e]; ok && s.Ions[ion.e][0] != w[0] {
				t.Errorf("section %s %s = %v, NEURON %v", s.Name, ion.e, s.Ions[ion.e], w)
			}
		}
	}
	if perSeg == 0 {
		t.Errorf("no per-segment parameter arrays; the apical distributions should keep some")
	}
}

// hayRun is one NEURON golden run of the Hay cell.
type hayRun struct {
	name    string
	clamp   *biophys.Clamp // at the spike site; nil for none
	events  string         // events file in testdata/hay, "" for none
	tstopMS float64
}

// hayStep is a golden run with an IClamp of ampNA at the soma from 700 to
// 2700 ms (3000 ms run).
func hayStep(ampNA string) hayRun {
	a, err := strconv.ParseFloat(ampNA, 64)
	if err != nil {
		panic(err)
	}
	return hayRun{name: "step_" + ampNA, clamp: &biophys.Clamp{DelMS: 700, DurMS: 2000, AmpNA: a}, tstopMS: 3000}
}

// hayPoisson is a golden run under Poisson input events (2000 ms).
func hayPoisson(name string) hayRun {
	return hayRun{name: name, events: name + ".events.csv.gz", tstopMS: 2000}
}

// hayTol is the Vm agreement asked of the Hay goldens, whose traces keep 4
// decimals: rounding alone gives an RMS of 2.9e-5 mV and a maximum of 5e-5
// mV; measured are 2.9e-5 mV RMS below threshold and at most 8.6e-5 mV over
// all samples (inside spikes, where Vm moves by up to ~100 mV per 0.1 ms and
// the two simulators' last bits of arithmetic differ).
var hayTol = vmTol{rmseSub: 1e-4, maxAll: 2e-4}

// TestHayGoldenNEURON runs the Hay cell against NEURON 8.2's golden runs
// (fixed step 0.025 ms, v_init -80 mV; testdata/hay/README.md): the two
// from the original export and, unless -short, more step amplitudes and
// Poisson inputs (pEXC_INH_wWEXC_WINH: rates in Hz, weights in nS). Spike
// times must be identical and Vm agree to the goldens' rounding.
func TestHayGoldenNEURON(t *testing.T) {
	c := loadCell(t, "hay-l5pc")
	runs := []hayRun{hayStep("0.793"), hayPoisson("syn_seed1")}
	if !testing.Short() {
		runs = append(runs, hayStep("0.4"), hayStep("1.0"), hayStep("1.9"),
			hayPoisson("p5_5_w4_1"), hayPoisson("p5_20_w8_1"), hayPoisson("p15_10_w6_15"),
			hayPoisson("p25_5_w4_2"), hayPoisson("p25_20_w8_2"))
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			g := readGolden(t, filepath.Join(hayDir, r.name+".json"))
			if g.NEURON == "" || g.Command == "" {
				t.Errorf("%s.json does not record the NEURON version and command", r.name)
			}
			ts, vref := readTrace(t, filepath.Join(hayDir, r.name+".trace.csv.gz"))
			// Vector.record every 0.1 ms from t = 0: 3000 ms runs miss the
			// sample at tstop (NEURON's t ends a rounding error short of it).
			if want := int(r.tstopMS/0.1) + 1; len(vref) != want && len(vref) != want-1 {
				t.Fatalf("NEURON's trace has %d samples, want %d", len(vref), want)
			}
			var evs []biophys.Event
			if r.events != "" {
				path := filepath.Join(hayDir, r.events)
				var err error
				evs, err = biophys.ReadEvents(path, bytes.NewReader(readGz(t, path)), c)
				if err != nil {
					t.Fatal(err)
				}
			}
			var clamps []biophys.Clamp
			if r.clamp != nil {
				tm, err := biophys.Compile(c)
				if err != nil {
					t.Fatal(err)
				}
				cl := *r.clamp
				cl.Node = tm.SpikeNode
				clamps = append(clamps, cl)
			}
			spikes, vs := simulate(t, c, evs, clamps, r.tstopMS, 4)
			checkNEURON(t, g.Spikes, spikes, ts, vref, vs, hayTol)
		})
	}
}

// TestNEURONExportErrors checks that a broken export or cell file is a clear
// error naming the section and the mechanism, not a panic.
func TestNEURONExportErrors(t *testing.T) {
	cj, sj := hayExport(t)
	// Section 0 is soma[0] (nseg 1); find an apical section with nseg > 1.
	var ex struct {
		Sections []exportSection `json:"sections"`
	}
	if err := json.Unmarshal(cj, &ex); err != nil {
		t.Fatal(err)
	}
	multi := -1
	for i, s := range ex.Sections {
		if s.Nseg > 2 && s.Mechanisms["NaTa_t"] != nil {
			multi = i
			break
		}
	}
	if multi < 0 {
		t.Fatal("no apical section with nseg > 2")
	}
	mname := ex.Sections[multi].Name
	edit := func(f func(secs []map[string]any)) []byte {
		var doc map[string]any
		if err := json.Unmarshal(cj, &doc); err != nil {
			t.Fatal(err)
		}
		raw := doc["sections"].([]any)
		secs := make([]map[string]any, len(raw))
		for i := range raw {
			secs[i] = raw[i].(map[string]any)
		}
		f(secs)
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mech := func(s map[string]any, name string) map[string]any {
		return s["mechanisms"].(map[string]any)[name].(map[string]any)
	}
	cases := []struct {
		name string
		in   []byte
		want []string // substrings of the error
	}{
		{"missing required parameter", edit(func(s []map[string]any) { delete(mech(s[0], "NaTa_t"), "gNaTa_tbar") }),
			[]string{`"soma[0]"`, "NaTa_t", "gNaTa_tbar", "missing"}},
		{"missing CaDynamics_E2 decay", edit(func(s []map[string]any) { delete(mech(s[multi], "CaDynamics_E2"), "decay") }),
			[]string{`"` + mname + `"`, "CaDynamics_E2", "decay", "missing"}},
		{"negative CaDynamics_E2 depth", edit(func(s []map[string]any) { mech(s[0], "CaDynamics_E2")["depth"] = []any{-1.0} }),
			[]string{`"soma[0]"`, "CaDynamics_E2", "depth = -1 um", "must be positive"}},
		{"per-segment array too long", edit(func(s []map[string]any) {
			m := mech(s[multi], "Ih")
			m["gIhbar"] = append(m["gIhbar"].([]any), 1e-4)
		}), []string{`"` + mname + `"`, "Ih", "gIhbar", "want nseg"}},
		{"per-segment array too short", edit(func(s []map[string]any) {
			mech(s[multi], "SKv3_1")["gSKv3_1bar"] = []any{1e-4, 2e-4}
		}), []string{`"` + mname + `"`, "SKv3_1", "has 2 values", "want nseg"}},
		{"unknown mechanism", edit(func(s []map[string]any) {
			ms := s[multi]["mechanisms"].(map[string]any)
			ms["Kv_missing"] = ms["Im"]
		}), []string{`"` + mname + `"`, `unknown mechanism "Kv_missing"`, "NaTa_t"}},
		{"bad parent", edit(func(s []map[string]any) { s[5]["parent"] = 9999.0 }),
			[]string{"section 5", "parent", "no section 9999"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := biophys.FromNEURONExport(tc.in, sj)
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

	// The same mistakes in a cell file (the project's format) are caught by
	// ParseCell and Compile with the section and mechanism named.
	c, err := biophys.FromNEURONExport(cj, sj)
	if err != nil {
		t.Fatal(err)
	}
	good, err := biophys.MarshalCellCompact(c)
	if err != nil {
		t.Fatal(err)
	}
	fileCases := []struct {
		name string
		edit func(c *biophys.Cell)
		want []string
	}{
		{"missing required parameter", func(c *biophys.Cell) { delete(c.Sections[0].Mechanisms["SK_E2"], "gSK_E2bar") },
			[]string{"hay.json", `"soma[0]"`, "mechanisms.SK_E2", "gSK_E2bar", "missing"}},
		{"per-segment array of the wrong length", func(c *biophys.Cell) {
			c.Sections[multi].Mechanisms["Ca_HVA"]["gCa_HVAbar"] = biophys.Values{1e-4, 2e-4}
		}, []string{"hay.json", `"` + mname + `"`, "mechanisms.Ca_HVA", "gCa_HVAbar", "has 2 values"}},
		{"unknown mechanism", func(c *biophys.Cell) {
			c.Sections[multi].Mechanisms["NaTa_T"] = c.Sections[multi].Mechanisms["NaTa_t"]
		}, []string{"hay.json", `"` + mname + `"`, `unknown mechanism "NaTa_T"`}},
	}
	for _, tc := range fileCases {
		t.Run("cell file/"+tc.name, func(t *testing.T) {
			c, err := biophys.ParseCell("hay.json", good)
			if err != nil {
				t.Fatal(err)
			}
			tc.edit(c)
			b, err := biophys.MarshalCellCompact(c)
			if err != nil {
				t.Fatal(err)
			}
			_, err = biophys.ParseCell("hay.json", b)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if _, err := biophys.Compile(c); err == nil {
				t.Errorf("Compile accepted the broken cell")
			}
		})
	}
}
