package train

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/biophys"
	"neurosurrogate/dataset"
	"neurosurrogate/surrogate"
)

// TestFitOutputs gives the shipped hh surrogate readouts of the reference's
// sodium and potassium currents from data recorded beside its Vm: the fit
// aligns the state after step k with the record at sample k+1 (a model
// sample is two dataset samples here), so the free-running readouts explain
// most of the currents' variance (0.98 measured), and the model file keeps
// them.
func TestFitOutputs(t *testing.T) {
	dir := t.TempDir()
	cell, err := biophys.LoadCell(filepath.Join("..", "artifacts", "cells", "hh.json"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	_, err = dataset.Generate(context.Background(), data, dataset.Config{Cell: cell, Traces: 24, DurationMS: 400, DtMS: 0.025, SampleDtMS: 0.25,
		Seed: 5, Shards: 1, Timing: true, Record: []string{"ina@soma", "ik@soma"}})
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "hh.safetensors")
	b, err := os.ReadFile(filepath.Join("..", "artifacts", "models", "hh.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fits, err := FitOutputs(data, model, []string{"ina@soma", "ik@soma(0.5)"}, 24)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fits {
		if f.EV < 0.9 || f.Unit != "mA/cm2" || f.Traces != 24 {
			t.Errorf("output %s: EV %.3f (want > 0.9), unit %q, %d traces", f.Name, f.EV, f.Unit, f.Traces)
		}
	}
	m, err := surrogate.Load(model)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Outputs) != 2 || m.Outputs[0].Name != "ina@soma(0.5)" || len(m.Outputs[1].W) != m.Arch.Hidden {
		t.Fatalf("saved outputs %+v", m.Outputs)
	}
	// The readout is what the stream computes from its state.
	s := surrogate.NewStream(m, 1, -65)
	s.Step(make([]float32, len(m.Arch.Inputs)))
	h := s.Hidden(0)
	want := float64(m.Outputs[1].B)
	for j, x := range h {
		want += float64(x) * float64(m.Outputs[1].W[j])
	}
	want = m.Outputs[1].Mean + m.Outputs[1].Scale*want
	if got := s.Output(m, 0, 1); math.Abs(got-want) > 1e-9*math.Abs(want)+1e-12 {
		t.Errorf("Output = %v, want %v", got, want)
	}
	// A record the data does not have.
	if _, err := FitOutputs(data, model, []string{"cai@soma"}, 4); err == nil || !strings.Contains(err.Error(), "not recorded") {
		t.Errorf("missing record: %v", err)
	}
}
