package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOutputsCommands: generate --record, train --fit-outputs onto the
// shipped hh model, then rollout reports each output and the optical
// readouts in text and JSON.
func TestOutputsCommands(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if code, _, errs := runT(t, "generate", "--cell", "hh", "--traces", "16", "--duration", "300", "--sample-dt", "0.25", "--timing",
		"--record", "ina@soma;ik@soma", "--out", data, "--quiet"); code != 0 {
		t.Fatalf("generate: %s", errs)
	}
	model := filepath.Join(dir, "hh.safetensors")
	b, err := os.ReadFile("../../artifacts/models/hh.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, errs := runT(t, "train", "--data", data, "--out", model, "--fit-outputs", "--outputs", "ina@soma;ik@soma", "--json")
	if code != 0 {
		t.Fatalf("train --fit-outputs: exit %d: %s", code, errs)
	}
	m := lastJSON(t, stdout)
	if outs, ok := m["outputs"].(map[string]any); !ok || len(outs) != 2 {
		t.Fatalf("train --fit-outputs JSON: %v", m)
	}
	code, stdout, errs = runT(t, "rollout", "--model", model, "--cell", "hh", "--events", "../../infer/testdata/eval/hh/ev0.csv.gz", "--tstop", "500", "--json")
	if code != 0 {
		t.Fatalf("rollout: exit %d: %s", code, errs)
	}
	if !strings.Contains(stdout, "output ina@soma(0.5): RMSE") || !strings.Contains(stdout, "optical vimg") {
		t.Errorf("rollout text lacks the outputs: %s", stdout)
	}
	// --plot adds a panel per output and optical readout under the Vm.
	png := filepath.Join(dir, "r.png")
	if code, _, errs := runT(t, "rollout", "--model", model, "--cell", "hh", "--events", "../../infer/testdata/eval/hh/ev0.csv.gz", "--tstop", "100", "--plot", png); code != 0 {
		t.Fatalf("rollout --plot: %s", errs)
	}
	decodePNG(t, png, 1344, 96*(3+2*3)) // Vm and 3 panels: ina, ik, voltage imaging
	m = lastJSON(t, stdout)
	outs, _ := m["outputs"].(map[string]any)
	ina, _ := outs["ina@soma(0.5)"].(map[string]any)
	if ev, _ := ina["ev"].(float64); ev < 0.8 || ina["unit"] != "mA/cm2" {
		t.Errorf("rollout JSON outputs: %v", m["outputs"])
	}
	if opt, _ := m["optical"].(map[string]any); opt["vimg"] == nil {
		t.Errorf("rollout JSON optical: %v", m["optical"])
	}
	// The hh surrogate's own Vm has action potentials of the reference's
	// shape (measured on this file: peak within 2.7 mV, half-width 0.05 ms).
	sh, _ := m["spike_shape"].(map[string]any)
	if n, _ := sh["matched"].(float64); n < 10 || sh["trace"] != "vm" || sh["peak_err_mV"].(float64) > 5 || sh["halfwidth_err_ms"].(float64) > 0.2 {
		t.Errorf("rollout JSON spike_shape: %v", sh)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fit-outputs"}, "--fit-outputs needs --outputs"},
		{[]string{"--fit-outputs", "--outputs", "cai@soma"}, "not recorded"},
		{[]string{"--fit-outputs", "--outputs", "cai@"}, "--outputs"},
	} {
		args := append([]string{"train", "--data", data, "--out", model}, tc.args...)
		if code, _, errs := runT(t, args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want an error with %q", tc.args, code, errs, tc.want)
		}
	}
}
