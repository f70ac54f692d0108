package surrogate

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestAuxHeads: training heads add their two tensors to the layout, leave
// the model's function alone (inference never reads them), survive a save
// and load, and StripAux takes them out again; out-of-range counts are
// refused.
func TestAuxHeads(t *testing.T) {
	m := testModel(t, testArch(2, 3))
	h, err := m.WithAuxHeads(3, 7)
	if err != nil {
		t.Fatal(err)
	}
	if h.Arch.AuxHeads != 3 || !slices.Equal(h.W[WHeadAux].Shape, []int{8, 3}) || !slices.Equal(h.W[WHeadAuxB].Shape, []int{1, 3}) {
		t.Fatalf("heads %d, tensors %v %v", h.Arch.AuxHeads, h.W[WHeadAux], h.W[WHeadAuxB])
	}
	if m.Arch.AuxHeads != 0 || m.W[WHeadAux] != nil {
		t.Fatal("WithAuxHeads changed the model it copied")
	}
	if got, want := h.Arch.ParamCount()-m.Arch.ParamCount(), 9*3; got != want {
		t.Errorf("the heads add %d parameters, want %d", got, want)
	}
	var buf bytes.Buffer
	if err := h.Write(&buf, nil, nil); err != nil {
		t.Fatal(err)
	}
	back, _, _, err := Decode("h", buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if back.Arch.AuxHeads != 3 || !slices.Equal(back.W[WHeadAux].Data, h.W[WHeadAux].Data) {
		t.Error("save and load lost the heads")
	}
	// The same function with and without the heads.
	drive := randomDrive(rand.New(rand.NewPCG(2, 2)), 200, 3, 2, 0.3)
	run := func(m *Model) []float32 {
		s := NewStream(m, 3, -65)
		var out []float32
		for _, d := range drive {
			s.Step(d)
			out = append(append(out, s.V...), s.P...)
		}
		return out
	}
	if !slices.Equal(run(m), run(back)) {
		t.Error("training heads changed what the model computes")
	}
	back.StripAux()
	if back.Arch.AuxHeads != 0 || len(back.W) != len(m.W) || !slices.Equal(run(m), run(back)) {
		t.Errorf("StripAux left %d heads, %d tensors (want %d)", back.Arch.AuxHeads, len(back.W), len(m.W))
	}
	for _, n := range []int{-1, MaxAuxHeads + 1} {
		if _, err := m.WithAuxHeads(n, 1); err == nil {
			t.Errorf("%d training heads accepted", n)
		}
	}
}
