package graph

import (
	"fmt"
	"neurosurrogate/internal/activate"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The training loss over all T steps as one gorgonia op: from each step's
// output (B, 2) (predicted Vm, spike logit) and its Vm target, Vm weight,
// spike target and spike weight (each (B, 1)) it computes the (1, 2) matrix
//
//	[Σ wv (pred - target)²,  Σ ws (activate.Softplus(logit) - y logit)]
//
// (weighted squared error and binary cross-entropy with logits), summed in
// float64. Built from gorgonia's ops the same loss is nine nodes a step
// forward and about as many backward; here it is one node, and its
// gradient one node per step.

// lossInputs is the number of inputs per step, in this order.
const lossInputs = 5

// lossOp returns the loss over T steps.
func lossOp(T int) *fusedOp {
	op := &fusedOp{name: fmt.Sprintf("loss%d", T), arity: lossInputs * T, wrt: make([]bool, lossInputs*T)}
	for i := range op.wrt {
		op.wrt[i] = i%lossInputs == 0 // each step's output only
	}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		for i, s := range in {
			want := 1
			if i%lossInputs == 0 {
				want = 2
			}
			if s[0] != in[0][0] || s[1] != want {
				return nil, fmt.Errorf("%s: input %d is not (%d, %d)", op.name, i, in[0][0], want)
			}
		}
		return tensor.Shape{1, 2}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		var lv, ls float64
		for t := 0; t < T; t++ {
			step := in[lossInputs*t : lossInputs*(t+1)]
			o, target, wv, y, ws := step[0], step[1], step[2], step[3], step[4]
			for b := 0; b < rows; b++ {
				e := float64(o.d[b*o.ld]) - float64(target.d[b*target.ld])
				lv += float64(wv.d[b*wv.ld]) * e * e
				x := float64(o.d[b*o.ld+1])
				ls += float64(ws.d[b*ws.ld]) * (activate.Softplus(x) - float64(y.d[b*y.ld])*x)
			}
		}
		out.d[0], out.d[1] = float32(lv), float32(ls)
	}
	op.grads = func(in G.Nodes, g *G.Node) (G.Nodes, error) {
		out := make(G.Nodes, len(in))
		for t := 0; t < T; t++ {
			step := append(G.Nodes{}, in[lossInputs*t:lossInputs*(t+1)]...)
			var err error
			if out[lossInputs*t], err = G.ApplyOp(lossGradOp(), append(step, g)...); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return op
}

// lossGradOp is the gradient of lossOp in one step's output: from (out,
// target, wv, y, ws, g), with g the loss's (1, 2) gradient, the (B, 2)
// matrix [2 wv (pred - target) g[0],  ws (sigmoid(logit) - y) g[1]].
func lossGradOp() *fusedOp {
	op := &fusedOp{name: "loss'", arity: lossInputs + 1}
	op.shape = func(in []tensor.Shape) (tensor.Shape, error) {
		if g := in[lossInputs]; g.TotalSize() != 2 {
			return nil, fmt.Errorf("%s: loss gradient of shape %v", op.name, g)
		}
		return tensor.Shape{in[0][0], 2}, nil
	}
	op.run = func(out fmat, in []fmat, rows int) {
		o, target, wv, y, ws, g := in[0], in[1], in[2], in[3], in[4], in[5]
		gv, gs := g.d[0], g.d[1]
		for b := 0; b < rows; b++ {
			pred, logit := o.d[b*o.ld], o.d[b*o.ld+1]
			out.d[2*b] = 2 * wv.d[b*wv.ld] * (pred - target.d[b*target.ld]) * gv
			out.d[2*b+1] = ws.d[b*ws.ld] * (activate.Sigmoid32(logit) - y.d[b*y.ld]) * gs
		}
	}
	return op
}
