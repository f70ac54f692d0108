package biophys_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"neurosurrogate/biophys"
)

// BenchmarkHay1s simulates 1 s of the Hay et al. 2011 L5PC (642 segments,
// 200 ExpSyn synapses) under the syn_seed1 input events, the work that
// testdata/hay/golden.py times in NEURON (it prints the wall time):
//
//	go test ./biophys -run '^$' -bench Hay1s -benchtime 5x
//
// cpu-s/sim-s is the process's CPU time per simulated second, steadier
// than the wall time on a shared machine. mech=go runs the hand-written
// channels, mech=nmodl the same cell with ModelDB's .mod files compiled
// (testdata/hay/mod).
func BenchmarkHay1s(b *testing.B) {
	for _, mech := range []string{"go", "nmodl"} {
		b.Run("mech="+mech, func(b *testing.B) { benchHay1s(b, hayCell(b, mech)) })
	}
}

// hayCell is the Hay cell with hand-written (go) or NMODL channels.
func hayCell(b *testing.B, mech string) *biophys.Cell {
	c := loadCell(b, "hay-l5pc")
	if mech == "nmodl" {
		c = withMod(b, c, hayModDir)
	}
	return c
}

func benchHay1s(b *testing.B, c *biophys.Cell) {
	path := filepath.Join(hayDir, "syn_seed1.events.csv.gz")
	evs, err := biophys.ReadEvents(path, bytes.NewReader(readGz(b, path)), c)
	if err != nil {
		b.Fatal(err)
	}
	tm, err := biophys.Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	spikes := 0
	cpu0 := cpuSeconds()
	for b.Loop() {
		sys, err := biophys.NewSystem([]biophys.Instance{{T: tm}}, 0.025)
		if err != nil {
			b.Fatal(err)
		}
		sys.AddEvents(0, evs)
		if err := sys.Run(1000, nil); err != nil {
			b.Fatal(err)
		}
		spikes = len(sys.Spikes())
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "wall-s/sim-s")
	b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/sim-s")
	b.ReportMetric(float64(spikes), "spikes")
}

// BenchmarkHayPopulation steps 8 Hay cells for 250 ms in one System (one
// worker), each with its own Poisson input (exc 10 Hz x 0.006 uS, inh 10 Hz
// x 0.001 uS per synapse), the work of
//
//	neurosurrogate simulate --cell hay-l5pc --cells 8 --tstop 250 --rate-exc 10 --rate-inh 10 --w-exc 0.006 --w-inh 0.001 --workers 1
//
// cpu-s/cell-s is the CPU time per simulated cell-second; mech as in
// BenchmarkHay1s.
func BenchmarkHayPopulation(b *testing.B) {
	for _, mech := range []string{"go", "nmodl"} {
		b.Run("mech="+mech, func(b *testing.B) { benchHayPopulation(b, hayCell(b, mech)) })
	}
}

func benchHayPopulation(b *testing.B, c *biophys.Cell) {
	const cells, tstopMS = 8, 250.0
	tm, err := biophys.Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuSeconds()
	for b.Loop() {
		in := make([]biophys.Instance, cells)
		for i := range in {
			in[i] = biophys.Instance{T: tm}
		}
		sys, err := biophys.NewSystem(in, 0.025)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < cells; i++ {
			for s := range c.Synapses {
				rate, w := 10.0, 0.001
				if c.Excitatory(s) {
					w = 0.006
				}
				sys.AddStream(i, s, biophys.NewPoisson(rate, w, 0, biophys.Seed(1, uint64(i)), uint64(s)))
			}
		}
		if err := sys.Run(tstopMS, nil); err != nil {
			b.Fatal(err)
		}
	}
	cellS := float64(b.N) * cells * tstopMS / 1000
	b.ReportMetric(b.Elapsed().Seconds()/cellS, "wall-s/cell-s")
	b.ReportMetric((cpuSeconds()-cpu0)/cellS, "cpu-s/cell-s")
}
