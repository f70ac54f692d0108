package fastlog_test

import (
	"fmt"
	"math"

	"neurosurrogate/internal/fastlog"
)

// LogAll gives math.Log's bits for every element, on any machine.
func ExampleLogAll() {
	x := []float64{1, math.E, 2e-4 / 1e-4, 0, 5e-5}
	fastlog.LogAll(x, x)
	fmt.Printf("%.1f %.1f %.12f %v %v\n", x[0], x[1], x[2], x[3], x[4] == math.Log(5e-5))
	// Output: 0.0 1.0 0.693147180560 -Inf true
}
