package biophys_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

// neuronPython is the Python that sees NEURON (Debian's python3-neuron).
const neuronPython = "/usr/bin/python3"

// requireNEURON skips the test, loudly, when NEURON cannot be imported;
// with NEUROSURROGATE_NEURON=1 it fails instead.
func requireNEURON(t *testing.T) {
	t.Helper()
	out, err := exec.Command(neuronPython, "-c", "import neuron").CombinedOutput()
	if err == nil {
		return
	}
	msg := "SKIPPED: NEURON is not installed (" + neuronPython + " -c 'import neuron': " + err.Error() +
		"), so the golden files' scripts are not run; install with apt-get install -y neuron python3-neuron"
	if os.Getenv("NEUROSURROGATE_NEURON") == "1" {
		t.Fatalf("%s (NEUROSURROGATE_NEURON=1 requires it)\n%s", msg, out)
	}
	t.Log(msg)
	t.Skip("SKIPPED: needs NEURON")
}

// TestNEURONScriptsReproduce runs the repository's NEURON scripts
// (testdata/neuron/run_cell.py) on two golden inputs and checks that they
// give the committed files exactly: the same spike times, version and
// command, and the same trace byte for byte. It needs NEURON; without it the
// test says so and skips.
func TestNEURONScriptsReproduce(t *testing.T) {
	requireNEURON(t)
	src, err := filepath.Abs(neuronDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, run := range []struct{ cell, input string }{{"hh", "mid"}, {"ballstick", "quiet"}} {
		name := run.input + "." + run.cell
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(neuronPython, filepath.Join(src, "run_cell.py"), "--cell", run.cell,
				"--events", run.input+".events.csv", "--tstop", "2000", "--out", filepath.Join(dir, name))
			cmd.Dir = src
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %v\n%s", cmd.Args, err, out)
			}
			got, want := readGolden(t, filepath.Join(dir, name+".json")), readGolden(t, filepath.Join(src, name+".json"))
			wantCmd := fmt.Sprintf("python3 run_cell.py --cell %s --events %s.events.csv --tstop 2000 --out %s", run.cell, run.input, name)
			if want.Command != wantCmd {
				t.Errorf("%s.json records the command %q, want %q", name, want.Command, wantCmd)
			}
			if got.NEURON != want.NEURON {
				t.Errorf("run_cell.py records NEURON %q, the golden %q", got.NEURON, want.NEURON)
			}
			if !reflect.DeepEqual(got.Spikes, want.Spikes) {
				i := 0
				for i < min(len(got.Spikes), len(want.Spikes)) && got.Spikes[i] == want.Spikes[i] {
					i++
				}
				t.Errorf("run_cell.py gives %d spikes, the golden %d; they first differ at spike %d", len(got.Spikes), len(want.Spikes), i)
			}
			trace, err := os.ReadFile(filepath.Join(dir, name+".v.csv"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(trace, readGz(t, filepath.Join(src, name+".v.csv.gz"))) {
				t.Errorf("run_cell.py's trace differs from %s.v.csv.gz", name)
			}
		})
	}
}
