package inputerr_test

import (
	"encoding/json"
	"fmt"

	"neurosurrogate/internal/inputerr"
)

// encoding/json says where a syntax error is as a byte offset; the error a
// user reads names the line.
func ExampleFromJSON() {
	data := []byte("{\n  \"a\": 1,\n  \"b\": ]\n}")
	var v map[string]any
	err := json.Unmarshal(data, &v)
	fmt.Println(inputerr.FromJSON("cell.json", data, err))
	// Output: cell.json:3: invalid JSON: invalid character ']' looking for beginning of value
}
