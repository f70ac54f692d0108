package biophys_test

import (
	"fmt"
	"path/filepath"

	"neurosurrogate/biophys"
)

// A Hodgkin–Huxley point cell driven by a 0.1 nA current step fires
// repetitively; the same step 20 times weaker does not reach threshold.
func Example() {
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		fmt.Println(err)
		return
	}
	tm, err := biophys.Compile(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, amp := range []float64{0.005, 0.1} {
		clamp := biophys.Clamp{Node: tm.SpikeNode, DelMS: 10, DurMS: 100, AmpNA: amp}
		sys, err := biophys.NewSystem([]biophys.Instance{{T: tm, Clamps: []biophys.Clamp{clamp}}}, 0.025)
		if err != nil {
			fmt.Println(err)
			return
		}
		spikes := 0
		if err := sys.Run(120, func(s *biophys.System) { spikes += len(s.Spikes()) }); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%.3f nA: %d spikes\n", amp, spikes)
	}
	// Output:
	// 0.005 nA: 0 spikes
	// 0.100 nA: 7 spikes
}
