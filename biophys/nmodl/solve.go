package nmodl

import "math"

// solve compiles one SOLVE statement of BREAKPOINT into a state step.
func (c *compiler) solve(sv *Solve) stateStep {
	fn, ok := c.m.File.Funcs[sv.Block]
	if !ok {
		c.fail(sv.Line, "SOLVE %s: no such block", sv.Block)
	}
	if sv.Steady {
		c.fail(sv.Line, "SOLVE ... STEADYSTATE in BREAKPOINT is not supported")
	}
	var ops []func()
	c.ops = &ops
	run := func() {
		for _, op := range ops {
			op()
		}
	}
	switch fn.Kind {
	case "PROCEDURE":
		if sv.Method != "" {
			c.fail(sv.Line, "SOLVE %s METHOD %s: %s is a PROCEDURE (solve it without METHOD)", sv.Block, sv.Method, sv.Block)
		}
		c.inline(fn, nil, sv.Line)
		return run
	case "DERIVATIVE":
	case "KINETIC":
		if sv.Method != "sparse" && sv.Method != "" {
			c.fail(sv.Line, "SOLVE %s METHOD %s: a KINETIC scheme is solved with sparse", sv.Block, sv.Method)
		}
		sc := c.kineticBlock(fn)
		in := c.in
		n := c.n
		return func() {
			run()
			sc.solve(n, in.dt)
		}
	default:
		c.fail(sv.Line, "SOLVE %s: a %s block cannot be solved", sv.Block, fn.Kind)
	}
	if sv.Method == "cnexp" && !c.linearDerivs(fn.Body) {
		// NEURON's nocmodl does the same (with a warning): cnexp needs
		// each x' linear in x.
		sv = &Solve{Block: sv.Block, Method: "derivimplicit", Line: sv.Line}
	}
	switch sv.Method {
	case "cnexp":
		c.block(c.cnexpBody(fn))
		return run
	case "euler":
		d := c.derivBlock(fn)
		in := c.in
		return func() {
			run()
			dt := in.dt
			for _, s := range d {
				for k := range s.x {
					s.x[k] += dt * s.d[k]
				}
			}
		}
	case "derivimplicit", "":
		return c.implicit(fn, run)
	}
	c.fail(sv.Line, "SOLVE %s METHOD %s: not supported (cnexp, derivimplicit, euler)", sv.Block, sv.Method)
	return nil
}

// initSolve compiles a SOLVE statement of INITIAL into the current op
// list: a LINEAR block solved for its unknowns, or a KINETIC scheme
// brought to its steady state (STEADYSTATE sparse: backward Euler steps
// of 1e9 ms until nothing moves).
func (c *compiler) initSolve(sv *Solve) {
	fn, ok := c.m.File.Funcs[sv.Block]
	if !ok {
		c.fail(sv.Line, "SOLVE %s: no such block", sv.Block)
	}
	n := c.n
	switch {
	case fn.Kind == "LINEAR":
		ls := c.linearBlock(fn)
		c.emit(func() { ls.solve(n) })
	case fn.Kind == "KINETIC" && sv.Steady && sv.Method == "sparse":
		sc := c.kineticBlock(fn)
		c.emit(func() {
			for i := 0; i < 10; i++ {
				sc.solve(n, 1e9)
			}
		})
	case fn.Kind == "DERIVATIVE" && sv.Steady && (sv.Method == "derivimplicit" || sv.Method == "cnexp"):
		// f(x) = 0, as the limit of backward Euler steps of 1e9 ms.
		var ops []func()
		outer := c.ops
		c.ops = &ops
		step := c.implicit(fn, func() {
			for _, op := range ops {
				op()
			}
		})
		c.ops = outer
		in := c.in
		c.emit(func() {
			dt := in.dt
			in.dt = 1e9
			for i := 0; i < 10; i++ {
				step()
			}
			in.dt = dt
		})
	default:
		c.fail(sv.Line, "SOLVE %s in INITIAL: supported are LINEAR blocks and steady states (STEADYSTATE sparse of a KINETIC scheme, STEADYSTATE derivimplicit of a DERIVATIVE block)", sv.Block)
	}
}

// linearDerivs says whether every x' = f of the statements is linear in x.
func (c *compiler) linearDerivs(ss []Stmt) bool {
	for _, s := range ss {
		switch s := s.(type) {
		case *Assign:
			if s.Prime {
				b, ok := deriv(s.X, s.Name)
				if !ok || depends(b, s.Name) {
					return false
				}
			}
		case *If:
			if !c.linearDerivs(s.Then) || !c.linearDerivs(s.Else) {
				return false
			}
		}
	}
	return true
}

// cnexpBody rewrites each x' = f of a DERIVATIVE block as NEURON's cnexp
// does, for f linear in x with f = a + b x:
// x = x + (1 - exp(dt b)) (-a / b - x), or x = x + dt f when b = 0.
func (c *compiler) cnexpBody(fn *Func) []Stmt {
	var rewrite func([]Stmt) []Stmt
	rewrite = func(ss []Stmt) []Stmt {
		var out []Stmt
		for _, s := range ss {
			switch s := s.(type) {
			case *Assign:
				if !s.Prime {
					out = append(out, s)
					continue
				}
				x := &Name{Name: s.Name, Line: s.Line}
				b, ok := deriv(s.X, s.Name)
				if !ok || depends(b, s.Name) {
					c.fail(s.Line, "%s' is not linear in %s: cnexp cannot integrate it (use METHOD derivimplicit)", s.Name, s.Name)
				}
				b = simplify(b)
				a := simplify(subst0(s.X, s.Name))
				if n, isNum := b.(*Num); isNum && n.V == 0 {
					dt := &Name{Name: "dt", Line: s.Line}
					rhs := &Binary{Op: "+", X: x, Y: &Binary{Op: "*", X: dt, Y: a}}
					out = append(out, &Assign{Name: s.Name, X: rhs, Line: s.Line})
					continue
				}
				out = append(out, &cnexpAssign{Name: s.Name, A: a, B: b, Line: s.Line})
			case *If:
				out = append(out, &If{Cond: s.Cond, Then: rewrite(s.Then), Else: rewrite(s.Else), Line: s.Line})
			default:
				out = append(out, s)
			}
		}
		return out
	}
	return rewrite(fn.Body)
}

// cnexpAssign is x = x + (1 - exp(dt b)) (-a / b - x), compiled as one
// pass after the exponentials (the operations of the expression, in its
// order, so the same bits).
type cnexpAssign struct {
	Name string
	A, B Expr
	Line int
}

func (s *cnexpAssign) stmtLine() int { return s.Line }

func (c *compiler) cnexp(s *cnexpAssign) {
	x := c.target(s.Name, s.Line)
	a := c.vector(c.expr(s.A, nil))
	b := c.vector(c.expr(s.B, nil))
	e := c.tmp()
	dt := &c.in.dt
	mask := c.mask
	mul := vsOp("*", e, b, dt)
	n := len(x)
	c.emit(func() {
		mul()
		expAll(e, e)
		i := 0
		if mask == nil && vecOps {
			i = cnexpAVX2(x, a, b, e)
		}
		for k := i; k < n; k++ {
			if mask == nil || mask[k] {
				xk := x[k]
				x[k] = xk + (1-e[k])*((-1*a[k])/b[k]-xk)
			}
		}
	})
}

// derivState is a state of a DERIVATIVE block and its derivative's array.
type derivState struct {
	x, d []float64
}

// derivBlock compiles a DERIVATIVE block so that each x' = f stores f in
// a derivative array (the states themselves are left alone).
func (c *compiler) derivBlock(fn *Func) []derivState {
	var out []derivState
	seen := map[string]bool{}
	var rewrite func([]Stmt) []Stmt
	rewrite = func(ss []Stmt) []Stmt {
		var res []Stmt
		for _, s := range ss {
			switch s := s.(type) {
			case *Assign:
				if s.Prime {
					if seen[s.Name] {
						c.fail(s.Line, "%s' is given twice", s.Name)
					}
					seen[s.Name] = true
					dname := "\x00D" + s.Name
					x := c.target(s.Name, s.Line)
					d := make([]float64, c.n)
					c.in.vars[dname] = d
					out = append(out, derivState{x: x, d: d})
					res = append(res, &Assign{Name: dname, X: s.X, Line: s.Line})
					continue
				}
				res = append(res, s)
			case *If:
				res = append(res, &If{Cond: s.Cond, Then: rewrite(s.Then), Else: rewrite(s.Else), Line: s.Line})
			default:
				res = append(res, s)
			}
		}
		return res
	}
	body := rewrite(fn.Body)
	c.block(body)
	if len(out) == 0 {
		c.fail(fn.Line, "DERIVATIVE %s has no x' = ... statement", fn.Name)
	}
	return out
}

// implicit is derivimplicit: backward Euler, x1 = x0 + dt f(x1) for all
// states of the block together, solved per instance by Newton's method
// with a difference-quotient Jacobian (the block re-run with one state
// nudged at a time), as NEURON's derivimplicit does, iterated until the
// change is below 1e-12 relative (30 iterations at most).
func (c *compiler) implicit(fn *Func, run func()) stateStep {
	ds := c.derivBlock(fn)
	in := c.in
	n, k := c.n, len(ds)
	x0 := make([][]float64, k)
	f0 := make([][]float64, k)
	jac := make([]float64, n*k*k) // per instance, row-major k x k
	rhs := make([]float64, n*k)
	for i := range x0 {
		x0[i] = make([]float64, n)
		f0[i] = make([]float64, n)
	}
	hs := make([]float64, n)
	return func() {
		dt := in.dt
		for i, s := range ds {
			copy(x0[i], s.x)
		}
		for iter := 0; iter < 30; iter++ {
			run()
			for i, s := range ds {
				copy(f0[i], s.d)
				for l := 0; l < n; l++ {
					rhs[l*k+i] = -(s.x[l] - x0[i][l] - dt*s.d[l])
				}
			}
			for j, sj := range ds {
				for l := 0; l < n; l++ {
					h := 1e-7*math.Abs(sj.x[l]) + 1e-12
					hs[l] = h
					sj.x[l] += h
				}
				run()
				for l := 0; l < n; l++ {
					sj.x[l] -= hs[l]
				}
				for i, s := range ds {
					for l := 0; l < n; l++ {
						dfdx := (s.d[l] - f0[i][l]) / hs[l]
						e := -dt * dfdx
						if i == j {
							e++
						}
						jac[l*k*k+i*k+j] = e
					}
				}
			}
			worst := 0.0
			for l := 0; l < n; l++ {
				solveSmall(jac[l*k*k:(l+1)*k*k], rhs[l*k:(l+1)*k], k)
				for i, s := range ds {
					dx := rhs[l*k+i]
					s.x[l] += dx
					if r := math.Abs(dx) / (math.Abs(s.x[l]) + 1e-300); r > worst && math.Abs(dx) > 1e-300 {
						worst = r
					}
				}
			}
			if !(worst > 1e-12) {
				break
			}
		}
		// Leave the block's other variables as at the solution.
		run()
	}
}

// solveSmall solves the k x k system a x = b in place (b becomes x) by
// Gaussian elimination with partial pivoting.
func solveSmall(a, b []float64, k int) {
	if k == 1 {
		b[0] /= a[0]
		return
	}
	for col := 0; col < k; col++ {
		p := col
		for r := col + 1; r < k; r++ {
			if math.Abs(a[r*k+col]) > math.Abs(a[p*k+col]) {
				p = r
			}
		}
		if p != col {
			for j := 0; j < k; j++ {
				a[p*k+j], a[col*k+j] = a[col*k+j], a[p*k+j]
			}
			b[p], b[col] = b[col], b[p]
		}
		for r := col + 1; r < k; r++ {
			f := a[r*k+col] / a[col*k+col]
			for j := col; j < k; j++ {
				a[r*k+j] -= f * a[col*k+j]
			}
			b[r] -= f * b[col]
		}
	}
	for r := k - 1; r >= 0; r-- {
		s := b[r]
		for j := r + 1; j < k; j++ {
			s -= a[r*k+j] * b[j]
		}
		b[r] = s / a[r*k+r]
	}
}

// depends says whether e mentions name.
func depends(e Expr, name string) bool {
	switch e := e.(type) {
	case *Name:
		return e.Name == name
	case *Unary:
		return depends(e.X, name)
	case *Binary:
		return depends(e.X, name) || depends(e.Y, name)
	case *Call:
		for _, a := range e.Args {
			if depends(a, name) {
				return true
			}
		}
	}
	return false
}

// deriv is d e / d name, for the forms a linear ODE is written in; ok is
// false for a form it does not differentiate (a call or a comparison of
// the state).
func deriv(e Expr, name string) (Expr, bool) {
	if !depends(e, name) {
		return &Num{V: 0}, true
	}
	switch e := e.(type) {
	case *Name:
		return &Num{V: 1}, true
	case *Unary:
		if e.Op != "-" {
			return nil, false
		}
		d, ok := deriv(e.X, name)
		return &Unary{Op: "-", X: d}, ok
	case *Binary:
		dx, okx := deriv(e.X, name)
		dy, oky := deriv(e.Y, name)
		if !okx || !oky {
			return nil, false
		}
		switch e.Op {
		case "+", "-":
			return &Binary{Op: e.Op, X: dx, Y: dy}, true
		case "*":
			if !depends(e.X, name) {
				return &Binary{Op: "*", X: e.X, Y: dy}, true
			}
			if !depends(e.Y, name) {
				return &Binary{Op: "*", X: dx, Y: e.Y}, true
			}
			return &Binary{Op: "+", X: &Binary{Op: "*", X: dx, Y: e.Y}, Y: &Binary{Op: "*", X: e.X, Y: dy}}, true
		case "/":
			if !depends(e.Y, name) {
				return &Binary{Op: "/", X: dx, Y: e.Y}, true
			}
			return &Binary{Op: "/", X: &Binary{Op: "-", X: &Binary{Op: "*", X: dx, Y: e.Y}, Y: &Binary{Op: "*", X: e.X, Y: dy}},
				Y: &Binary{Op: "*", X: e.Y, Y: e.Y}}, true
		case "^":
			if depends(e.Y, name) {
				return nil, false
			}
			return &Binary{Op: "*", X: &Binary{Op: "*", X: e.Y, Y: &Binary{Op: "^", X: e.X, Y: &Binary{Op: "-", X: e.Y, Y: &Num{V: 1}}}}, Y: dx}, true
		}
	}
	return nil, false
}

// subst0 is e with name set to 0.
func subst0(e Expr, name string) Expr {
	switch e := e.(type) {
	case *Name:
		if e.Name == name {
			return &Num{V: 0, Line: e.Line}
		}
	case *Unary:
		return &Unary{Op: e.Op, X: subst0(e.X, name), Line: e.Line}
	case *Binary:
		return &Binary{Op: e.Op, X: subst0(e.X, name), Y: subst0(e.Y, name), Line: e.Line}
	case *Call:
		args := make([]Expr, len(e.Args))
		for i, a := range e.Args {
			args[i] = subst0(a, name)
		}
		return &Call{Fn: e.Fn, Args: args, Line: e.Line}
	}
	return e
}

// simplify drops the zeros and ones that differentiation and substitution
// leave: x + 0, 0 + x, x - 0, 0 - x, x * 1, 1 * x, 0 * x, x * 0, 0 / x,
// x / 1, - 0, and folds numbers.
func simplify(e Expr) Expr {
	isNum := func(e Expr, v float64) bool { n, ok := e.(*Num); return ok && n.V == v }
	switch e := e.(type) {
	case *Unary:
		x := simplify(e.X)
		if n, ok := x.(*Num); ok && e.Op == "-" {
			return &Num{V: -n.V}
		}
		return &Unary{Op: e.Op, X: x, Line: e.Line}
	case *Binary:
		x, y := simplify(e.X), simplify(e.Y)
		nx, xNum := x.(*Num)
		ny, yNum := y.(*Num)
		if xNum && yNum {
			return &Num{V: scalarOp(e.Op, nx.V, ny.V)}
		}
		switch e.Op {
		case "+":
			if isNum(x, 0) {
				return y
			}
			if isNum(y, 0) {
				return x
			}
		case "-":
			if isNum(y, 0) {
				return x
			}
			if isNum(x, 0) {
				return &Unary{Op: "-", X: y}
			}
		case "*":
			if isNum(x, 0) || isNum(y, 0) {
				return &Num{V: 0}
			}
			if isNum(x, 1) {
				return y
			}
			if isNum(y, 1) {
				return x
			}
		case "/":
			if isNum(x, 0) {
				return &Num{V: 0}
			}
			if isNum(y, 1) {
				return x
			}
		}
		return &Binary{Op: e.Op, X: x, Y: y, Line: e.Line}
	}
	return e
}
