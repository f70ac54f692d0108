package activate_test

import (
	"fmt"

	"neurosurrogate/internal/activate"
)

// The scalar activations the vector kernels agree with.
func ExampleTanh32() {
	fmt.Printf("%.6f %.6f %.6f\n", activate.Tanh32(0.5), activate.Sigmoid32(0), activate.Exp32(1))
	// Output: 0.462117 0.500000 2.718282
}
