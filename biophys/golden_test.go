package biophys_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A golden file of a NEURON run: spike times, and the NEURON version and
// command that made it (testdata/neuron/make.sh, testdata/hay/make.sh).
type golden struct {
	Spikes  []float64 `json:"spikes"`
	NEURON  string    `json:"neuron"`
	Command string    `json:"command"`
}

func readGolden(t testing.TB, path string) golden {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return g
}

// readTrace reads a t_ms,v_mV CSV, gzipped when the name ends in .gz.
func readTrace(t testing.TB, path string) (ts, vs []float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	sc := bufio.NewScanner(r)
	if !sc.Scan() || sc.Text() != "t_ms,v_mV" {
		t.Fatalf("%s: header %q, want t_ms,v_mV", path, sc.Text())
	}
	for line := 2; sc.Scan(); line++ {
		p := strings.Split(sc.Text(), ",")
		if len(p) != 2 {
			t.Fatalf("%s:%d: %q is not t_ms,v_mV", path, line, sc.Text())
		}
		a, err1 := strconv.ParseFloat(p[0], 64)
		b, err2 := strconv.ParseFloat(p[1], 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s:%d: %q: not two numbers", path, line, sc.Text())
		}
		ts, vs = append(ts, a), append(vs, b)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(vs) == 0 {
		t.Fatalf("%s: no samples", path)
	}
	return ts, vs
}

// spikeTolMS is how far a spike time of ours may lie from NEURON's. Both
// record the end of the step in which Vm crossed the threshold, a time that
// both accumulate from half steps in the same order; the goldens keep 4
// decimals, which a multiple of dt = 0.025 ms needs no more than. What is
// left is the accumulated rounding of t (about 5e-9 ms after 2 s), so a
// spike one step (0.025 ms) off fails by a factor of 25 000.
const spikeTolMS = 1e-6

// vmTol bounds the Vm difference from a NEURON trace kept to a number of
// decimals: rounding alone gives an RMS of half a unit of the last decimal
// over sqrt(3) and a maximum of half a unit.
type vmTol struct {
	rmseSub float64 // RMS over subthreshold samples (5 ms or more from any spike)
	maxAll  float64 // max |dV| over every sample, spikes included
}

// agreement is how a run of ours compares with a NEURON golden run.
type agreement struct {
	nRef, nOurs int
	maxShiftMS  float64 // over spikes paired in order
	rmseSub     float64
	nSub        int
	maxDV       float64
	maxDVAtMS   float64
}

// compare pairs spikes in order and compares the traces sample by sample
// (ts are the sample times; vs must have at least as many samples as vref).
func compare(ref, ours []float64, ts, vref, vs []float64) agreement {
	a := agreement{nRef: len(ref), nOurs: len(ours)}
	for i := range min(len(ref), len(ours)) {
		a.maxShiftMS = math.Max(a.maxShiftMS, math.Abs(ours[i]-ref[i]))
	}
	all := append(append([]float64(nil), ref...), ours...)
	ss := 0.0
	for i := range vref {
		d := math.Abs(vs[i] - vref[i])
		if d > a.maxDV || math.IsNaN(d) {
			a.maxDV, a.maxDVAtMS = d, ts[i]
		}
		sub := true
		for _, s := range all {
			if math.Abs(s-ts[i]) <= 5 {
				sub = false
				break
			}
		}
		if sub {
			ss += d * d
			a.nSub++
		}
	}
	if a.nSub > 0 {
		a.rmseSub = math.Sqrt(ss / float64(a.nSub))
	}
	return a
}

// checkNEURON asserts identical spikes (same count, every time within
// spikeTolMS) and Vm within tol, and logs the measured agreement.
func checkNEURON(t *testing.T, ref, ours []float64, ts, vref, vs []float64, tol vmTol) {
	t.Helper()
	if len(vs) < len(vref) {
		t.Fatalf("our trace has %d samples, NEURON's %d", len(vs), len(vref))
	}
	a := compare(ref, ours, ts, vref, vs)
	t.Logf("NEURON %d spikes, ours %d, max |dt| %.2g ms; subthreshold Vm RMSE %.2g mV over %d samples; max |dV| %.2g mV (at %.1f ms) over all %d",
		a.nRef, a.nOurs, a.maxShiftMS, a.rmseSub, a.nSub, a.maxDV, a.maxDVAtMS, len(vref))
	if a.nOurs != a.nRef {
		t.Errorf("%d spikes, NEURON %d", a.nOurs, a.nRef)
	}
	for i := range min(len(ref), len(ours)) {
		if d := ours[i] - ref[i]; !(math.Abs(d) <= spikeTolMS) {
			t.Errorf("spike %d at %.6f ms, NEURON %.6f ms (%+.3g ms)", i, ours[i], ref[i], d)
			break
		}
	}
	if a.nSub < len(vref)/10 {
		t.Errorf("only %d of %d samples are subthreshold", a.nSub, len(vref))
	}
	if !(a.rmseSub <= tol.rmseSub) {
		t.Errorf("subthreshold Vm RMSE %.3g mV, want <= %g", a.rmseSub, tol.rmseSub)
	}
	if !(a.maxDV <= tol.maxAll) {
		t.Errorf("max |dV| %.3g mV at %.3f ms, want <= %g", a.maxDV, a.maxDVAtMS, tol.maxAll)
	}
}
