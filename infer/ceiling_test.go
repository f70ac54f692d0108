package infer

import (
	"math"
	"testing"

	"neurosurrogate/artifacts"
)

// TestBackgroundDrop: dropping a fraction of a background stream keeps the
// other events exactly (their times and weights are the full stream's) and
// drops about that fraction, chosen by its own seeded stream.
func TestBackgroundDrop(t *testing.T) {
	mk := func(drop float64) *bgEvents {
		s := &bgEvents{rng: newStreamRNG(7, 2, 0, 0, 3, 1), rate: 1000, w: 0.002, drop: drop, dropRNG: newStreamRNG(7, 3, 0, 0, 3, 1)}
		s.next = s.rng.exp() * 1000 / s.rate
		return s
	}
	full, dropped := mk(0), mk(0.1)
	var all []float64
	for {
		tm, w, ok := full.Next()
		if !ok || tm > 20000 {
			break
		}
		if w != 0.002 {
			t.Fatalf("weight %v", w)
		}
		all = append(all, tm)
	}
	kept := map[float64]bool{}
	for {
		tm, _, ok := dropped.Next()
		if !ok || tm > 20000 {
			break
		}
		kept[tm] = true
	}
	n := 0
	for _, tm := range all {
		if kept[tm] {
			n++
		}
	}
	if n != len(kept) {
		t.Fatalf("%d of %d kept events are not events of the full stream", len(kept)-n, len(kept))
	}
	if frac := 1 - float64(len(kept))/float64(len(all)); math.Abs(frac-0.1) > 0.015 || len(all) < 15000 {
		t.Errorf("dropped %.3f of %d events, want about 0.1", frac, len(all))
	}
}

// TestCeiling: the reference network with 1% of its background left out
// runs, differs from the reference (a recurrent network is sensitive), and
// its comparison with the reference is reported; with nothing dropped the
// same comparison is perfect.
func TestCeiling(t *testing.T) {
	n, err := ParseNetwork("small.json", []byte(`{"name": "small", "seed": 3,
	  "populations": [{"name": "E", "cell": "hh", "model": "hh", "count": 20,
	                   "background": [{"synapse": "exc", "rate_hz": 2000, "weight_uS": 0.002}, {"synapse": "inh", "rate_hz": 500, "weight_uS": 0.003}]}],
	  "projections": [{"from": "E", "to": "E", "synapse": "exc", "rule": "probability", "p": 0.3, "weight_uS": 0.002, "delay_ms": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(n, artifacts.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	sur, err := RunSurrogate(b, 300, EngineOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	full, err := RunReference(b, 300, 0, 0.025, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	ceil, err := RunCeiling(b, 300, 0, 0.025, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	same := len(ceil.Spikes) == len(full.Spikes)
	for i := 0; same && i < len(full.Spikes); i++ {
		same = ceil.Spikes[i] == full.Spikes[i]
	}
	if same || len(full.Spikes) < 100 {
		t.Fatalf("dropping 1%% of the background changed nothing (%d reference spikes)", len(full.Spikes))
	}
	r := Summarize(b, sur, nil, full)
	r.AddCeiling(b, full, ceil)
	if r.CeilingRateHz == nil || !(*r.CeilingRateHz > 0) || !(*r.CeilingPSTHCorr > 0.5 && *r.CeilingPSTHCorr < 1) || !(*r.CeilingRateCorr <= 1) {
		t.Errorf("ceiling rate %v Hz, PSTH correlation %v, rate correlation %v", *r.CeilingRateHz, *r.CeilingPSTHCorr, *r.CeilingRateCorr)
	}
	r.AddCeiling(b, full, full)
	if *r.CeilingPSTHCorr != 1 || *r.CeilingRateCorr != 1 || *r.CeilingRateDistance != 0 {
		t.Errorf("the reference against itself: PSTH correlation %v, rate correlation %v, distance %v", *r.CeilingPSTHCorr, *r.CeilingRateCorr, *r.CeilingRateDistance)
	}
}
