package surrogate

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is the model unrolled in gorgonia over T samples for a batch of B
// cells: the same computation as Stream, with a loss and its gradient, for
// training. Each step's Vm input is mixed from a given ("teacher") Vm and the
// model's own previous prediction by a per-row mask, so one graph serves
// teacher forcing (mask 1), free running (mask 0) and anything between.
//
// Inputs are bound with Let before each Run; rows are time-major
// (row t*B + b).
type Graph struct {
	B, T  int
	arch  Arch
	g     *G.ExprGraph
	vm    G.VM
	names []string
	param []*G.Node

	// Inputs.
	DUnf    *G.Node   // (T*B, K*nIn) normalized drive, column lag*nIn+j
	VTeach  *G.Node   // (T*B, 1) teacher Vm input (normalized)
	Mask    *G.Node   // (T*B, 1) 1 = use the teacher, 0 = own prediction
	InvMask *G.Node   // (T*B, 1) 1 - Mask
	VTarget *G.Node   // (T*B, 1) next-sample Vm target (normalized)
	WV      *G.Node   // (T*B, 1) weight of each Vm error
	Y       *G.Node   // (T*B, 1) spike targets (0/1)
	WS      *G.Node   // (T*B, 1) weight of each spike term
	VIn0    *G.Node   // (B, 1) own prediction feeding step 0
	VHist   []*G.Node // K-1 nodes (B, 1): Vm inputs at lags 1..K-1 before step 0
	H0, C0  []*G.Node // per layer (B, H)

	// Outputs, copied during the forward pass (the backward pass may reuse
	// forward buffers in place). Read them with Out after Run.
	Pred, Logit  *G.Node   // (T*B, 1)
	HT, CT       []*G.Node // final states per layer
	VinTail      []*G.Node // Vm inputs of the last K-1 steps, most recent first
	Loss         *G.Node   // scalar: LossV + LossS
	LossV, LossS *G.Node

	reads map[*G.Node]*G.Value
}

// Out is the value an output node had in the forward pass of the last Run.
func (gr *Graph) Out(n *G.Node) []float32 {
	v := gr.reads[n]
	if v == nil || *v == nil {
		return nil
	}
	switch d := (*v).Data().(type) {
	case []float32:
		return d
	case float32:
		return []float32{d}
	}
	return nil
}

// NewGraph unrolls the model's architecture over T samples for B cells.
// Parameter nodes are bound to the model's weight arrays (shared memory:
// updating m.W updates the graph).
func NewGraph(m *Model, B, T int) (*Graph, error) {
	a := m.Arch
	if B < 1 || T < 1 {
		return nil, fmt.Errorf("graph: batch %d and length %d must be positive", B, T)
	}
	g := G.NewGraph()
	gr := &Graph{B: B, T: T, arch: a, g: g}
	f32 := tensor.Float32
	p := map[string]*G.Node{}
	for _, name := range a.ParamNames() {
		t := m.W[name]
		val := tensor.New(tensor.WithShape(t.Shape...), tensor.WithBacking(t.Data))
		n := G.NewMatrix(g, f32, G.WithShape(t.Shape...), G.WithName(name), G.WithValue(val))
		p[name] = n
		gr.names = append(gr.names, name)
		gr.param = append(gr.param, n)
	}
	in := func(name string, r, c int) *G.Node {
		return G.NewMatrix(g, f32, G.WithShape(r, c), G.WithName(name), G.WithInit(G.Zeroes()))
	}
	K, nIn, H := a.Kernel, len(a.Inputs), a.Hidden
	gr.DUnf = in("dunf", T*B, K*nIn)
	gr.VTeach = in("vteach", T*B, 1)
	gr.Mask = in("mask", T*B, 1)
	gr.InvMask = in("invmask", T*B, 1)
	gr.VTarget = in("vtarget", T*B, 1)
	gr.WV = in("wv", T*B, 1)
	gr.Y = in("y", T*B, 1)
	gr.WS = in("ws", T*B, 1)
	gr.VIn0 = in("vin0", B, 1)
	for l := 1; l < K; l++ {
		gr.VHist = append(gr.VHist, in(fmt.Sprintf("vhist%d", l), B, 1))
	}
	for l := 0; l < a.Layers; l++ {
		gr.H0 = append(gr.H0, in(fmt.Sprintf("h0_%d", l), B, H))
		gr.C0 = append(gr.C0, in(fmt.Sprintf("c0_%d", l), B, H))
	}

	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	rows := func(x *G.Node, t int) *G.Node { return must(G.Slice(x, G.S(t*B, (t+1)*B))) }
	bias := func(x *G.Node, b *G.Node) *G.Node { return must(G.BroadcastAdd(x, b, nil, []byte{0})) }

	// The drive part of the convolution for all steps at once.
	dconv := must(G.Mul(gr.DUnf, p["conv.wd"]))
	// vins[i] is the Vm input at lag i before the current step, newest first.
	vins := append([]*G.Node{}, gr.VHist...)
	h := append([]*G.Node{}, gr.H0...)
	c := append([]*G.Node{}, gr.C0...)
	prev := gr.VIn0
	var preds, logits []*G.Node
	for t := 0; t < T; t++ {
		vin := must(G.Add(must(G.HadamardProd(rows(gr.Mask, t), rows(gr.VTeach, t))),
			must(G.HadamardProd(rows(gr.InvMask, t), prev))))
		vins = append([]*G.Node{vin}, vins...)
		if len(vins) > K {
			vins = vins[:K]
		}
		var hist *G.Node
		if K == 1 {
			hist = vin
		} else {
			hist = must(G.Concat(1, vins[:K]...))
		}
		x := must(G.Add(must(G.Mul(hist, p["conv.wv"])), rows(dconv, t)))
		x = must(G.Tanh(bias(x, p["conv.b"])))
		for l := 0; l < a.Layers; l++ {
			xh := must(G.Concat(1, x, h[l]))
			gate := func(name string) *G.Node {
				return bias(must(G.Mul(xh, p[fmt.Sprintf("lstm%d.w%s", l, name)])), p[fmt.Sprintf("lstm%d.b%s", l, name)])
			}
			ig := must(G.Sigmoid(gate("i")))
			fg := must(G.Sigmoid(gate("f")))
			gg := must(G.Tanh(gate("g")))
			og := must(G.Sigmoid(gate("o")))
			c[l] = must(G.Add(must(G.HadamardProd(fg, c[l])), must(G.HadamardProd(ig, gg))))
			h[l] = must(G.HadamardProd(og, must(G.Tanh(c[l]))))
			x = h[l]
		}
		pred := bias(must(G.Mul(x, p["head.v.w"])), p["head.v.b"])
		logit := bias(must(G.Mul(x, p["head.s.w"])), p["head.s.b"])
		preds = append(preds, pred)
		logits = append(logits, logit)
		prev = pred
		if err != nil {
			return nil, fmt.Errorf("graph step %d: %w", t, err)
		}
	}
	gr.HT, gr.CT = h, c
	gr.VinTail = vins[:K-1]
	if T == 1 {
		gr.Pred, gr.Logit = preds[0], logits[0]
	} else {
		gr.Pred = must(G.Concat(0, preds...))
		gr.Logit = must(G.Concat(0, logits...))
	}
	ev := must(G.Sub(gr.Pred, gr.VTarget))
	gr.LossV = must(G.Sum(must(G.HadamardProd(gr.WV, must(G.Square(ev))))))
	bce := must(G.Sub(must(G.Softplus(gr.Logit)), must(G.HadamardProd(gr.Y, gr.Logit))))
	gr.LossS = must(G.Sum(must(G.HadamardProd(gr.WS, bce))))
	gr.Loss = must(G.Add(gr.LossV, gr.LossS))
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	gr.reads = map[*G.Node]*G.Value{}
	outs := []*G.Node{gr.Pred, gr.Logit, gr.Loss, gr.LossV, gr.LossS}
	outs = append(append(append(outs, gr.HT...), gr.CT...), gr.VinTail...)
	for _, n := range outs {
		if _, done := gr.reads[n]; done {
			continue
		}
		v := new(G.Value)
		G.Read(n, v)
		gr.reads[n] = v
	}
	if _, err := G.Grad(gr.Loss, gr.param...); err != nil {
		return nil, fmt.Errorf("graph gradient: %w", err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(gr.param...))
	return gr, nil
}

// Run evaluates the graph and its gradients for the bound inputs.
func (gr *Graph) Run() error {
	defer gr.vm.Reset()
	return gr.vm.RunAll()
}

// Close releases the machine.
func (gr *Graph) Close() { gr.vm.Close() }

// Bind sets an input node's value; data is used in place (not copied).
func Bind(n *G.Node, data []float32) error {
	sh := n.Shape()
	return G.Let(n, tensor.New(tensor.WithShape(sh...), tensor.WithBacking(data)))
}

// Grads returns each parameter's gradient after Run, by name.
func (gr *Graph) Grads() (map[string][]float32, error) {
	out := make(map[string][]float32, len(gr.param))
	for i, n := range gr.param {
		gv, err := n.Grad()
		if err != nil {
			return nil, fmt.Errorf("gradient of %s: %w", gr.names[i], err)
		}
		out[gr.names[i]] = gv.Data().([]float32)
	}
	return out, nil
}
