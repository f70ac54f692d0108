// Package gemm holds the float32 matrix-product kernels of the surrogate's
// inference and training engines.
//
// The products are C = A B with A the batch (m rows, one
// per cell, k columns), B a constant weight matrix (k x n) and C the m x n
// output, all row-major float32. On amd64 they run on a register-blocked
// AVX-512 (12x32 tiles) or AVX2+FMA (6x16 tiles) kernel over B packed into
// column panels of the kernel's width; elsewhere, or with -tags purego, on
// a pure-Go loop. Both accumulate each dot product in float32 in k order
// (the vector kernels with fused multiply-adds, so results differ from the
// pure-Go loop and from gonum by rounding only).

package gemm

import (
	"fmt"

	"neurosurrogate/internal/cpu"
)

// The kernel of a product is a cpu.Level: cpu.Best, the widest the
// processor and the OS support, unless a test asks for another.

// kernelShape is the tile of C (rows x columns) of each kernel; the generic
// loop does not pack B (nr 0).
func kernelShape(kern cpu.Level) (mr, nr int) {
	switch kern {
	case cpu.AVX512:
		return 12, 32
	case cpu.AVX2:
		return 6, 16
	}
	return 4, 0
}

// PackedB is a k x n matrix B prepared once for repeated products A B with
// Mul: with a vector kernel, its columns split into panels of the kernel's
// width, each stored as k contiguous rows of that width, the last panel
// padded with zeros.
type PackedB struct {
	k, n int
	kern cpu.Level
	nr   int // panel width, 0 for a plain row-major copy (generic kernel)
	data []float32
}

// NewPackedB packs the k x n row-major matrix b (row stride n) for the
// fastest kernel available.
func NewPackedB(b []float32, k, n int) *PackedB {
	return newPackedB(kernelFor(cpu.Best, n), b, k, n, n)
}

// NewPackedBOn packs the k x n row-major matrix b (row stride ldb) for
// products on kernel kern, or on the narrower one that suits n columns
// better (tests run every kernel this way).
func NewPackedBOn(kern cpu.Level, b []float32, k, n, ldb int) *PackedB {
	return newPackedB(kernelFor(kern, n), b, k, n, ldb)
}

// Repack packs the k x n matrix b (or, with trans, the transpose of the
// n x k matrix b) into p's memory for the fastest kernel, making p if nil,
// so that weights that change every step are packed without allocation.
func Repack(p *PackedB, b []float32, k, n int, trans bool) *PackedB {
	kern := kernelFor(cpu.Best, n)
	if p == nil {
		p = &PackedB{k: k, n: n, kern: kern}
	}
	_, nr := kernelShape(kern)
	size := packedLen(kern, k, n)
	if cap(p.data) < size {
		p.data = make([]float32, size)
	}
	buf := p.data[:size]
	switch {
	case trans && nr > 0:
		p.packTrans(b, k, buf)
	case trans:
		t := make([]float32, k*n)
		transpose(t, b, n, k, k, n)
		p.pack(t, n, buf)
	default:
		p.pack(b, n, buf)
	}
	return p
}

// TileScratch is the length of the scratch MulTile needs for products
// whose A and C are at most cols columns wide.
func TileScratch(cols int) int { return 12 * (cols + 32) }

// MulTile is Mul with the partial tiles' scratch given (TileScratch), for
// products in a loop that must not allocate.
func (p *PackedB) MulTile(m int, a []float32, lda int, c []float32, ldc int, tile []float32) {
	if p.nr == 0 || m == 0 {
		p.Mul(m, a, lda, c, ldc)
		return
	}
	p.mulPanels(m, a, lda, c, ldc, tile)
}

// kernelFor is the kernel to use for a B of n columns on a machine whose
// best is kern: for n <= 16, half of each 32-column AVX-512 tile would be
// padding, and the AVX2 kernel's 16-column tiles run faster.
func kernelFor(kern cpu.Level, n int) cpu.Level {
	if kern == cpu.AVX512 && n <= 16 {
		return cpu.AVX2
	}
	return kern
}

// K and N are B's dimensions.
func (p *PackedB) K() int { return p.k }
func (p *PackedB) N() int { return p.n }

func newPackedB(kern cpu.Level, b []float32, k, n, ldb int) *PackedB {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("gemm: PackedB of negative size %d x %d", k, n))
	}
	checkMatrix("B", b, k, n, ldb)
	p := &PackedB{k: k, n: n, kern: kern}
	p.pack(b, ldb, nil)
	return p
}

// packedLen is the length of the packed copy of a k x n B for kern.
func packedLen(kern cpu.Level, k, n int) int {
	_, nr := kernelShape(kern)
	if nr == 0 {
		return k * n
	}
	return (n + nr - 1) / nr * k * nr
}

// pack copies b (p.k x p.n, row stride ldb) into p.data, reusing buf's
// memory when it is long enough.
func (p *PackedB) pack(b []float32, ldb int, buf []float32) {
	k, n := p.k, p.n
	_, nr := kernelShape(p.kern)
	p.nr = nr
	size := packedLen(p.kern, k, n)
	if cap(buf) >= size {
		p.data = buf[:size]
	} else {
		p.data = make([]float32, size)
	}
	if nr == 0 {
		for r := 0; r < k; r++ {
			copy(p.data[r*n:(r+1)*n], b[r*ldb:r*ldb+n])
		}
		return
	}
	panels := (n + nr - 1) / nr
	for j := 0; j < panels; j++ {
		j0 := j * nr
		w := min(nr, n-j0)
		dst := p.data[j*k*nr : (j+1)*k*nr]
		for r := 0; r < k; r++ {
			copy(dst[r*nr:r*nr+w], b[r*ldb+j0:r*ldb+j0+w])
			clear(dst[r*nr+w : (r+1)*nr]) // buf may hold old values
		}
	}
}

// packTrans packs the transpose of bt (p.n x p.k, row stride ldb) as pack
// packs a p.k x p.n matrix: each panel is a transposed block of nr rows of
// bt, so the transpose costs no separate copy. p.kern must have panels.
func (p *PackedB) packTrans(bt []float32, ldb int, buf []float32) {
	k, n := p.k, p.n
	_, nr := kernelShape(p.kern)
	p.nr = nr
	p.data = buf[:packedLen(p.kern, k, n)]
	for j0 := 0; j0 < n; j0 += nr {
		w := min(nr, n-j0)
		dst := p.data[j0*k : j0*k+k*nr]
		transpose(dst, bt[j0*ldb:], w, k, ldb, nr)
		if w < nr {
			for r := 0; r < k; r++ {
				clear(dst[r*nr+w : (r+1)*nr]) // buf may hold old values
			}
		}
	}
}

// Mul computes C = A B, overwriting the first n columns of the m rows of c
// (row stride ldc), for the m x k row-major matrix a (row stride lda).
// It is single-threaded; callers split the rows of A and C over
// goroutines.
func (p *PackedB) Mul(m int, a []float32, lda int, c []float32, ldc int) {
	if m < 0 {
		panic(fmt.Sprintf("gemm: Mul with %d rows", m))
	}
	checkMatrix("A", a, m, p.k, lda)
	checkMatrix("C", c, m, p.n, ldc)
	if m == 0 || p.n == 0 {
		return
	}
	if p.k == 0 {
		clearRows(m, p.n, c, ldc)
		return
	}
	if p.nr == 0 {
		sgemmGeneric(m, p.n, p.k, a, lda, p.data, p.n, c, ldc)
		return
	}
	p.mulPanels(m, a, lda, c, ldc, nil)
}

// Sgemm computes C = A B for row-major float32 matrices: a is m x k (row
// stride lda), b is k x n (row stride ldb) and c is m x n (row stride ldc),
// whose old contents are overwritten. For a B used many times, NewPackedB
// and Mul save repacking it on every call.
func Sgemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	sgemmWith(kernelFor(cpu.Best, n), m, n, k, a, lda, b, ldb, c, ldc)
}

func sgemmWith(kern cpu.Level, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: Sgemm of negative size %d x %d x %d", m, n, k))
	}
	checkMatrix("A", a, m, k, lda)
	checkMatrix("B", b, k, n, ldb)
	checkMatrix("C", c, m, n, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		clearRows(m, n, c, ldc)
		return
	}
	mr, nr := kernelShape(kern)
	// Packing B costs about k n copies against 2 m k n flops; below a full
	// tile of rows the generic loop does as well.
	if nr == 0 || m < mr {
		sgemmGeneric(m, n, k, a, lda, b, ldb, c, ldc)
		return
	}
	newPackedB(kern, b, k, n, ldb).mulPanels(m, a, lda, c, ldc, nil)
}

// checkMatrix panics unless s holds a rows x cols matrix of row stride ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("gemm: %s stride %d < %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("gemm: %s has %d values, too few for %d x %d with stride %d", name, len(s), rows, cols, ld))
	}
}

// clearRows zeroes an m x n matrix of row stride ldc: the product with an
// empty inner dimension.
func clearRows(m, n int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		clear(c[i*ldc : i*ldc+n])
	}
}

// gemmChunkBytes bounds the rows of A that one pass over the panels of B
// reads (about half a typical L2): each panel of B is read from L1 by all
// the row blocks of a chunk.
const gemmChunkBytes = 256 << 10

// mulPanels is Mul with a vector kernel: for each chunk of rows of A, for
// each panel of B, the kernel runs over the chunk's whole tiles; the rows
// left over (fewer than a tile) are copied to a zero-padded tile of A and
// computed into a scratch tile of C, both taken from tmp when it holds
// mr (k + nr) values.
func (p *PackedB) mulPanels(m int, a []float32, lda int, c []float32, ldc int, tmp []float32) {
	k, n, nr := p.k, p.n, p.nr
	mr, _ := kernelShape(p.kern)
	panels := (n + nr - 1) / nr
	full := m / mr * mr
	chunk := max(mr, gemmChunkBytes/(4*max(k, 1))/mr*mr)
	for i0 := 0; i0 < full; i0 += chunk {
		rows := min(chunk, full-i0)
		for j := 0; j < panels; j++ {
			j0 := j * nr
			gemmBlocks(p.kern, k, a[i0*lda:], lda, p.data[j*k*nr:(j+1)*k*nr], c[i0*ldc+j0:], ldc, rows/mr, min(nr, n-j0))
		}
	}
	if rem := m - full; rem > 0 {
		if len(tmp) < mr*(k+nr) {
			tmp = make([]float32, mr*(k+nr))
		}
		ta, tc := tmp[:mr*k], tmp[mr*k:mr*(k+nr)]
		clear(ta[rem*k:]) // rows past the matrix: zero padding
		for r := 0; r < rem; r++ {
			copy(ta[r*k:(r+1)*k], a[(full+r)*lda:(full+r)*lda+k])
		}
		for j := 0; j < panels; j++ {
			j0 := j * nr
			w := min(nr, n-j0)
			gemmBlocks(p.kern, k, ta, k, p.data[j*k*nr:(j+1)*k*nr], tc, nr, 1, nr)
			for r := 0; r < rem; r++ {
				copy(c[(full+r)*ldc+j0:(full+r)*ldc+j0+w], tc[r*nr:r*nr+w])
			}
		}
	}
}

// sgemmGeneric is C = A B in plain Go, used where there is no vector
// kernel: 4 x 4 blocks of C in registers, each dot product summed in k
// order in float32.
func sgemmGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	i := 0
	for ; i+4 <= m; i += 4 {
		a0 := a[i*lda : i*lda+k]
		a1 := a[(i+1)*lda : (i+1)*lda+k]
		a2 := a[(i+2)*lda : (i+2)*lda+k]
		a3 := a[(i+3)*lda : (i+3)*lda+k]
		c0 := c[i*ldc : i*ldc+n]
		c1 := c[(i+1)*ldc : (i+1)*ldc+n]
		c2 := c[(i+2)*ldc : (i+2)*ldc+n]
		c3 := c[(i+3)*ldc : (i+3)*ldc+n]
		j := 0
		for ; j+4 <= n; j += 4 {
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			var s20, s21, s22, s23, s30, s31, s32, s33 float32
			for l := 0; l < k; l++ {
				bl := b[l*ldb+j : l*ldb+j+4 : l*ldb+j+4]
				b0, b1, b2, b3 := bl[0], bl[1], bl[2], bl[3]
				x := a0[l]
				s00 += x * b0
				s01 += x * b1
				s02 += x * b2
				s03 += x * b3
				x = a1[l]
				s10 += x * b0
				s11 += x * b1
				s12 += x * b2
				s13 += x * b3
				x = a2[l]
				s20 += x * b0
				s21 += x * b1
				s22 += x * b2
				s23 += x * b3
				x = a3[l]
				s30 += x * b0
				s31 += x * b1
				s32 += x * b2
				s33 += x * b3
			}
			c0[j], c0[j+1], c0[j+2], c0[j+3] = s00, s01, s02, s03
			c1[j], c1[j+1], c1[j+2], c1[j+3] = s10, s11, s12, s13
			c2[j], c2[j+1], c2[j+2], c2[j+3] = s20, s21, s22, s23
			c3[j], c3[j+1], c3[j+2], c3[j+3] = s30, s31, s32, s33
		}
		for ; j < n; j++ {
			var s0, s1, s2, s3 float32
			for l := 0; l < k; l++ {
				bv := b[l*ldb+j]
				s0 += a0[l] * bv
				s1 += a1[l] * bv
				s2 += a2[l] * bv
				s3 += a3[l] * bv
			}
			c0[j], c1[j], c2[j], c3[j] = s0, s1, s2, s3
		}
	}
	for ; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		ci := c[i*ldc : i*ldc+n]
		for j := range ci {
			var s float32
			for l, x := range ai {
				s += x * b[l*ldb+j]
			}
			ci[j] = s
		}
	}
}
