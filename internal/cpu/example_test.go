package cpu_test

import (
	"fmt"

	"neurosurrogate/internal/cpu"
)

// Every machine runs the generic kernels; Levels lists them first.
func ExampleLevels() {
	fmt.Println(cpu.Levels()[0])
	// Output: generic
}
