package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/ipc"
)

// TestOutputsCommands: generate --record, train --fit-outputs onto the
// shipped hh model, then rollout reports each output and the optical
// readouts in text and JSON.
func TestOutputsCommands(t *testing.T) {
	dir := t.TempDir()
	data := hhRecorded(t, dir, 16, "ina@soma;ik@soma")
	model := shippedCopy(t, "hh", dir)
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
		{[]string{"--targets", "ina@soma"}, "--target-weight 0"},
		{[]string{"--target-weight", "1"}, "--targets [] with"},
		{[]string{"--targets", "cai@soma", "--target-weight", "1"}, "--targets: cai@soma(0.5) is not recorded"},
	} {
		args := append([]string{"train", "--data", data, "--out", model}, tc.args...)
		if code, _, errs := runT(t, args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want an error with %q", tc.args, code, errs, tc.want)
		}
	}
}

// TestNetworkTraces: network --traces keeps the Vm and the model outputs
// of a sample of cells in an Arrow file, one row per cell.
func TestNetworkTraces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tr.arrow")
	code, _, errs := runT(t, "network", "--network", "rett-stp", "--model", "hay-l5pc-multi", "--tstop", "50", "--warmup", "20",
		"--reference", "none", "--traces", path, "--trace-cells", "3")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := ipc.NewFileReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Record(0)
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Schema()
	if rec.NumRows() != 3 || s.NumFields() != 4+8 || s.Field(3).Name != "v" || s.Field(4).Name != "v@soma[0](0.5)" {
		t.Fatalf("%d rows, fields %v", rec.NumRows(), s)
	}
	if u, _ := s.Field(8).Metadata.GetValue("unit"); s.Field(8).Name != "cai@soma[0](0.5)" || u != "mM" {
		t.Errorf("field 8 %q unit %q", s.Field(8).Name, u)
	}
	ca := rec.Column(8).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	v := rec.Column(3).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if len(v) != 3*101 || len(ca) != len(v) {
		t.Fatalf("%d Vm and %d calcium samples, want 3 x 101 (50 ms at 0.5 ms, from the end of the warm-up)", len(v), len(ca))
	}
	for k, x := range ca {
		if !(x > 0 && x < 0.01) || !(v[k] > -120 && v[k] < 60) {
			t.Fatalf("sample %d: Vm %v mV, cai %v mM", k, v[k], x)
		}
	}
	if code, _, errs := runT(t, "network", "--network", "rett-stp", "--tstop", "10", "--reference", "none", "--traces", path, "--trace-cells", "0"); code != 2 || !strings.Contains(errs, "--trace-cells") {
		t.Errorf("--trace-cells 0: exit %d, %q", code, errs)
	}
}

// TestWaveformCommands: train --waveforms draws the reference's mean
// action potential into a Vm output at every predicted spike (here a
// spike-site Vm readout of the shipped hh model), and rollout compares its
// shape with the reference's at the simulation step; the flags' misuse is
// refused. (hh's action potentials peak higher or lower with the
// membrane's state before them, SD 8.7 mV, which a mean shape does not
// follow: the hh model's own Vm comes closer to its peaks; the Hay
// cell's are stereotyped, TestShippedMultiOutput.)
func TestWaveformCommands(t *testing.T) {
	dir := t.TempDir()
	data := hhRecorded(t, dir, 24, "v@soma")
	model := shippedCopy(t, "hh", dir)
	code, stdout, errs := runT(t, "train", "--data", data, "--out", model, "--fit-outputs", "--outputs", "v@soma", "--waveforms", "v@soma", "--json")
	if code != 0 {
		t.Fatalf("train --fit-outputs --waveforms: exit %d: %s", code, errs)
	}
	outs, _ := lastJSON(t, stdout)["outputs"].(map[string]any)
	v, _ := outs["v@soma(0.5)"].(map[string]any)
	wf, _ := v["waveform"].(map[string]any)
	spikes, _ := wf["spikes"].([]any)
	total := 0.0
	for _, n := range spikes {
		total += n.(float64)
	}
	edges, _ := wf["isi_edges_ms"].([]any)
	if len(spikes) != len(edges)+1 || total < 50 || wf["largest"].(float64) < 10 {
		t.Fatalf("train JSON waveform: %v", v)
	}
	code, stdout, errs = runT(t, "rollout", "--model", model, "--cell", "hh", "--events", "../../infer/testdata/eval/hh/ev0.csv.gz", "--tstop", "500", "--json")
	if code != 0 {
		t.Fatalf("rollout: exit %d: %s", code, errs)
	}
	// Measured: 22 matched spikes, peak 25.2 against 30.3 mV (mean error
	// 8.9 mV), half-width error 0.04 ms (at the simulation step the
	// reference's peaks are 3 mV higher than at 0.5 ms samples, its
	// half-widths 0.1 ms narrower).
	sh, _ := lastJSON(t, stdout)["spike_shape"].(map[string]any)
	if n, _ := sh["matched"].(float64); n < 10 || sh["trace"] != "v@soma(0.5)" || sh["step_ms"] != 0.025 ||
		sh["peak_err_mV"].(float64) > 12 || sh["halfwidth_err_ms"].(float64) > 0.08 {
		t.Errorf("rollout JSON spike_shape with the waveform: %v", sh)
	}
	// Fitting the waveform alone keeps the outputs.
	code, stdout, errs = runT(t, "train", "--data", data, "--out", model, "--fit-waveforms", "--waveforms", "v@soma", "--waveform-traces", "4", "--json")
	if code != 0 {
		t.Fatalf("train --fit-waveforms: exit %d: %s", code, errs)
	}
	if w, _ := lastJSON(t, stdout)["waveforms"].(map[string]any); w["v@soma(0.5)"] == nil {
		t.Errorf("train --fit-waveforms JSON: %s", stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--fit-waveforms"}, "--fit-waveforms needs --waveforms"},
		{[]string{"--waveforms", "v@soma"}, "--waveforms needs --outputs"},
		{[]string{"--fit-waveforms", "--waveforms", "ina@soma"}, "ina@soma(0.5) is not an output"},
		{[]string{"--fit-waveforms", "--waveforms", "v@"}, "--waveforms"},
		{[]string{"--fit-waveforms", "--waveforms", "v@soma", "--waveform-traces", "0"}, "--waveform-traces 0"},
		{[]string{"--fit-outputs", "--outputs", "v@soma", "--fit-waveforms", "--waveforms", "v@soma"}, "--fit-waveforms keeps the model's outputs"},
		{[]string{"--fit-outputs", "--outputs", "v@soma", "--waveforms", "ina@soma"}, "ina@soma(0.5) is not among --outputs"},
		{[]string{"--fit-waveforms", "--waveforms", "v@soma", "--data", data + "," + data}, "one --data folder"},
	} {
		args := append([]string{"train", "--data", data, "--out", model}, tc.args...)
		if code, _, errs := runT(t, args...); code == 0 || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want an error with %q", tc.args, code, errs, tc.want)
		}
	}
}

// shippedCopy copies the shipped model name into dir, for commands that
// rewrite it.
func shippedCopy(t *testing.T, name, dir string) string {
	t.Helper()
	b, err := os.ReadFile("../../artifacts/models/" + name + ".safetensors")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".safetensors")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// hhRecorded generates traces × 300 ms of hh data with the shipped hh
// model's sampling (0.25 ms, timing inputs) and the records into dir/data.
func hhRecorded(t *testing.T, dir string, traces int, record string) string {
	t.Helper()
	data := filepath.Join(dir, "data")
	if code, _, errs := runT(t, "generate", "--cell", "hh", "--traces", fmt.Sprint(traces), "--duration", "300", "--sample-dt", "0.25", "--timing",
		"--record", record, "--out", data, "--quiet"); code != 0 {
		t.Fatalf("generate: %s", errs)
	}
	return data
}
