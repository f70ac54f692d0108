package activate

import (
	"math"
	"math/rand/v2"
	"testing"

	"neurosurrogate/internal/cpu"
)

// relDiff is |a - b| / max(|b|, floor) over two arrays, the worst element
// relative to the larger of the reference's scale and floor.
func relDiff(a, b []float32, floor float64) float64 {
	scale := floor
	for _, x := range b {
		scale = math.Max(scale, math.Abs(float64(x)))
	}
	worst := 0.0
	for i := range b {
		worst = math.Max(worst, math.Abs(float64(a[i]-b[i])))
	}
	if len(a) != len(b) {
		return math.Inf(1)
	}
	return worst / scale
}

// TestCellBackRows: the vector kernels of the cell's backward step agree
// with the plain loop (to float32 rounding: fused multiply-adds, another
// order of products) for row widths around the vector length, and write
// nothing past the rows.
func TestCellBackRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, kern := range cpu.Levels() {
		for _, hd := range []int{1, 7, 15, 16, 17, 33, 96} {
			const rows = 5
			n := rows * hd
			randv := func(n int, lo, hi float64) []float32 {
				o := make([]float32, n)
				for i := range o {
					o[i] = float32(lo + (hi-lo)*rng.Float64())
				}
				return o
			}
			act, tc, cp, dh := randv(4*n, 0, 1), randv(n, -1, 1), randv(n, -2, 2), randv(n, -1, 1)
			dc0 := randv(n, -1, 1)
			want, wantDC := make([]float32, 4*n), append([]float32(nil), dc0...)
			CellBackRowsOn(cpu.Generic, rows, hd, act, tc, cp, dh, wantDC, want)
			got, gotDC := make([]float32, 4*n+3), append(append([]float32(nil), dc0...), 7, 7, 7)
			CellBackRowsOn(kern, rows, hd, act, tc, cp, dh, gotDC[:n], got[:4*n])
			if d := relDiff(got[:4*n], want, 1); d > 1e-6 {
				t.Errorf("kernel %v, hd %d: dz differs by %g", kern, hd, d)
			}
			if d := relDiff(gotDC[:n], wantDC, 1); d > 1e-6 {
				t.Errorf("kernel %v, hd %d: dc differs by %g", kern, hd, d)
			}
			if got[4*n] != 0 || gotDC[n] != 7 {
				t.Errorf("kernel %v, hd %d: wrote past the rows", kern, hd)
			}
		}
	}
}

// TestCellFwdRows: the vector kernel of the cell's forward step agrees with
// the plain loops (to float32 rounding) for row widths around the vector
// length, and writes nothing past the rows.
func TestCellFwdRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, kern := range cpu.Levels() {
		for _, hd := range []int{1, 7, 15, 16, 17, 33, 96} {
			const rows = 5
			n := rows * hd
			randv := func(n int, lo, hi float64) []float32 {
				o := make([]float32, n, n+3)
				for i := range o {
					o[i] = float32(lo + (hi-lo)*rng.Float64())
				}
				return o
			}
			act, cp := randv(4*n, -1, 1), randv(n, -3, 3)
			type out struct{ act, c, tc, h []float32 }
			run := func(k cpu.Level) out {
				o := out{append(make([]float32, 0, 4*n+3), act...), make([]float32, n, n+3), make([]float32, n, n+3), make([]float32, n, n+3)}
				CellFwdRowsOn(k, rows, hd, o.act, cp, o.c, o.tc, o.h)
				return o
			}
			want, got := run(cpu.Generic), run(kern)
			for _, p := range []struct {
				name     string
				got, ref []float32
			}{{"act", got.act, want.act}, {"c", got.c, want.c}, {"tanh c", got.tc, want.tc}, {"h", got.h, want.h}} {
				if d := relDiff(p.got, p.ref, 1); d > 1e-6 {
					t.Errorf("kernel %v, hd %d: %s differs by %g", kern, hd, p.name, d)
				}
				if tail := p.got[len(p.got) : len(p.got)+3]; tail[0] != 0 || tail[1] != 0 || tail[2] != 0 {
					t.Errorf("kernel %v, hd %d: wrote past %s", kern, hd, p.name)
				}
			}
		}
	}
}
