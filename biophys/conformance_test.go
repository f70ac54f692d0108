package biophys_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"neurosurrogate/biophys"
	"neurosurrogate/infer/metrics"
)

func loadCell(t testing.TB, name string) *biophys.Cell {
	t.Helper()
	c, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// readTrace reads a t_ms,v_mV CSV, gzipped when the name ends in .gz.
func readTrace(t testing.TB, path string) (ts, vs []float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sc *bufio.Scanner
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc = bufio.NewScanner(gz)
	} else {
		sc = bufio.NewScanner(f)
	}
	sc.Scan()
	for sc.Scan() {
		p := strings.Split(sc.Text(), ",")
		a, _ := strconv.ParseFloat(p[0], 64)
		b, _ := strconv.ParseFloat(p[1], 64)
		ts, vs = append(ts, a), append(vs, b)
	}
	return ts, vs
}

type golden struct {
	Spikes []float64 `json:"spikes"`
	Wall   float64   `json:"wall_s"`
}

// simulate runs one cell on events and samples the spike-site Vm every
// sampleEvery steps (including t = 0).
func simulate(t testing.TB, c *biophys.Cell, evs []biophys.Event, clamps []biophys.Clamp, tstop float64, sampleEvery int) (spikes, vs []float64) {
	t.Helper()
	tm, err := biophys.Compile(c)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := biophys.NewSystem([]biophys.Instance{{T: tm, Clamps: clamps}}, 0.025)
	if err != nil {
		t.Fatal(err)
	}
	sys.AddEvents(0, evs)
	vs = append(vs, sys.V(0))
	step := 0
	err = sys.Run(tstop, func(s *biophys.System) {
		step++
		if step%sampleEvery == 0 {
			vs = append(vs, s.V(0))
		}
		for _, sp := range s.Spikes() {
			spikes = append(spikes, sp.TimeMS)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return spikes, vs
}

// TestConformanceNEURON checks the built-in cells against NEURON 8.2 golden
// runs (testdata/neuron/make.sh): >= 95% of spikes matched within 0.5 ms both
// ways, subthreshold Vm within 0.5 mV RMS.
func TestConformanceNEURON(t *testing.T) {
	for _, cellName := range []string{"hh", "ballstick"} {
		c := loadCell(t, cellName)
		for _, input := range []string{"quiet", "low", "mid", "high", "block"} {
			t.Run(cellName+"/"+input, func(t *testing.T) {
				dir := filepath.Join("testdata", "neuron")
				evs, err := biophys.ReadEventsFile(filepath.Join(dir, input+".events.csv"), c)
				if err != nil {
					t.Fatal(err)
				}
				var g golden
				b, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("%s.%s.json", input, cellName)))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(b, &g); err != nil {
					t.Fatal(err)
				}
				ts, vref := readTrace(t, filepath.Join(dir, fmt.Sprintf("%s.%s.v.csv.gz", input, cellName)))
				spikes, vs := simulate(t, c, evs, nil, 2000, 4)
				sc := metrics.Score(g.Spikes, spikes, 0.5)
				n := min(len(vs), len(vref))
				sub := metrics.Subthreshold(ts[:n], 5, g.Spikes, spikes)
				tr := metrics.CompareTraces(vref[:n], vs[:n], sub)
				t.Logf("NEURON %d spikes, ours %d, matched %d (recall %.3f precision %.3f); subthreshold RMSE %.4f mV over %d samples",
					len(g.Spikes), len(spikes), sc.Matched, sc.Recall, sc.Precision, tr.RMSE, tr.N)
				if sc.Recall < 0.95 || sc.Precision < 0.95 {
					t.Errorf("spike agreement: recall %.3f precision %.3f, want >= 0.95 both", sc.Recall, sc.Precision)
				}
				if tr.N < n/10 {
					t.Errorf("only %d of %d samples are subthreshold", tr.N, n)
				}
				if tr.RMSE > 0.5 {
					t.Errorf("subthreshold RMSE %.3f mV, want <= 0.5", tr.RMSE)
				}
			})
		}
	}
}
