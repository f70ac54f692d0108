package graph_test

import (
	"fmt"

	"neurosurrogate/surrogate"
	_ "neurosurrogate/surrogate/graph" // registers the "gorgonia" engine
)

// The gorgonia graph is one of the CNN-LSTM's training engines, chosen by
// name like the hand-written one.
func Example() {
	fmt.Println(surrogate.Engines(surrogate.DefaultFamily))
	// Output: [gorgonia unrolled]
}
