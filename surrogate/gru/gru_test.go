package gru_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"neurosurrogate/surrogate"
	"neurosurrogate/surrogate/gru"
)

// testArch is a valid gru architecture of two inputs.
func testArch() surrogate.Arch {
	return surrogate.Arch{Family: gru.Family, Kernel: 1, Hidden: 6, Layers: 1, SampleDT: 0.5, Residual: true,
		Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}, {Name: "inh", Channels: []string{"inh"}}}}
}

func testModel(t *testing.T) *surrogate.Model {
	t.Helper()
	m, err := surrogate.New(testArch(), surrogate.Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 50}}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveLoad: a gru model written with Save loads with its family, the
// file's format string names the family, and the loaded model's stream
// gives bit-identical outputs.
func TestSaveLoad(t *testing.T) {
	m := testModel(t)
	path := filepath.Join(t.TempDir(), "gru.safetensors")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, meta, err := surrogate.ReadSafetensors(path, data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := meta["format"], "neurosurrogate-gru/1"; got != want {
		t.Errorf("format string %q, want %q", got, want)
	}
	l, err := surrogate.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if l.Arch.FamilyName() != gru.Family {
		t.Fatalf("loaded family %q, want %q", l.Arch.FamilyName(), gru.Family)
	}
	const B, T = 3, 200
	s1, s2 := surrogate.NewStream(m, B, -70), surrogate.NewStream(l, B, -70)
	// The family does not copy cells: a network of it cannot share a
	// warm-up between sweep variants, and says so.
	if s1.CanCopyCells() || s1.CopyCell(0, s2, 0) == nil {
		t.Errorf("a gru stream claims to copy cells")
	}
	rng := rand.New(rand.NewPCG(2, 2))
	drive := make([]float32, 2*B)
	lo, hi := s1.V[0], s1.V[0]
	for k := 0; k < T; k++ {
		for i := range drive {
			drive[i] = float32(rng.ExpFloat64() * 0.002)
		}
		s1.Step(drive)
		s2.Step(drive)
		for b := 0; b < B; b++ {
			if s1.V[b] != s2.V[b] || s1.P[b] != s2.P[b] {
				t.Fatalf("step %d cell %d: (Vm, p) (%v, %v) before saving, (%v, %v) after loading", k, b, s1.V[b], s1.P[b], s2.V[b], s2.P[b])
			}
			lo, hi = min(lo, s1.V[b]), max(hi, s1.V[b])
		}
	}
	if hi-lo < 0.1 {
		t.Errorf("Vm stays within %g mV: the comparison would not see a difference", hi-lo)
	}
}

// TestValidate: the family rejects what it does not support, naming the
// setting.
func TestValidate(t *testing.T) {
	if err := testArch().Validate(); err != nil {
		t.Fatalf("valid architecture: %v", err)
	}
	for _, tc := range []struct {
		name string
		edit func(a *surrogate.Arch)
		want string
	}{
		{"kernel", func(a *surrogate.Arch) { a.Kernel = 4 }, "kernel 4"},
		{"conv", func(a *surrogate.Arch) { a.Conv = 8 }, "conv 8"},
		{"layers", func(a *surrogate.Arch) { a.Layers = 2 }, "layers 2"},
		{"hidden", func(a *surrogate.Arch) { a.Hidden = 0 }, "hidden 0"},
		{"feed_spike", func(a *surrogate.Arch) { a.FeedSpike = true }, "feed_spike"},
		{"aux_heads", func(a *surrogate.Arch) { a.AuxHeads = 2 }, "aux_heads"},
		{"sub_bins", func(a *surrogate.Arch) {
			a.SubBins = 2
			a.Inputs = surrogate.WithSubBins(a.Inputs, 2)
		}, "sub_bins 2"},
		{"delay", func(a *surrogate.Arch) { a.Inputs[1].DelaySteps = 3 }, `input "inh": delay_steps 3`},
		{"no inputs", func(a *surrogate.Arch) { a.Inputs = nil }, "no inputs"}, // the common checks still run
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := testArch()
			tc.edit(&a)
			err := a.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The gru family's weights: a GRU layer's gates and candidate over
// [inputs, Vm, h] and the two heads.
func Example() {
	a := surrogate.Arch{Family: gru.Family, Kernel: 1, Hidden: 4, Layers: 1, SampleDT: 0.5,
		Inputs: []surrogate.Input{{Name: "exc", Channels: []string{"exc"}}, {Name: "inh", Channels: []string{"inh"}}}}
	if err := a.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	lay := a.Layout()
	for _, t := range lay.Tensors {
		fmt.Printf("%-9s %d x %d\n", t.Name, t.Rows, t.Cols)
	}
	for _, j := range lay.Joins {
		r, c := j.Dims(lay)
		fmt.Printf("join %-7s %d x %d\n", j.Name, r, c)
	}
	fmt.Println("parameters:", a.ParamCount()) // 3·(3+4)·4 + 3·4 + 2·4 + 2
	// Output:
	// gru.wz    7 x 4
	// gru.wr    7 x 4
	// gru.bz    1 x 4
	// gru.br    1 x 4
	// gru.wh    7 x 4
	// gru.bh    1 x 4
	// head.v.w  4 x 1
	// head.s.w  4 x 1
	// head.v.b  1 x 1
	// head.s.b  1 x 1
	// join gru.zr  8 x 8
	// join gru.h   8 x 4
	// join head    5 x 2
	// parameters: 106
}

// TestBiasTensors: the gru layout marks its offsets, and only them, as
// biases (training's weight decay leaves them alone).
func TestBiasTensors(t *testing.T) {
	var got []string
	for _, spec := range testArch().Layout().Tensors {
		if spec.Bias {
			got = append(got, spec.Name)
		}
	}
	slices.Sort(got)
	want := []string{gru.BH, gru.BR, gru.BZ, surrogate.WHeadSpikeB, surrogate.WHeadVmB}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("biases %v, want %v", got, want)
	}
}
