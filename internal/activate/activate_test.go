package activate

import (
	"math"
	"math/rand/v2"
	"neurosurrogate/internal/cpu"
	"testing"
)

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// actInput draws pre-activations over the ranges that matter: mostly
// moderate, some tiny (tanh's small-x branch), some saturating.
func actInput(rng *rand.Rand) float32 {
	switch rng.IntN(8) {
	case 0:
		return float32(rng.NormFloat64() * 0.03)
	case 1:
		return float32((rng.Float64()*2 - 1) * 120)
	default:
		return float32(rng.NormFloat64() * 4)
	}
}

// TestTanhRows: every kernel against math.Tanh (absolute error, and
// relative error for small arguments), for row widths around the vector
// widths, padded strides, and a bias.
func TestTanhRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, kern := range cpu.Levels() {
		t.Run(kern.String(), func(t *testing.T) {
			worstAbs, worstRel := 0.0, 0.0
			for _, cols := range []int{1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 64, 100} {
				rows, ldx, ldy := 7, cols+3, cols+5
				x, y := make([]float32, rows*ldx), make([]float32, rows*ldy)
				b := make([]float32, cols)
				for i := range x {
					x[i] = actInput(rng)
				}
				for i := range b {
					b[i] = float32(rng.NormFloat64() * 0.01)
				}
				for i := range y {
					y[i] = float32(math.NaN())
				}
				TanhRowsOn(kern, rows, cols, x, ldx, b, y, ldy)
				for i := 0; i < rows; i++ {
					for j := 0; j < ldy; j++ {
						got := float64(y[i*ldy+j])
						if j >= cols {
							if !math.IsNaN(got) {
								t.Fatalf("cols %d: wrote y[%d,%d] = %g past the row", cols, i, j, got)
							}
							continue
						}
						in := x[i*ldx+j] + b[j]
						want := math.Tanh(float64(in))
						e := math.Abs(got - want)
						worstAbs = math.Max(worstAbs, e)
						// Relative accuracy below |x| = 1/16, where the formula
						// 1 - 2/(exp(2x)+1) would cancel.
						small := math.Abs(float64(in)) < 0.0625 && in != 0
						if small {
							worstRel = math.Max(worstRel, e/math.Abs(want))
						}
						if !(e <= 3e-7) || (small && !(e <= 3e-7*math.Abs(want))) {
							t.Fatalf("cols %d: tanh(%g) = %g, want %g", cols, in, got, want)
						}
					}
				}
			}
			t.Logf("worst absolute error %.3g, relative %.3g", worstAbs, worstRel)
		})
	}
}

// TestSigmoidViaLSTM isolates the sigmoid of each kernel: with c = 0 and
// the cell gate saturated (tanh(50) = 1), the new cell state is exactly
// sigmoid of the input gate, checked for relative error down to
// sigmoid(-80) ~ 1.8e-35.
func TestSigmoidViaLSTM(t *testing.T) {
	for _, kern := range cpu.Levels() {
		t.Run(kern.String(), func(t *testing.T) {
			const hd = 37
			worst := 0.0
			for x0 := -80.0; x0 < 80; x0 += 0.0137 * hd {
				g := make([]float32, 4*hd)
				b := make([]float32, 4*hd)
				c := make([]float32, hd)
				h := make([]float32, hd)
				for j := 0; j < hd; j++ {
					g[j] = float32(x0 + 0.0137*float64(j))
					g[hd+j] = float32(j%5 - 2)
					g[2*hd+j] = 50
					g[3*hd+j] = 0
				}
				LSTMRowsOn(kern, 1, hd, g, 4*hd, b, c, hd, h, hd)
				for j := 0; j < hd; j++ {
					want := sigmoid64(float64(g[j]))
					e := math.Abs(float64(c[j])-want) / want
					worst = math.Max(worst, e)
					if !(e <= 5e-7) {
						t.Fatalf("sigmoid(%g) = %g, want %g", g[j], c[j], want)
					}
				}
			}
			t.Logf("worst relative error %.3g", worst)
		})
	}
}

// TestLSTMRows: every kernel against the LSTM update in float64, and
// against the scalar kernel, for unit counts around the vector widths,
// several steps in a row (the state feeds back) and padded strides.
func TestLSTMRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	for _, kern := range cpu.Levels() {
		t.Run(kern.String(), func(t *testing.T) {
			worstC, worstH := 0.0, 0.0
			for _, hd := range []int{1, 3, 7, 8, 9, 16, 17, 24, 32, 33, 64, 65, 128} {
				rows, ldg, ldc, ldh := 5, 4*hd+1, hd+2, hd+3
				b := make([]float32, 4*hd)
				for i := range b {
					b[i] = float32(rng.NormFloat64() * 0.5)
				}
				c := make([]float32, rows*ldc)
				for i := range c {
					c[i] = float32(rng.NormFloat64() * 2)
				}
				cRef := append([]float32(nil), c...)
				for step := 0; step < 4; step++ {
					g := make([]float32, rows*ldg)
					for i := range g {
						g[i] = actInput(rng)
					}
					h := make([]float32, rows*ldh)
					hRef := make([]float32, rows*ldh)
					for i := range h {
						h[i], hRef[i] = float32(math.NaN()), float32(math.NaN())
					}
					cPrev := append([]float32(nil), c...)
					LSTMRowsOn(kern, rows, hd, g, ldg, b, c, ldc, h, ldh)
					LSTMRowsOn(cpu.Generic, rows, hd, g, ldg, b, cRef, ldc, hRef, ldh)
					for i := 0; i < rows; i++ {
						for j := 0; j < hd; j++ {
							pre := func(q int) float64 { return float64(g[i*ldg+q*hd+j] + b[q*hd+j]) }
							c64 := sigmoid64(pre(1))*float64(cPrev[i*ldc+j]) + sigmoid64(pre(0))*math.Tanh(pre(2))
							h64 := sigmoid64(pre(3)) * math.Tanh(c64)
							gc, gh := float64(c[i*ldc+j]), float64(h[i*ldh+j])
							ec := math.Abs(gc-c64) / (1 + math.Abs(c64))
							eh := math.Abs(gh - h64)
							worstC, worstH = math.Max(worstC, ec), math.Max(worstH, eh)
							if !(ec <= 6e-7) || !(eh <= 6e-7) {
								t.Fatalf("hd %d row %d unit %d: c %g h %g, want %g %g", hd, i, j, gc, gh, c64, h64)
							}
							// The scalar kernel from the same state.
							if d := math.Abs(gc - float64(cRef[i*ldc+j])); d > 1e-6*(1+math.Abs(c64)) {
								t.Fatalf("hd %d: c %g, scalar kernel %g", hd, gc, cRef[i*ldc+j])
							}
							if d := math.Abs(gh - float64(hRef[i*ldh+j])); d > 1e-6 {
								t.Fatalf("hd %d: h %g, scalar kernel %g", hd, gh, hRef[i*ldh+j])
							}
						}
						for j := hd; j < ldh; j++ {
							if v := h[i*ldh+j]; !math.IsNaN(float64(v)) {
								t.Fatalf("hd %d: wrote h past the row", hd)
							}
						}
					}
					// Padding of c is left alone (it was random).
					for i := 0; i < rows; i++ {
						for j := hd; j < ldc; j++ {
							if c[i*ldc+j] != cPrev[i*ldc+j] {
								t.Fatalf("hd %d: wrote c past the row", hd)
							}
						}
					}
					copy(cRef, c) // next step from the same state
				}
			}
			t.Logf("worst errors: c %.3g (relative to 1+|c|), h %.3g", worstC, worstH)
		})
	}
}

func BenchmarkLSTMRows(b *testing.B) {
	const rows, hd = 500, 64
	rng := rand.New(rand.NewPCG(1, 1))
	g := make([]float32, rows*4*hd)
	for i := range g {
		g[i] = float32(rng.NormFloat64() * 2)
	}
	bias, c, h := make([]float32, 4*hd), make([]float32, rows*hd), make([]float32, rows*hd)
	for _, kern := range cpu.Levels() {
		b.Run(kern.String(), func(b *testing.B) {
			for b.Loop() {
				LSTMRowsOn(kern, rows, hd, g, 4*hd, bias, c, hd, h, hd)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N)/(rows*hd), "ns/unit")
		})
	}
}
