package grugraph_test

import (
	"fmt"

	"neurosurrogate/surrogate"
	"neurosurrogate/surrogate/gru"
	_ "neurosurrogate/surrogate/gru/grugraph" // registers the gru family's engine "gorgonia"
)

// Training a gru model goes through the engine registry: one run of a
// chunk gives the loss and every weight's gradient; a step of gradient
// descent on the same chunk lowers the loss.
func Example() {
	a := surrogate.Arch{Family: gru.Family, Kernel: 1, Hidden: 4, Layers: 1, SampleDT: 0.5,
		Inputs: []surrogate.Input{{Name: "drive", Channels: []string{"drive"}}}}
	m, err := surrogate.New(a, surrogate.Norm{VOffset: -65, VScale: 10, InputScale: []float32{1}}, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("engines of family gru:", surrogate.Engines(gru.Family))
	const B, T = 2, 8
	eng, err := surrogate.NewEngine("gorgonia", m, B, T)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer eng.Close()
	ones := func(n int, v float32) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = v
		}
		return s
	}
	// Free running from rest towards a target Vm of 0.5 (normalized).
	chunk := func() *surrogate.Chunk {
		return &surrogate.Chunk{DUnf: ones(T*B, 1), VTeach: ones(T*B, 0), Mask: ones(T*B, 0), InvMask: ones(T*B, 1),
			VTarget: ones(T*B, 0.5), WV: ones(T*B, 1), Y: ones(T*B, 0), WS: ones(T*B, 1),
			VIn: ones(B, 0), H: [][]float32{ones(B*a.Hidden, 0)}}
	}
	var losses []float64
	for step := 0; step < 2; step++ {
		if err := eng.Run(chunk()); err != nil {
			fmt.Println(err)
			return
		}
		l, _, _ := eng.Loss()
		losses = append(losses, l)
		for name, g := range eng.Grads() {
			for i := range g {
				m.W[name].Data[i] -= 0.01 * g[i]
			}
		}
	}
	fmt.Println("loss lowered:", losses[1] < losses[0])
	// Output:
	// engines of family gru: [gorgonia]
	// loss lowered: true
}
