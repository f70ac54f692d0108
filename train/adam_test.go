package train

import (
	"math"
	"testing"

	"neurosurrogate/surrogate"
)

// TestAdamSteps runs three Adam steps and compares the weights and moments
// with Algorithm 1 of Kingma & Ba (2015) written out in float64: moments
// m ← β1 m + (1-β1) g, v ← β2 v + (1-β2) g², bias-corrected
// m̂ = m / (1-β1^t), v̂ = v / (1-β2^t), and w ← w - lr m̂ / (√v̂ + ε).
// The first step is also checked by hand: m̂ = g and v̂ = g², so each weight
// moves by lr g / (|g| + ε), lr against the gradient's sign.
func TestAdamSteps(t *testing.T) {
	w0 := map[string][]float64{"a": {0.5, -1, 2, 0.25}, "b": {0.1}}
	// Per step: the gradients (a tiny one, where ε matters, and a zero one
	// included) and the learning rate.
	steps := []struct {
		g  map[string][]float64
		lr float64
	}{
		{map[string][]float64{"a": {0.1, -0.2, 0, 1e-9}, "b": {3}}, 0.01},
		{map[string][]float64{"a": {-0.3, -0.2, 0.5, 1e-9}, "b": {1}}, 0.02},
		{map[string][]float64{"a": {0.05, 0.4, -0.5, -2e-9}, "b": {-2}}, 0.005},
	}
	const beta1, beta2, eps = 0.9, 0.999, 1e-8

	w := map[string]*surrogate.Tensor{}
	ref, m, v := map[string][]float64{}, map[string][]float64{}, map[string][]float64{}
	for k, x := range w0 {
		w[k] = surrogate.NewTensor(len(x))
		for i := range x {
			w[k].Data[i] = float32(x[i])
		}
		ref[k] = append([]float64(nil), x...)
		m[k], v[k] = make([]float64, len(x)), make([]float64, len(x))
	}
	a := newAdam(w)
	for s, st := range steps {
		grads := map[string][]float32{}
		for k, g := range st.g {
			grads[k] = make([]float32, len(g))
			for i := range g {
				grads[k][i] = float32(g[i])
			}
		}
		a.update(w, grads, st.lr)
		tt := float64(s + 1)
		for k, g := range st.g {
			for i := range g {
				gi := float64(float32(g[i]))
				m[k][i] = beta1*m[k][i] + (1-beta1)*gi
				v[k][i] = beta2*v[k][i] + (1-beta2)*gi*gi
				mhat := m[k][i] / (1 - math.Pow(beta1, tt))
				vhat := v[k][i] / (1 - math.Pow(beta2, tt))
				ref[k][i] -= st.lr * mhat / (math.Sqrt(vhat) + eps)
			}
		}
		for k := range ref {
			for i := range ref[k] {
				// float32 weights: a few roundings of the weight (~1e-7)
				// and of the update (~1e-7 of lr).
				if got := float64(w[k].Data[i]); math.Abs(got-ref[k][i]) > 2e-7*math.Max(1, math.Abs(ref[k][i])) {
					t.Errorf("step %d: %s[%d] = %.9g, want %.9g", s+1, k, i, got, ref[k][i])
				}
				if got := float64(a.m[k][i]); math.Abs(got-m[k][i]) > 3e-6*math.Abs(m[k][i]) {
					t.Errorf("step %d: first moment of %s[%d] = %g, want %g", s+1, k, i, got, m[k][i])
				}
				if got := float64(a.v[k][i]); math.Abs(got-v[k][i]) > 5e-7*math.Abs(v[k][i]) {
					t.Errorf("step %d: second moment of %s[%d] = %g, want %g", s+1, k, i, got, v[k][i])
				}
			}
		}
		if s == 0 {
			// By hand: 0.5 - 0.01, -1 + 0.01, 2 (no gradient),
			// 0.25 - 0.01 · 1e-9 / (1e-9 + 1e-8), 0.1 - 0.01.
			hand := map[string][]float64{"a": {0.49, -0.99, 2, 0.25 - 0.01/11}, "b": {0.09}}
			for k, want := range hand {
				for i := range want {
					if got := float64(w[k].Data[i]); math.Abs(got-want[i]) > 1e-7 {
						t.Errorf("first step: %s[%d] = %.9g, want %.9g", k, i, got, want[i])
					}
				}
			}
		}
	}
	if a.step != len(steps) {
		t.Errorf("step count %d, want %d", a.step, len(steps))
	}
}

// TestClipNorm scales gradients by their global L2 norm over all tensors
// (here 5: the 3-4-5 triangle across two tensors) when it exceeds the
// limit, and returns the norm before clipping.
func TestClipNorm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		max     float64
		a0, b0  float32 // the gradients after clipping
		clipped bool
	}{
		{"below the limit", 10, 3, 4, false},
		{"at the limit", 5, 3, 4, false},
		{"above the limit", 2.5, 1.5, 2, true},
		{"far above", 0.05, 0.03, 0.04, true},
		{"no limit", 0, 3, 4, false},
	} {
		grads := map[string][]float32{"a": {3, 0}, "b": {-4}}
		n := clipNorm(grads, tc.max)
		if n != 5 {
			t.Errorf("%s: norm %g, want 5", tc.name, n)
		}
		const tol = 1e-7
		if math.Abs(float64(grads["a"][0]-tc.a0)) > tol || grads["a"][1] != 0 || math.Abs(float64(grads["b"][0]+tc.b0)) > tol {
			t.Errorf("%s: clipped to %v %v, want [%g 0] [%g]", tc.name, grads["a"], grads["b"], tc.a0, -tc.b0)
		}
		if tc.clipped {
			after := math.Hypot(float64(grads["a"][0]), float64(grads["b"][0]))
			if math.Abs(after-tc.max) > 1e-6*tc.max {
				t.Errorf("%s: norm after clipping %g, want %g", tc.name, after, tc.max)
			}
		}
	}
}
