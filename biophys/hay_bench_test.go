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
// than the wall time on a shared machine.
func BenchmarkHay1s(b *testing.B) {
	c := loadCell(b, "hay-l5pc")
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
