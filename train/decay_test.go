package train

import (
	"context"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"neurosurrogate/surrogate"
)

// TestDecayWeights: decoupled weight decay scales every weight but the
// biases by 1 - f and leaves the biases as they were.
func TestDecayWeights(t *testing.T) {
	m := oneInputModel(t, surrogate.Arch{Kernel: 3, Conv: 4, Hidden: 5, Layers: 2, AuxHeads: 2})
	a := m.Arch
	before := m.Clone()
	const f = 0.25
	decayWeights(m, decayedWeights(a), f)
	biases := 0
	for _, spec := range a.Layout().Tensors {
		if spec.Bias {
			biases++
		}
		for i, w := range m.W[spec.Name].Data {
			want := before.W[spec.Name].Data[i]
			if !spec.Bias {
				want *= float32(1 - f)
			}
			if w != want {
				t.Fatalf("%s[%d] = %v, want %v (bias %v)", spec.Name, i, w, want, spec.Bias)
			}
		}
	}
	if biases == 0 {
		t.Fatal("no biases in the layout")
	}
}

// TestWeightDecayShrinksWeights: a run with strong weight decay ends with
// much smaller weights than the same run without it, and its settings
// record the decay.
func TestWeightDecayShrinksWeights(t *testing.T) {
	dir := t.TempDir()
	rms := map[float64]float64{}
	for _, wd := range []float64{0, 40} {
		cfg := tinyConfig(t, filepath.Join(dir, fmt.Sprintf("m%v.safetensors", wd)))
		cfg.WeightDecay = wd // 12% per step at the default lr 3e-3
		if _, err := Run(context.Background(), cfg, nil); err != nil {
			t.Fatal(err)
		}
		m, err := surrogate.Load(cfg.Out)
		if err != nil {
			t.Fatal(err)
		}
		var ss float64
		n := 0
		for _, spec := range m.Arch.Layout().Tensors {
			if spec.Bias {
				continue
			}
			for _, w := range m.W[spec.Name].Data {
				ss += float64(w) * float64(w)
				n++
			}
		}
		rms[wd] = math.Sqrt(ss / float64(n))
		if recorded := strings.Contains(m.Info["training"], `"weight_decay":40`); recorded != (wd > 0) {
			t.Errorf("weight decay %v: the training record says %s", wd, m.Info["training"])
		}
	}
	if !(rms[40] < 0.5*rms[0]) {
		t.Errorf("weight RMS %.4f with decay, %.4f without: want less than half", rms[40], rms[0])
	}
}
