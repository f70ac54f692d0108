//go:build !amd64 || purego

package nmodl

var vecOps = false

func vvAddAVX2(dst, x, y []float64) int                   { return 0 }
func vvSubAVX2(dst, x, y []float64) int                   { return 0 }
func vvMulAVX2(dst, x, y []float64) int                   { return 0 }
func vvDivAVX2(dst, x, y []float64) int                   { return 0 }
func vsAddAVX2(dst, x []float64, s float64) int           { return 0 }
func vsSubAVX2(dst, x []float64, s float64) int           { return 0 }
func vsMulAVX2(dst, x []float64, s float64) int           { return 0 }
func vsDivAVX2(dst, x []float64, s float64) int           { return 0 }
func svSubAVX2(dst []float64, s float64, y []float64) int { return 0 }
func svDivAVX2(dst []float64, s float64, y []float64) int { return 0 }

func outsideAVX2(x []float64, lo, hi float64) int { return 0 }
func cnexpAVX2(x, a, b, e []float64) int          { return 0 }
