package graph

import (
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func dense(r, c int, d ...float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(r, c), tensor.WithBacking(d))
}

// TestStepOps runs the step ops' forward functions on small matrices,
// one input a strided view, against values worked by hand.
func TestStepOps(t *testing.T) {
	// A (2, 4) matrix whose columns 1..2 are a (2, 2) view with row stride 4.
	wide := dense(2, 4, 0, 1, 2, 0, 0, 3, 4, 0)
	view, err := wide.Slice(nil, tensor.S(1, 3))
	if err != nil {
		t.Fatal(err)
	}
	if !view.(*tensor.Dense).IsView() {
		t.Fatal("the slice is not a view; the test does not test strided input")
	}
	sig := func(x float32) float32 { return float32(1 / (1 + math.Exp(-float64(x)))) }
	for _, tc := range []struct {
		name string
		op   *fusedOp
		in   []G.Value
		want []float32
	}{
		{"join", joinOp([]int{2, 1}, false), []G.Value{view, dense(2, 1, 5, 6)}, []float32{1, 2, 5, 3, 4, 6}},
		{"cols", colsOp(1, 1), []G.Value{view}, []float32{2, 4}},
		{"mix", mixOp(0, false), []G.Value{dense(2, 1, 1, 0), dense(2, 1, 7, 8), dense(2, 1, 0, 1), view}, []float32{7, 3}},
		{"mix sigmoid", mixOp(1, true), []G.Value{dense(2, 1, 0, 0), dense(2, 1, 7, 8), dense(2, 1, 1, 1), view}, []float32{sig(2), sig(4)}},
		{"residual", residualOp(), []G.Value{view, dense(2, 1, 10, 20)}, []float32{11, 2, 23, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for run := 0; run < 2; run++ { // the second run reuses the output buffer
				v, err := tc.op.Do(tc.in...)
				if err != nil {
					t.Fatal(err)
				}
				got := v.Data().([]float32)
				if len(got) != len(tc.want) {
					t.Fatalf("run %d: %v, want %v", run, got, tc.want)
				}
				for i := range got {
					if math.Abs(float64(got[i]-tc.want[i])) > 1e-6 {
						t.Fatalf("run %d: %v, want %v", run, got, tc.want)
					}
				}
			}
		})
	}
}

// TestStepOpsRejectShapes: inputs of the wrong shape are errors, not
// panics.
func TestStepOpsRejectShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		op   G.Op
		in   []G.Value
		msg  string
	}{
		{"join widths", joinOp([]int{2, 1}, false), []G.Value{dense(2, 1, 1, 2), dense(2, 1, 5, 6)}, "columns"},
		{"join rows", joinOp([]int{1, 1}, false), []G.Value{dense(2, 1, 1, 2), dense(1, 1, 5)}, "rows"},
		{"cols", colsOp(1, 2), []G.Value{dense(1, 2, 1, 2)}, "columns"},
		{"mix source", mixOp(1, false), []G.Value{dense(1, 1, 1), dense(1, 1, 1), dense(1, 1, 0), dense(1, 1, 3)}, "source"},
		{"residual", residualOp(), []G.Value{dense(1, 1, 1), dense(1, 1, 1)}, "want"},
		{"arity", residualOp(), []G.Value{dense(1, 2, 1, 2)}, "inputs"},
		{"cell gates", newCellC(), []G.Value{dense(1, 3, 1, 2, 3), dense(1, 1, 0)}, "gate input"},
		{"cell state", newCellC(), []G.Value{dense(1, 4, 1, 2, 3, 4), dense(1, 2, 0, 0)}, "shape"},
		{"loss arity", lossOp(2), []G.Value{dense(1, 2, 0, 0)}, "inputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.op.Do(tc.in...)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.msg)
			}
		})
	}
}

func newCellC() *fusedOp { c, _ := newCellStep(); return c }
