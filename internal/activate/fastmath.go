package activate

import "math"

// Exp32 is a float32 exponential accurate to about 2 ulp on [-87, 88]
// (Cody-Waite range reduction and a degree-6 polynomial), several times
// faster than math.Exp; it saturates outside that range.
func Exp32(x float32) float32 {
	if x > 88 {
		x = 88
	} else if x < -87 {
		x = -87
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := float32(math.Floor(float64(x*log2e + 0.5)))
	r := x - n*ln2hi - n*ln2lo
	// exp(r) for |r| <= ln2/2
	p := float32(1.0 / 720)
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}

// Sigmoid32 is 1/(1+exp(-x)).
func Sigmoid32(x float32) float32 { return 1 / (1 + Exp32(-x)) }

// Tanh32 is tanh(x) = 1 - 2/(exp(2x)+1), exact at the saturated ends.
func Tanh32(x float32) float32 {
	if x > 9 {
		return 1
	} else if x < -9 {
		return -1
	}
	if x > -0.0625 && x < 0.0625 {
		// avoid cancellation near 0: tanh x = x - x^3/3 + 2x^5/15
		x2 := x * x
		return x * (1 + x2*(-1.0/3+x2*(2.0/15)))
	}
	return 1 - 2/(Exp32(2*x)+1)
}

// Softplus is log(1 + exp(x)) in float64, without overflow: the spike
// loss's cross-entropy of a logit.
func Softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}
