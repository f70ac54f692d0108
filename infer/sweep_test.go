package infer

import (
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseAxis(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"projections.0.stp.U=0.1:0.5:5", "projections.0.stp.U [0.1 0.2 0.30000000000000004 0.4 0.5]"},
		{"a.b=3,1, 2", "a.b [3 1 2]"},
		{"x=2:2:1", "x [2]"},
		{"x=1:2:1", "error"},
		{"x=1:2:0", "error"},
		{"x=1:2:200000", "error"},
		{"x=1,NaN", "error"},
		{"x=", "error"},
		{"=1,2", "error"},
		{"x", "error"},
	} {
		a, err := ParseAxis(tc.in)
		got := fmt.Sprint(a.Path, " ", a.Values)
		if err != nil {
			got = "error"
		}
		if got != tc.want {
			t.Errorf("ParseAxis(%q) = %s (%v), want %s", tc.in, got, err, tc.want)
		}
	}
}

func TestGrid(t *testing.T) {
	g := Grid([]Axis{{"a", []float64{1, 2}}, {"b", []float64{10, 20, 30}}})
	if got := fmt.Sprint(g); got != "[[1 10] [1 20] [1 30] [2 10] [2 20] [2 30]]" {
		t.Errorf("grid %s", got)
	}
	if g := Grid(nil); len(g) != 1 || len(g[0]) != 0 {
		t.Errorf("no axes: %v, want one empty variant", g)
	}
}

// TestSetFields: numbers at paths are replaced, everything else kept; the
// result parses as a network with the new values; bad paths say where
// they stop.
func TestSetFields(t *testing.T) {
	base := netJSON(stpNet("hh", stpRett))
	out, err := SetFields(base, []string{"projections.0.stp.U", "populations.1.background.0.rate_hz", "seed"}, []float64{0.7, 1234.5, 9})
	if err != nil {
		t.Fatal(err)
	}
	n, err := ParseNetwork("v.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if n.Projections[0].STP.U != 0.7 || n.Populations[1].Background[0].RateHz != 1234.5 || n.Seed != 9 ||
		n.Projections[0].STP.TauRecMS != 365.6 || n.Populations[0].Background[0].RateHz != 2500 || n.Projections[0].WeightUS.Value != connectedW {
		t.Errorf("variant %s", out)
	}
	for _, tc := range []struct{ path, want string }{
		{"projections.0.stp.V", `projections.0.stp has no field "V" (it has U, tau_facil_ms, tau_rec_ms)`},
		{"projections.3.stp.U", `projections is a list of 1; "3" is not an index of it`},
		{"populations.0.name", "not a number (a string)"},
		{"projections.0.stp", "not a number (a object)"},
		{"populations.0.count.x", "populations.0.count is a number, not an object or list"},
		{"nope", `the top level has no field "nope"`},
	} {
		if _, err := SetFields(base, []string{tc.path}, []float64{1}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("path %s: %v, want %q", tc.path, err, tc.want)
		}
	}
}

// TestReadouts on spike trains with known answers: 4 cells of one
// population over 100 ms, bins of 10 ms.
func TestReadouts(t *testing.T) {
	b := &Built{Cells: 4, Pops: []*Pop{{Name: "P", N: 2, First: 0}, {Name: "Q", N: 2, First: 2}}}
	sp := func(cells []int32, times ...float64) []NetSpike {
		var out []NetSpike
		for _, c := range cells {
			for _, x := range times {
				out = append(out, NetSpike{Cell: c, TimeMS: x})
			}
		}
		return out
	}
	o := ReadoutOptions{StimMS: 40, WindowMS: 20, BinMS: 10}
	// Every cell fires at 45, 48 and 75 ms: all together, two in a burst.
	run := &RunResult{TstopMS: 100, Spikes: sp([]int32{0, 1, 2, 3}, 45, 48, 75)}
	r := ComputeReadouts(b, run, o)
	if r.RateHz["P"] != 30 || r.RateHz["Q"] != 30 {
		t.Errorf("rates %v, want 30 Hz each", r.RateHz)
	}
	if r.StimRateHz != 100 || math.Abs(r.Synchrony-1) > 1e-12 || math.Abs(r.BurstFraction-2.0/3) > 1e-12 {
		t.Errorf("stim rate %v (want 100 Hz), synchrony %v (want 1), burst fraction %v (want 2/3)", r.StimRateHz, r.Synchrony, r.BurstFraction)
	}
	if r.PSTHPeakHz != 200 || r.PSTHLatencyMS != 5 {
		t.Errorf("PSTH peak %v Hz at %v ms, want 200 Hz (2 spikes per cell in 10 ms) at 5 ms", r.PSTHPeakHz, r.PSTHLatencyMS)
	}
	// Cells taking turns: each bin has one spike of one cell.
	var turns []NetSpike
	for i := 0; i < 10; i++ {
		turns = append(turns, NetSpike{Cell: int32(i % 4), TimeMS: float64(i)*10 + 5})
	}
	r = ComputeReadouts(b, &RunResult{TstopMS: 100, Spikes: turns}, o)
	// Population mean count: 0.25 in every bin (variance 0): χ = 0.
	if r.Synchrony != 0 || r.BurstFraction != 0 || r.ISICV != 0 {
		t.Errorf("alternating cells: synchrony %v, burst fraction %v, ISI CV %v; want 0, 0, 0 (regular 40 ms intervals)", r.Synchrony, r.BurstFraction, r.ISICV)
	}
}
