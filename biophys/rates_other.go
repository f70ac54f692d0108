//go:build !amd64 || purego

package biophys

// vecRates is false without the amd64 vector kernels: the Go code computes
// everything, and the kernels below are never called.
var vecRates = false

func naTArgsAVX2(v []float64, em []float64, fh []float64, mV float64, hV float64) int { return 0 }
func naTGatesAVX2(v []float64, e []float64, f []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, mV float64, hV float64, a float64, b float64) int {
	return 0
}
func caHVAArgsAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64) int { return 0 }
func caHVAGatesAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, ndt float64) int {
	return 0
}
func caLVAstArgsAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64) int {
	return 0
}
func caLVAstGatesAVX2(e0 []float64, e1 []float64, e2 []float64, e3 []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, a float64) int {
	return 0
}
func ihArgsAVX2(v []float64, ea []float64, eb []float64) int { return 0 }
func ihGatesAVX2(v []float64, ea []float64, eb []float64, inf []float64, dec []float64, ndt float64) int {
	return 0
}
func imArgsAVX2(v []float64, e []float64) int                              { return 0 }
func imGatesAVX2(e []float64, inf []float64, dec []float64, c float64) int { return 0 }
func skv31ArgsAVX2(v []float64, e0 []float64, e1 []float64) int            { return 0 }
func skv31GatesAVX2(e0 []float64, e1 []float64, inf []float64, dec []float64, ndt float64) int {
	return 0
}
func cnexpAVX2(x []float64, inf []float64, d []float64) int               { return 0 }
func gM1AVX2(g []float64, gbar []float64, m []float64) int                { return 0 }
func gM2H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int { return 0 }
func gM3H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int { return 0 }
func gM4H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int { return 0 }
