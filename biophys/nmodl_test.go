package biophys_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"neurosurrogate/biophys"
)

// hayModDir holds the Hay et al. 2011 channel files exactly as ModelDB
// 139653 publishes them (mod/, see testdata/hay/README.md).
const hayModDir = "testdata/hay/mod"

// withMod returns a copy of cell c carrying every .mod file of dir, in
// file-name order (as nrnivmodl compiles them).
func withMod(t testing.TB, c *biophys.Cell, dir string) *biophys.Cell {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.mod"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no .mod files in %s: %v", dir, err)
	}
	sort.Strings(files)
	var cp biophys.Cell
	if err := json.Unmarshal(c.JSON(), &cp); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cp.NMODL = append(cp.NMODL, biophys.ModFile{File: filepath.Base(f), Text: string(b)})
	}
	out, err := biophys.ParseCell("hay-l5pc+mod", cp.JSON())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestHayFromNMODL runs the Hay cell with its channels compiled from
// ModelDB's own .mod files (none of the hand-written kernels) against
// NEURON's goldens, as TestHayGoldenNEURON does with the hand-written ones:
// identical spikes, Vm to the goldens' rounding.
func TestHayFromNMODL(t *testing.T) {
	c := withMod(t, loadCell(t, "hay-l5pc"), hayModDir)
	runs := []hayRun{hayStep("0.793"), hayPoisson("syn_seed1")}
	if !testing.Short() {
		runs = append(runs, hayStep("1.9"), hayPoisson("p25_20_w8_2"))
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			g := readGolden(t, filepath.Join(hayDir, r.name+".json"))
			ts, vref := readTrace(t, filepath.Join(hayDir, r.name+".trace.csv.gz"))
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

// ownModDir holds NMODL texts written for these tests (hh, ExpSyn, Exp2Syn;
// testdata/nmodl/own/README.md).
const ownModDir = "testdata/nmodl/own"

// withOwnMod is cell c carrying hh, ExpSyn and Exp2Syn from ownModDir and
// NMDA from testdata/neuron/NMDA.mod, in place of the hand-written ones.
func withOwnMod(t *testing.T, c *biophys.Cell) *biophys.Cell {
	t.Helper()
	var cp biophys.Cell
	if err := json.Unmarshal(c.JSON(), &cp); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{ownModDir + "/hh.mod", ownModDir + "/expsyn.mod", ownModDir + "/exp2syn.mod", neuronDir + "/NMDA.mod"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cp.NMODL = append(cp.NMODL, biophys.ModFile{File: filepath.Base(f), Text: string(b)})
	}
	out, err := biophys.ParseCell(c.Name+"+mod", cp.JSON())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOwnNMODLAgainstNEURON runs the hh cell with its channels (a TABLE,
// a FUNCTION, cnexp) and synapses (point processes with NET_RECEIVE)
// compiled from NMODL against NEURON's goldens: the five Poisson inputs
// onto ExpSyn, and Exp2Syn and NMDA inputs. Spike times as NEURON's (1e-6
// ms) and Vm within the goldens' rounding, as for the hand-written kernels.
func TestOwnNMODLAgainstNEURON(t *testing.T) {
	c := withOwnMod(t, loadCell(t, "hh"))
	for _, input := range []string{"quiet", "low", "mid", "high", "block"} {
		t.Run(input, func(t *testing.T) {
			runGolden(t, c, input+".events.csv", input+".hh", 2000)
		})
	}
	syn := withOwnMod(t, withSynapses(t, "hh"))
	for _, input := range []string{"synlow", "synhigh"} {
		t.Run(input, func(t *testing.T) {
			runGolden(t, syn, input+".hh.events.csv", input+".hh", 1000)
		})
	}
}

// importModel converts testdata/nmodl/NAME's NEURON export (made by
// neuron_export.py) with its mod/ folder and synapses, as `import neuron
// --mod` does.
func importModel(t *testing.T, name string) *biophys.Cell {
	t.Helper()
	dir := filepath.Join("testdata", "nmodl", name)
	export := readGz(t, filepath.Join(dir, "export.json.gz"))
	syn, err := os.ReadFile(filepath.Join(dir, "synapses.json"))
	if os.IsNotExist(err) {
		syn, err = nil, nil // a model checked with current steps only
	}
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "mod", "*.mod"))
	mod := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		mod[filepath.Base(f)] = string(b)
	}
	c, err := biophys.FromNEURONExportMod(export, syn, mod)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPublishedCellsFromNMODL imports three published ModelDB cells from
// NEURON's export and their own .mod files and runs them against NEURON's
// goldens (testdata/nmodl/NAME/README.md): current steps at the soma (100
// to 900 ms of 1000) and Poisson input onto their synapses. Mainen &
// Sejnowski's L3 pyramid (ModelDB 2488) has TABLEs, a calcium pool solved
// by derivimplicit and a calcium reversal potential fixed by ion_style;
// Khaliq, Gouwens & Raman's Purkinje soma (ModelDB 48332) a 13-state
// KINETIC sodium channel with CONSERVE, a LINEAR initial state and a
// calcium pool updated in BREAKPOINT; Morse et al.'s CA1 pyramid (ModelDB
// 87284, 974 segments) Hemond's GHK calcium currents, a calcium pool solved
// by derivimplicit and a depolarization block at 0.8 nA. The issue asks for 95% of spikes
// within 0.5 ms and a subthreshold RMSE of 0.5 mV; asked here is what NEURON
// conformance means for the hand-written cells: the same spike times
// (1e-6 ms) and subthreshold Vm within the goldens' rounding. Inside
// Mainen's spikes Vm may differ by up to 0.17 mV (measured): NEURON
// rescaled the dendrites' 3-D points when the model folded its spines into
// them (L = L F^(2/3)), keeping arc lengths that the exported single-precision
// coordinates give back only to 1e-7, so segment areas differ by that much.
func TestPublishedCellsFromNMODL(t *testing.T) {
	tols := map[string]vmTol{"mainen": {rmseSub: 1e-4, maxAll: 0.5}, "purkinje": hayTol, "ca1": hayTol}
	for _, model := range []string{"mainen", "purkinje", "ca1"} {
		c := importModel(t, model)
		dir := filepath.Join("testdata", "nmodl", model)
		runs, _ := filepath.Glob(filepath.Join(dir, "*.trace.csv.gz"))
		for _, tr := range runs {
			run := strings.TrimSuffix(filepath.Base(tr), ".trace.csv.gz")
			t.Run(model+"/"+run, func(t *testing.T) {
				t.Parallel() // a CA1 run is 20 s of one core
				g := readGolden(t, filepath.Join(dir, run+".json"))
				ts, vref := readTrace(t, tr)
				var evs []biophys.Event
				var clamps []biophys.Clamp
				if amp, ok := strings.CutPrefix(run, "step_"); ok {
					a, err := strconv.ParseFloat(amp, 64)
					if err != nil {
						t.Fatal(err)
					}
					tm, err := biophys.Compile(c)
					if err != nil {
						t.Fatal(err)
					}
					clamps = []biophys.Clamp{{Node: tm.SpikeNode, DelMS: 100, DurMS: 800, AmpNA: a}}
				} else {
					path := filepath.Join(dir, run+".events.csv.gz")
					var err error
					evs, err = biophys.ReadEvents(path, bytes.NewReader(readGz(t, path)), c)
					if err != nil {
						t.Fatal(err)
					}
				}
				spikes, vs := simulate(t, c, evs, clamps, 1000, 4)
				checkNEURON(t, g.Spikes, spikes, ts, vref, vs, tols[model])
			})
		}
	}
}

// TestNMODLIons: ions beyond NEURON's built-in use of na, k and ca. A
// channel on an ion of its own (USEION h ... VALENCE 1) with a fixed
// reversal potential set by the section; and a sodium "pump" that raises
// nai at a fixed rate, read by a channel through ena, which then follows
// Nernst every step. Both channels are strong beside the membrane's
// capacitance, so Vm sits at their reversal potentials.
func TestNMODLIons(t *testing.T) {
	const chanH = `
NEURON { SUFFIX hchan USEION h READ eh WRITE ih VALENCE 1 RANGE g }
PARAMETER { g = 1 (S/cm2) }
ASSIGNED { v eh ih }
BREAKPOINT { ih = g*(v - eh) }`
	const pump = `
NEURON { SUFFIX napump USEION na READ nai WRITE nai RANGE rate }
PARAMETER { rate = 0.01 (mM/ms) }
ASSIGNED { }
STATE { nai (mM) }
BREAKPOINT { SOLVE s METHOD cnexp }
DERIVATIVE s { nai' = rate }`
	const chanNa = `
NEURON { SUFFIX nachan USEION na READ ena WRITE ina RANGE g }
PARAMETER { g = 1 (S/cm2) }
ASSIGNED { v ena ina }
BREAKPOINT { ina = g*(v - ena) }`
	base := `{"name": "ions", "v_init_mV": -65, "spike_threshold_mV": 0, "celsius": 6.3,
	  "spike_site": {"section": "soma", "x": 0.5},
	  "sections": [{"name": "soma", "L": 10, "diam": 10, "Ra": 100, "cm": 1, %s}],
	  "nmodl": %s}`
	mod := func(files ...string) string {
		var out []biophys.ModFile
		for i, f := range files {
			out = append(out, biophys.ModFile{File: fmt.Sprintf("m%d.mod", i), Text: f})
		}
		b, _ := json.Marshal(out)
		return string(b)
	}
	t.Run("own ion", func(t *testing.T) {
		c, err := biophys.ParseCell("h.json", []byte(fmt.Sprintf(base, `"mechanisms": {"hchan": {}}, "ions": {"eh": -30}`, mod(chanH))))
		if err != nil {
			t.Fatal(err)
		}
		_, vs := simulate(t, c, nil, nil, 5, 1)
		if v := vs[len(vs)-1]; math.Abs(v+30) > 1e-9 {
			t.Errorf("Vm = %v, want eh = -30", v)
		}
	})
	t.Run("sodium written", func(t *testing.T) {
		c, err := biophys.ParseCell("na.json", []byte(fmt.Sprintf(base, `"mechanisms": {"napump": {}, "nachan": {}}`, mod(pump, chanNa))))
		if err != nil {
			t.Fatal(err)
		}
		const tstop = 10.0
		_, vs := simulate(t, c, nil, nil, tstop, 1)
		// nai rises from NEURON's 10 mM by 0.01 mM/ms; E_na at nao 140 mM.
		ena := func(nai float64) float64 { return biophys.Nernst(biophys.KTF(6.3), 1, nai, 140) }
		want := ena(10 + 0.01*tstop)
		if v := vs[len(vs)-1]; math.Abs(v-want) > 1e-3 {
			t.Errorf("Vm = %v, want ena = %v (nai 10.1 mM); at the start ena = %v", v, want, ena(10))
		}
	})
	t.Run("valence mismatch", func(t *testing.T) {
		bad := strings.Replace(chanNa, "WRITE ina", "WRITE ina VALENCE 2", 1)
		_, err := biophys.ParseCell("bad.json", []byte(fmt.Sprintf(base, `"mechanisms": {"nachan": {}}`, mod(bad))))
		if err == nil || !strings.Contains(err.Error(), "valence") {
			t.Errorf("na with valence 2: %v", err)
		}
	})
}

// TestNMODLGeometry: a mechanism that declares diam and area gets its
// segment's, as NEURON gives them: a current of diam·area·1e-9 mA/cm2
// per mV of depolarization beside a leak sets Vm where the two balance.
func TestNMODLGeometry(t *testing.T) {
	const geo = `
NEURON { SUFFIX geo NONSPECIFIC_CURRENT i }
PARAMETER { diam }
ASSIGNED { v i area }
BREAKPOINT { i = -1e-6*diam*area }`
	b, _ := json.Marshal([]biophys.ModFile{{File: "geo.mod", Text: geo}})
	src := fmt.Sprintf(`{"name": "geo", "v_init_mV": -65, "spike_threshold_mV": 0,
	  "spike_site": {"section": "soma", "x": 0.5},
	  "sections": [{"name": "soma", "L": 20, "diam": 5, "Ra": 100, "cm": 1,
	    "mechanisms": {"geo": {}, "pas": {"g": 0.001, "e": -65}}}],
	  "nmodl": %s}`, b)
	c, err := biophys.ParseCell("geo.json", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	_, vs := simulate(t, c, nil, nil, 200, 1)
	area := math.Pi * 5 * 20
	// steady state: 0.001 (v + 65) = 1e-6 diam area
	want := -65 + 1e-6*5*area/0.001
	if v := vs[len(vs)-1]; math.Abs(v-want) > 1e-6 {
		t.Errorf("Vm = %v, want %v (diam 5 um, area %v um2)", v, want, area)
	}
}

// TestRecorder: probes read what the simulator holds: Vm, an ion's summed
// current (which equals its only writer's), a concentration and the NMODL
// state it is copied from; and refuse what they cannot read.
func TestRecorder(t *testing.T) {
	c := importModel(t, "purkinje")
	tm, err := biophys.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: tm, Clamps: []biophys.Clamp{{Node: tm.SpikeNode, DelMS: 5, DurMS: 50, AmpNA: 0.05}}}}, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	var probes []biophys.Probe
	for _, s := range []string{"v@soma", "ina@soma(0.5)", "naRsg.ina@soma", "cai@soma", "cadiff.ca@soma", "naRsg.O@soma"} {
		p, err := biophys.ParseProbe(s)
		if err != nil {
			t.Fatal(err)
		}
		probes = append(probes, p)
	}
	r, err := sys.Recorder(0, probes)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Units, " "); got != "mV mA/cm2 milliamp/cm2 mM mM " {
		t.Errorf("units %q", got)
	}
	var row []float64
	moved := false
	err = sys.Run(60, func(s *biophys.System) {
		row = r.Sample(row[:0])
		if row[0] != s.V(0) || row[1] != row[2] || row[3] != row[4] || !(row[5] >= 0 && row[5] <= 1) {
			t.Fatalf("t = %v: v %v (system %v), ina %v vs naRsg.ina %v, cai %v vs cadiff.ca %v, O %v", s.T(), row[0], s.V(0), row[1], row[2], row[3], row[4], row[5])
		}
		moved = moved || row[3] > 1.0001e-4
	})
	if err != nil {
		t.Fatal(err)
	}
	if !moved {
		t.Error("cai never rose above cadiff's floor while the cell fired")
	}
	for _, tc := range []struct{ probe, want string }{
		{"v@dend", "no section"},
		{"zz@soma", "unknown quantity"},
		{"cadiff.zz@soma", "no variable zz"},
		{"hh.m@soma", "not inserted"},
	} {
		p, _ := biophys.ParseProbe(tc.probe)
		if _, err := sys.Recorder(0, []biophys.Probe{p}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("probe %s: %v, want an error with %q", tc.probe, err, tc.want)
		}
	}
	for _, bad := range []string{"v", "@soma", "v@soma(2)", "v@soma(x)"} {
		if _, err := biophys.ParseProbe(bad); err == nil {
			t.Errorf("ParseProbe(%q): no error", bad)
		}
	}
	// A hand-written mechanism's variables are not reachable.
	hay := loadCell(t, "hay-l5pc")
	ht, _ := biophys.Compile(hay)
	hs, _ := biophys.NewSystem([]biophys.Instance{{T: ht}}, 0.025)
	p, _ := biophys.ParseProbe("NaTa_t.m@soma[0]")
	if _, err := hs.Recorder(0, []biophys.Probe{p}); err == nil || !strings.Contains(err.Error(), "hand-written") {
		t.Errorf("hand-written mechanism's variable: %v", err)
	}
}
