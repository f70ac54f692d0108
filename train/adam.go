package train

import (
	"math"

	"neurosurrogate/surrogate"
)

// adam is the Adam optimizer (Kingma & Ba 2015) over a model's weights,
// with its moment estimates exposed so checkpoints can store them.
type adam struct {
	beta1, beta2, eps float64
	step              int
	m, v              map[string][]float32
}

func newAdam(w map[string]*surrogate.Tensor) *adam {
	a := &adam{beta1: 0.9, beta2: 0.999, eps: 1e-8, m: map[string][]float32{}, v: map[string][]float32{}}
	for k, t := range w {
		a.m[k] = make([]float32, len(t.Data))
		a.v[k] = make([]float32, len(t.Data))
	}
	return a
}

// clipNorm scales grads so their global L2 norm is at most maxNorm and
// returns the norm before clipping.
func clipNorm(grads map[string][]float32, maxNorm float64) float64 {
	var ss float64
	for _, g := range grads {
		for _, x := range g {
			ss += float64(x) * float64(x)
		}
	}
	n := math.Sqrt(ss)
	if maxNorm > 0 && n > maxNorm {
		f := float32(maxNorm / n)
		for _, g := range grads {
			for i := range g {
				g[i] *= f
			}
		}
	}
	return n
}

// update applies one Adam step with learning rate lr to the weights in place.
func (a *adam) update(w map[string]*surrogate.Tensor, grads map[string][]float32, lr float64) {
	a.step++
	bc1 := 1 - math.Pow(a.beta1, float64(a.step))
	bc2 := 1 - math.Pow(a.beta2, float64(a.step))
	step := float32(lr * math.Sqrt(bc2) / bc1)
	// 1 - β in float64 before rounding: float32(0.999) is 0.99900001, and
	// 1 minus it would be 1.3e-5 short of the 1 - β2 the bias correction
	// divides by.
	b1, b2 := float32(a.beta1), float32(a.beta2)
	c1, c2 := float32(1-a.beta1), float32(1-a.beta2)
	eps := float32(a.eps * math.Sqrt(bc2))
	for name, g := range grads {
		p, m, v := w[name].Data, a.m[name], a.v[name]
		for i, gi := range g {
			m[i] = b1*m[i] + c1*gi
			v[i] = b2*v[i] + c2*gi*gi
			p[i] -= step * m[i] / (float32(math.Sqrt(float64(v[i]))) + eps)
		}
	}
}
