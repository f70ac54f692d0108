// Package fastexp is the exponential of the reference simulator's mechanism
// kernels, whose cost is dominated by exp: accurate to 0.8 ulp and the same
// bits on every machine, scalar (Exp) or over arrays (ExpAll) with AVX-512
// or AVX2 where the processor has them.
package fastexp

import "math"

// A fast exponential for the mechanism kernels, whose cost is dominated by
// exp. It is accurate to 0.8 ulp (fastexp_test.go checks it against a
// 200-bit reference; Go's math.Exp on amd64 is off by up to 1.7 ulp,
// glibc's, which NEURON uses, by under 1), so results follow NEURON's as
// closely as math.Exp's would. Method: exp(x) = 2^(n/16) exp(r) with
// n = round(16 x / ln 2), |r| <= ln 2 / 32, 2^(j/16) from a two-part table
// and exp(r) - 1 from its Taylor polynomial of degree 7 (error < 2e-18),
// evaluated with fused multiply-adds. ExpAll, which the kernels use, runs
// eight or four at a time with AVX-512 or AVX2 on amd64 processors that
// have them (fastexp_amd64.s) and gives the very same bits as Exp
// everywhere, so results do not depend on the machine.

// exp2Hi[j] + exp2Lo[j] is 2^(j/16) to about 107 bits.
var exp2Hi = [16]float64{
	0x1p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
	0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
	0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
	0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0,
}

var exp2Lo = [16]float64{
	0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
	0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54,
	-0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56,
	0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54,
}

// exp2Pairs interleaves the two: exp2Hi[j], exp2Lo[j] at 2j, 2j+1 (the
// AVX2 kernel loads a pair per lane).
//
//lint:ignore U1000 read by the AVX2 kernel (fastexp_amd64.s)
var exp2Pairs = func() (p [32]float64) {
	for j := range exp2Hi {
		p[2*j], p[2*j+1] = exp2Hi[j], exp2Lo[j]
	}
	return p
}()

const (
	invLn2x16 = 16 / math.Ln2
	expShift  = 0x1.8p52             // adding it rounds to an integer n, kept as n + 2^51 in the low mantissa bits
	ln2x16Hi  = 0x1.62e42fe000000p-5 // ln 2 / 16 to 29 bits, so n ln2x16Hi is exact
	ln2x16Lo  = math.Ln2/16 - ln2x16Hi
)

// Exp is exp(x); outside (-708, 709) (and for NaN) it defers to math.Exp.
func Exp(x float64) float64 {
	if !(x > -708 && x < 709) {
		return math.Exp(x)
	}
	z := math.FMA(x, invLn2x16, expShift)
	kf := z - expShift
	r := math.FMA(-kf, ln2x16Hi, x)
	r = math.FMA(-kf, ln2x16Lo, r)
	p := math.FMA(r, 1.0/5040, 1.0/720)
	p = math.FMA(r, p, 1.0/120)
	p = math.FMA(r, p, 1.0/24)
	p = math.FMA(r, p, 1.0/6)
	p = math.FMA(r, p, 1.0/2)
	p = math.FMA(r, p, 1)
	p *= r
	n := math.Float64bits(z) & (1<<52 - 1) // n + 2^51
	j := n & 15
	t := exp2Hi[j]
	// 2^floor(n/16): (n>>4 + 1023) << 52 shifts the 2^47 of the bias out
	scale := math.Float64frombits((n>>4 + 1023) << 52)
	return (t + math.FMA(p, t, exp2Lo[j])) * scale
}

// ExpAll sets dst[i] = Exp(src[i]) for all i; dst may be src.
func ExpAll(dst, src []float64) {
	dst = dst[:len(src)]
	for i := 0; i < len(src); {
		// Whole blocks by the vector kernel, which stops before a block
		// with an argument out of fastExp's range; that block and the tail
		// here.
		i += expBlocks(dst[i:], src[i:])
		for end := min(i+8, len(src)); i < end; i++ {
			dst[i] = Exp(src[i])
		}
	}
}
