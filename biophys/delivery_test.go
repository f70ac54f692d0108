package biophys

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestEventDeliveryBoundary checks the rule every conformance result rests
// on: an event at te is delivered at the start of the step [t, t + dt] with
// te <= t + dt/2, t being accumulated from half steps as NEURON does. After K
// steps, one event is queued at t_K, just below, exactly at and just above
// b = t_K + dt/2 (the neighbouring doubles), and at t_K + dt; by the rule
// the first three act from step K+1, the others from step K+2. NEURON 8.2
// agrees (testdata/neuron/event_boundary.json, made by event_boundary.py on
// the same doubles: the first step whose soma Vm departs from the run
// without the event). Here that step is checked twice: the synapse's
// conductance is first nonzero after it, and Vm first departs then.
func TestEventDeliveryBoundary(t *testing.T) {
	path := filepath.Join("testdata", "neuron", "event_boundary.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Dt     float64 `json:"dt_ms"`
		Weight float64 `json:"weight_uS"`
		Cases  []struct {
			K         int     `json:"k"`
			Where     string  `json:"where"`
			TK        float64 `json:"t_k"`
			EventMS   float64 `json:"event_ms"`
			FirstStep int     `json:"first_step"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if g.Dt != 0.025 || g.Weight <= 0 || len(g.Cases) != 30 {
		t.Fatalf("%s: dt %v ms, weight %v uS, %d cases; want 0.025, > 0, 30", path, g.Dt, g.Weight, len(g.Cases))
	}
	// By hand, from the rule: the step (after step K) from which the event acts.
	byRule := map[string]int{"start": 1, "before": 1, "at": 1, "after": 2, "end": 2}
	eventTime := func(where string, tk float64) float64 {
		b := tk + 0.5*g.Dt
		switch where {
		case "start":
			return tk
		case "before":
			return math.Nextafter(b, math.Inf(-1))
		case "at":
			return b
		case "after":
			return math.Nextafter(b, math.Inf(1))
		case "end":
			return tk + g.Dt
		}
		t.Fatalf("unknown case %q", where)
		return 0
	}
	c, err := LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		t.Fatal(err)
	}
	tm, err := Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	newSys := func() *System {
		s, err := NewSystem([]Instance{{T: tm}}, g.Dt)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range g.Cases {
		t.Run(fmt.Sprintf("K=%d/%s", tc.K, tc.Where), func(t *testing.T) {
			s, base := newSys(), newSys()
			for range tc.K {
				if err := s.Step(); err != nil {
					t.Fatal(err)
				}
				if err := base.Step(); err != nil {
					t.Fatal(err)
				}
			}
			if s.T() != tc.TK {
				t.Fatalf("t after %d steps is %v, NEURON's %v", tc.K, s.T(), tc.TK)
			}
			te := eventTime(tc.Where, s.T())
			if te != tc.EventMS {
				t.Fatalf("event time %v, NEURON's script used %v", te, tc.EventMS)
			}
			want := tc.K + byRule[tc.Where]
			if tc.FirstStep != want {
				t.Errorf("NEURON's first step %d, the rule says %d", tc.FirstStep, want)
			}
			id := s.SynapseID(0, c.SynapseIndex("exc"))
			s.Queue(id, te, g.Weight)
			syn := s.targets[id].k.(*expSyn)
			firstG, firstV := -1, -1
			for step := tc.K + 1; step <= tc.K+3; step++ {
				if err := s.Step(); err != nil {
					t.Fatal(err)
				}
				if err := base.Step(); err != nil {
					t.Fatal(err)
				}
				if firstG < 0 && syn.g[s.targets[id].inst] != 0 {
					firstG = step
				}
				if firstV < 0 && s.V(0) != base.V(0) {
					firstV = step
				}
			}
			if firstG != want || firstV != want {
				t.Errorf("event at %v (t_K %v): conductance first nonzero after step %d, Vm first departs at step %d; want step %d (NEURON: %d)",
					te, tc.TK, firstG, firstV, want, tc.FirstStep)
			}
		})
	}
}
