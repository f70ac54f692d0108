package nmodl

import (
	"math"

	"neurosurrogate/internal/fastexp"
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
	if dst == nil {
		dst = c.tmp()
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

func vvOp(op string, dst, x, y []float64) func() {
	n := len(dst)
	x, y = x[:n], y[:n]
	switch op {
	case "+":
		return func() {
			for k := range dst {
				dst[k] = x[k] + y[k]
			}
		}
	case "-":
		return func() {
			for k := range dst {
				dst[k] = x[k] - y[k]
			}
		}
	case "*":
		return func() {
			for k := range dst {
				dst[k] = x[k] * y[k]
			}
		}
	case "/":
		return func() {
			for k := range dst {
				dst[k] = x[k] / y[k]
			}
		}
	}
	return func() {
		for k := range dst {
			dst[k] = scalarOp(op, x[k], y[k])
		}
	}
}

func vsOp(op string, dst, x []float64, sp *float64) func() {
	n := len(dst)
	x = x[:n]
	switch op {
	case "+":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = x[k] + s
			}
		}
	case "-":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = x[k] - s
			}
		}
	case "*":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = x[k] * s
			}
		}
	case "/":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = x[k] / s
			}
		}
	case "^":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = math.Pow(x[k], s)
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

func svOp(op string, dst []float64, sp *float64, y []float64) func() {
	n := len(dst)
	y = y[:n]
	switch op {
	case "+":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = s + y[k]
			}
		}
	case "-":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = s - y[k]
			}
		}
	case "*":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = s * y[k]
			}
		}
	case "/":
		return func() {
			s := *sp
			for k := range dst {
				dst[k] = s / y[k]
			}
		}
	}
	return func() {
		s := *sp
		for k := range dst {
			dst[k] = scalarOp(op, s, y[k])
		}
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
	fastexp.ExpAll(dst, src)
	for k, x := range src[:len(dst)] {
		if !(x >= -700 && x <= 700) && !math.IsNaN(x) {
			dst[k] = hocExp(x)
		}
	}
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
