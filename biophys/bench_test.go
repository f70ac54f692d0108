package biophys_test

import (
	"testing"

	"neurosurrogate/biophys"
)

// benchPopulation runs n cells of a built-in cell for 1 s under Poisson input
// (exc 100 Hz, inh 50 Hz, 0.004 uS), as a NEURON population run of the same cells would (NEURON figures: docs/results.md).
func benchPopulation(b *testing.B, cellName string, n, workers int) {
	c := loadCell(b, cellName)
	tm, err := biophys.Compile(c)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		cells := make([]biophys.Instance, n)
		for i := range cells {
			cells[i] = biophys.Instance{T: tm}
		}
		pop, err := biophys.NewPopulation(cells, 0.025, workers)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < n; i++ {
			sys, local := pop.Locate(i)
			sys.AddStream(local, 0, biophys.NewPoisson(100, 0.004, 0, biophys.Seed(1, uint64(i)), 0))
			sys.AddStream(local, 1, biophys.NewPoisson(50, 0.004, 0, biophys.Seed(1, uint64(i)), 1))
		}
		if err := pop.Advance(biophys.StepsFor(1000, 0.025), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*1000/(b.Elapsed().Seconds()/float64(b.N)), "cell-ms/s")
}

func BenchmarkHH1000x1s(b *testing.B)        { benchPopulation(b, "hh", 1000, 0) }
func BenchmarkBallstick100x1s(b *testing.B)  { benchPopulation(b, "ballstick", 100, 0) }
func BenchmarkHH1000x1sOneCore(b *testing.B) { benchPopulation(b, "hh", 1000, 1) }
