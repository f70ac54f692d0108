package surrogate

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The training loss over all T steps as one gorgonia op: from each step's
// output (B, 2) (predicted Vm, spike logit) and its Vm target, Vm weight,
// spike target and spike weight (each (B, 1)) it computes the (1, 2) matrix
//
//	[Σ wv (pred - target)²,  Σ ws (softplus(logit) - y logit)]
//
// (weighted squared error and binary cross-entropy with logits), summed in
// float64. Built from gorgonia's ops the same loss is nine nodes a step
// forward and about as many backward; here it is one node, and its
// gradient one node per step.

// lossInputs is the number of inputs per step, in this order.
const lossInputs = 5

type lossOp struct {
	T   int
	buf *tensor.Dense
}

func (op *lossOp) Arity() int { return lossInputs * op.T }

func (op *lossOp) Type() hm.Type { return sameTypeFn(op.Arity()) }

func (op *lossOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(ds), op.Arity())
	}
	rows, err := ds[0].DimSize(0)
	if err != nil {
		return nil, err
	}
	for i, d := range ds {
		want := 1
		if i%lossInputs == 0 {
			want = 2
		}
		r, err1 := d.DimSize(0)
		c, err2 := d.DimSize(1)
		if err1 != nil || err2 != nil || r != rows || c != want {
			return nil, fmt.Errorf("%s: input %d is not (%d, %d)", op, i, rows, want)
		}
	}
	return tensor.Shape{1, 2}, nil
}

func (op *lossOp) ReturnsPtr() bool      { return false }
func (op *lossOp) CallsExtern() bool     { return false }
func (op *lossOp) OverwritesInput() int  { return -1 }
func (op *lossOp) String() string        { return fmt.Sprintf("loss%d", op.T) }
func (op *lossOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *lossOp) Hashcode() uint32      { return hashOf(op) }

// DiffWRT: differentiable in each step's output only.
func (op *lossOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = i%lossInputs == 0
	}
	return out
}

func (op *lossOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs to differentiate, want %d", op, len(inputs), op.Arity())
	}
	out := make(G.Nodes, len(inputs))
	for t := 0; t < op.T; t++ {
		in := append(G.Nodes{}, inputs[lossInputs*t:lossInputs*(t+1)]...)
		var err error
		if out[lossInputs*t], err = G.ApplyOp(&lossGradOp{}, append(in, grad)...); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (op *lossOp) Do(inputs ...G.Value) (G.Value, error) {
	if op.buf == nil {
		op.buf = tensor.New(tensor.WithShape(1, 2), tensor.Of(tensor.Float32))
	}
	return op.UsePreallocDo(op.buf, inputs...)
}

func (op *lossOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	o, err := matrixOf(prealloc, 1, 2)
	if err != nil {
		return nil, fmt.Errorf("%s output: %w", op, err)
	}
	var lv, ls float64
	for t := 0; t < op.T; t++ {
		c, err := lossColumns(inputs[lossInputs*t : lossInputs*(t+1)])
		if err != nil {
			return nil, fmt.Errorf("%s step %d: %w", op, t, err)
		}
		for b := range c.target {
			e := float64(c.out.d[b*c.out.ld]) - float64(c.target[b])
			lv += float64(c.wv[b]) * e * e
			x := float64(c.out.d[b*c.out.ld+1])
			ls += float64(c.ws[b]) * (softplus(x) - float64(c.y[b])*x)
		}
	}
	o.d[0], o.d[1] = float32(lv), float32(ls)
	return prealloc, nil
}

// stepLoss is one step's loss inputs.
type stepLoss struct {
	out               fmat // (B, 2)
	target, wv, y, ws []float32
}

func lossColumns(in []G.Value) (stepLoss, error) {
	rows := in[0].Shape()[0]
	var c stepLoss
	var err error
	if c.out, err = matrixOf(in[0], rows, 2); err != nil {
		return c, fmt.Errorf("output: %w", err)
	}
	cols := [4]*[]float32{&c.target, &c.wv, &c.y, &c.ws}
	for k, dst := range cols {
		m, err := matrixOf(in[k+1], rows, 1)
		if err != nil {
			return c, fmt.Errorf("input %d: %w", k+1, err)
		}
		*dst = m.d[:rows]
		if m.ld != 1 {
			*dst = gatherCol(m, rows)
		}
	}
	return c, nil
}

// lossGradOp is the gradient of lossOp in one step's output: from (out,
// target, wv, y, ws, g), with g the loss's (1, 2) gradient, the (B, 2)
// matrix [2 wv (pred - target) g[0],  ws (sigmoid(logit) - y) g[1]].
type lossGradOp struct{ buf *tensor.Dense }

func (op *lossGradOp) Arity() int    { return lossInputs + 1 }
func (op *lossGradOp) Type() hm.Type { return sameTypeFn(lossInputs + 1) }
func (op *lossGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(ds), op.Arity())
	}
	rows, err := ds[0].DimSize(0)
	if err != nil {
		return nil, err
	}
	return tensor.Shape{rows, 2}, nil
}
func (op *lossGradOp) ReturnsPtr() bool      { return false }
func (op *lossGradOp) CallsExtern() bool     { return false }
func (op *lossGradOp) OverwritesInput() int  { return -1 }
func (op *lossGradOp) String() string        { return "loss'" }
func (op *lossGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s %p", op.String(), op) }
func (op *lossGradOp) Hashcode() uint32      { return hashOf(op) }

func (op *lossGradOp) Do(inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	if rows := inputs[0].Shape()[0]; op.buf == nil || op.buf.Shape()[0] != rows {
		op.buf = tensor.New(tensor.WithShape(rows, 2), tensor.Of(tensor.Float32))
	}
	return op.UsePreallocDo(op.buf, inputs...)
}

func (op *lossGradOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	if len(inputs) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	rows := inputs[0].Shape()[0]
	o, err := matrixOf(prealloc, rows, 2)
	if err != nil || o.ld != 2 {
		return nil, fmt.Errorf("%s output: %v", op, err)
	}
	c, err := lossColumns(inputs[:lossInputs])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	gv, err1 := lossGradScale(inputs[lossInputs], false)
	gs, err2 := lossGradScale(inputs[lossInputs], true)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%s: %v", op, err1)
	}
	for b := 0; b < rows; b++ {
		pred, logit := c.out.d[b*c.out.ld], c.out.d[b*c.out.ld+1]
		o.d[2*b] = 2 * c.wv[b] * (pred - c.target[b]) * gv
		o.d[2*b+1] = c.ws[b] * (Sigmoid32(logit) - c.y[b]) * gs
	}
	return prealloc, nil
}

// lossGradScale is the component of the loss's gradient for the Vm part
// (spike false) or the spike part: a (1, 2) matrix, or a scalar broadcast.
func lossGradScale(v G.Value, spike bool) (float32, error) {
	k := 0
	if spike {
		k = 1
	}
	switch d := v.Data().(type) {
	case float32:
		return d, nil
	case []float32:
		if len(d) == 1 {
			return d[0], nil
		}
		if len(d) >= 2 {
			return d[k], nil
		}
	}
	return 0, fmt.Errorf("loss gradient of shape %v", v.Shape())
}

// softplus is log(1 + exp(x)), without overflow.
func softplus(x float64) float64 {
	if x > 0 {
		return x + math.Log1p(math.Exp(-x))
	}
	return math.Log1p(math.Exp(x))
}

// gatherCol copies a strided column into a dense slice.
func gatherCol(m fmat, rows int) []float32 {
	out := make([]float32, rows)
	for i := range out {
		out[i] = m.d[i*m.ld]
	}
	return out
}

// sameTypeFn is the type a -> a -> ... -> a of an op of n inputs whose
// inputs and output are all matrices of one dtype.
func sameTypeFn(n int) hm.Type {
	a := hm.TypeVariable('a')
	ts := make([]hm.Type, n+1)
	for i := range ts {
		ts[i] = a
	}
	return hm.NewFnType(ts...)
}

func hashOf(op interface{ WriteHash(hash.Hash) }) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
