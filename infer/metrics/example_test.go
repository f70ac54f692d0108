package metrics_test

import (
	"fmt"

	"neurosurrogate/infer/metrics"
)

// Spikes match one to one within ±2 ms: of the surrogate's three spikes two
// fall near a reference spike, so precision is 2/3 and recall 2/2.
func ExampleScore() {
	ref := []float64{10, 50}
	sur := []float64{11.5, 30, 52}
	s := metrics.Score(ref, sur, 2)
	fmt.Printf("matched %d, precision %.3f, recall %.3f, F1 %.3f\n", s.Matched, s.Precision, s.Recall, s.F1)
	// Output: matched 2, precision 0.667, recall 1.000, F1 0.800
}
