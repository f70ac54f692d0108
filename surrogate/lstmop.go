package surrogate

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The LSTM cell as gorgonia ops with their own gradients. Built from
// gorgonia's elementwise ops a layer's step is 18 nodes forward (four gate
// products and biases, four activations, the cell and output updates) and
// about as many backward, and at these sizes gorgonia's cost per node, not
// arithmetic, sets the training speed. Here a step is one product of
// [x h 1] with the four gates' weights and biases joined once per run
// (giving z, (B, 4H)) and two nodes: cell (z, c_prev) -> c and output
// (z, c) -> h, each with a hand-written gradient (two nodes each), checked
// against finite differences by TestGraphGradient. The gate order in z is
// i, f, g, o, each H columns, as in lstmRows.

type cellKind int

const (
	cellC      cellKind = iota // (z, cprev) -> c = σ(f) cprev + σ(i) tanh(g)
	cellH                      // (z, c) -> h = σ(o) tanh(c)
	cellCdZ                    // (z, cprev, dc) -> dz (o columns zero)
	cellCdPrev                 // (z, dc) -> dcprev = dc σ(f)
	cellHdZ                    // (z, c, dh) -> dz (only o columns non-zero)
	cellHdC                    // (z, c, dh) -> dc = dh σ(o) (1 - tanh²c)
)

var cellNames = [...]string{"lstmCell", "lstmOut", "lstmCell'z", "lstmCell'c", "lstmOut'z", "lstmOut'c"}

var cellArity = [...]int{2, 2, 3, 2, 3, 3}

// cellOp is one of the LSTM step's ops. The forward ops keep what their
// gradients need (the gate activations, tanh c) for the run's backward
// pass, so that pass computes no exponentials; each op also reuses its
// output buffer from run to run. So each op belongs to one node: make them
// with newCell.
type cellOp struct {
	kind cellKind
	id   int     // tells apart the nodes of one step kind
	fwd  *cellOp // the cellC op of this step (its act); for cellH's grads, cell is its cellH op
	out  *cellOp // cellH op of this step (its tc), for cellH's gradients
	act  []float32
	tc   []float32
	buf  *tensor.Dense
}

// newCellStep makes the forward ops of one LSTM step.
func newCellStep(id int) (c, h *cellOp) {
	c = &cellOp{kind: cellC, id: id}
	c.fwd = c
	h = &cellOp{kind: cellH, id: id, fwd: c}
	h.out = h
	return c, h
}

func (op *cellOp) grad(kind cellKind) *cellOp {
	return &cellOp{kind: kind, id: op.id, fwd: op.fwd, out: op.out}
}

func (op *cellOp) Arity() int { return cellArity[op.kind] }

func (op *cellOp) Type() hm.Type { return sameTypeFn(op.Arity()) }

// wideOut reports whether the op's output has z's shape (B, 4H) rather
// than the state's (B, H).
func (op *cellOp) wideOut() bool { return op.kind == cellCdZ || op.kind == cellHdZ }

func (op *cellOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	if len(ds) != op.Arity() {
		return nil, fmt.Errorf("%s: %d inputs, want %d", op, len(ds), op.Arity())
	}
	rows, err := ds[0].DimSize(0)
	if err != nil {
		return nil, err
	}
	cols, err := ds[0].DimSize(1)
	if err != nil {
		return nil, err
	}
	if cols%4 != 0 {
		return nil, fmt.Errorf("%s: gate input has %d columns, not a multiple of 4", op, cols)
	}
	for i, d := range ds[1:] {
		r, err1 := d.DimSize(0)
		c, err2 := d.DimSize(1)
		if err1 != nil || err2 != nil || r != rows || c != cols/4 {
			return nil, fmt.Errorf("%s: input %d is not (%d, %d)", op, i+1, rows, cols/4)
		}
	}
	if op.wideOut() {
		return tensor.Shape{rows, cols}, nil
	}
	return tensor.Shape{rows, cols / 4}, nil
}

func (op *cellOp) ReturnsPtr() bool     { return false }
func (op *cellOp) CallsExtern() bool    { return false }
func (op *cellOp) OverwritesInput() int { return -1 }
func (op *cellOp) String() string       { return cellNames[op.kind] }
func (op *cellOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s %d %p", cellNames[op.kind], op.id, op.fwd)
}
func (op *cellOp) Hashcode() uint32 { return hashOf(op) }

// DiffWRT: the forward ops are differentiable in both inputs; the
// gradient ops are never differentiated.
func (op *cellOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	if op.kind == cellC || op.kind == cellH {
		for i := range out {
			out[i] = true
		}
	}
	return out
}

func (op *cellOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if len(inputs) != 2 {
		return nil, fmt.Errorf("%s: %d inputs to differentiate, want 2", op, len(inputs))
	}
	z, s := inputs[0], inputs[1]
	var dz, ds *G.Node
	var err error
	switch op.kind {
	case cellC:
		if dz, err = G.ApplyOp(op.grad(cellCdZ), z, s, grad); err == nil {
			ds, err = G.ApplyOp(op.grad(cellCdPrev), z, grad)
		}
	case cellH:
		if dz, err = G.ApplyOp(op.grad(cellHdZ), z, s, grad); err == nil {
			ds, err = G.ApplyOp(op.grad(cellHdC), z, s, grad)
		}
	default:
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	return G.Nodes{dz, ds}, err
}

func (op *cellOp) Do(inputs ...G.Value) (G.Value, error) {
	rows, cols, err := op.inShape(inputs)
	if err != nil {
		return nil, err
	}
	if !op.wideOut() {
		cols /= 4
	}
	if op.buf == nil || !op.buf.Shape().Eq(tensor.Shape{rows, cols}) {
		op.buf = tensor.New(tensor.WithShape(rows, cols), tensor.Of(tensor.Float32))
	}
	return op.UsePreallocDo(op.buf, inputs...)
}

func (op *cellOp) UsePreallocDo(prealloc G.Value, inputs ...G.Value) (G.Value, error) {
	rows, cols, err := op.inShape(inputs)
	if err != nil {
		return nil, err
	}
	hd := cols / 4
	want := hd
	if op.wideOut() {
		want = cols
	}
	o, err := matrixOf(prealloc, rows, want)
	if err != nil {
		return nil, fmt.Errorf("%s output: %w", op, err)
	}
	if o.ld != want {
		return nil, fmt.Errorf("%s: output is a strided view", op)
	}
	in := make([]fmat, len(inputs))
	for i, v := range inputs {
		c := hd
		if i == 0 {
			c = cols
		}
		if in[i], err = matrixOf(v, rows, c); err != nil {
			return nil, fmt.Errorf("%s input %d: %w", op, i, err)
		}
	}
	switch op.kind {
	case cellC:
		op.act = gateActivations(rows, hd, in[0], op.act)
	case cellH:
		op.tc = grow(op.tc, rows*hd)
		tanhRows(rows, hd, in[1].d, in[1].ld, zeros(hd), op.tc, hd)
	}
	if len(op.fwd.act) < rows*cols || (op.kind >= cellHdZ && len(op.out.tc) < rows*hd) {
		return nil, fmt.Errorf("%s ran before its forward op", op)
	}
	cellRows(op.kind, rows, hd, op.fwd.act, op.out, in, o.d)
	return prealloc, nil
}

func (op *cellOp) inShape(inputs []G.Value) (rows, cols int, err error) {
	if len(inputs) != op.Arity() {
		return 0, 0, fmt.Errorf("%s: %d inputs, want %d", op, len(inputs), op.Arity())
	}
	sh := inputs[0].Shape()
	if len(sh) != 2 || sh[1]%4 != 0 {
		return 0, 0, fmt.Errorf("%s: gate input of shape %v", op, sh)
	}
	return sh[0], sh[1], nil
}

// gateActivations sets act (rows, 4hd) to σ(i), σ(f), tanh(g), σ(o) of
// the pre-activations z, on the vector tanh kernel (σ(x) = (1 + tanh(x/2))/2).
func gateActivations(rows, hd int, z fmat, act []float32) []float32 {
	w := 4 * hd
	act = grow(act, rows*w)
	for r := 0; r < rows; r++ {
		zr, ar := z.row(r, w), act[r*w:(r+1)*w]
		for j, x := range zr {
			if j < 2*hd || j >= 3*hd {
				x *= 0.5
			}
			ar[j] = x
		}
	}
	tanhRows(rows, w, act, w, zeros(w), act, w)
	for r := 0; r < rows; r++ {
		ar := act[r*w : (r+1)*w]
		for j := range ar {
			if j < 2*hd || j >= 3*hd {
				ar[j] = 0.5 + 0.5*ar[j]
			}
		}
	}
	return act
}

// grow returns buf resized to n elements (reallocated if too small).
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

var zeroRow = make([]float32, 1024)

// zeros is n zeros (read only).
func zeros(n int) []float32 {
	if n > len(zeroRow) {
		return make([]float32, n)
	}
	return zeroRow[:n]
}

// fmat is a row-major float32 matrix, possibly a view with row stride ld.
type fmat struct {
	d  []float32
	ld int
}

func (m fmat) row(i, n int) []float32 { return m.d[i*m.ld : i*m.ld+n] }

// matrixOf reads a (rows, cols) float32 value, a dense matrix or a view of
// one with unit column stride.
func matrixOf(v G.Value, rows, cols int) (fmat, error) {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return fmat{}, fmt.Errorf("value of type %T, want a dense tensor", v)
	}
	if sh := t.Shape(); len(sh) != 2 || sh[0] != rows || sh[1] != cols {
		return fmat{}, fmt.Errorf("shape %v, want (%d, %d)", t.Shape(), rows, cols)
	}
	d, ok := t.Data().([]float32)
	if !ok {
		return fmat{}, fmt.Errorf("data of type %T, want float32", t.Data())
	}
	ld := cols
	if t.IsView() {
		st := t.Strides()
		if len(st) != 2 || st[1] != 1 {
			return fmat{}, fmt.Errorf("view with strides %v", st)
		}
		ld = st[0]
	}
	if rows > 0 && len(d) < (rows-1)*ld+cols {
		return fmat{}, fmt.Errorf("%d elements for %d rows of %d (stride %d)", len(d), rows, cols, ld)
	}
	return fmat{d: d, ld: ld}, nil
}

// cellRows computes op kind for rows cells of hd units into out (dense),
// from the step's gate activations act (rows, 4hd; see gateActivations)
// and, for cellH's gradients, tanh c in ho.tc. in[0] is z (unused here:
// act stands for it); the others are (rows, hd) as the kind says.
func cellRows(kind cellKind, rows, hd int, act []float32, ho *cellOp, in []fmat, out []float32) {
	for r := 0; r < rows; r++ {
		a := act[r*4*hd : (r+1)*4*hd]
		si, sf, tg, so := a[:hd], a[hd:2*hd], a[2*hd:3*hd], a[3*hd:4*hd]
		switch kind {
		case cellC:
			cp, o := in[1].row(r, hd), out[r*hd:(r+1)*hd]
			for j := range o {
				o[j] = sf[j]*cp[j] + si[j]*tg[j]
			}
		case cellH:
			tc, o := ho.tc[r*hd:(r+1)*hd], out[r*hd:(r+1)*hd]
			for j := range o {
				o[j] = so[j] * tc[j]
			}
		case cellCdZ:
			cp, dc := in[1].row(r, hd), in[2].row(r, hd)
			o := out[r*4*hd : (r+1)*4*hd]
			for j := 0; j < hd; j++ {
				o[j] = dc[j] * tg[j] * si[j] * (1 - si[j])
				o[hd+j] = dc[j] * cp[j] * sf[j] * (1 - sf[j])
				o[2*hd+j] = dc[j] * si[j] * (1 - tg[j]*tg[j])
				o[3*hd+j] = 0
			}
		case cellCdPrev:
			dc, o := in[1].row(r, hd), out[r*hd:(r+1)*hd]
			for j := range o {
				o[j] = dc[j] * sf[j]
			}
		case cellHdZ:
			tc, dh := ho.tc[r*hd:(r+1)*hd], in[2].row(r, hd)
			o := out[r*4*hd : (r+1)*4*hd]
			clear(o[:3*hd])
			for j := 0; j < hd; j++ {
				o[3*hd+j] = dh[j] * tc[j] * so[j] * (1 - so[j])
			}
		case cellHdC:
			tc, dh, o := ho.tc[r*hd:(r+1)*hd], in[2].row(r, hd), out[r*hd:(r+1)*hd]
			for j := range o {
				o[j] = dh[j] * so[j] * (1 - tc[j]*tc[j])
			}
		}
	}
}
