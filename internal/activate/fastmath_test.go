package activate

import (
	"math"
	"testing"
)

func TestFastMath(t *testing.T) {
	worstExp, worstSig, worstTanh := 0.0, 0.0, 0.0
	for x := -80.0; x <= 80; x += 0.0137 {
		e := float64(Exp32(float32(x)))
		want := math.Exp(float64(float32(x)))
		worstExp = math.Max(worstExp, math.Abs(e-want)/want)
		worstSig = math.Max(worstSig, math.Abs(float64(Sigmoid32(float32(x)))-1/(1+math.Exp(-float64(float32(x))))))
		worstTanh = math.Max(worstTanh, math.Abs(float64(Tanh32(float32(x)))-math.Tanh(float64(float32(x)))))
	}
	if worstExp > 5e-7 || worstSig > 2e-7 || worstTanh > 3e-7 {
		t.Errorf("worst errors: exp %g (relative), sigmoid %g, tanh %g", worstExp, worstSig, worstTanh)
	}
}

func BenchmarkExp32(b *testing.B) {
	x := float32(0)
	for i := 0; b.Loop(); i++ {
		x += Exp32(float32(i%100) * 0.01)
	}
	_ = x
}
