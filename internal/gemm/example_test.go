package gemm_test

import (
	"fmt"

	"neurosurrogate/internal/gemm"
)

// C = A B for row-major float32 matrices, on the widest kernel the machine
// has.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4}       // 2 x 2
	b := []float32{1, 0, 1, 0, 1, 1} // 2 x 3
	c := make([]float32, 6)
	gemm.Sgemm(2, 3, 2, a, 2, b, 3, c, 3)
	fmt.Println(c)
	// Output: [1 2 3 3 4 7]
}
