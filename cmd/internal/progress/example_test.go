package progress_test

import (
	"bytes"
	"fmt"
	"strings"

	"neurosurrogate/cmd/internal/progress"
)

// Off a terminal the bar writes plain lines; Done writes the last one.
func ExampleBar() {
	var out bytes.Buffer
	b := progress.NewTo(&out, false, "generate", 10, "traces")
	b.Set(10, "")
	b.Done()
	last := strings.TrimSpace(out.String()[strings.LastIndex(strings.TrimSpace(out.String()), "\n")+1:])
	fmt.Println(strings.HasPrefix(last, "generate"), strings.Contains(last, "10/10"))
	// Output: true true
}
