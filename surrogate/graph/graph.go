// Package graph is the surrogate's definition as a gorgonia graph: the
// model unrolled over a chunk of samples, its loss, and the loss's gradient
// by gorgonia's symbolic differentiation. It is the training engine
// "gorgonia" and the reference that the hand-written engine
// (surrogate.Unrolled) and the inference stream (surrogate.Stream) are
// tested equal to. Importing it links gorgonia; inference does not.
package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"neurosurrogate/internal/activate"
	"neurosurrogate/internal/gemm"
	"neurosurrogate/surrogate"
)

func init() {
	// The trace-LSTM is the CNN-LSTM over trace columns (surrogate.TraceFamily).
	for _, fam := range []string{surrogate.DefaultFamily, surrogate.TraceFamily} {
		surrogate.RegisterEngine(fam, "gorgonia", func(m *surrogate.Model, B, T int) (surrogate.Engine, error) { return New(m, B, T) })
	}
}

// UseBLAS makes gorgonia run its products on the module's vector kernels
// (gemm.BLAS), process-wide: gorgonia has one BLAS for all graphs.
func UseBLAS() { G.Use(gemm.BLAS{}) }

// Graph is the model unrolled in gorgonia over T samples for a batch of B
// cells: the same computation as Stream, with a loss and its gradient, for
// training. Each step's Vm input is mixed from a given ("teacher") Vm and the
// model's own previous prediction by a per-row mask, so one graph serves
// teacher forcing (mask 1), free running (mask 0) and anything between.
//
// gorgonia's per-node overhead, not arithmetic, dominates a step at these
// sizes, so the graph keeps the node count low. The Vm inputs of the last K
// steps travel as one (B, K) history matrix (each step joins its new Vm to
// the previous history's first K-1 columns) multiplied once by the Vm
// kernel; each product takes its inputs joined side by side with a column
// of ones, so a layer's bias is a last row of its weights (joined once per
// run) and needs no broadcast; the four LSTM gates are one product of
// [x h 1]. The LSTM cell update, the Vm input mix, the residual head and
// the loss are ops of this package with hand-written gradients (lstmop.go,
// stepops.go, lossop.go): about 45 nodes a step, forward and backward,
// against 87 built from gorgonia's elementwise ops, which halved the time
// of a training step (BenchmarkGraphStep). The gradients are checked
// against central finite differences (TestGraphGradient).
// Parameters enter the graph as views of the model's weight arrays.
type Graph struct {
	B, T  int
	arch  surrogate.Arch
	g     *G.ExprGraph
	vm    G.VM
	views []paramView

	// Per-step inputs (index t), bound from the chunk by Run.
	Steps
	// STeach (FeedSpike models): the teacher spike input, the previous
	// bin's spike (0/1), mixed with the model's own probability by Mask.
	STeach []*G.Node
	// Carried state.
	VIn0   *G.Node   // (B, 1) own prediction feeding step 0
	VHist  *G.Node   // (B, K-1), nil if K = 1: Vm inputs before step 0, column l-1 at lag l
	SIn0   *G.Node   // (B, 1) FeedSpike: own spike probability feeding step 0
	SHist  *G.Node   // FeedSpike: (B, K-1) spike inputs before step 0, as VHist
	H0, C0 []*G.Node // per layer (B, H)

	// Outputs (values copied during the forward pass; read them with Out).
	// Pred per step (B, 2): the predicted next Vm (column 0, normalized)
	// and the spike logit (column 1); read them with PredVm and Logit.
	Pred                 []*G.Node
	HT, CT               []*G.Node // final states per layer
	VinTail              *G.Node   // (B, K) Vm inputs of the last K steps, most recent first (column 0)
	SinTail              *G.Node   // FeedSpike: (B, K) spike inputs of the last K steps, as VinTail
	LossNode             *G.Node   // scalar: LossVNode + LossSNode (+ LossANode)
	LossVNode, LossSNode *G.Node
	// The training heads (Arch.AuxHeads > 0; else nil): each step's
	// targets and error weights and outputs (B, AuxHeads), and their loss
	// Σ WA (aux − Aux)².
	Aux, WA, AuxOut []*G.Node
	LossANode       *G.Node

	reads map[*G.Node]*G.Value

	// After Run (the Engine interface).
	grads map[string][]float32
	loss  [3]float64
}

// paramView is a graph parameter node backed by rows [off, off+n) of a
// model weight array.
type paramView struct {
	name string
	off  int // first element
	node *G.Node
}

// New unrolls the model's architecture over T samples for B cells.
// Parameter nodes share memory with the model's weights: updating m.W
// updates the graph.
func New(m *surrogate.Model, B, T int) (*Graph, error) {
	a := m.Arch
	if B < 1 || T < 1 {
		return nil, fmt.Errorf("graph: batch %d and length %d must be positive", B, T)
	}
	g := G.NewGraph()
	gr := &Graph{B: B, T: T, arch: a, g: g}
	f32 := tensor.Float32
	// view makes a parameter node over rows [r0, r1) of weight name.
	view := func(name string, r0, r1 int) *G.Node {
		t := m.W[name]
		cols := t.Shape[1]
		data := t.Data[r0*cols : r1*cols]
		val := tensor.New(tensor.WithShape(r1-r0, cols), tensor.WithBacking(data))
		n := G.NewMatrix(g, f32, G.WithShape(r1-r0, cols), G.WithName(fmt.Sprintf("%s[%d:%d]", name, r0, r1)), G.WithValue(val))
		gr.views = append(gr.views, paramView{name: name, off: r0 * cols, node: n})
		return n
	}
	whole := func(name string) *G.Node { return view(name, 0, m.W[name].Shape[0]) }
	K, nIn, H := a.Kernel, len(a.Inputs), a.Hidden
	var err error
	must := func(n *G.Node, e error) *G.Node {
		if e != nil && err == nil {
			err = e
		}
		return n
	}
	// Biases enter as a last row of the weights, multiplied by a constant
	// column of ones joined to the inputs: one product per layer and step,
	// with no broadcast. The weights are joined once per run.
	rows := func(ns ...*G.Node) *G.Node { return must(G.Concat(0, ns...)) }
	cols := func(ns ...*G.Node) *G.Node { return must(G.Concat(1, ns...)) }
	// The layout's joined matrices, as its engines multiply them.
	lay := a.Layout()
	joined := func(name string) *G.Node {
		var blocks []*G.Node
		for _, blk := range lay.Join(name).Rows {
			var side []*G.Node
			for _, t := range blk {
				side = append(side, whole(t))
			}
			if len(side) == 1 {
				blocks = append(blocks, side[0])
			} else {
				blocks = append(blocks, cols(side...))
			}
		}
		return rows(blocks...)
	}
	wc := joined(surrogate.JoinConv) // (taps*nIn + K*fed + 1, F)
	lstm := make([]*G.Node, a.Layers)
	for l := range lstm {
		lstm[l] = joined(surrogate.JoinLSTM(l)) // (in+H+1, 4H), gates in the order of surrogate.Gates
	}
	wh := joined(surrogate.JoinHead) // (H+1, 2)
	var wa *G.Node
	if a.AuxHeads > 0 {
		wa = joined(surrogate.JoinHeadAux) // (H+1, AuxHeads)
	}
	if err != nil {
		return nil, fmt.Errorf("graph: joining weights: %w", err)
	}

	inp := func(name string, r, c int) *G.Node {
		return G.NewMatrix(g, f32, G.WithShape(r, c), G.WithName(name), G.WithInit(G.Zeroes()))
	}
	for t := 0; t < T; t++ {
		gr.DUnf = append(gr.DUnf, inp(fmt.Sprintf("dunf%d", t), B, a.NumTaps()*nIn))
		gr.VTeach = append(gr.VTeach, inp(fmt.Sprintf("vteach%d", t), B, 1))
		gr.Mask = append(gr.Mask, inp(fmt.Sprintf("mask%d", t), B, 1))
		gr.InvMask = append(gr.InvMask, inp(fmt.Sprintf("invmask%d", t), B, 1))
		gr.VTarget = append(gr.VTarget, inp(fmt.Sprintf("vtarget%d", t), B, 1))
		gr.WV = append(gr.WV, inp(fmt.Sprintf("wv%d", t), B, 1))
		gr.Y = append(gr.Y, inp(fmt.Sprintf("y%d", t), B, 1))
		gr.WS = append(gr.WS, inp(fmt.Sprintf("ws%d", t), B, 1))
		if a.FeedSpike {
			gr.STeach = append(gr.STeach, inp(fmt.Sprintf("steach%d", t), B, 1))
		}
	}
	for t := 0; a.AuxHeads > 0 && t < T; t++ {
		gr.Aux = append(gr.Aux, inp(fmt.Sprintf("aux%d", t), B, a.AuxHeads))
		gr.WA = append(gr.WA, inp(fmt.Sprintf("wa%d", t), B, a.AuxHeads))
	}
	gr.VIn0 = inp("vin0", B, 1)
	if K > 1 {
		gr.VHist = inp("vhist", B, K-1)
	}
	if a.FeedSpike {
		gr.SIn0 = inp("sin0", B, 1)
		if K > 1 {
			gr.SHist = inp("shist", B, K-1)
		}
	}
	for l := 0; l < a.Layers; l++ {
		gr.H0 = append(gr.H0, inp(fmt.Sprintf("h0_%d", l), B, H))
		gr.C0 = append(gr.C0, inp(fmt.Sprintf("c0_%d", l), B, H))
	}
	one := make([]float32, B)
	for i := range one {
		one[i] = 1
	}
	ones := G.NewMatrix(g, f32, G.WithShape(B, 1), G.WithName("ones"),
		G.WithValue(tensor.New(tensor.WithShape(B, 1), tensor.WithBacking(one))))
	// join joins the nodes and the column of ones side by side.
	join := func(ns ...*G.Node) *G.Node {
		ws := make([]int, len(ns)+1)
		for i, n := range ns {
			ws[i] = n.Shape()[1]
		}
		ws[len(ns)] = 1
		return must(G.ApplyOp(joinOp(ws, true), append(ns, ones)...))
	}

	// push makes the (B, K) history after input in: in, then the first K-1
	// columns of the history before it (at step 0, the given one).
	// (For K = 2 the older part is the previous input itself: gorgonia's
	// Slice drops a dimension of width 1.)
	push := func(in, hist, prevIn *G.Node, t int, given *G.Node) *G.Node {
		switch {
		case K == 1:
			return in
		case t == 0:
			return must(G.Concat(1, in, given))
		case K == 2:
			return must(G.Concat(1, in, prevIn))
		}
		return must(G.Concat(1, in, must(G.Slice(hist, nil, G.S(0, K-1)))))
	}
	var vhist, shist *G.Node // (B, K): inputs of this step and the K-1 before
	var vprev, sprev *G.Node // the previous step's inputs
	h := append([]*G.Node{}, gr.H0...)
	c := append([]*G.Node{}, gr.C0...)
	var lossIn []*G.Node  // lossOp's inputs, step by step
	var auxLoss []*G.Node // the training heads' loss, step by step
	for t := 0; t < T; t++ {
		// The Vm (and spike) input: the teacher's or the model's own from
		// the step before (at step 0, the carried one).
		vsrc, ssrc, scol, ssig := gr.VIn0, gr.SIn0, 0, false
		if t > 0 {
			vsrc, ssrc, scol, ssig = gr.Pred[t-1], gr.Pred[t-1], 1, true
		}
		vin := must(G.ApplyOp(mixOp(0, false), gr.Mask[t], gr.VTeach[t], gr.InvMask[t], vsrc))
		vhist, vprev = push(vin, vhist, vprev, t, gr.VHist), vin
		convIn := []*G.Node{gr.DUnf[t], vhist}
		if a.FeedSpike {
			sin := must(G.ApplyOp(mixOp(scol, ssig), gr.Mask[t], gr.STeach[t], gr.InvMask[t], ssrc))
			shist, sprev = push(sin, shist, sprev, t, gr.SHist), sin
			convIn = append(convIn, shist)
		}
		x := must(G.Tanh(must(G.Mul(join(convIn...), wc))))
		for l := 0; l < a.Layers; l++ {
			z := must(G.Mul(join(x, h[l]), lstm[l]))
			cop, hop := newCellStep()
			c[l] = must(G.ApplyOp(cop, z, c[l]))
			h[l] = must(G.ApplyOp(hop, z, c[l]))
			x = h[l]
		}
		hx := join(x)
		out := must(G.Mul(hx, wh)) // (B, 2): Vm, spike logit
		if wa != nil {
			ao := must(G.Mul(hx, wa)) // (B, AuxHeads)
			gr.AuxOut = append(gr.AuxOut, ao)
			e := must(G.Sub(ao, gr.Aux[t]))
			auxLoss = append(auxLoss, must(G.Sum(must(G.HadamardProd(gr.WA[t], must(G.HadamardProd(e, e)))))))
		}
		if a.Residual {
			out = must(G.ApplyOp(residualOp(), out, vin))
		}
		gr.Pred = append(gr.Pred, out)
		lossIn = append(lossIn, out, gr.VTarget[t], gr.WV[t], gr.Y[t], gr.WS[t])
		if err != nil {
			return nil, fmt.Errorf("graph step %d: %w", t, err)
		}
	}
	gr.HT, gr.CT = h, c
	gr.VinTail = vhist
	if a.FeedSpike {
		gr.SinTail = shist
	}
	losses := must(G.ApplyOp(lossOp(T), lossIn...)) // (1, 2): Vm, spike
	gr.LossVNode = must(G.Slice(losses, G.S(0), G.S(0)))
	gr.LossSNode = must(G.Slice(losses, G.S(0), G.S(1)))
	gr.LossNode = must(G.Sum(losses))
	if wa != nil {
		gr.LossANode = auxLoss[0]
		if T > 1 {
			gr.LossANode = must(G.ReduceAdd(auxLoss))
		}
		gr.LossNode = must(G.Add(gr.LossNode, gr.LossANode))
	}
	if err != nil {
		return nil, fmt.Errorf("graph: %w", err)
	}
	gr.reads = map[*G.Node]*G.Value{}
	outs := []*G.Node{gr.LossNode, gr.LossVNode, gr.LossSNode}
	outs = append(outs, gr.Pred...)
	outs = append(outs, gr.AuxOut...)
	outs = append(append(append(outs, gr.HT...), gr.CT...), gr.VinTail)
	if a.FeedSpike {
		outs = append(outs, gr.SinTail)
	}
	for _, n := range outs {
		if _, done := gr.reads[n]; done {
			continue
		}
		v := new(G.Value)
		G.Read(n, v)
		gr.reads[n] = v
	}
	params := make([]*G.Node, len(gr.views))
	for i, pv := range gr.views {
		params[i] = pv.node
	}
	if _, err := G.Grad(gr.LossNode, params...); err != nil {
		return nil, fmt.Errorf("graph gradient: %w", err)
	}
	gr.vm = G.NewTapeMachine(g, G.BindDualValues(params...))
	return gr, nil
}

// Out is the value an output node had in the forward pass of the last Run.
func (gr *Graph) Out(n *G.Node) []float32 { return Data(gr.reads[n]) }

// Data is a float32 value read from a graph (G.Read) as a slice: a
// tensor's backing array, or a scalar; nil if nothing was read.
func Data(v *G.Value) []float32 {
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

// AuxPred is the training heads' outputs at step t (B x AuxHeads, row
// major), after Run; nil without them.
func (gr *Graph) AuxPred(t int) []float32 {
	if gr.AuxOut == nil {
		return nil
	}
	return gr.Out(gr.AuxOut[t])
}

// PredVm is the predicted next Vm (normalized) of each row at step t, after
// Run.
func (gr *Graph) PredVm(t int) []float32 { return column(gr.Out(gr.Pred[t]), 2, 0) }

// Logit is the spike logit of each row at step t, after Run.
func (gr *Graph) Logit(t int) []float32 { return column(gr.Out(gr.Pred[t]), 2, 1) }

// SpikeProb is the spike probability of each row at step t, after Run: what
// a FeedSpike model feeds back.
func (gr *Graph) SpikeProb(t int) []float32 {
	p := gr.Logit(t)
	for i, x := range p {
		p[i] = activate.Sigmoid32(x)
	}
	return p
}

// column copies column j of a row-major matrix of n columns.
func column(d []float32, n, j int) []float32 {
	out := make([]float32, len(d)/n)
	for i := range out {
		out[i] = d[i*n+j]
	}
	return out
}

// run evaluates the graph and its gradients for the inputs bound.
func (gr *Graph) run() error {
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

// collectGrads returns each model weight's gradient after run, by name,
// and zeroes the graph's gradients (gorgonia accumulates them across runs
// until zeroed; its own solvers zero them in Step).
func (gr *Graph) collectGrads() (map[string][]float32, error) {
	out := map[string][]float32{}
	for _, pv := range gr.views {
		gv, err := pv.node.Grad()
		if err != nil {
			return nil, fmt.Errorf("gradient of %s: %w", pv.node.Name(), err)
		}
		d := gv.Data().([]float32)
		dst := out[pv.name]
		if need := pv.off + len(d); len(dst) < need {
			dst = append(dst, make([]float32, need-len(dst))...)
			out[pv.name] = dst
		}
		for i, x := range d {
			dst[pv.off+i] += x
		}
		if z, ok := gv.(tensor.Tensor); ok {
			z.Zero()
		}
	}
	return out, nil
}

// Run binds the chunk's inputs and carried state, evaluates the graph and
// its gradients, and replaces the chunk's carried state with the state
// after the last step (the Engine interface).
func (gr *Graph) Run(c *surrogate.Chunk) error {
	a, B, T := gr.arch, gr.B, gr.T
	if err := c.Check(a, B, T); err != nil {
		return fmt.Errorf("graph: %w", err)
	}
	err := gr.Steps.Bind(c, B, a.NumTaps()*len(a.Inputs))
	bind := func(n *G.Node, data []float32) {
		if n != nil && err == nil {
			err = Bind(n, data)
		}
	}
	for t := 0; a.FeedSpike && t < T; t++ {
		bind(gr.STeach[t], c.STeach[t*B:(t+1)*B])
	}
	for t, n := 0, a.AuxHeads; n > 0 && t < T; t++ {
		bind(gr.Aux[t], c.Aux[t*B*n:(t+1)*B*n])
		bind(gr.WA[t], c.WA[t*B*n:(t+1)*B*n])
	}
	bind(gr.VIn0, c.VIn)
	bind(gr.VHist, c.VHist)
	if a.FeedSpike {
		bind(gr.SIn0, c.SIn)
		bind(gr.SHist, c.SHist)
	}
	for l := range gr.H0 {
		bind(gr.H0[l], c.H[l])
		bind(gr.C0[l], c.C[l])
	}
	if err != nil {
		return fmt.Errorf("graph: binding the chunk: %w", err)
	}
	if err := gr.run(); err != nil {
		return err
	}
	if gr.grads, err = gr.collectGrads(); err != nil {
		return err
	}
	gr.loss = [3]float64{float64(gr.Out(gr.LossNode)[0]), float64(gr.Out(gr.LossVNode)[0]), float64(gr.Out(gr.LossSNode)[0])}
	// Carry, into the chunk's own arrays: the graph's outputs are reused
	// on the next run, and the bound inputs alias the chunk's arrays only
	// until then.
	copy(c.VIn, gr.PredVm(T-1))
	tail := func(dst, src []float32) {
		K := a.Kernel
		for r := 0; r < B; r++ {
			copy(dst[r*(K-1):(r+1)*(K-1)], src[r*K:r*K+K-1])
		}
	}
	tail(c.VHist, gr.Out(gr.VinTail))
	if a.FeedSpike {
		copy(c.SIn, gr.SpikeProb(T-1))
		tail(c.SHist, gr.Out(gr.SinTail))
	}
	for l := range c.H {
		copy(c.H[l], gr.Out(gr.HT[l]))
		copy(c.C[l], gr.Out(gr.CT[l]))
	}
	return nil
}

// Loss is the last Run's loss and its Vm and spike parts.
func (gr *Graph) Loss() (total, vm, spike float64) {
	return gr.loss[0], gr.loss[1], gr.loss[2]
}

// Grads is each weight's gradient after Run, by name.
func (gr *Graph) Grads() map[string][]float32 { return gr.grads }

// Steps are a chunk's per-step input nodes (index t), as every family's
// graph reads them.
type Steps struct {
	DUnf    []*G.Node // (B, drive) normalized drive: for the CNN-LSTM taps*nIn, column tap*nIn+j
	VTeach  []*G.Node // (B, 1) teacher Vm input (normalized)
	Mask    []*G.Node // (B, 1) 1 = use the teacher, 0 = own prediction
	InvMask []*G.Node // (B, 1) 1 - Mask
	VTarget []*G.Node // (B, 1) next-sample Vm target (normalized)
	WV      []*G.Node // (B, 1) weight of each Vm error
	Y       []*G.Node // (B, 1) spike targets (0/1)
	WS      []*G.Node // (B, 1) weight of each spike term
}

// Bind binds each step's rows of the chunk (B cells, drive values of
// normalized drive per cell) to the step nodes; the data is used in place.
func (st *Steps) Bind(c *surrogate.Chunk, B, drive int) error {
	for t := range st.DUnf {
		r0, r1 := t*B, (t+1)*B
		for _, b := range []struct {
			n    *G.Node
			data []float32
		}{{st.DUnf[t], c.DUnf[r0*drive : r1*drive]}, {st.VTeach[t], c.VTeach[r0:r1]}, {st.Mask[t], c.Mask[r0:r1]},
			{st.InvMask[t], c.InvMask[r0:r1]}, {st.VTarget[t], c.VTarget[r0:r1]}, {st.WV[t], c.WV[r0:r1]},
			{st.Y[t], c.Y[r0:r1]}, {st.WS[t], c.WS[r0:r1]}} {
			if err := Bind(b.n, b.data); err != nil {
				return err
			}
		}
	}
	return nil
}
