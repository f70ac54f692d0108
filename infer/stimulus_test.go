package infer

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
)

// stimNet is 10 weakly driven hh cells with the given stimuli (a JSON list
// body; "" for none).
func stimNet(warmMS float64, stimuli string) []byte {
	s := ""
	if stimuli != "" {
		s = `, "stimuli": [` + stimuli + `]`
	}
	return netJSON(fmt.Sprintf(`"warmup_ms": %g, "populations": [
  {"name": "A", "cell": "hh", "model": "hh", "count": 10, "background": [{"synapse": "exc", "rate_hz": 800, "weight_uS": 0.0015}, {"synapse": "inh", "rate_hz": 300, "weight_uS": 0.003}]}
]%s`, warmMS, s))
}

// TestStimuli: a volley reaches exactly the chosen fraction of the cells,
// once per synapse at its time (jittered by about its SD), a burst brings
// Poisson events at its rate within its window only; the surrogate engine
// records exactly these beside the background, and the reference network
// delivers the same (each cell spikes as the reference cell does on those
// inputs), with and without a warm-up.
func TestStimuli(t *testing.T) {
	const tstop = 300.0
	volley := `{"population": "A", "fraction": 0.5, "synapse": "exc", "time_ms": 50, "weight_uS": 0.02}`
	jittered := `{"population": "A", "class": "exc", "time_ms": 150, "jitter_ms": 2, "weight_uS": 0.001}`
	burst := `{"population": "A", "synapse": "inh", "rate_hz": 200, "start_ms": 100, "stop_ms": 200, "weight_uS": 0.002}`
	for _, warm := range []float64{0, 100} {
		t.Run(fmt.Sprintf("warm-up %g ms", warm), func(t *testing.T) {
			net := build(t, stimNet(warm, volley+", "+jittered+", "+burst))
			plain := build(t, stimNet(warm, ""))
			all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
			opt := EngineOptions{WarmupMS: warm, Record: all, RecordV: []int{2}}
			run, err := RunSurrogate(net, tstop, opt)
			if err != nil {
				t.Fatal(err)
			}
			bg, err := RunSurrogate(plain, tstop, opt)
			if err != nil {
				t.Fatal(err)
			}
			exc, inh := net.Pops[0].Cell.SynapseIndex("exc"), net.Pops[0].Cell.SynapseIndex("inh")
			volleyed, burstEvents := 0, 0
			var jit []float64
			for _, c := range all {
				extra := subtractEvents(t, run.Inputs[c], bg.Inputs[c])
				gotVolley := false
				for _, e := range extra {
					switch {
					case e.WeightUS == 0.02 && e.Syn == exc && e.TimeMS == 50:
						if gotVolley {
							t.Fatalf("cell %d got the volley twice", c)
						}
						gotVolley = true
					case e.WeightUS == 0.001 && e.Syn == exc:
						jit = append(jit, e.TimeMS-150)
					case e.WeightUS == 0.002 && e.Syn == inh && e.TimeMS >= 100 && e.TimeMS < 200:
						burstEvents++
					default:
						t.Fatalf("cell %d: unexpected input %+v", c, e)
					}
				}
				if gotVolley {
					volleyed++
				}
			}
			// 10 cells x 200 Hz x 100 ms: 200 events, Poisson SD 14.
			if volleyed != 5 || len(jit) != 10 || math.Abs(float64(burstEvents)-200) > 60 {
				t.Fatalf("%d cells got the volley (want 5), %d the jittered one (want 10), %d burst events (want about 200)", volleyed, len(jit), burstEvents)
			}
			sd := 0.0
			for _, d := range jit {
				sd += d * d
			}
			if sd = math.Sqrt(sd / float64(len(jit))); sd < 0.8 || sd > 4 {
				t.Errorf("jitter SD %.2f ms, want about 2", sd)
			}

			// The surrogate received them: the rollout of cell 2's model on
			// its recorded inputs is its trace in the network.
			in := make([]biophys.Event, len(run.Inputs[2]))
			for i, e := range run.Inputs[2] {
				e.TimeMS += run.WarmupMS
				in[i] = e
			}
			tr, _, _, err := Surrogate(net.Pops[0].Model, net.Pops[0].Cell, in, run.Steps)
			if err != nil {
				t.Fatal(err)
			}
			first := run.Steps - len(run.V[2]) + 1
			for k, v := range run.V[2] {
				if d := math.Abs(float64(v) - tr.V[first+k]); d > 1e-3 {
					t.Fatalf("cell 2 at sample %d: %g mV in the network, %g in the rollout on its recorded inputs", k, v, tr.V[first+k])
				}
			}

			// The reference network delivers the same events.
			ref, err := RunReference(net, tstop, warm, 0.025, 0, nil)
			if err != nil {
				t.Fatal(err)
			}
			spikes := trains(ref.Spikes, net.Cells)
			for _, c := range []int{0, 3, 7} {
				in := make([]biophys.Event, len(run.Inputs[c]))
				for i, e := range run.Inputs[c] {
					e.TimeMS += warm
					in[i] = e
				}
				single, _, err := Reference(net.Pops[0].Cell, in, warm+tstop, 0.025, net.SampleDT)
				if err != nil {
					t.Fatal(err)
				}
				var want []float64
				for _, s := range single.Spikes {
					if s >= warm {
						want = append(want, s-warm)
					}
				}
				if len(want) < 3 || len(want) != len(spikes[c]) {
					t.Fatalf("cell %d: %d spikes in the reference network, %d alone on its inputs", c, len(spikes[c]), len(want))
				}
				for i := range want {
					if math.Abs(want[i]-spikes[c][i]) > 1e-9 {
						t.Fatalf("cell %d spike %d: %g ms in the network, %g alone", c, i, spikes[c][i], want[i])
					}
				}
			}
		})
	}
}

// subtractEvents returns the events of all (sorted) that are not in part
// (a sorted subset of it).
func subtractEvents(t *testing.T, all, part []biophys.Event) []biophys.Event {
	t.Helper()
	var out []biophys.Event
	j := 0
	for _, e := range all {
		if j < len(part) && part[j] == e {
			j++
			continue
		}
		out = append(out, e)
	}
	if j != len(part) {
		t.Fatalf("%d of %d background events are missing from the stimulated run", len(part)-j, len(part))
	}
	return out
}

func TestStimulusErrors(t *testing.T) {
	for _, tc := range []struct{ stim, want string }{
		{`{"population": "B", "synapse": "exc", "time_ms": 5, "weight_uS": 0.01}`, `stimuli[0].population: unknown population "B"`},
		{`{"population": "A", "time_ms": 5, "weight_uS": 0.01}`, "stimuli[0]: give either synapse or class"},
		{`{"population": "A", "synapse": "exc", "weight_uS": 0.01}`, "give time_ms (a volley) or rate_hz"},
		{`{"population": "A", "synapse": "exc", "time_ms": 5, "rate_hz": 10, "weight_uS": 0.01}`, "stimuli[0].time_ms: a stimulus is a volley"},
		{`{"population": "A", "synapse": "exc", "time_ms": -5, "weight_uS": 0.01}`, "time_ms: -5: must be a time >= 0"},
		{`{"population": "A", "synapse": "exc", "time_ms": 5, "fraction": 0, "weight_uS": 0.01}`, "fraction: 0: must lie in (0, 1]"},
		{`{"population": "A", "synapse": "exc", "time_ms": 5, "weight_uS": -1}`, "weight_uS: -1"},
		{`{"population": "A", "synapse": "exc", "rate_hz": 10, "start_ms": 50, "stop_ms": 20, "weight_uS": 0.01}`, "stop_ms: 20: must follow start_ms 50"},
		{`{"population": "A", "synapse": "exc", "rate_hz": 0, "start_ms": 5, "stop_ms": 20, "weight_uS": 0.01}`, "rate_hz: 0"},
		{`{"population": "A", "synapse": "exc", "rate_hz": 5, "start_ms": 5, "stop_ms": 20, "jitter_ms": 1, "weight_uS": 0.01}`, "jitter_ms: applies to a volley"},
		{`{"population": "A", "synapse": "gaba", "time_ms": 5, "weight_uS": 0.01}`, `stimuli[0]: cell hh has no synapse "gaba"`},
		{`{"population": "A", "synapse": "exc", "rate_hz": 1e6, "start_ms": 0, "stop_ms": 1e8, "weight_uS": 0.01}`, "more than the"},
	} {
		n, err := ParseNetwork("net.json", stimNet(0, tc.stim))
		if err == nil {
			_, err = Build(n, artifacts.Resolver{})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "net.json:") {
			t.Errorf("stimulus %s: %v, want %q", tc.stim, err, tc.want)
		}
	}
}

// TestRettExample: the shipped Rett-style network (plastic recurrence, a
// volley at 100 ms) answers its stimulus with a synchronous burst: the
// 20 ms after the volley fire at several times the rate before it, the
// PSTH peaks within them, and the plastic projection is built.
func TestRettExample(t *testing.T) {
	data, src, err := artifacts.ReadNetwork("rett-stp")
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNetwork(src, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(n, artifacts.Resolver{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Cells != 150 || len(b.STP) != 1 || b.STP[0].U != 0.38 || len(b.Stim) != 150 || len(b.Stim[0]) != 150 {
		t.Fatalf("%d cells, STP %v, stimulus events of cell 0: %d", b.Cells, b.STP, len(b.Stim[0]))
	}
	run, err := RunSurrogate(b, 300, EngineOptions{WarmupMS: n.WarmupMS})
	if err != nil {
		t.Fatal(err)
	}
	r := ComputeReadouts(b, run, ReadoutOptions{StimMS: 100, WindowMS: 20, BinMS: 5})
	before := 0
	for _, s := range run.Spikes {
		if s.TimeMS < 100 {
			before++
		}
	}
	rateBefore := float64(before) / 150 / 100 * 1000
	t.Logf("rate before %.1f Hz, after the volley %.1f Hz, PSTH peak %.0f Hz %.1f ms after it", rateBefore, r.StimRateHz, r.PSTHPeakHz, r.PSTHLatencyMS)
	if !(r.StimRateHz > 4*rateBefore) || !(r.PSTHLatencyMS < 20) || rateBefore == 0 {
		t.Errorf("rate before %.1f Hz, in the 20 ms after the volley %.1f Hz, PSTH peak %.1f ms after it", rateBefore, r.StimRateHz, r.PSTHLatencyMS)
	}
}
