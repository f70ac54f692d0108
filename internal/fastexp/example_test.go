package fastexp_test

import (
	"fmt"

	"neurosurrogate/internal/fastexp"
)

// ExpAll gives Exp's bits for every element, on any machine.
func ExampleExpAll() {
	x := []float64{-1, 0, 1, 2}
	fastexp.ExpAll(x, x)
	fmt.Printf("%.12f %.1f %.12f %v\n", x[0], x[1], x[2], x[3] == fastexp.Exp(2))
	// Output: 0.367879441171 1.0 2.718281828459 true
}
