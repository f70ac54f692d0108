package biophys_test

import (
	"math"
	"testing"

	"neurosurrogate/biophys"
)

// systemRun is what a test records of one cell in a System: every node's Vm
// after every step (template node order) and its spike times.
type systemRun struct {
	v      [][]float64
	spikes []float64
}

// cellInput is one cell of a System under test with its own inputs: a
// Poisson stream on every synapse (rate and weight by the synapse's class,
// seeds by seed) and an optional current step.
type cellInput struct {
	t             *biophys.Template
	seed          uint64
	rateHz, wUS   float64
	clampNA, delM float64
}

// runCells places the cells in one System, steps it to tstop and records
// every cell.
func runCells(t *testing.T, in []cellInput, tstopMS float64) []systemRun {
	t.Helper()
	cells := make([]biophys.Instance, len(in))
	for j, c := range in {
		cells[j].T = c.t
		if c.clampNA != 0 {
			cells[j].Clamps = []biophys.Clamp{{Node: c.t.SpikeNode, DelMS: c.delM, DurMS: 1e9, AmpNA: c.clampNA}}
		}
	}
	sys, err := biophys.NewSystem(cells, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range in {
		for s := range c.t.Cell.Synapses {
			rate := c.rateHz
			if !c.t.Cell.Excitatory(s) {
				rate /= 2
			}
			sys.AddStream(j, s, biophys.NewPoisson(rate, c.wUS, 0, biophys.Seed(c.seed, uint64(s)), 1))
		}
	}
	out := make([]systemRun, len(in))
	err = sys.Run(tstopMS, func(s *biophys.System) {
		for j, c := range in {
			v := make([]float64, c.t.N)
			for k := range v {
				v[k] = s.VNode(j, int32(k))
			}
			out[j].v = append(out[j].v, v)
		}
		for _, sp := range s.Spikes() {
			out[sp.Cell].spikes = append(out[sp.Cell].spikes, sp.TimeMS)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSystemCellsStepAlone checks that cells stepped together in one System
// (interleaved node by node, mechanisms in shared arrays: what batched
// dataset generation and populations do) follow exactly the trajectories
// they follow alone: the same bits of Vm at every node after every step and
// the same spikes, with different inputs, current steps and templates mixed.
func TestSystemCellsStepAlone(t *testing.T) {
	compile := func(name string) *biophys.Template {
		tm, err := biophys.Compile(loadCell(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	hh, bs, hay := compile("hh"), compile("ballstick"), compile("hay-l5pc")
	tests := []struct {
		name    string
		cells   []cellInput
		tstopMS float64
	}{
		{"hh", []cellInput{
			{t: hh, seed: 1, rateHz: 2000, wUS: 0.003},
			{t: hh, seed: 2, rateHz: 500, wUS: 0.002, clampNA: 0.2, delM: 30},
			{t: hh, seed: 3, rateHz: 3000, wUS: 0.004},
		}, 200},
		{"ballstick and hh mixed", []cellInput{
			{t: bs, seed: 4, rateHz: 2500, wUS: 0.004},
			{t: hh, seed: 5, rateHz: 1500, wUS: 0.003},
			{t: bs, seed: 6, rateHz: 800, wUS: 0.002, clampNA: 0.5, delM: 20},
			{t: hh, seed: 7},
		}, 200},
		{"hay-l5pc", []cellInput{
			{t: hay, seed: 8, rateHz: 20, wUS: 0.008},
			{t: hay, seed: 9, rateHz: 5, wUS: 0.004, clampNA: 1.9, delM: 5},
			{t: hay, seed: 10, rateHz: 30, wUS: 0.01},
		}, 60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			together := runCells(t, tc.cells, tc.tstopMS)
			spiking := 0
			for j, c := range tc.cells {
				alone := runCells(t, []cellInput{c}, tc.tstopMS)[0]
				got := together[j]
				if len(alone.spikes) > 0 {
					spiking++
				}
				if len(got.spikes) != len(alone.spikes) {
					t.Fatalf("cell %d: %d spikes together, %d alone", j, len(got.spikes), len(alone.spikes))
				}
				for k := range got.spikes {
					if got.spikes[k] != alone.spikes[k] {
						t.Fatalf("cell %d: spike %d at %v ms together, %v ms alone", j, k, got.spikes[k], alone.spikes[k])
					}
				}
				for step := range alone.v {
					for nd, v := range alone.v[step] {
						if w := got.v[step][nd]; math.Float64bits(w) != math.Float64bits(v) {
							t.Fatalf("cell %d, step %d, node %d: Vm %v mV together, %v mV alone", j, step+1, nd, w, v)
						}
					}
				}
			}
			if spiking < 2 {
				t.Fatalf("%d cells spiked: the inputs test too little", spiking)
			}
		})
	}
}
