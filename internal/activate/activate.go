// Package activate holds the float32 activation kernels of the surrogate's
// engines: tanh over rows, the LSTM cell's forward step (for inference and
// for training) and its backward step, and the scalar Exp32, Sigmoid32 and
// Tanh32 they agree with.
package activate

import (
	"fmt"

	"neurosurrogate/internal/cpu"
)

// The activations over whole batches: the convolution's tanh and the LSTM
// cell update. On amd64 they run on AVX-512 or AVX2 kernels
// (activate_amd64.s), which compute Exp32, Sigmoid32 and Tanh32's formulas
// with fused multiply-adds and a refined reciprocal in place of the
// division, agreeing with them to a few float32 ulp; elsewhere, or with
// -tags purego, on those scalar functions.

// TanhRows sets y[i*ldy+j] = Tanh32(x[i*ldx+j] + b[j]) for i < rows,
// j < cols.
func TanhRows(rows, cols int, x []float32, ldx int, b, y []float32, ldy int) {
	TanhRowsOn(cpu.Best, rows, cols, x, ldx, b, y, ldy)
}

// TanhRowsOn is TanhRows on the kernel of level kern.
func TanhRowsOn(kern cpu.Level, rows, cols int, x []float32, ldx int, b, y []float32, ldy int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	checkMatrix("x", x, rows, cols, ldx)
	checkMatrix("y", y, rows, cols, ldy)
	if len(b) < cols {
		panic(fmt.Sprintf("activate: tanhRows: %d biases for %d columns", len(b), cols))
	}
	if tanhRowsVec(kern, rows, cols, x, ldx, b, y, ldy) {
		return
	}
	b = b[:cols]
	for i := 0; i < rows; i++ {
		xi, yi := x[i*ldx:i*ldx+cols], y[i*ldy:i*ldy+cols]
		for j, v := range xi {
			yi[j] = Tanh32(v + b[j])
		}
	}
}

// LSTMRowsOn is one LSTM step for rows cells of hd units on the kernel of
// level kern: with the gate pre-activations g[i*ldg:][0:4hd] (gates i, f,
// g, o; biases b[0:4hd] still to add), the cell state c[i*ldc:][0:hd]
// becomes sigmoid(f) c + sigmoid(i) tanh(g) and the output h[i*ldh:][0:hd]
// is sigmoid(o) tanh(c).
func LSTMRowsOn(kern cpu.Level, rows, hd int, g []float32, ldg int, b, c []float32, ldc int, h []float32, ldh int) {
	if rows <= 0 || hd <= 0 {
		return
	}
	checkMatrix("gates", g, rows, 4*hd, ldg)
	checkMatrix("c", c, rows, hd, ldc)
	checkMatrix("h", h, rows, hd, ldh)
	if len(b) < 4*hd {
		panic(fmt.Sprintf("activate: lstmRows: %d biases for %d gates", len(b), 4*hd))
	}
	if lstmRowsVec(kern, rows, hd, g, ldg, b, c, ldc, h, ldh) {
		return
	}
	b = b[:4*hd]
	for i := 0; i < rows; i++ {
		gi := g[i*ldg : i*ldg+4*hd]
		ci := c[i*ldc : i*ldc+hd]
		hi := h[i*ldh : i*ldh+hd]
		for j := range ci {
			ig := Sigmoid32(gi[j] + b[j])
			fg := Sigmoid32(gi[hd+j] + b[hd+j])
			gg := Tanh32(gi[2*hd+j] + b[2*hd+j])
			og := Sigmoid32(gi[3*hd+j] + b[3*hd+j])
			cj := fg*ci[j] + ig*gg
			ci[j] = cj
			hi[j] = og * Tanh32(cj)
		}
	}
}

// checkMatrix panics unless s holds a rows x cols matrix of row stride ld.
func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if rows <= 0 || cols <= 0 {
		return
	}
	if ld < cols || len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("activate: %s: %d values for %d x %d with stride %d", name, len(s), rows, cols, ld))
	}
}
