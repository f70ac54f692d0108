package graph

import (
	"fmt"
	"neurosurrogate/internal/activate"

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
// i, f, g, o, each H columns, as in activate.LSTMRowsOn.

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

// cellStep is what one LSTM step's forward ops keep for its backward ops:
// the gate activations (act, (B, 4H); see gateActivations) and tanh c, so
// the backward pass computes no exponentials.
type cellStep struct{ act, tc []float32 }

// newCellStep makes the forward ops of one LSTM step, cell (z, cprev) -> c
// and output (z, c) -> h, and through their gradients the backward ones.
func newCellStep() (c, h *fusedOp) {
	st := &cellStep{}
	c, h = st.op(cellC), st.op(cellH)
	diff := func(dz, ds cellKind) func(in G.Nodes, g *G.Node) (G.Nodes, error) {
		return func(in G.Nodes, g *G.Node) (G.Nodes, error) {
			z, s := in[0], in[1]
			dzIn := G.Nodes{z, s, g}
			dsIn := G.Nodes{z, s, g}
			if ds == cellCdPrev {
				dsIn = G.Nodes{z, g}
			}
			gz, err := G.ApplyOp(st.op(dz), dzIn...)
			if err != nil {
				return nil, err
			}
			gs, err := G.ApplyOp(st.op(ds), dsIn...)
			return G.Nodes{gz, gs}, err
		}
	}
	c.wrt, c.grads = []bool{true, true}, diff(cellCdZ, cellCdPrev)
	h.wrt, h.grads = []bool{true, true}, diff(cellHdZ, cellHdC)
	return c, h
}

// op is the step's op of the kind (its gradients, if any, set by
// newCellStep).
func (st *cellStep) op(kind cellKind) *fusedOp {
	name := cellNames[kind]
	wide := kind == cellCdZ || kind == cellHdZ // output (B, 4H), not (B, H)
	op := &fusedOp{name: name, arity: cellArity[kind]}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		rows, cols := in[0][0], in[0][1]
		if cols%4 != 0 {
			return nil, fmt.Errorf("%s: gate input has %d columns, not a multiple of 4", name, cols)
		}
		for i, s := range in[1:] {
			if s[0] != rows || s[1] != cols/4 {
				return nil, fmt.Errorf("%s: input %d has shape %v, want (%d, %d)", name, i+1, s, rows, cols/4)
			}
		}
		if wide {
			return tensor.Shape{rows, cols}, nil
		}
		return tensor.Shape{rows, cols / 4}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		hd := out.ld
		if wide {
			hd /= 4
		}
		switch kind {
		case cellC:
			st.act = gateActivations(rows, hd, in[0], st.act)
		case cellH:
			st.tc = grow(st.tc, rows*hd)
			activate.TanhRows(rows, hd, in[1].d, in[1].ld, activate.Zeros(hd), st.tc, hd)
		}
		cellRows(kind, rows, hd, st.act, st.tc, in, out.d)
	}
	return op
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
	activate.TanhRows(rows, w, act, w, activate.Zeros(w), act, w)
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
// and, for cellH and its gradients, tanh c (tc). in[0] is z (unused here:
// act stands for it); the others are (rows, hd) as the kind says.
func cellRows(kind cellKind, rows, hd int, act, tc []float32, in []fmat, out []float32) {
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
			tc, o := tc[r*hd:(r+1)*hd], out[r*hd:(r+1)*hd]
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
			tc, dh := tc[r*hd:(r+1)*hd], in[2].row(r, hd)
			o := out[r*4*hd : (r+1)*4*hd]
			clear(o[:3*hd])
			for j := 0; j < hd; j++ {
				o[3*hd+j] = dh[j] * tc[j] * so[j] * (1 - so[j])
			}
		case cellHdC:
			tc, dh, o := tc[r*hd:(r+1)*hd], in[2].row(r, hd), out[r*hd:(r+1)*hd]
			for j := range o {
				o[j] = dh[j] * so[j] * (1 - tc[j]*tc[j])
			}
		}
	}
}
