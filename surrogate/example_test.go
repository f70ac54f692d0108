package surrogate_test

import (
	"fmt"

	"neurosurrogate/surrogate"
)

// A freshly initialized CNN-LSTM with one excitatory input, run for a few
// samples on a batch of two cells from rest: the stream returns each
// cell's next Vm and spike probability every step.
func Example() {
	a := surrogate.Arch{
		Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}},
		Kernel: 4, Conv: 8, Hidden: 16, Layers: 1, SampleDT: 0.5,
	}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100}}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("family:", a.FamilyName(), "parameters:", a.ParamCount())
	s := surrogate.NewStream(m, 2, -65)
	for k := 0; k < 10; k++ {
		s.Step([]float32{0.004, 0}) // cell 0 gets 4 nS per bin, cell 1 nothing
	}
	fmt.Println("cells:", len(s.V), "probabilities in (0, 1):", s.P[0] > 0 && s.P[0] < 1 && s.P[1] > 0 && s.P[1] < 1)
	// Output:
	// family: cnn-lstm parameters: 1706
	// cells: 2 probabilities in (0, 1): true
}
