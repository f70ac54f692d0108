package surrogate

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// TestOutputsRoundTrip: a model's outputs (metadata and weights) come back
// from its file as written, and a file whose outputs are broken is refused
// with what is wrong.
func TestOutputsRoundTrip(t *testing.T) {
	m := testModel(t, testArch(2, 3))
	w := make([]float32, m.Arch.Hidden)
	for i := range w {
		w[i] = float32(i) * 0.25
	}
	m.Outputs = []Output{{Name: "cai@soma(0.5)", Unit: "mM", Mean: 1e-4, Scale: 2e-5, W: w, B: -0.5},
		{Name: "v@soma(0.5)", Unit: "mV", Mean: -60, Scale: 5, W: w, B: 0.1,
			Waveform: &Waveform{StartMS: -1, StepMS: 0.5, FadeMS: 0.5, ISIEdgesMS: []float64{8}, Shapes: [][]float64{{-60, 10, -70, -65}, {-58, 20, -72, -66}}, Counts: []int{3, 9}}}}
	encode := func(m *Model) []byte {
		var b bytes.Buffer
		if err := m.Write(&b, nil, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	got, extra, _, err := Decode("m", encode(m))
	if err != nil {
		t.Fatal(err)
	}
	if len(extra) != 0 {
		t.Errorf("extra tensors %v: the outputs' weights belong to the outputs", extra)
	}
	o := got.Outputs
	if len(o) != 2 || o[0].Waveform != nil || o[1].Waveform == nil || o[1].Waveform.Shapes[1][1] != 20 || o[1].Waveform.Counts[1] != 9 || o[0].Name != "cai@soma(0.5)" || o[0].Unit != "mM" || o[0].Mean != 1e-4 || o[0].Scale != 2e-5 || o[0].B != -0.5 || o[0].W[3] != 0.75 {
		t.Fatalf("outputs after the round trip: %+v", o)
	}
	if _, ok := got.Info["outputs"]; ok {
		t.Error("the outputs' metadata also landed in Info")
	}
	for _, tc := range []struct {
		edit func(m *Model)
		want string
	}{
		{func(m *Model) { m.Outputs[0].Scale = 0 }, "scale"},
		{func(m *Model) { m.Outputs[0].W = m.Outputs[0].W[:3] }, "misshapen"},
		{func(m *Model) { m.Outputs = append(m.Outputs, m.Outputs[0]) }, "repeated"},
		{func(m *Model) {
			wf := *m.Outputs[1].Waveform
			wf.FadeMS = 2
			m.Outputs[1].Waveform = &wf
		}, "fade_ms"},
	} {
		bad := *m
		bad.Outputs = append([]Output(nil), m.Outputs...)
		tc.edit(&bad)
		if _, _, _, err := Decode("m", encode(&bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("broken outputs: %v, want an error with %q", err, tc.want)
		}
	}
}

// TestOutputRows: all cells' outputs in one float32 matrix product agree
// with each output computed alone in float64 to float32 rounding, on
// cells in different states.
func TestOutputRows(t *testing.T) {
	m := testModel(t, testArch(2, 3))
	for j := range 3 {
		w := make([]float32, m.Arch.Hidden)
		for i := range w {
			w[i] = float32((i*7+j*3)%11)*0.1 - 0.5
		}
		m.Outputs = append(m.Outputs, Output{Name: string(rune('a' + j)), Unit: "mV", Mean: float64(j) - 60, Scale: 1.5 + float64(j), W: w, B: float32(j) * 0.1})
	}
	const n = 7 // more rows than one kernel tile holds, and a partial tile
	s := NewStream(m, n, -65)
	drive := make([]float32, n*len(m.Arch.Inputs))
	got := make([]float32, n*len(m.Outputs))
	for step := range 5 {
		for i := range drive {
			drive[i] = float32((i*3+step)%5) * 0.01
		}
		s.Step(drive)
		s.OutputRows(m, got)
		varied := false
		for i := range n {
			for j := range m.Outputs {
				want := s.Output(m, i, j)
				if d := math.Abs(float64(got[i*len(m.Outputs)+j]) - want); d > 1e-5*math.Abs(want) {
					t.Fatalf("step %d cell %d output %d: %v from the rows, %v alone", step, i, j, got[i*len(m.Outputs)+j], want)
				}
				varied = varied || want != s.Output(m, 0, j)
			}
		}
		if step > 0 && !varied {
			t.Fatalf("step %d: every cell's outputs are cell 0's; the test cannot tell rows apart", step)
		}
	}
}
