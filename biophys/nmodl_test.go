package biophys_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
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
