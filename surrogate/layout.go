package surrogate

import (
	"fmt"
	"slices"
)

// Layout is an architecture's one table of weights: every tensor it needs
// (name, shape, fan-in) and the joined matrices its engines multiply. The
// inference stream, the hand-written backpropagation and the gorgonia graph
// all read weights through it, so a weight's name and place are written
// down once.
type Layout struct {
	Tensors []TensorSpec // in a fixed order
	Joins   []Join
}

// TensorSpec is one weight tensor: its name, its shape (rows, columns) and
// the number of inputs feeding the units it belongs to (for initialization:
// uniform in ±1/sqrt(FanIn)).
type TensorSpec struct {
	Name       string
	Rows, Cols int
	FanIn      int
	// Bias marks a tensor of additive offsets, which training's weight
	// decay leaves alone.
	Bias bool
	// Init, if not nil, adjusts the tensor after its uniform random draw
	// (New): e.g. LSTM forget-gate biases start at 1.
	Init func(data []float32)
}

// Join is a matrix that engines multiply, made of weight tensors: Rows
// lists its row blocks from top to bottom, each a list of tensors placed
// side by side. Every tensor of a block has the block's number of rows, and
// every block has the same total number of columns.
type Join struct {
	Name string
	Rows [][]string
}

// Tensor looks up a tensor of the layout by name.
func (l Layout) Tensor(name string) (TensorSpec, bool) {
	i := slices.IndexFunc(l.Tensors, func(t TensorSpec) bool { return t.Name == name })
	if i < 0 {
		return TensorSpec{}, false
	}
	return l.Tensors[i], true
}

// Join looks up a joined matrix by name; it panics if the layout has none
// of that name (a programming error, not a user's).
func (l Layout) Join(name string) Join {
	for _, j := range l.Joins {
		if j.Name == name {
			return j
		}
	}
	panic(fmt.Sprintf("surrogate: layout has no join %q", name))
}

// Dims is the joined matrix's size, from the tensors' shapes.
func (j Join) Dims(l Layout) (rows, cols int) {
	for bi, blk := range j.Rows {
		c := 0
		for _, name := range blk {
			t, _ := l.Tensor(name)
			c += t.Cols
			if name == blk[0] {
				rows += t.Rows
			}
		}
		if bi == 0 {
			cols = c
		}
	}
	return rows, cols
}

// Gather writes the joined matrix, row-major with cols columns, from the
// weights w into dst.
func (j Join) Gather(w map[string]*Tensor, dst []float32, cols int) {
	r0 := 0
	for _, blk := range j.Rows {
		c0 := 0
		for _, name := range blk {
			t := w[name]
			rows, tc := t.Shape[0], t.Shape[1]
			for r := 0; r < rows; r++ {
				copy(dst[(r0+r)*cols+c0:(r0+r)*cols+c0+tc], t.Data[r*tc:(r+1)*tc])
			}
			c0 += tc
		}
		r0 += w[blk[0]].Shape[0]
	}
}

// Scatter is Gather's inverse: it copies the parts of the joined matrix src
// (row-major, cols columns) into the per-tensor arrays of dst, whose shapes
// are the layout's (for gradients).
func (j Join) Scatter(l Layout, src []float32, cols int, dst map[string][]float32) {
	r0 := 0
	for _, blk := range j.Rows {
		c0 := 0
		var rows int
		for _, name := range blk {
			t, _ := l.Tensor(name)
			rows = t.Rows
			d := dst[name]
			for r := 0; r < t.Rows; r++ {
				copy(d[r*t.Cols:(r+1)*t.Cols], src[(r0+r)*cols+c0:(r0+r)*cols+c0+t.Cols])
			}
			c0 += t.Cols
		}
		r0 += rows
	}
}
