package sysmem_test

import (
	"fmt"

	"neurosurrogate/internal/sysmem"
)

// Jobs compare what they need with the machine's memory before starting.
func ExamplePhysical() {
	need := int64(1 << 20)
	fmt.Println("fits:", need < sysmem.Physical()/4*3)
	// Output: fits: true
}
