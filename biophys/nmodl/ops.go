package nmodl

import (
	"math"

	"neurosurrogate/internal/fastexp"
	"neurosurrogate/internal/fastlog"
)

// val is a compiled value: one number per instance (vec), or one number
// for all (*s; known says it is fixed at compile time and may be folded).
type val struct {
	vec   []float64
	s     *float64
	known bool
}

func constVal(x float64) val { return val{s: &x, known: true} }

func (v val) isVec() bool { return v.vec != nil }

// binary emits dst = a op b over all instances and returns dst.
func (c *compiler) binary(op string, a, b val, dst []float64) val {
	if !a.isVec() && !b.isVec() {
		if a.known && b.known {
			return constVal(scalarOp(op, *a.s, *b.s))
		}
		// runtime scalars (t, dt): a vector of the result
		if dst == nil {
			dst = c.tmp()
		}
		as, bs := a.s, b.s
		c.emit(func() {
			x := scalarOp(op, *as, *bs)
			for k := range dst {
				dst[k] = x
			}
		})
		return val{vec: dst}
	}
	key, cacheable := cseKeyOf(op, a, b)
	if dst == nil && cacheable {
		if v, ok := c.cse[key]; ok {
			return v
		}
	}
	if dst == nil {
		dst = c.tmp()
		if cacheable {
			defer func() {
				if c.cse == nil {
					c.cse = map[cseKey]val{}
				}
				c.cse[key] = val{vec: dst}
			}()
		}
	}
	switch {
	case a.isVec() && b.isVec():
		x, y := a.vec, b.vec
		c.emit(vvOp(op, dst, x, y))
	case a.isVec():
		c.emit(vsOp(op, dst, a.vec, b.s))
	default:
		c.emit(svOp(op, dst, a.s, b.vec))
	}
	return val{vec: dst}
}

// cseKey identifies an operation by its operator and operands (arrays by
// address, constants by value, run-time scalars by address).
type cseKey struct {
	op     string
	a, b   *float64
	ac, bc uint64 // constants' bits (0 and -0 differ)
}

func cseKeyOf(op string, a, b val) (cseKey, bool) {
	k := cseKey{op: op}
	operand := func(v val) (*float64, uint64, bool) {
		switch {
		case v.isVec():
			if len(v.vec) == 0 {
				return nil, 0, false
			}
			return &v.vec[0], 0, true
		case v.known:
			return nil, math.Float64bits(*v.s), true
		}
		return v.s, 0, true
	}
	var ok1, ok2 bool
	k.a, k.ac, ok1 = operand(a)
	k.b, k.bc, ok2 = operand(b)
	return k, ok1 && ok2
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func scalarOp(op string, x, y float64) float64 {
	switch op {
	case "+":
		return x + y
	case "-":
		return x - y
	case "*":
		return x * y
	case "/":
		return x / y
	case "^":
		return math.Pow(x, y)
	case "<":
		return b2f(x < y)
	case ">":
		return b2f(x > y)
	case "<=":
		return b2f(x <= y)
	case ">=":
		return b2f(x >= y)
	case "==":
		return b2f(x == y)
	case "!=":
		return b2f(x != y)
	case "&&":
		return b2f(x != 0 && y != 0)
	case "||":
		return b2f(x != 0 || y != 0)
	}
	panic("nmodl: unknown operator " + op)
}

// The arithmetic kernels: a vector kernel for whole blocks (when vecOps),
// then the Go loop for the rest; both give the same bits.
var (
	vvKernels = map[string]func(dst, x, y []float64) int{"+": vvAddAVX2, "-": vvSubAVX2, "*": vvMulAVX2, "/": vvDivAVX2}
	vsKernels = map[string]func(dst, x []float64, s float64) int{"+": vsAddAVX2, "-": vsSubAVX2, "*": vsMulAVX2, "/": vsDivAVX2}
	svKernels = map[string]func(dst []float64, s float64, y []float64) int{"-": svSubAVX2, "/": svDivAVX2}
)

// compare is a comparison operator's function (nil for other operators).
func compare(op string) func(x, y float64) bool {
	switch op {
	case "<":
		return func(x, y float64) bool { return x < y }
	case ">":
		return func(x, y float64) bool { return x > y }
	case "<=":
		return func(x, y float64) bool { return x <= y }
	case ">=":
		return func(x, y float64) bool { return x >= y }
	case "==":
		return func(x, y float64) bool { return x == y }
	case "!=":
		return func(x, y float64) bool { return x != y }
	}
	return nil
}

func vvOp(op string, dst, x, y []float64) func() {
	n := len(dst)
	x, y = x[:n], y[:n]
	kern := vvKernels[op]
	if kern == nil {
		return func() {
			for k := range dst {
				dst[k] = scalarOp(op, x[k], y[k])
			}
		}
	}
	return func() {
		i := 0
		if vecOps {
			i = kern(dst, x, y)
		}
		for k := i; k < n; k++ {
			switch op {
			case "+":
				dst[k] = x[k] + y[k]
			case "-":
				dst[k] = x[k] - y[k]
			case "*":
				dst[k] = x[k] * y[k]
			default:
				dst[k] = x[k] / y[k]
			}
		}
	}
}

func vsOp(op string, dst, x []float64, sp *float64) func() {
	n := len(dst)
	x = x[:n]
	if op == "^" {
		return func() { powAll(dst, x, *sp) }
	}
	kern := vsKernels[op]
	if kern == nil {
		if cmp := compare(op); cmp != nil {
			return func() {
				s := *sp
				for k, v := range x {
					dst[k] = b2f(cmp(v, s))
				}
			}
		}
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = scalarOp(op, x[k], s)
			}
		}
	}
	return func() {
		s := *sp
		i := 0
		if vecOps {
			i = kern(dst, x, s)
		}
		for k := i; k < n; k++ {
			switch op {
			case "+":
				dst[k] = x[k] + s
			case "-":
				dst[k] = x[k] - s
			case "*":
				dst[k] = x[k] * s
			default:
				dst[k] = x[k] / s
			}
		}
	}
}

func svOp(op string, dst []float64, sp *float64, y []float64) func() {
	n := len(dst)
	y = y[:n]
	switch op {
	case "+", "*": // s op y = y op s, exactly
		return vsOp(op, dst, y, sp)
	}
	kern := svKernels[op]
	if kern == nil {
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = scalarOp(op, s, y[k])
			}
		}
	}
	return func() {
		s := *sp
		i := 0
		if vecOps {
			i = kern(dst, s, y)
		}
		for k := i; k < n; k++ {
			if op == "-" {
				dst[k] = s - y[k]
			} else {
				dst[k] = s / y[k]
			}
		}
	}
}

// powAll sets dst[k] = x[k]^y: x*x for y = 2 (exactly pow's value), else
// exp(y log x) with the vector logarithm and exponential where x > 0
// (within a few units in the last place of pow, as the hand-written
// SK_E2 computes it), math.Pow elsewhere.
func powAll(dst, x []float64, y float64) {
	switch y {
	case 1:
		copy(dst, x)
		return
	case 2:
		for k, v := range x {
			dst[k] = v * v
		}
		return
	}
	// The lanes exp(y log x) does not serve, noted before dst (which may
	// be x) is overwritten.
	var odd []int
	var oddX []float64
	for k, v := range x {
		if !(v > 0) || math.IsInf(v, 1) {
			odd, oddX = append(odd, k), append(oddX, v)
		}
	}
	fastlog.LogAll(dst, x)
	for k := range dst {
		dst[k] *= y
	}
	fastexp.ExpAll(dst, dst)
	for i, k := range odd {
		dst[k] = math.Pow(oddX[i], y)
	}
}

// hocExp is NEURON's exp in NMODL (hoc_Exp): 0 below -700, exp(700)
// above 700 (NEURON also prints a warning there).
func hocExp(x float64) float64 {
	switch {
	case x < -700:
		return 0
	case x > 700:
		return fastexp.Exp(700)
	}
	return fastexp.Exp(x)
}

// expAll is hocExp over an array, with the vector exponential.
func expAll(dst, src []float64) {
	if outside(src[:len(dst)], -700, 700) {
		for k, x := range src[:len(dst)] {
			dst[k] = hocExp(x)
		}
		return
	}
	fastexp.ExpAll(dst, src)
}

// outside says whether some x is below lo or above hi (NaN is neither).
func outside(x []float64, lo, hi float64) bool {
	i := 0
	if vecOps {
		if outsideAVX2(x, lo, hi) != 0 {
			return true
		}
		i = len(x) &^ 3
	}
	for _, v := range x[i:] {
		if v < lo || v > hi {
			return true
		}
	}
	return false
}

// builtins are the math functions an NMODL expression may call, with
// their number of arguments.
var builtins = map[string]int{
	"exp": 1, "log": 1, "log10": 1, "sqrt": 1, "fabs": 1, "sin": 1, "cos": 1, "tan": 1,
	"asin": 1, "acos": 1, "atan": 1, "sinh": 1, "cosh": 1, "tanh": 1, "floor": 1, "ceil": 1,
	"pow": 2, "atan2": 2, "fmin": 2, "fmax": 2, "exprelr": 1,
}

func builtin1(fn string) func(float64) float64 {
	switch fn {
	case "exp":
		return hocExp
	case "log":
		return math.Log
	case "log10":
		return math.Log10
	case "sqrt":
		return math.Sqrt
	case "fabs":
		return math.Abs
	case "sin":
		return math.Sin
	case "cos":
		return math.Cos
	case "tan":
		return math.Tan
	case "asin":
		return math.Asin
	case "acos":
		return math.Acos
	case "atan":
		return math.Atan
	case "sinh":
		return math.Sinh
	case "cosh":
		return math.Cosh
	case "tanh":
		return math.Tanh
	case "floor":
		return math.Floor
	case "ceil":
		return math.Ceil
	case "exprelr":
		return exprelr
	}
	return nil
}

// exprelr is NEURON's x / (exp(x) - 1), 1 near 0.
func exprelr(x float64) float64 {
	if 1+x == 1 {
		return 1
	}
	return x / (hocExp(x) - 1)
}

func builtin2(fn string) func(float64, float64) float64 {
	switch fn {
	case "pow":
		return math.Pow
	case "atan2":
		return math.Atan2
	case "fmin":
		return math.Min
	case "fmax":
		return math.Max
	}
	return nil
}
