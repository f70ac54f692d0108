package graph

import (
	"fmt"
	"hash"
	"hash/fnv"
	"neurosurrogate/internal/activate"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Small ops of the unrolled step (the Vm input mix, the residual head, the
// column joins) as gorgonia ops with hand-written gradients: each replaces
// several gorgonia nodes forward and backward (see lstmop.go for why that
// matters). All work on float32 matrices, read through matrixOf (dense or
// unit-column-stride views), and write dense outputs.

// fusedOp is an op given by functions. Each node has its own (it reuses
// its output buffer from run to run).
type fusedOp struct {
	buf   *tensor.Dense
	name  string
	arity int
	// shape is the output's shape for the inputs' shapes (already checked
	// to be matrices).
	shape func(in []tensor.Shape) (tensor.Shape, error)
	// run computes the output (dense, of shape's shape) from the inputs;
	// rows is the first input's.
	run func(out fmat, in []fmat, rows int)
	// wrt says which inputs the op is differentiable in; nil: none.
	wrt []bool
	// grads gives a gradient node for each input (nil where wrt is false).
	grads func(in G.Nodes, grad *G.Node) (G.Nodes, error)
}

func (op *fusedOp) Arity() int            { return op.arity }
func (op *fusedOp) Type() hm.Type         { return sameTypeFn(op.arity) }
func (op *fusedOp) ReturnsPtr() bool      { return false }
func (op *fusedOp) CallsExtern() bool     { return false }
func (op *fusedOp) OverwritesInput() int  { return -1 }
func (op *fusedOp) String() string        { return op.name }
func (op *fusedOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s %p", op.name, op) }
func (op *fusedOp) Hashcode() uint32      { return hashOf(op) }

func (op *fusedOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.arity {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(ds), op.arity)
	}
	sh := make([]tensor.Shape, len(ds))
	for i, d := range ds {
		r, err1 := d.DimSize(0)
		c, err2 := d.DimSize(1)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%s: input %d is not a matrix", op, i)
		}
		sh[i] = tensor.Shape{r, c}
	}
	return op.shape(sh)
}

func (op *fusedOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	copy(out, op.wrt)
	return out
}

func (op *fusedOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grads == nil {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	if len(inputs) != op.arity {
		return nil, fmt.Errorf("%s: %d inputs to differentiate, want %d", op, len(inputs), op.arity)
	}
	return op.grads(inputs, grad)
}

func (op *fusedOp) Do(inputs ...G.Value) (G.Value, error) {
	sh, err := op.valueShape(inputs)
	if err != nil {
		return nil, err
	}
	if op.buf == nil || !op.buf.Shape().Eq(sh) {
		op.buf = tensor.New(tensor.WithShape(sh...), tensor.Of(tensor.Float32))
	}
	return op.UsePreallocDo(op.buf, inputs...)
}

func (op *fusedOp) valueShape(inputs []G.Value) (tensor.Shape, error) {
	if len(inputs) != op.arity {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), op.arity)
	}
	sh := make([]tensor.Shape, len(inputs))
	for i, v := range inputs {
		if sh[i] = v.Shape(); len(sh[i]) != 2 {
			return nil, fmt.Errorf("%s: input %d of shape %v", op, i, sh[i])
		}
	}
	return op.shape(sh)
}

func (op *fusedOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	sh, err := op.valueShape(inputs)
	if err != nil {
		return nil, err
	}
	o, err := matrixOf(prealloc, sh[0], sh[1])
	if err != nil || o.ld != sh[1] {
		return nil, fmt.Errorf("%s output: %v (stride %d)", op, err, o.ld)
	}
	in := make([]fmat, len(inputs))
	for i, v := range inputs {
		s := v.Shape()
		if in[i], err = matrixOf(v, s[0], s[1]); err != nil {
			return nil, fmt.Errorf("%s input %d: %w", op, i, err)
		}
	}
	op.run(o, in, inputs[0].Shape()[0])
	return prealloc, nil
}

// sameRows checks that all inputs have rows rows.
func sameRows(name string, in []tensor.Shape) error {
	for i, s := range in {
		if s[0] != in[0][0] {
			return fmt.Errorf("%s: input %d has %d rows, input 0 %d", name, i, s[0], in[0][0])
		}
	}
	return nil
}

// mixOp returns the op (mask, teach, inv, src) -> (B, 1): each row's Vm (or
// spike) input, mask*teach + inv*f(src[:, col]), where f is the identity or,
// with sigmoid, the logistic function (a spike logit fed back as a
// probability). Differentiable in src.
func mixOp(col int, sigmoid bool) *fusedOp {
	op := &fusedOp{name: fmt.Sprintf("mix(col %d, sigmoid %v)", col, sigmoid), arity: 4, wrt: []bool{false, false, false, true}}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if err := sameRows(op.name, in); err != nil {
			return nil, err
		}
		for i := 0; i < 3; i++ {
			if in[i][1] != 1 {
				return nil, fmt.Errorf("%s: input %d has %d columns, want 1", op.name, i, in[i][1])
			}
		}
		if in[3][1] <= col {
			return nil, fmt.Errorf("%s: source has %d columns", op.name, in[3][1])
		}
		return tensor.Shape{in[0][0], 1}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		mask, teach, inv, src := in[0], in[1], in[2], in[3]
		for r := 0; r < rows; r++ {
			s := src.d[r*src.ld+col]
			if sigmoid {
				s = activate.Sigmoid32(s)
			}
			out.d[r] = mask.d[r*mask.ld]*teach.d[r*teach.ld] + inv.d[r*inv.ld]*s
		}
	}
	grad := &fusedOp{name: op.name + "'src", arity: 3}
	grad.shape = func(in []tensor.Shape) (tensor.Shape, error) { return in[1], sameRows(grad.name, in) }
	grad.run = func(out fmat, in []fmat, rows int) { // (inv, src, g) -> dsrc
		inv, src, g := in[0], in[1], in[2]
		w := out.ld
		for r := 0; r < rows; r++ {
			o := out.d[r*w : (r+1)*w]
			clear(o)
			d := inv.d[r*inv.ld] * g.d[r*g.ld]
			if sigmoid {
				p := activate.Sigmoid32(src.d[r*src.ld+col])
				d *= p * (1 - p)
			}
			o[col] = d
		}
	}
	op.grads = func(in G.Nodes, g *G.Node) (G.Nodes, error) {
		d, err := G.ApplyOp(grad, in[2], in[3], g)
		return G.Nodes{nil, nil, nil, d}, err
	}
	return op
}

// residualOp is (head (B, 2), vin (B, 1)) -> (B, 2): the head's Vm column
// plus the Vm input, and its spike column as it is.
func residualOp() *fusedOp {
	op := &fusedOp{name: "residual", arity: 2, wrt: []bool{true, true}}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if err := sameRows(op.name, in); err != nil {
			return nil, err
		}
		if in[0][1] != 2 || in[1][1] != 1 {
			return nil, fmt.Errorf("%s: inputs (%v, %v), want (B, 2), (B, 1)", op.name, in[0], in[1])
		}
		return in[0], nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		h, v := in[0], in[1]
		for r := 0; r < rows; r++ {
			out.d[2*r] = h.d[r*h.ld] + v.d[r*v.ld]
			out.d[2*r+1] = h.d[r*h.ld+1]
		}
	}
	op.grads = func(in G.Nodes, g *G.Node) (G.Nodes, error) {
		dv, err := G.ApplyOp(colsOp(0, 1), g)
		return G.Nodes{g, dv}, err
	}
	return op
}

// colsOp is x -> x[:, off:off+n] as a dense matrix.
func colsOp(off, n int) *fusedOp {
	op := &fusedOp{name: fmt.Sprintf("cols[%d:%d]", off, off+n), arity: 1}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if in[0][1] < off+n {
			return nil, fmt.Errorf("%s of %d columns", op.name, in[0][1])
		}
		return tensor.Shape{in[0][0], n}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		x := in[0]
		for r := 0; r < rows; r++ {
			copy(out.d[r*n:(r+1)*n], x.d[r*x.ld+off:r*x.ld+off+n])
		}
	}
	return op
}

// joinOp returns the op joining matrices of equal rows side by side,
// differentiable in all but, with constLast, the last (a constant column
// of ones standing for a bias).
func joinOp(widths []int, constLast bool) *fusedOp {
	total := 0
	for _, w := range widths {
		total += w
	}
	op := &fusedOp{name: fmt.Sprintf("join%v(const last %v)", widths, constLast), arity: len(widths)}
	op.wrt = make([]bool, len(widths))
	for i := range op.wrt {
		op.wrt[i] = !(constLast && i == len(widths)-1)
	}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if err := sameRows(op.name, in); err != nil {
			return nil, err
		}
		for i, s := range in {
			if s[1] != widths[i] {
				return nil, fmt.Errorf("%s: input %d has %d columns", op.name, i, s[1])
			}
		}
		return tensor.Shape{in[0][0], total}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		for r := 0; r < rows; r++ {
			o := out.d[r*total : (r+1)*total]
			for i, x := range in {
				w := widths[i]
				copy(o[:w], x.d[r*x.ld:r*x.ld+w])
				o = o[w:]
			}
		}
	}
	op.grads = func(in G.Nodes, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, len(in))
		off := 0
		for i, w := range widths {
			if op.wrt[i] {
				var err error
				if out[i], err = G.ApplyOp(colsOp(off, w), g); err != nil {
					return nil, err
				}
			}
			off += w
		}
		return out, nil
	}
	return op
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
