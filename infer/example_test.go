package infer_test

import (
	"fmt"

	"neurosurrogate/artifacts"
	"neurosurrogate/infer"
)

// A network is a description: parse it, build it (cells and models
// resolved, connectivity drawn from its seed), then run it.
func Example() {
	spec := `{"name": "pair", "seed": 1,
	  "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 2,
	                   "background": [{"synapse": "exc", "rate_hz": 1500, "weight_uS": 0.002}]}],
	  "projections": [{"from": "E", "to": "E", "synapse": "exc", "rule": "probability", "p": 1,
	                   "weight_uS": 0.002, "delay_ms": 1}]}`
	n, err := infer.ParseNetwork("pair.json", []byte(spec))
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := infer.Build(n, artifacts.Resolver{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := infer.RunSurrogate(b, 200, infer.EngineOptions{Workers: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("steps:", res.Steps, "spiking:", len(res.Spikes) > 0)
	// Output: steps: 400 spiking: true
}
