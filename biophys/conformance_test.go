package biophys_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"neurosurrogate/biophys"
)

func loadCell(t testing.TB, name string) *biophys.Cell {
	t.Helper()
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// simulate runs one cell on events and samples the spike-site Vm every
// sampleEvery steps (including t = 0).
func simulate(t testing.TB, c *biophys.Cell, evs []biophys.Event, clamps []biophys.Clamp, tstop float64, sampleEvery int) (spikes, vs []float64) {
	t.Helper()
	tm, err := biophys.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: tm, Clamps: clamps}}, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	sys.AddEvents(0, evs)
	vs = append(vs, sys.V(0))
	step := 0
	err = sys.Run(tstop, func(s *biophys.System) {
		step++
		if step%sampleEvery == 0 {
			vs = append(vs, s.V(0))
		}
		for _, sp := range s.Spikes() {
			spikes = append(spikes, sp.TimeMS)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return spikes, vs
}

const neuronDir = "testdata/neuron"

// neuronTol is the Vm agreement asked of the goldens in testdata/neuron,
// whose traces keep 5 decimals: rounding alone gives an RMS of 2.9e-6 mV and
// a maximum of 5e-6 mV, and that is what is measured (max 6e-6 mV). An event
// delivered a step early or late moves Vm by 0.01 mV RMS and more.
var neuronTol = vmTol{rmseSub: 1e-5, maxAll: 2e-5}

// runGolden runs cell c on the events of a golden run in testdata/neuron
// and checks it against NEURON's spikes and soma Vm (every 0.1 ms).
func runGolden(t *testing.T, c *biophys.Cell, events, run string, tstopMS float64) {
	t.Helper()
	evs, err := biophys.ReadEventsFile(filepath.Join(neuronDir, events), c)
	if err != nil {
		t.Fatal(err)
	}
	g := readGolden(t, filepath.Join(neuronDir, run+".json"))
	if g.NEURON == "" || g.Command == "" {
		t.Errorf("%s.json does not record the NEURON version and command", run)
	}
	ts, vref := readTrace(t, filepath.Join(neuronDir, run+".v.csv.gz"))
	if want := int(tstopMS/0.1) + 1; len(vref) != want {
		t.Fatalf("NEURON's trace has %d samples, want %d", len(vref), want)
	}
	spikes, vs := simulate(t, c, evs, nil, tstopMS, 4)
	checkNEURON(t, g.Spikes, spikes, ts, vref, vs, neuronTol)
}

// TestConformanceNEURON checks the built-in cells against NEURON 8.2 golden
// runs (testdata/neuron/make.sh) on five 2 s Poisson inputs, from quiet to
// depolarisation block: identical spike times and Vm within rounding.
func TestConformanceNEURON(t *testing.T) {
	for _, cellName := range []string{"hh", "ballstick"} {
		c := loadCell(t, cellName)
		for _, input := range []string{"quiet", "low", "mid", "high", "block"} {
			t.Run(cellName+"/"+input, func(t *testing.T) {
				runGolden(t, c, input+".events.csv", input+"."+cellName, 2000)
			})
		}
	}
}

// withSynapses is the built-in cell with its synapses replaced by those of
// testdata/neuron/syn.NAME.json (the file run_cell.py builds in NEURON).
func withSynapses(t *testing.T, name string) *biophys.Cell {
	t.Helper()
	c := loadCell(t, name)
	path := filepath.Join(neuronDir, "syn."+name+".json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Synapses []biophys.Synapse `json:"synapses"`
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c.Synapses = spec.Synapses
	if err := c.Validate(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// TestSynapsesNEURON checks Exp2Syn (one with tau1 = tau2, which both
// clamp to 0.9999 tau2) and the NMDA synapse (testdata/neuron/NMDA.mod is the
// same mechanism for NEURON) against NEURON golden runs of 1 s: the hh cell
// with all synapses at the soma, the ball and stick with NMDA at two sites of
// the dendrite, [Mg] 1 and 2 mM, while Vm sweeps from -76 to +37 mV.
func TestSynapsesNEURON(t *testing.T) {
	for _, cellName := range []string{"hh", "ballstick"} {
		c := withSynapses(t, cellName)
		for _, input := range []string{"synlow", "synhigh"} {
			run := fmt.Sprintf("%s.%s", input, cellName)
			t.Run(run, func(t *testing.T) {
				runGolden(t, c, run+".events.csv", run, 1000)
			})
		}
	}
}
