package artifacts_test

import (
	"fmt"

	"neurosurrogate/artifacts"
)

// The shipped models, by the names every command accepts.
func ExampleNames() {
	fmt.Println(artifacts.Names("models", ".safetensors"))
	// Output: [ballstick hay-l5pc hay-l5pc-multi hh]
}
