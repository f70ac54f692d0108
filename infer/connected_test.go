package infer

import (
	"fmt"
	"math"
	"testing"

	"neurosurrogate/biophys"
)

// TestConnectedMatchesRollout: in a network A -> B with delay D, cell B of
// the network engine is the single-cell rollout of B's model on B's inputs:
// its own background events (taken from the same network without the
// projection, which draws them from the same seeded streams) plus every
// spike of A arriving at t_spike + D. Spike times must be identical and Vm
// within 1e-3 mV, and the engine must record exactly those inputs.
//
// It runs for the shipped hh model (timing inputs in two sub-bins, so a
// recurrent event starts the second one) and the whole-bin model (in the
// middle of its bin), delays of one step and more, a shifted readout and a
// warm-up.
func TestConnectedMatchesRollout(t *testing.T) {
	for _, tc := range []struct {
		name            string
		model           string
		delayMS         float64
		shiftMS, warmMS float64
	}{
		{"hh, delay one step", "hh", 0.5, 0, 0},
		{"hh, delay 2 ms", "hh", 2, 0, 0},
		{"hh, delay 3.5 ms, readout shifted 1 ms", "hh", 3.5, 1, 0},
		{"hh, delay 2 ms after a 100 ms warm-up", "hh", 2, 0, 100},
		{"whole bins, delay one step", wholeBinModel, 0.5, 0, 0},
		{"whole bins, delay 2 ms", wholeBinModel, 2, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) { testConnected(t, tc.model, tc.delayMS, tc.shiftMS, tc.warmMS) })
	}
}

// connectedNet is A (3 strongly driven cells) -> B (2 weakly driven cells),
// every A cell onto B's exc synapse with weight connectedW and delay delayMS;
// without the projection when connected is false.
func connectedNet(model string, delayMS float64, connected bool) string {
	proj := ""
	if connected {
		proj = fmt.Sprintf(`, "projections": [{"from": "A", "to": "B", "synapse": "exc", "rule": "probability", "p": 1, "weight_uS": %g, "delay_ms": %g}]`, connectedW, delayMS)
	}
	return fmt.Sprintf(`"populations": [
  {"name": "A", "cell": "hh", "model": %q, "count": 3, "background": [{"synapse": "exc", "rate_hz": 2500, "weight_uS": 0.003}]},
  {"name": "B", "cell": "hh", "model": %q, "count": 2, "background": [{"synapse": "exc", "rate_hz": 1000, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]}
]%s`, model, model, proj)
}

const connectedW = 0.002

func testConnected(t *testing.T, model string, delayMS, shiftMS, warmMS float64) {
	const tstop = 400.0
	const target = 4 // the second cell of B
	net := build(t, netJSON(connectedNet(model, delayMS, true)))
	alone := build(t, netJSON(connectedNet(model, delayMS, false)))
	for _, b := range []*Built{net, alone} {
		for _, p := range b.Pops {
			p.Model.Readout.ShiftMS = shiftMS
		}
	}
	opt := EngineOptions{WarmupMS: warmMS, Record: []int{target}, RecordV: []int{target}}
	run, err := RunSurrogate(net, tstop, opt)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := RunSurrogate(alone, tstop, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Synapses(); got != 6 {
		t.Fatalf("%d connections, want 3 x 2", got)
	}

	// B's inputs built here: its background plus A's spikes after the delay.
	// A receives nothing, so its spikes are those of the run; the warm-up's,
	// which a run leaves out, come from the same network run from time 0
	// for warm-up + tstop (the same simulation, TestWarmup).
	full := run
	if warmMS > 0 {
		if full, err = RunSurrogate(net, warmMS+tstop, EngineOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	var aSpikes []float64
	for _, s := range full.Spikes {
		if s.Cell < 3 {
			aSpikes = append(aSpikes, s.TimeMS-warmMS)
		}
	}
	syn := net.Pops[1].Cell.SynapseIndex("exc")
	var rec []biophys.Event
	for _, s := range aSpikes {
		rec = append(rec, biophys.Event{TimeMS: s + delayMS, Syn: syn, WeightUS: connectedW})
	}
	if len(rec) < 20 {
		t.Fatalf("A fired %d spikes: too few to test delivery", len(rec))
	}
	want := biophys.MergeEvents(bg.Inputs[target], rec)

	// The engine records exactly these inputs.
	got := run.Inputs[target]
	if len(got) != len(want) {
		t.Fatalf("engine recorded %d inputs of B, want %d (%d background, %d from A)", len(got), len(want), len(bg.Inputs[target]), len(rec))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.TimeMS-w.TimeMS) > 1e-9 || g.Syn != w.Syn || float32(g.WeightUS) != float32(w.WeightUS) {
			t.Fatalf("input %d recorded as %+v, want %+v", i, g, w)
		}
	}

	// The rollout of B's model on those inputs, from the start of the warm-up.
	p := net.Pops[1]
	shifted := make([]biophys.Event, len(want))
	for i, e := range want {
		e.TimeMS += run.WarmupMS
		shifted[i] = e
	}
	tr, _, _, err := Surrogate(p.Model, p.Cell, shifted, run.Steps)
	if err != nil {
		t.Fatal(err)
	}
	var rollSpikes []float64
	for _, s := range tr.Spikes {
		if s >= run.WarmupMS {
			rollSpikes = append(rollSpikes, s-run.WarmupMS)
		}
	}
	netSpikes := trains(run.Spikes, net.Cells)[target]
	if len(netSpikes) < 3 || len(netSpikes) != len(rollSpikes) {
		t.Fatalf("B spiked %d times in the network, %d in the rollout: %v vs %v", len(netSpikes), len(rollSpikes), netSpikes, rollSpikes)
	}
	for i := range netSpikes {
		if math.Abs(netSpikes[i]-rollSpikes[i]) > 1e-9 {
			t.Fatalf("spike %d at %g ms in the network, %g in the rollout", i, netSpikes[i], rollSpikes[i])
		}
	}
	warm := run.Steps - len(run.V[target]) + 1
	worst := 0.0
	for k, v := range run.V[target] {
		worst = math.Max(worst, math.Abs(float64(v)-tr.V[warm+k]))
	}
	if worst > 1e-3 {
		t.Errorf("B's Vm differs from the rollout by up to %g mV", worst)
	}

	// The projection matters: without it B's Vm is another trace.
	apart := 0.0
	for k, v := range run.V[target] {
		apart = math.Max(apart, math.Abs(float64(v-bg.V[target][k])))
	}
	if apart < 5 {
		t.Errorf("A's input moves B's Vm by at most %g mV", apart)
	}
	t.Logf("A %d spikes, B %d; Vm within %.2g mV of the rollout, %.3g mV from the unconnected run", len(aSpikes), len(netSpikes), worst, apart)
}
