package infer

import (
	"math"
	"strings"
	"testing"

	"neurosurrogate/artifacts"
	"neurosurrogate/biophys"
)

// TestSTPRegularTrains: for a regular presynaptic train with interval Δ,
// the model's recursions are linear with closed forms: with depression
// only, R_n = R* + (1 − R*)·((1 − U)·e_r)^(n−1), R* = (1 − e_r)/(1 − (1 −
// U)·e_r), e_r = exp(−Δ/τ_rec); with facilitation only, u_n = u* + (U −
// u*)·((1 − U)·e_f)^(n−1), u* = U/(1 − (1 − U)·e_f); with both, the steady
// state u*, R* = (1 − e_r)/(1 − (1 − u*)·e_r). Every spike's efficacy u·R
// must match to 1e-12.
func TestSTPRegularTrains(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    STP
		dt   float64
	}{
		{"depression, 20 Hz", STP{U: 0.5, TauRecMS: 800}, 50},
		{"depression, 100 Hz, weak", STP{U: 0.1, TauRecMS: 200}, 10},
		{"facilitation, 50 Hz", STP{U: 0.05, TauFacilMS: 300}, 20},
		{"both, the Rett baseline at 40 Hz", STP{U: 0.38, TauRecMS: 365.6, TauFacilMS: 25.71}, 25},
		{"both, facilitating at 100 Hz", STP{U: 0.15, TauRecMS: 50, TauFacilMS: 500}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			er, ef := math.Exp(-tc.dt/p.TauRecMS), math.Exp(-tc.dt/p.TauFacilMS)
			if p.TauRecMS == 0 {
				er = 0
			}
			if p.TauFacilMS == 0 {
				ef = 0
			}
			uStar := p.U / (1 - (1-p.U)*ef)
			rStar := (1 - er) / (1 - (1-uStar)*er)
			var s stpState
			var got float64
			for n := 1; n <= 400; n++ {
				got = p.efficacy(&s, 1000+float64(n-1)*tc.dt)
				var want float64
				switch {
				case p.TauFacilMS == 0:
					want = p.U * (rStar + (1-rStar)*math.Pow((1-p.U)*er, float64(n-1)))
				case p.TauRecMS == 0:
					want = uStar + (p.U-uStar)*math.Pow((1-p.U)*ef, float64(n-1))
				case n == 1:
					want = p.U
				default:
					continue
				}
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("spike %d: efficacy %.15g, want %.15g", n, got, want)
				}
			}
			if want := uStar * rStar; math.Abs(got-want) > 1e-12 {
				t.Errorf("steady state %.15g, want u*·R* = %.15g", got, want)
			}
		})
	}
	// A long pause restores the synapse: the next spike delivers U again.
	p := STP{U: 0.3, TauRecMS: 100, TauFacilMS: 50}
	var s stpState
	for n := 0; n < 20; n++ {
		p.efficacy(&s, float64(n)*5)
	}
	if got := p.efficacy(&s, 1e5); math.Abs(got-p.U) > 1e-12 {
		t.Errorf("after 100 s of silence the efficacy is %g, want U = %g", got, p.U)
	}
}

// stpNet is connectedNet with STP on the projection.
func stpNet(model, stp string) string {
	return strings.Replace(connectedNet(model, 1, true), `"delay_ms": 1}`, `"delay_ms": 1, "stp": `+stp+`}`, 1)
}

const stpRett = `{"U": 0.38, "tau_rec_ms": 365.6, "tau_facil_ms": 25.71}`

// stpInputs is what B's cell target receives in network b: its background
// (recorded in the network without the projection) and, for every spike of
// A (cells 0–2) in aSpikes, the plastic connection's event one delay later
// with weight connectedW·u·R, u and R from the recursions written out
// here.
func stpInputs(t *testing.T, bg []biophys.Event, aSpikes []NetSpike, syn int, p STP, delayMS float64) []biophys.Event {
	t.Helper()
	type conn struct{ u, r, last float64 }
	state := map[int32]*conn{}
	var rec []biophys.Event
	for _, s := range aSpikes {
		if s.Cell >= 3 {
			continue
		}
		c := state[s.Cell]
		u, r := p.U, 1.0
		if c != nil {
			d := s.TimeMS - c.last
			u = p.U + c.u*(1-p.U)*math.Exp(-d/p.TauFacilMS)
			r = 1 - (1-c.r+c.u*c.r)*math.Exp(-d/p.TauRecMS)
		}
		state[s.Cell] = &conn{u, r, s.TimeMS}
		rec = append(rec, biophys.Event{TimeMS: s.TimeMS + delayMS, Syn: syn, WeightUS: float64(float32(float64(float32(connectedW)) * u * r))})
	}
	if len(rec) < 20 {
		t.Fatalf("A fired %d spikes: too few to test plasticity", len(rec))
	}
	return biophys.MergeEvents(bg, rec)
}

// TestSTPDelivered: a plastic projection A -> B delivers, in the surrogate
// engine and in the reference, weight·u·R at every spike of A (checked
// against the recursions written out in the test): the surrogate engine
// records exactly those inputs of B, and the reference network's B spikes
// exactly as the reference cell does on them.
func TestSTPDelivered(t *testing.T) {
	const tstop, target = 400.0, 4
	p := STP{U: 0.38, TauRecMS: 365.6, TauFacilMS: 25.71}
	net := build(t, netJSON(stpNet("hh", stpRett)))
	alone := build(t, netJSON(connectedNet("hh", 1, false)))
	if len(net.STP) != 1 || net.Edges[0].Plastic != 1 {
		t.Fatalf("built STP %v, edge %+v", net.STP, net.Edges[0])
	}
	opt := EngineOptions{Record: []int{target}}
	run, err := RunSurrogate(net, tstop, opt)
	if err != nil {
		t.Fatal(err)
	}
	bg, err := RunSurrogate(alone, tstop, opt)
	if err != nil {
		t.Fatal(err)
	}
	syn := net.Pops[1].Cell.SynapseIndex("exc")
	want := stpInputs(t, bg.Inputs[target], run.Spikes, syn, p, 1)
	got := run.Inputs[target]
	if len(got) != len(want) {
		t.Fatalf("engine recorded %d inputs of B, want %d", len(got), len(want))
	}
	depressed := 0
	for i := range want {
		g, w := got[i], want[i]
		if math.Abs(g.TimeMS-w.TimeMS) > 1e-9 || g.Syn != w.Syn || float32(g.WeightUS) != float32(w.WeightUS) {
			t.Fatalf("input %d recorded as %+v, want %+v", i, g, w)
		}
		if w.Syn == syn && w.WeightUS < 0.9*p.U*connectedW {
			depressed++
		}
	}
	if depressed == 0 {
		t.Error("no recurrent event below U·weight: the train does not depress")
	}

	// The reference network: A's reference spikes drive B through the same
	// plasticity; B's reference cell on those inputs spikes as B does.
	ref, err := RunReference(net, tstop, 0, 0.025, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := stpInputs(t, bg.Inputs[target], ref.Spikes, syn, p, 1)
	single, _, err := Reference(net.Pops[1].Cell, in, tstop, 0.025, net.SampleDT)
	if err != nil {
		t.Fatal(err)
	}
	netB := trains(ref.Spikes, net.Cells)[target]
	if len(netB) < 3 || len(netB) != len(single.Spikes) {
		t.Fatalf("B spiked %d times in the reference network, %d alone on its inputs", len(netB), len(single.Spikes))
	}
	for i, x := range single.Spikes {
		if math.Abs(netB[i]-x) > 1e-9 {
			t.Fatalf("B's spike %d at %g ms in the network, %g alone", i, netB[i], x)
		}
	}
	t.Logf("%d inputs of B, %d depressed below U·w; reference B %d spikes", len(want), depressed, len(netB))
}

func TestSTPErrors(t *testing.T) {
	for _, tc := range []struct{ stp, want string }{
		{`{"U": 0, "tau_rec_ms": 100, "tau_facil_ms": 0}`, "projections[0].stp.U: 0: the utilization must lie in (0, 1]"},
		{`{"U": 1.5, "tau_rec_ms": 100, "tau_facil_ms": 0}`, "stp.U: 1.5"},
		{`{"U": 0.5, "tau_rec_ms": -1, "tau_facil_ms": 0}`, "stp.tau_rec_ms: -1: must lie in [0, 1e+06] ms"},
		{`{"U": 0.5, "tau_rec_ms": 1, "tau_facil_ms": 1e300}`, "stp.tau_facil_ms: 1e+300"},
		{`{"U": 0.5, "tau_rec": 100}`, `unknown field "tau_rec"`},
	} {
		n, err := ParseNetwork("net.json", netJSON(stpNet("hh", tc.stp)))
		if err == nil {
			_, err = Build(n, artifacts.Resolver{})
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("stp %s: %v, want %q", tc.stp, err, tc.want)
		}
	}
	if _, err := ParseNetwork("net.json", netJSON(stpNet("hh", stpRett))); err != nil {
		t.Errorf("the Rett baseline: %v", err)
	}
}
