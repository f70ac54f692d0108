package graph

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestGorgoniaWorks proves the pinned gorgonia/tensor build and run on this
// Go version (an old go4.org/unsafe/assume-no-moving-gc panics at start):
// the gradient of sum((W x)^2) with respect to W is 2 (W x) x^T.
func TestGorgoniaWorks(t *testing.T) {
	g := G.NewGraph()
	wv := tensor.New(tensor.WithShape(2, 2), tensor.WithBacking([]float32{1, 2, 3, 4}))
	xv := tensor.New(tensor.WithShape(2), tensor.WithBacking([]float32{0.5, -1}))
	w := G.NewMatrix(g, tensor.Float32, G.WithShape(2, 2), G.WithName("w"), G.WithValue(wv))
	x := G.NewVector(g, tensor.Float32, G.WithShape(2), G.WithName("x"), G.WithValue(xv))
	y := G.Must(G.Mul(w, x))
	loss := G.Must(G.Sum(G.Must(G.Square(y))))
	if _, err := G.Grad(loss, w); err != nil {
		t.Fatal(err)
	}
	m := G.NewTapeMachine(g, G.BindDualValues(w))
	defer m.Close()
	if err := m.RunAll(); err != nil {
		t.Fatal(err)
	}
	// y = [1*0.5-2, 3*0.5-4] = [-1.5, -2.5]; loss = 2.25 + 6.25
	if got := loss.Value().Data().(float32); math.Abs(float64(got)-8.5) > 1e-5 {
		t.Fatalf("loss %v, want 8.5", got)
	}
	gw, err := w.Grad()
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{2 * -1.5 * 0.5, 2 * -1.5 * -1, 2 * -2.5 * 0.5, 2 * -2.5 * -1}
	for i, v := range gw.Data().([]float32) {
		if math.Abs(float64(v-want[i])) > 1e-5 {
			t.Fatalf("grad %v, want %v", gw.Data(), want)
		}
	}
}
