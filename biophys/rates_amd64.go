//go:build !purego

package biophys

import "neurosurrogate/internal/cpu"

// vecRates says whether the AVX2 kernels of rates_amd64.s compute the Hay
// channels' rates, cnexp and conductances (four instances at a time, the
// bits of the Go code); tests switch it off to compare.
var vecRates = cpu.Best >= cpu.AVX2

// hayK are the constants of the Hay rate expressions, as the Go code writes
// them (so the same float64 values), for the kernels.
//
//lint:ignore U1000 read by the assembly kernels (rates_amd64.s)
var hayK = [...]float64{
	0.0001,         // 0
	1,              // 1
	0.182,          // 2
	0.124,          // 3
	-1.0 / 6,       // 4
	1.0 / 6,        // 5
	-27,            // 6
	1 / 3.8,        // 7
	-75,            // 8
	1.0 / 17,       // 9
	-13,            // 10
	1.0 / 50,       // 11
	1.0 / 28,       // 12
	15,             // 13
	0.055,          // 14
	0.94,           // 15
	0.000457,       // 16
	0.0065,         // 17
	10,             // 18
	30,             // 19
	1 / -6.0,       // 20
	25,             // 21
	1.0 / 5,        // 22
	80,             // 23
	1 / 6.4,        // 24
	40,             // 25
	1.0 / 7,        // 26
	5,              // 27
	20,             // 28
	50,             // 29
	-154.9,         // 30
	154.9,          // 31
	1 / 11.9,       // 32
	1 / 33.1,       // 33
	0.001 * 6.43,   // 34
	0.001 * 193,    // 35
	35,             // 36
	2.5 * 0.04,     // 37
	18.7,           // 38
	1 / -9.7,       // 39
	46.56,          // 40
	1 / -44.14,     // 41
	1 / (0.2 * 20), // 42
}

//go:noescape
func naTArgsAVX2(v []float64, em []float64, fh []float64, mV float64, hV float64) int

//go:noescape
func naTGatesAVX2(v []float64, e []float64, f []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, mV float64, hV float64, a float64, b float64) int

//go:noescape
func caHVAArgsAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64) int

//go:noescape
func caHVAGatesAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, ndt float64) int

//go:noescape
func caLVAstArgsAVX2(v []float64, e0 []float64, e1 []float64, e2 []float64, e3 []float64) int

//go:noescape
func caLVAstGatesAVX2(e0 []float64, e1 []float64, e2 []float64, e3 []float64, mInf []float64, mDec []float64, hInf []float64, hDec []float64, a float64) int

//go:noescape
func ihArgsAVX2(v []float64, ea []float64, eb []float64) int

//go:noescape
func ihGatesAVX2(v []float64, ea []float64, eb []float64, inf []float64, dec []float64, ndt float64) int

//go:noescape
func imArgsAVX2(v []float64, e []float64) int

//go:noescape
func imGatesAVX2(e []float64, inf []float64, dec []float64, c float64) int

//go:noescape
func skv31ArgsAVX2(v []float64, e0 []float64, e1 []float64) int

//go:noescape
func skv31GatesAVX2(e0 []float64, e1 []float64, inf []float64, dec []float64, ndt float64) int

//go:noescape
func cnexpAVX2(x []float64, inf []float64, d []float64) int

//go:noescape
func gM1AVX2(g []float64, gbar []float64, m []float64) int

//go:noescape
func gM2H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int

//go:noescape
func gM3H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int

//go:noescape
func gM4H1AVX2(g []float64, gbar []float64, m []float64, h []float64) int
