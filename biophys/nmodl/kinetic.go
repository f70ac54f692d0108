package nmodl

import "math"

// A KINETIC block is a set of reactions among states, ~ A + B <-> C (kf,
// kb), with flux kf·A·B − kb·C; each state changes by its coefficient
// times the fluxes it takes part in. NEURON's sparse method advances them
// by backward Euler, x1 = x0 + dt·f(x1), solved by Newton's method on the
// whole scheme (one exact step for first-order schemes); a CONSERVE
// statement replaces the last of its states' equations by the sum. Here
// the statements of the block run over all instances first (the rates),
// then each instance's scheme is solved as a dense system.

// rxn is a compiled reaction: its terms (state index, coefficient) and
// its rate arrays.
type rxn struct {
	left, right []rterm
	kf, kb      []float64 // kb nil for a one-way reaction
}

type rterm struct {
	s, c int
}

// scheme is a compiled KINETIC block.
type scheme struct {
	states   [][]float64
	rxns     []rxn
	conserve []conserveEq
	// scratch per instance
	x0, f, rhs []float64
	jac        []float64
}

type conserveEq struct {
	row   int // the state whose equation it replaces
	terms []rterm
	total []float64
}

// kineticBlock compiles a KINETIC block: its statements and rates into the
// current op list, and returns the scheme to solve after them.
func (c *compiler) kineticBlock(fn *Func) *scheme {
	sc := &scheme{}
	index := map[string]int{}
	stateIdx := func(name string, line int) int {
		if i, ok := index[name]; ok {
			return i
		}
		if !c.isState(name) {
			c.fail(line, "%s in a reaction is not a STATE", name)
		}
		index[name] = len(sc.states)
		sc.states = append(sc.states, c.in.vars[name])
		if c.reads != nil {
			c.reads[name] = true // a concentration STATE is the ion's: gather and write it back
		}
		return index[name]
	}
	terms := func(ts []Term, line int) []rterm {
		var out []rterm
		for _, t := range ts {
			out = append(out, rterm{s: stateIdx(t.Name, line), c: t.Coeff})
		}
		return out
	}
	rate := func(e Expr, line int) []float64 {
		for name := range c.in.vars {
			if c.isState(name) && depends(e, name) {
				c.fail(line, "a reaction rate that depends on the state %s is not supported", name)
			}
		}
		dst := make([]float64, c.n)
		mark := c.sp
		clear(c.cse) // each rate is a statement of its own
		v := c.expr(e, dst)
		c.store(dst, v)
		c.sp = mark
		clear(c.cse)
		return dst
	}
	c.scopes = append(c.scopes, map[string]val{})
	for _, s := range fn.Body {
		switch s := s.(type) {
		case *Reaction:
			if c.mask != nil {
				c.fail(s.Line, "a reaction inside if is not supported")
			}
			r := rxn{left: terms(s.Left, s.Line), right: terms(s.Right, s.Line), kf: rate(s.Kf, s.Line)}
			if s.Kb != nil {
				r.kb = rate(s.Kb, s.Line)
			}
			sc.rxns = append(sc.rxns, r)
		case *Conserve:
			ts := terms(s.Terms, s.Line)
			total := rate(s.X, s.Line)
			sc.conserve = append(sc.conserve, conserveEq{row: ts[len(ts)-1].s, terms: ts, total: total})
		default:
			c.stmt(s)
		}
	}
	c.scopes = c.scopes[:len(c.scopes)-1]
	if len(sc.rxns) == 0 {
		c.fail(fn.Line, "KINETIC %s has no reaction", fn.Name)
	}
	k := len(sc.states)
	sc.x0 = make([]float64, k)
	sc.f = make([]float64, k)
	sc.rhs = make([]float64, k)
	sc.jac = make([]float64, k*k)
	return sc
}

// isState says whether name is one of the mechanism's STATEs.
func (c *compiler) isState(name string) bool {
	for _, s := range c.m.States {
		if s == name {
			return true
		}
	}
	return false
}

// solve advances every instance's scheme over dt by backward Euler.
func (sc *scheme) solve(n int, dt float64) {
	k := len(sc.states)
	x := make([]float64, k) // one instance's states (scratch, small)
	for l := 0; l < n; l++ {
		for i, s := range sc.states {
			sc.x0[i] = s[l]
			x[i] = s[l]
		}
		for iter := 0; iter < 20; iter++ {
			sc.eval(l, x)
			// F = x - x0 - dt f; J = I - dt df/dx
			for i := range x {
				sc.rhs[i] = -(x[i] - sc.x0[i] - dt*sc.f[i])
				for j := range x {
					sc.jac[i*k+j] *= -dt
				}
				sc.jac[i*k+i]++
			}
			for _, ce := range sc.conserve {
				r := ce.row
				sum := 0.0
				for j := range x {
					sc.jac[r*k+j] = 0
				}
				for _, t := range ce.terms {
					sum += float64(t.c) * x[t.s]
					sc.jac[r*k+t.s] += float64(t.c)
				}
				sc.rhs[r] = -(sum - ce.total[l])
			}
			solveSmall(sc.jac, sc.rhs, k)
			worst := 0.0
			for i := range x {
				x[i] += sc.rhs[i]
				if d := math.Abs(sc.rhs[i]); d > worst {
					worst = d
				}
			}
			if !(worst > 1e-15) {
				break
			}
		}
		for i, s := range sc.states {
			s[l] = x[i]
		}
	}
}

// eval sets f = dx/dt of instance l at x, and jac = df/dx.
func (sc *scheme) eval(l int, x []float64) {
	k := len(x)
	clear(sc.f)
	clear(sc.jac)
	for _, r := range sc.rxns {
		fwd := r.kf[l]
		for _, t := range r.left {
			fwd *= ipow(x[t.s], t.c)
		}
		flux := fwd
		bwd := 0.0
		if r.kb != nil {
			bwd = r.kb[l]
			for _, t := range r.right {
				bwd *= ipow(x[t.s], t.c)
			}
			flux -= bwd
		}
		for _, t := range r.left {
			sc.f[t.s] -= float64(t.c) * flux
		}
		for _, t := range r.right {
			sc.f[t.s] += float64(t.c) * flux
		}
		// d flux / d x_j for each reactant j
		dflux := func(j int, sign float64, side []rterm, rate float64) {
			// derivative of rate * prod over side of x^c with respect to x_j
			d := rate
			found := false
			for _, t := range side {
				if t.s == j {
					found = true
					d *= float64(t.c) * ipow(x[t.s], t.c-1)
				} else {
					d *= ipow(x[t.s], t.c)
				}
			}
			if !found {
				return
			}
			for _, t := range r.left {
				sc.jac[t.s*k+j] -= float64(t.c) * sign * d
			}
			for _, t := range r.right {
				sc.jac[t.s*k+j] += float64(t.c) * sign * d
			}
		}
		seen := map[int]bool{}
		for _, t := range r.left {
			if !seen[t.s] {
				seen[t.s] = true
				dflux(t.s, 1, r.left, r.kf[l])
			}
		}
		if r.kb != nil {
			seen = map[int]bool{}
			for _, t := range r.right {
				if !seen[t.s] {
					seen[t.s] = true
					dflux(t.s, -1, r.right, r.kb[l])
				}
			}
		}
	}
}

// ipow is x^c for a small whole c >= 0.
func ipow(x float64, c int) float64 {
	p := 1.0
	for ; c > 0; c-- {
		p *= x
	}
	return p
}

// linearSystem is a compiled LINEAR block: per instance, A x = b over its
// unknowns, the coefficients computed by the block's statements.
type linearSystem struct {
	states [][]float64
	a      [][]float64 // k*k coefficient arrays, row-major
	b      [][]float64
}

// linearBlock compiles a LINEAR block (its equations linear in the STATEs
// they mention): the coefficients are the equations' derivatives in each
// unknown and the constant their value at zero.
func (c *compiler) linearBlock(fn *Func) *linearSystem {
	ls := &linearSystem{}
	var eqs []*Equation
	index := map[string]int{}
	var names []string
	var find func(e Expr)
	find = func(e Expr) {
		switch e := e.(type) {
		case *Name:
			if _, ok := index[e.Name]; !ok && c.isState(e.Name) {
				index[e.Name] = len(names)
				names = append(names, e.Name)
			}
		case *Unary:
			find(e.X)
		case *Binary:
			find(e.X)
			find(e.Y)
		case *Call:
			for _, a := range e.Args {
				find(a)
			}
		}
	}
	c.scopes = append(c.scopes, map[string]val{})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	for _, s := range fn.Body {
		if eq, ok := s.(*Equation); ok {
			eqs = append(eqs, eq)
			find(eq.Left)
			find(eq.Right)
			continue
		}
		c.stmt(s)
	}
	k := len(names)
	if len(eqs) != k {
		c.fail(fn.Line, "LINEAR %s has %d equations for %d unknowns (%v)", fn.Name, len(eqs), k, names)
	}
	for _, name := range names {
		ls.states = append(ls.states, c.in.vars[name])
		if c.reads != nil {
			c.reads[name] = true
		}
	}
	coef := func(e Expr, line int) []float64 {
		dst := make([]float64, c.n)
		mark := c.sp
		clear(c.cse)
		v := c.expr(simplify(e), dst)
		c.store(dst, v)
		c.sp = mark
		clear(c.cse)
		return dst
	}
	for _, eq := range eqs {
		r := &Binary{Op: "-", X: eq.Left, Y: eq.Right, Line: eq.Line}
		for _, name := range names {
			d, ok := deriv(r, name)
			if !ok {
				c.fail(eq.Line, "LINEAR equation not linear in %s", name)
			}
			for _, other := range names {
				if depends(d, other) {
					c.fail(eq.Line, "LINEAR equation not linear in %s", name)
				}
			}
			ls.a = append(ls.a, coef(d, eq.Line))
		}
		zero := Expr(r)
		for _, name := range names {
			zero = subst0(zero, name)
		}
		ls.b = append(ls.b, coef(&Unary{Op: "-", X: zero}, eq.Line))
	}
	return ls
}

func (ls *linearSystem) solve(n int) {
	k := len(ls.states)
	a := make([]float64, k*k)
	b := make([]float64, k)
	for l := 0; l < n; l++ {
		for i := range a {
			a[i] = ls.a[i][l]
		}
		for i := range b {
			b[i] = ls.b[i][l]
		}
		solveSmall(a, b, k)
		for i, s := range ls.states {
			s[l] = b[i]
		}
	}
}
