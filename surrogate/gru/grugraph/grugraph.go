// Package grugraph is the definition of the "gru" architecture family
// (package gru) as a gorgonia graph: the model unrolled over a chunk of
// samples, its training loss, and the loss's gradient by gorgonia's
// symbolic differentiation. It registers as the family's training engine
// "gorgonia" and is the reference the family's inference pass is tested
// against. It is built from gorgonia's standard ops only (no fused ops):
// a toy, where clarity matters and speed does not.
package grugraph

import (
	"fmt"
	"neurosurrogate/surrogate/graph"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"neurosurrogate/surrogate"
	"neurosurrogate/surrogate/gru"
)

func init() {
	surrogate.RegisterEngine(gru.Family, "gorgonia", func(m *surrogate.Model, B, T int) (surrogate.Engine, error) { return New(m, B, T) })
}

// Graph is a gru model unrolled over T samples for a batch of B cells (a
// surrogate.Engine). Each step's Vm input is mixed from the chunk's
// teacher Vm and the model's own previous prediction by the chunk's mask,
// as in the CNN-LSTM's graph: mask 1 is teacher forcing, 0 free running.
//
// The loss is the CNN-LSTM's: over every step and row,
//
//	Σ WV (pred − VTarget)²  +  Σ WS (softplus(logit) − Y logit)
//
// (weighted squared error and binary cross-entropy with logits), its two
// parts reported apart; here summed in float32 by gorgonia's ops.
type Graph struct {
	B, T   int
	arch   surrogate.Arch
	g      *G.ExprGraph
	vm     G.VM
	params []*G.Node // one per weight, in layout order
	names  []string

	// Per-step inputs (index t), each (B, 1) but DUnf (B, nIn).
	graph.Steps // per-step inputs, bound from the chunk by Run
	// Carried state.
	vin0, h0 *G.Node // (B, 1) own prediction feeding step 0; (B, H)

	// Outputs: per step, the predicted next Vm and the spike logit (B, 1);
	// the state after the last step; the losses (scalars).
	pred, logit        []*G.Node
	hT                 *G.Node
	loss, lossV, lossS *G.Node
	reads              map[*G.Node]*G.Value
	grads              map[string][]float32
	lastLoss           [3]float64
}

// New unrolls model m (of family gru) over T samples for B cells. The
// graph's parameters share memory with m.W: updating the weights in place
// updates the graph.
func New(m *surrogate.Model, B, T int) (*Graph, error) {
	a := m.Arch
	if a.FamilyName() != gru.Family {
		return nil, fmt.Errorf("grugraph: model of architecture family %q, want %q", a.FamilyName(), gru.Family)
	}
	if B < 1 || T < 1 {
		return nil, fmt.Errorf("grugraph: batch %d and length %d must be positive", B, T)
	}
	g := G.NewGraph()
	gr := &Graph{B: B, T: T, arch: a, g: g, reads: map[*G.Node]*G.Value{}}
	f32 := tensor.Float32
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	lay := a.Layout()
	param := map[string]*G.Node{}
	for _, spec := range lay.Tensors {
		w := m.W[spec.Name]
		val := tensor.New(tensor.WithShape(spec.Rows, spec.Cols), tensor.WithBacking(w.Data))
		n := G.NewMatrix(g, f32, G.WithShape(spec.Rows, spec.Cols), G.WithName(spec.Name), G.WithValue(val))
		param[spec.Name] = n
		gr.params = append(gr.params, n)
		gr.names = append(gr.names, spec.Name)
	}
	// joined is a layout's joined matrix: row blocks of tensors side by
	// side, biases in the last row.
	joined := func(name string) *G.Node {
		var blocks []*G.Node
		for _, blk := range lay.Join(name).Rows {
			var side []*G.Node
			for _, t := range blk {
				side = append(side, param[t])
			}
			blocks = append(blocks, concat(1, must, side...))
		}
		return concat(0, must, blocks...)
	}
	wzr := joined(gru.JoinGates)    // (in+H+1, 2H)
	wh := joined(gru.JoinCandidate) // (in+H+1, H)
	whead := joined(gru.JoinHead)   // (H+1, 2)
	nIn, H := len(a.Inputs), a.Hidden
	inp := func(name string, t, cols int) *G.Node {
		return G.NewMatrix(g, f32, G.WithShape(B, cols), G.WithName(fmt.Sprintf("%s%d", name, t)), G.WithInit(G.Zeroes()))
	}
	for t := 0; t < T; t++ {
		gr.DUnf = append(gr.DUnf, inp("dunf", t, nIn))
		gr.VTeach = append(gr.VTeach, inp("vteach", t, 1))
		gr.Mask = append(gr.Mask, inp("mask", t, 1))
		gr.InvMask = append(gr.InvMask, inp("invmask", t, 1))
		gr.VTarget = append(gr.VTarget, inp("vtarget", t, 1))
		gr.WV = append(gr.WV, inp("wv", t, 1))
		gr.Y = append(gr.Y, inp("y", t, 1))
		gr.WS = append(gr.WS, inp("ws", t, 1))
	}
	gr.vin0 = G.NewMatrix(g, f32, G.WithShape(B, 1), G.WithName("vin0"), G.WithInit(G.Zeroes()))
	gr.h0 = G.NewMatrix(g, f32, G.WithShape(B, H), G.WithName("h0"), G.WithInit(G.Zeroes()))
	one := make([]float32, B)
	for i := range one {
		one[i] = 1
	}
	ones := G.NewMatrix(g, f32, G.WithShape(B, 1), G.WithName("ones"),
		G.WithValue(tensor.New(tensor.WithShape(B, 1), tensor.WithBacking(one))))
	// cols takes columns [c0, c1) of a (B, n) node as a (B, c1-c0) matrix
	// (gorgonia's Slice drops a dimension of width 1; Reshape restores it).
	cols := func(n *G.Node, c0, c1 int) *G.Node {
		return must(G.Reshape(must(G.Slice(n, nil, G.S(c0, c1))), tensor.Shape{B, c1 - c0}))
	}
	mul, add, sub, had := G.Mul, G.Add, G.Sub, G.HadamardProd

	h := gr.h0
	var lv, ls []*G.Node // each step's loss terms (B, 1)
	for t := 0; t < T; t++ {
		// The Vm input: the teacher's or the model's own from the step
		// before (at step 0, the carried one).
		src := gr.vin0
		if t > 0 {
			src = gr.pred[t-1]
		}
		vin := must(add(must(had(gr.Mask[t], gr.VTeach[t])), must(had(gr.InvMask[t], src))))
		x := concat(1, must, gr.DUnf[t], vin)
		zr := must(G.Sigmoid(must(mul(concat(1, must, x, h, ones), wzr))))
		z, r := cols(zr, 0, H), cols(zr, H, 2*H)
		n := must(G.Tanh(must(mul(concat(1, must, x, must(had(r, h)), ones), wh))))
		h = must(add(h, must(had(z, must(sub(n, h))))))
		out := must(mul(concat(1, must, h, ones), whead)) // (B, 2): Vm, spike logit
		v, logit := cols(out, 0, 1), cols(out, 1, 2)
		if a.Residual {
			v = must(add(v, vin))
		}
		gr.pred = append(gr.pred, v)
		gr.logit = append(gr.logit, logit)
		e := must(sub(v, gr.VTarget[t]))
		lv = append(lv, must(had(gr.WV[t], must(had(e, e)))))
		ce := must(sub(must(G.Softplus(logit)), must(had(gr.Y[t], logit))))
		ls = append(ls, must(had(gr.WS[t], ce)))
		if err != nil {
			return nil, fmt.Errorf("grugraph: step %d: %w", t, err)
		}
	}
	gr.hT = h
	gr.lossV = must(G.Sum(concat(0, must, lv...)))
	gr.lossS = must(G.Sum(concat(0, must, ls...)))
	gr.loss = must(add(gr.lossV, gr.lossS))
	if err != nil {
		return nil, fmt.Errorf("grugraph: loss: %w", err)
	}
	outs := append([]*G.Node{gr.loss, gr.lossV, gr.lossS, gr.hT}, gr.pred...)
	for _, n := range append(outs, gr.logit...) {
		v := new(G.Value)
		G.Read(n, v)
		gr.reads[n] = v
	}
	if _, err := G.Grad(gr.loss, gr.params...); err != nil {
		return nil, fmt.Errorf("grugraph: gradient: %w", err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(gr.params...))
	return gr, nil
}

// concat joins nodes along axis (one node is itself).
func concat(axis int, must func(*G.Node, error) *G.Node, ns ...*G.Node) *G.Node {
	if len(ns) == 1 {
		return ns[0]
	}
	return must(G.Concat(axis, ns...))
}

// out is the value node n had in the last Run.
func (gr *Graph) out(n *G.Node) []float32 { return graph.Data(gr.reads[n]) }

// Run binds the chunk's inputs and carried state (VIn, H[0]; the chunk's
// C is not read: a GRU has no cell state), evaluates the loss and its
// gradients, and replaces VIn and H[0] with the state after the last step.
func (gr *Graph) Run(c *surrogate.Chunk) error {
	B, T := gr.B, gr.T
	// Check's test of the LSTM state asks for C beside H; a GRU carries
	// only H, so let H stand in for C.
	chk := *c
	chk.C = c.H
	if err := chk.Check(gr.arch, B, T); err != nil {
		return fmt.Errorf("grugraph: %w", err)
	}
	err := gr.Steps.Bind(c, B, len(gr.arch.Inputs))
	bind := func(n *G.Node, data []float32) {
		if err == nil {
			err = graph.Bind(n, data)
		}
	}
	bind(gr.vin0, c.VIn)
	bind(gr.h0, c.H[0])
	if err != nil {
		return fmt.Errorf("grugraph: binding the chunk: %w", err)
	}
	err = gr.vm.RunAll()
	gr.vm.Reset()
	if err != nil {
		return fmt.Errorf("grugraph: %w", err)
	}
	if gr.grads, err = gr.collectGrads(); err != nil {
		return err
	}
	gr.lastLoss = [3]float64{float64(gr.out(gr.loss)[0]), float64(gr.out(gr.lossV)[0]), float64(gr.out(gr.lossS)[0])}
	// Carry, into the chunk's own arrays (the bound inputs alias them).
	copy(c.VIn, gr.PredVm(T-1))
	copy(c.H[0], gr.out(gr.hT))
	return nil
}

// collectGrads copies each weight's gradient after a run, by name, and
// zeroes the graph's (gorgonia accumulates them across runs until zeroed).
func (gr *Graph) collectGrads() (map[string][]float32, error) {
	out := map[string][]float32{}
	for i, p := range gr.params {
		gv, err := p.Grad()
		if err != nil {
			return nil, fmt.Errorf("grugraph: gradient of %s: %w", gr.names[i], err)
		}
		out[gr.names[i]] = append([]float32(nil), gv.Data().([]float32)...)
		if z, ok := gv.(tensor.Tensor); ok {
			z.Zero()
		}
	}
	return out, nil
}

// Loss is the last Run's loss and its Vm and spike parts.
func (gr *Graph) Loss() (total, vm, spike float64) {
	return gr.lastLoss[0], gr.lastLoss[1], gr.lastLoss[2]
}

// Grads is each weight's gradient after Run, by name.
func (gr *Graph) Grads() map[string][]float32 { return gr.grads }

// PredVm is each row's predicted next Vm (normalized) at step t, after
// Run.
func (gr *Graph) PredVm(t int) []float32 { return append([]float32(nil), gr.out(gr.pred[t])...) }

// Logit is each row's spike logit at step t, after Run.
func (gr *Graph) Logit(t int) []float32 { return append([]float32(nil), gr.out(gr.logit[t])...) }

// Close releases the graph's machine.
func (gr *Graph) Close() { gr.vm.Close() }
