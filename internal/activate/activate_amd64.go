//go:build !purego

package activate

import "neurosurrogate/internal/cpu"

// The vector activation kernels (activate_amd64.s), on the same
// instruction set as the GEMM kernels (cpu.Best).

//go:noescape
func lstmRowsAVX512(rows, hd int, gates *float32, ldg int, b *float32, c *float32, ldc int, h *float32, ldh int)

//go:noescape
func lstmRowsAVX2(rows, hd int, gates *float32, ldg int, b *float32, c *float32, ldc int, h *float32, ldh int)

//go:noescape
func tanhRowsAVX512(rows, cols int, x *float32, ldx int, b *float32, y *float32, ldy int)

//go:noescape
func tanhRowsAVX2(rows, cols int, x *float32, ldx int, b *float32, y *float32, ldy int)

// lstmRowsVec runs the vector LSTM kernel kern and reports whether there
// is one. The caller has checked the bounds.
func lstmRowsVec(kern cpu.Level, rows, hd int, g []float32, ldg int, b, c []float32, ldc int, h []float32, ldh int) bool {
	switch kern {
	case cpu.AVX512:
		lstmRowsAVX512(rows, hd, &g[0], ldg, &b[0], &c[0], ldc, &h[0], ldh)
	case cpu.AVX2:
		lstmRowsAVX2(rows, hd, &g[0], ldg, &b[0], &c[0], ldc, &h[0], ldh)
	default:
		return false
	}
	return true
}

// tanhRowsVec runs the vector tanh kernel kern and reports whether there
// is one. The caller has checked the bounds.
func tanhRowsVec(kern cpu.Level, rows, cols int, x []float32, ldx int, b, y []float32, ldy int) bool {
	switch kern {
	case cpu.AVX512:
		tanhRowsAVX512(rows, cols, &x[0], ldx, &b[0], &y[0], ldy)
	case cpu.AVX2:
		tanhRowsAVX2(rows, cols, &x[0], ldx, &b[0], &y[0], ldy)
	default:
		return false
	}
	return true
}

//go:noescape
func cellBackAVX512(rows, hd int, act, tc, cp, dh, dc, dz *float32)

// cellBackVec runs the vector kernel of cellBackRows for kern and reports
// whether there is one. The caller has checked the bounds.
func cellBackVec(kern cpu.Level, rows, hd int, act, tc, cp, dh, dc, dz []float32) bool {
	if kern != cpu.AVX512 {
		return false
	}
	cellBackAVX512(rows, hd, &act[0], &tc[0], &cp[0], &dh[0], &dc[0], &dz[0])
	return true
}

//go:noescape
func cellFwdAVX512(rows, hd int, act, cp, c, tc, h *float32)

// cellFwdVec runs the vector kernel of cellFwdRows for kern and reports
// whether there is one. The caller has checked the bounds.
func cellFwdVec(kern cpu.Level, rows, hd int, act, cp, c, tc, h []float32) bool {
	if kern != cpu.AVX512 {
		return false
	}
	cellFwdAVX512(rows, hd, &act[0], &cp[0], &c[0], &tc[0], &h[0])
	return true
}
