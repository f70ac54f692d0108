package infer

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/internal/inputerr"
)

// FuzzParseNetwork: whatever the bytes, ParseNetwork returns a network or
// an error naming the file, never panics; what it accepts survives its
// own encoding unchanged. Seeds are the shipped networks and bad inputs.
// Run: go test -run '^$' -fuzz '^FuzzParseNetwork$' -fuzztime 10s ./infer
func FuzzParseNetwork(f *testing.F) {
	for _, s := range []string{
		string(netJSON(twoPops)),
		inputerr.BOM + string(netJSON(twoPops)),
		string(netJSON(`"warmup_ms": 100.2, ` + twoPops)),
		string(netJSON(strings.Replace(twoPops, `"p": 0.1`, `"p": -0.1`, 1))),
		string(netJSON(strings.Replace(twoPops, `"dist": "lognormal"`, `"dist": "cauchy"`, 1))),
		string(netJSON(strings.Replace(twoPops, `"count": 20`, `"count": 9223372036854775807`, 1))),
		string(netJSON(strings.Replace(twoPops, `"k": 5`, `"k": 50`, 1))),
		string(netJSON(`"populations": []`)),
		string(netJSON(twoPops))[:200],
		"", "{}", "null",
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"default.json", "hh-ei.json", "hay-l5pc-100.json", "rett-stp.json"} {
		if b, err := artifacts.Read("networks/" + name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := ParseNetwork("fuzz.json", data)
		if err != nil {
			var ie *inputerr.Error
			var big *inputerr.TooLargeError
			if !(errors.As(err, &ie) && ie.File == "fuzz.json") && !errors.As(err, &big) {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("cannot encode an accepted network: %v", err)
		}
		again, err := ParseNetwork("again.json", b)
		if err != nil {
			t.Fatalf("an accepted network, encoded, is refused: %v\n%s", err, b)
		}
		if b2, _ := json.Marshal(again); string(b2) != string(b) {
			t.Fatalf("an accepted network changes when encoded and read again:\n%s\n%s", b, b2)
		}
	})
}
