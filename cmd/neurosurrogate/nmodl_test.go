package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// purkinjeDir holds a published cell's NEURON export, its .mod files and
// NEURON's goldens (Khaliq, Gouwens & Raman 2003, ModelDB 48332: a
// 13-state KINETIC sodium channel among nine NMODL mechanisms).
const purkinjeDir = "../../biophys/testdata/nmodl/purkinje"

// TestImportNMODLEndToEnd imports a NEURON cell with its .mod files as a
// user would, checks the imported cell's spikes against NEURON's, and then
// takes it through the whole pipeline, kept short: generate a few traces,
// train a few steps, roll the model out.
func TestImportNMODLEndToEnd(t *testing.T) {
	dir := t.TempDir()
	export := gunzipTo(t, filepath.Join(purkinjeDir, "export.json.gz"), dir)
	cell := filepath.Join(dir, "purkinje.json")
	code, stdout, errs := runT(t, "import", "neuron", export, "--mod", filepath.Join(purkinjeDir, "mod"),
		"--synapses", filepath.Join(purkinjeDir, "synapses.json"), "--out", cell)
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "9 NMODL mechanisms") || !strings.Contains(stdout, "rsg.mod") {
		t.Errorf("import report %q does not list the NMODL files", stdout)
	}

	// The cell file alone (the NMODL inside it) gives NEURON's spikes.
	code, stdout, errs = runT(t, "simulate", "--cell", cell, "--iclamp", "0.05,100,800", "--tstop", "1000", "--json")
	if code != 0 {
		t.Fatalf("simulate: exit %d: %s", code, errs)
	}
	var got struct {
		Spikes []float64 `json:"spikes"`
	}
	if err := json.Unmarshal([]byte(lastLine(stdout)), &got); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(purkinjeDir, "step_0.05.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Spikes []float64 `json:"spikes"`
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if len(got.Spikes) != len(want.Spikes) {
		t.Fatalf("%d spikes, NEURON %d", len(got.Spikes), len(want.Spikes))
	}
	for i := range want.Spikes {
		if d := got.Spikes[i] - want.Spikes[i]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("spike %d at %v ms, NEURON %v", i, got.Spikes[i], want.Spikes[i])
		}
	}

	data := filepath.Join(dir, "data")
	if code, _, errs := runT(t, "generate", "--cell", cell, "--traces", "6", "--duration", "200", "--out", data, "--quiet"); code != 0 {
		t.Fatalf("generate: exit %d: %s", code, errs)
	}
	model := filepath.Join(dir, "m.safetensors")
	if code, _, errs := runT(t, "train", "--data", data, "--out", model, "--epochs", "1", "--hidden", "8", "--conv", "4",
		"--batch", "2", "--seq", "50", "--val-traces", "2"); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	events := gunzipTo(t, filepath.Join(purkinjeDir, "syn_mix.events.csv.gz"), dir)
	code, stdout, errs = runT(t, "rollout", "--model", model, "--cell", cell, "--events", events, "--tstop", "200", "--json")
	if code != 0 {
		t.Fatalf("rollout: exit %d: %s", code, errs)
	}
	m := lastJSON(t, stdout)
	if r, ok := m["rate_ref_hz"].(float64); !ok || !(r > 0) {
		t.Errorf("rollout: reference rate %v; want the imported cell to fire", m["rate_ref_hz"])
	}

	// A network of the imported cell's surrogates, checked against the
	// whole reference network, which simulates the cell from its NMODL.
	net := filepath.Join(dir, "net.json")
	spec := fmt.Sprintf(`{"name": "pk", "seed": 3, "populations": [{"name": "P", "cell": %q, "model": %q, "count": 8,
	  "background": [{"synapse": "exc_soma_0", "rate_hz": 40, "weight_uS": 0.001}, {"synapse": "inh_soma_0", "rate_hz": 40, "weight_uS": 0.001}]}],
	  "projections": [{"from": "P", "to": "P", "synapse": "exc_soma_1", "rule": "probability", "p": 0.2, "weight_uS": 0.001, "delay_ms": 2}]}`, cell, model)
	if err := os.WriteFile(net, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs = runT(t, "network", "--network", net, "--tstop", "100", "--warmup", "0", "--reference", "full", "--json")
	if code != 0 {
		t.Fatalf("network: exit %d: %s", code, errs)
	}
	m = lastJSON(t, stdout)
	if r, ok := m["rate_ref_hz"].(float64); !ok || !(r > 0) {
		t.Errorf("network: reference rate %v; want the imported cells to fire", m["rate_ref_hz"])
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestImportNMODLErrors: a missing or empty --mod folder, and a .mod file
// with what the executor cannot run, are errors naming the flag, or the
// file, line and construct; a cell file whose NMODL is broken is refused
// when loaded, naming the cell file's entry and the .mod line.
func TestImportNMODLErrors(t *testing.T) {
	dir := t.TempDir()
	export := gunzipTo(t, filepath.Join(purkinjeDir, "export.json.gz"), dir)
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken")
	if err := os.Mkdir(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	mods, _ := filepath.Glob(filepath.Join(purkinjeDir, "mod", "*.mod"))
	for _, f := range mods {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "cadiff.mod" {
			b = []byte(strings.Replace(string(b), "INITIAL {", "INITIAL {\nVERBATIM\nreturn 0;\nENDVERBATIM\n", 1))
		}
		if err := os.WriteFile(filepath.Join(broken, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "out.json")
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"no folder", []string{"import", "neuron", export, "--mod", filepath.Join(dir, "nope"), "--out", out}, []string{"--mod", "nope"}},
		{"no mod files", []string{"import", "neuron", export, "--mod", empty, "--out", out}, []string{"--mod", "no .mod files"}},
		{"verbatim", []string{"import", "neuron", export, "--mod", broken, "--out", out}, []string{"cadiff.mod", "VERBATIM"}},
		{"mechanism without its file", []string{"import", "neuron", export, "--out", out}, []string{"bkpkj", "--mod"}},
		{"mod with swc", []string{"import", "swc", "x.swc", "--mod", empty, "--out", out}, []string{"--mod"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runT(t, tc.args...)
			if code == 0 {
				t.Fatal("exit 0")
			}
			for _, w := range tc.want {
				if !strings.Contains(errs, w) {
					t.Errorf("error %q lacks %q", errs, w)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written despite the error", out)
			}
		})
	}

	// A cell file whose NMODL text is broken.
	cell := filepath.Join(dir, "cell.json")
	if code, _, errs := runT(t, "import", "neuron", export, "--mod", filepath.Join(purkinjeDir, "mod"), "--out", cell); code != 0 {
		t.Fatalf("import: %s", errs)
	}
	b, err := os.ReadFile(cell)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	b = []byte(strings.Replace(string(b), `SOLVE activation METHOD sparse`, `SOLVE activation METHOD runge`, 1))
	if err := os.WriteFile(bad, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runT(t, "simulate", "--cell", bad, "--tstop", "10")
	if code == 0 || !strings.Contains(errs, "bad.json") || !strings.Contains(errs, "nmodl[") || !strings.Contains(errs, "rsg.mod, line") || !strings.Contains(errs, "runge") {
		t.Errorf("broken NMODL in a cell: exit %d, %q", code, errs)
	}
}

// TestSimulateRecord: --record adds columns of the named quantities with
// their units, --optical the voltage-imaging and GCaMP readouts; both
// need --trace, and a probe the cell cannot give is a usage error.
func TestSimulateRecord(t *testing.T) {
	dir := t.TempDir()
	tr := filepath.Join(dir, "tr.csv")
	code, _, errs := runT(t, "simulate", "--cell", "hay-l5pc", "--iclamp", "0.793,20,100", "--tstop", "60", "--trace", tr,
		"--record", "v@apic[36](0.5);ica@soma[0];cai@soma[0]", "--optical")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(tr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	want := "t_ms,v_mV,v@apic[36](0.5)[mV],ica@soma[0](0.5)[mA/cm2],cai@soma[0](0.5)[mM],vimg_mV,gcamp_dff"
	if lines[0] != want {
		t.Fatalf("header %q, want %q", lines[0], want)
	}
	if n := len(lines) - 1; n != 60/0.025+1 {
		t.Errorf("%d rows, want %d", n, int(60/0.025)+1)
	}
	last := strings.Split(lines[len(lines)-1], ",")
	if len(last) != 7 {
		t.Fatalf("row %q: want 7 columns", lines[len(lines)-1])
	}
	if dff, err := strconv.ParseFloat(last[6], 64); err != nil || !(dff > 0) {
		t.Errorf("GCaMP ΔF/F at 60 ms, after spikes: %q", last[6])
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--record", "v@nowhere"}, "no section"},
		{[]string{"--record", "v@soma[0]", "--trace", ""}, "--trace"},
		{[]string{"--record", "NaTa_t.m@soma[0]"}, "hand-written"},
		{[]string{"--record", "v@soma[0](7)"}, "[0, 1]"},
	} {
		args := append([]string{"simulate", "--cell", "hay-l5pc", "--tstop", "1", "--trace", filepath.Join(dir, "x.csv")}, tc.args...)
		code, _, errs := runT(t, args...)
		if code != 2 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tc.args, code, errs, tc.want)
		}
	}
}
