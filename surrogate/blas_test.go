package surrogate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	G "gorgonia.org/gorgonia"
)

// TestBLASSgemm checks BLAS.Sgemm against gonum's for every transpose
// combination, sizes below and above a kernel tile, padded strides, and
// alpha/beta other than 1/0 (which go to gonum), and that nothing outside
// C is written. Calls alternate between shapes, so reused scratch memory
// must not leak values from one product into the next.
func TestBLASSgemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	trans := []blas.Transpose{blas.NoTrans, blas.Trans}
	sizes := []int{1, 5, 6, 16, 17, 64, 80}
	type ab struct{ alpha, beta float32 }
	for _, tA := range trans {
		for _, tB := range trans {
			for _, m := range sizes {
				for _, n := range sizes {
					for _, k := range []int{1, 16, 65} {
						for _, s := range []ab{{1, 0}, {0.5, 0}, {1, 2}} {
							name := fmt.Sprintf("%c%c_%dx%dx%d_alpha%g_beta%g", tA, tB, m, n, k, s.alpha, s.beta)
							ar, ac := m, k
							if tA != blas.NoTrans {
								ar, ac = k, m
							}
							br, bc := k, n
							if tB != blas.NoTrans {
								br, bc = n, k
							}
							lda, ldb, ldc := ac+3, bc+1, n+2
							a, b := randMatrix(rng, ar, ac, lda), randMatrix(rng, br, bc, ldb)
							c0 := randMatrix(rng, m, n, ldc)
							got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
							BLAS{}.Sgemm(tA, tB, m, n, k, s.alpha, a, lda, b, ldb, s.beta, got, ldc)
							gonum.Implementation{}.Sgemm(tA, tB, m, n, k, s.alpha, a, lda, b, ldb, s.beta, want, ldc)
							for i := range got {
								if i%ldc >= n || i/ldc >= m {
									if got[i] != c0[i] {
										t.Fatalf("%s: wrote outside C at %d", name, i)
									}
									continue
								}
								if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5*float64(k)*(1+math.Abs(float64(want[i])))) {
									t.Fatalf("%s: C[%d] = %g, gonum %g", name, i, got[i], want[i])
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestBLASGraph runs the training graph's forward and backward pass with
// gonum and with BLAS installed in gorgonia: the loss and every gradient
// must agree to float32 rounding.
func TestBLASGraph(t *testing.T) {
	defer G.Use(G.WhichBLAS())
	a := testArch(1, 4)
	a.Hidden = 24
	m := testModel(t, a)
	run := func() (float32, map[string][]float32) {
		const B, T = 16, 6
		gr, err := NewGraph(m, B, T)
		if err != nil {
			t.Fatal(err)
		}
		defer gr.Close()
		rng := rand.New(rand.NewPCG(3, 3))
		bind := func(nodes []*G.Node, f func() float64) {
			for _, n := range nodes {
				d := make([]float32, n.Shape().TotalSize())
				for i := range d {
					d[i] = float32(f())
				}
				if err := Bind(n, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		one := func() float64 { return 1 }
		zero := func() float64 { return 0 }
		bind(gr.DUnf, rng.Float64)
		bind(gr.VTeach, rng.NormFloat64)
		bind(gr.Mask, zero) // free-running: own predictions fed back
		bind(gr.InvMask, one)
		bind(gr.VTarget, rng.NormFloat64)
		bind(gr.WV, one)
		bind(gr.WS, one)
		bind(gr.Y, zero)
		bind([]*G.Node{gr.VIn0, gr.VHist}, rng.NormFloat64)
		bind(gr.H0, rng.NormFloat64)
		bind(gr.C0, rng.NormFloat64)
		if err := gr.Run(); err != nil {
			t.Fatal(err)
		}
		g, err := gr.Grads()
		if err != nil {
			t.Fatal(err)
		}
		return gr.Out(gr.Loss)[0], g
	}
	G.Use(gonum.Implementation{})
	lossRef, gradRef := run()
	G.Use(BLAS{})
	loss, grad := run()
	if d := math.Abs(float64(loss - lossRef)); !(d <= 1e-5*math.Abs(float64(lossRef))) || lossRef == 0 {
		t.Fatalf("loss %g with BLAS, %g with gonum", loss, lossRef)
	}
	for name, want := range gradRef {
		got := grad[name]
		var num, den float64
		for i := range want {
			d := float64(got[i] - want[i])
			num += d * d
			den += float64(want[i]) * float64(want[i])
		}
		if !(den > 0) || !(math.Sqrt(num/den) < 1e-4) {
			t.Fatalf("gradient of %s: relative error %g (norm %g)", name, math.Sqrt(num/den), math.Sqrt(den))
		}
	}
}

// BenchmarkGraphStep is one training step (forward and backward) of a
// graph shaped like the shipped hh model's (4 inputs, kernel 8, 16
// channels, H = 64) for one replica's share of a batch, 16 cells x 64
// samples, with gonum's GEMM and with BLAS. samples/s counts cells x
// samples.
func BenchmarkGraphStep(b *testing.B) {
	defer G.Use(G.WhichBLAS())
	var in []Input
	for _, n := range []string{"exc", "inh", "exc.timing", "inh.timing"} {
		in = append(in, Input{Name: n, Channels: []string{n}})
	}
	a := Arch{Inputs: in, Kernel: 8, Conv: 16, Hidden: 64, Layers: 1, SampleDT: 0.5, Residual: true}
	m, err := New(a, Norm{VOffset: -65, VScale: 20, InputScale: []float32{100, 50, 1, 1}}, 3)
	if err != nil {
		b.Fatal(err)
	}
	const B, T = 16, 64
	gr, err := NewGraph(m, B, T)
	if err != nil {
		b.Fatal(err)
	}
	defer gr.Close()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, nodes := range [][]*G.Node{gr.DUnf, gr.VTeach, gr.Mask, gr.InvMask, gr.VTarget, gr.WV, gr.Y, gr.WS, {gr.VHist, gr.VIn0}, gr.H0, gr.C0} {
		for _, n := range nodes {
			d := make([]float32, n.Shape().TotalSize())
			for i := range d {
				d[i] = float32(rng.Float64())
			}
			if err := Bind(n, d); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, impl := range []struct {
		name string
		blas G.BLAS
	}{{"gonum", gonum.Implementation{}}, {"surrogate", BLAS{}}} {
		b.Run(impl.name, func(b *testing.B) {
			G.Use(impl.blas)
			for b.Loop() {
				if err := gr.Run(); err != nil {
					b.Fatal(err)
				}
				if _, err := gr.Grads(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(B*T*b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

func TestTranspose(t *testing.T) {
	for _, rows := range []int{1, 7, 8, 9, 17, 64, 129} {
		for _, cols := range []int{1, 5, 63, 64, 65, 130} {
			ld := cols + 3
			src := make([]float32, rows*ld)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, rows*cols)
			transpose(dst, src, rows, cols, ld, rows)
			for i := 0; i < rows; i++ {
				for j := 0; j < cols; j++ {
					if got, want := dst[j*rows+i], src[i*ld+j]; got != want {
						t.Fatalf("%dx%d: dst[%d][%d] = %g, want %g", rows, cols, j, i, got, want)
					}
				}
			}
		}
	}
}

// BenchmarkTranspose copies the transposed operands of the training
// graph's products: a gate matrix (for the input gradient) and a batch of
// inputs (for the weight gradient).
func BenchmarkTranspose(b *testing.B) {
	for _, s := range []struct{ rows, cols int }{{129, 384}, {64, 129}} {
		b.Run(fmt.Sprintf("%dx%d", s.rows, s.cols), func(b *testing.B) {
			src := make([]float32, s.rows*s.cols)
			dst := make([]float32, s.rows*s.cols)
			for i := range src {
				src[i] = float32(i)
			}
			b.SetBytes(int64(4 * len(src)))
			for b.Loop() {
				transpose(dst, src, s.rows, s.cols, s.cols, s.rows)
			}
		})
	}
}
