package gemm

import (
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"neurosurrogate/internal/cpu"
)

// BLAS is a gonum BLAS implementation for the training engines' matrix
// products (the gorgonia graph installs it process-wide): gonum's pure-Go routines,
// except single-precision GEMM, which runs on this package's vector kernels
// (see Sgemm) with transposed operands copied to row-major scratch first
// and no allocation per call. Results differ from gonum's by float32
// rounding only. Safe for concurrent use.
type BLAS struct{ gonum.Implementation }

// gemmScratch is the reusable memory of BLAS.Sgemm calls.
var gemmScratch = sync.Pool{New: func() any { return new([]float32) }}

// Sgemm computes C = alpha op(A) op(B) + beta C for row-major matrices
// (gonum's convention). The vector kernels compute C = A B; other alpha or
// beta, and products with fewer rows than a kernel tile, go to gonum.
func (BLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	kern := kernelFor(cpu.Best, n)
	mr, nr := kernelShape(kern)
	if alpha != 1 || beta != 0 || nr == 0 || m < mr || k == 0 || n == 0 || !isTrans(tA) || !isTrans(tB) {
		gonum.Implementation{}.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	need := packedLen(kern, k, n) + mr*(k+nr)
	if tA != blas.NoTrans {
		need += m * k
	}
	sp := gemmScratch.Get().(*[]float32)
	if cap(*sp) < need {
		*sp = make([]float32, need)
	}
	buf := (*sp)[:need]
	if tA != blas.NoTrans {
		// A is stored k x m: multiply by its transpose.
		checkMatrix("A", a, k, m, lda)
		t := buf[:m*k]
		buf = buf[m*k:]
		transpose(t, a, k, m, lda, k)
		a, lda = t, k
	}
	checkMatrix("A", a, m, k, lda)
	checkMatrix("C", c, m, n, ldc)
	p := PackedB{k: k, n: n, kern: kern}
	size := packedLen(kern, k, n)
	if tB != blas.NoTrans {
		// B is stored n x k: pack its transpose straight into the panels.
		checkMatrix("B", b, n, k, ldb)
		p.packTrans(b, ldb, buf[:size])
	} else {
		checkMatrix("B", b, k, n, ldb)
		p.pack(b, ldb, buf[:size])
	}
	p.mulPanels(m, a, lda, c, ldc, buf[size:])
	gemmScratch.Put(sp)
}

func isTrans(t blas.Transpose) bool {
	return t == blas.NoTrans || t == blas.Trans || t == blas.ConjTrans
}

// transpose writes the cols x rows transpose of the rows x cols matrix src
// (row stride ld) to dst, row-major with row stride ldd >= rows. Eight source rows
// at a time fill eight adjacent destination elements per column, in blocks
// of columns that keep both sides in cache.
func transpose(dst, src []float32, rows, cols, ld, ldd int) {
	const blk = 64
	for j0 := 0; j0 < cols; j0 += blk {
		j1 := min(cols, j0+blk)
		i := 0
		for ; i+8 <= rows; i += 8 {
			r0 := src[i*ld+j0 : i*ld+j1]
			n := len(r0)
			r1 := src[(i+1)*ld+j0:][:n]
			r2 := src[(i+2)*ld+j0:][:n]
			r3 := src[(i+3)*ld+j0:][:n]
			r4 := src[(i+4)*ld+j0:][:n]
			r5 := src[(i+5)*ld+j0:][:n]
			r6 := src[(i+6)*ld+j0:][:n]
			r7 := src[(i+7)*ld+j0:][:n]
			for j, v := range r0 {
				d := dst[(j0+j)*ldd+i:]
				d = d[:8]
				d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = v, r1[j], r2[j], r3[j], r4[j], r5[j], r6[j], r7[j]
			}
		}
		for ; i < rows; i++ {
			for j, v := range src[i*ld+j0 : i*ld+j1] {
				dst[(j0+j)*ldd+i] = v
			}
		}
	}
}
