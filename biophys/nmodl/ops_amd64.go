//go:build !purego

package nmodl

import "neurosurrogate/internal/cpu"

// vecOps says whether the AVX2 kernels of ops_amd64.s run the elementwise
// arithmetic (the same bits as the Go loops); tests switch it off to
// compare.
var vecOps = cpu.Best >= cpu.AVX2

//go:noescape
func vvAddAVX2(dst, x, y []float64) int

//go:noescape
func vvSubAVX2(dst, x, y []float64) int

//go:noescape
func vvMulAVX2(dst, x, y []float64) int

//go:noescape
func vvDivAVX2(dst, x, y []float64) int

//go:noescape
func vsAddAVX2(dst, x []float64, s float64) int

//go:noescape
func vsSubAVX2(dst, x []float64, s float64) int

//go:noescape
func vsMulAVX2(dst, x []float64, s float64) int

//go:noescape
func vsDivAVX2(dst, x []float64, s float64) int

//go:noescape
func svSubAVX2(dst []float64, s float64, y []float64) int

//go:noescape
func svDivAVX2(dst []float64, s float64, y []float64) int

//go:noescape
func outsideAVX2(x []float64, lo, hi float64) int

//go:noescape
func cnexpAVX2(x, a, b, e []float64) int
