package nmodl

import (
	"maps"
	"math"
)

// Instance is n instances of a mechanism compiled into array operations:
// every statement runs over all instances at once (a conditional as a
// mask), so the cost of interpretation is paid per operation, not per
// instance. The caller fills the per-instance variables it owns (v, the
// ions' values, parameters) through Var before each phase and reads back
// what the mechanism writes.
type Instance struct {
	N    int
	m    *Mechanism
	vars map[string][]float64

	// Scalars that compiled operations read at run time.
	t, dt, celsius float64

	init, body []func()
	states     []stateStep
	// Cur and G are, after Current, each instance's summed current and
	// its derivative with respect to v (NEURON's di/dv at v + 0.001).
	Cur, G   []float64
	currents [][]float64
	vsave    []float64

	receive func(w float64, k int)
	eventT  float64 // the event being received (NaN: none given)
	// reads[phase] are the per-instance variables the phase reads.
	reads [3]map[string]bool
}

// Phases of a step, for Reads.
const (
	PhaseInit = iota
	PhaseCurrent
	PhaseState
)

// Reads says whether the phase reads or writes the per-instance variable
// name (a caller need not fill what a phase does not touch).
func (in *Instance) Reads(phase int, name string) bool { return in.reads[phase][name] }

// stateStep is one SOLVE of BREAKPOINT.
type stateStep func()

// Var is the array of a per-instance variable (nil if there is none).
func (in *Instance) Var(name string) []float64 { return in.vars[name] }

// Mechanism is what the instance runs.
func (in *Instance) Mechanism() *Mechanism { return in.m }

// New compiles n instances with the given global parameter values (the
// defaults where not given) at temperature celsius. Every per-instance
// variable starts at its declared default.
func (m *Mechanism) New(n int, globals map[string]float64, celsius float64) (*Instance, error) {
	in := &Instance{N: n, m: m, vars: map[string][]float64{}, celsius: celsius}
	for i := range in.reads {
		in.reads[i] = map[string]bool{}
	}
	for name, def := range m.vars {
		a := make([]float64, n)
		for k := range a {
			a[k] = def
		}
		in.vars[name] = a
	}
	consts := maps.Clone(m.consts)
	usetable := true
	for _, p := range m.Globals {
		x := p.Default
		if g, ok := globals[p.Name]; ok {
			x = g
		}
		if a, ok := in.vars[p.Name]; ok {
			for k := range a {
				a[k] = x
			}
		} else {
			consts[p.Name] = x
		}
	}
	for name, x := range globals {
		if name == "usetable" {
			usetable = x != 0
			continue
		}
		if _, ok := m.Global(name); !ok {
			return nil, m.errf(0, "global %s: the mechanism has no such GLOBAL parameter", name)
		}
	}
	c := &compiler{m: m, in: in, n: n, consts: consts, usetable: usetable, tables: map[string]*table{}}
	if err := c.build(); err != nil {
		return nil, err
	}
	in.Cur = make([]float64, n)
	in.G = make([]float64, n)
	in.vsave = make([]float64, n)
	for _, name := range m.Currents {
		in.currents = append(in.currents, in.vars[name])
	}
	return in, nil
}

// SetTime sets t and dt for the next phase.
func (in *Instance) SetTime(t, dt float64) { in.t, in.dt = t, dt }

// Init runs INITIAL: states start at 0 (concentrations the mechanism
// owns as STATEs keep the values the caller put there), then the block.
func (in *Instance) Init() {
	for _, op := range in.init {
		op()
	}
}

// Current runs BREAKPOINT's statements (without SOLVE) at v + 0.001 and at
// v, as NEURON does: Cur is the summed current at v and G the difference
// quotient; the current variables (ina, ...) hold their values at v.
func (in *Instance) Current() {
	v := in.vars["v"]
	copy(in.vsave, v)
	in.addV()
	in.runBody()
	g := in.G
	in.sum(g)
	copy(v, in.vsave)
	in.runBody()
	cur := in.Cur
	in.sum(cur)
	in.quotient()
}

func (in *Instance) runBody() {
	for _, op := range in.body {
		op()
	}
}

func (in *Instance) sum(dst []float64) {
	if len(in.currents) == 1 {
		copy(dst, in.currents[0])
		return
	}
	clear(dst)
	for _, c := range in.currents {
		i := 0
		if vecOps {
			i = vvAddAVX2(dst, dst, c)
		}
		for k := i; k < len(dst); k++ {
			dst[k] += c[k]
		}
	}
}

// addV sets v = vsave + 0.001.
func (in *Instance) addV() {
	v, s := in.vars["v"], in.vsave
	i := 0
	if vecOps {
		i = vsAddAVX2(v, s, .001)
	}
	for k := i; k < len(v); k++ {
		v[k] = s[k] + .001
	}
}

// quotient sets G = (G - Cur) / 0.001.
func (in *Instance) quotient() {
	g, cur := in.G, in.Cur
	i := 0
	if vecOps {
		vvSubAVX2(g, g, cur)
		i = vsDivAVX2(g, g, .001)
	}
	for k := i; k < len(g); k++ {
		g[k] = (g[k] - cur[k]) / .001
	}
}

// HasCurrent says whether the mechanism writes a current.
func (in *Instance) HasCurrent() bool { return len(in.currents) > 0 }

// HasState says whether BREAKPOINT solves anything.
func (in *Instance) HasState() bool { return len(in.states) > 0 }

// State runs BREAKPOINT's SOLVE statements over dt.
func (in *Instance) State() {
	for _, s := range in.states {
		s()
	}
}

// Receive runs NET_RECEIVE for instance k with weight w (t is the step's).
func (in *Instance) Receive(k int, w float64) {
	in.ReceiveAt(k, w, math.NaN())
}

// ReceiveAt runs NET_RECEIVE for instance k with weight w at event time
// tMS, which the block sees as t (NEURON's NetCon delivery sets t).
func (in *Instance) ReceiveAt(k int, w, tMS float64) {
	if in.receive != nil {
		in.eventT = tMS
		in.receive(w, k)
		in.eventT = math.NaN()
	}
}

// compiler turns statements into array operations for one Instance.
type compiler struct {
	m        *Mechanism
	in       *Instance
	n        int
	consts   map[string]float64
	usetable bool
	tables   map[string]*table

	ops    *[]func()
	mask   []bool
	scopes []map[string]val
	pool   [][]float64
	sp     int
	stack  []string // functions being inlined, for recursion errors
	// cse holds the operations of the statement being compiled, so that
	// a repeated subexpression (v - -38 twice) is computed once.
	cse map[cseKey]val
	// inInitial: compiling INITIAL, where SOLVE runs a LINEAR block or a
	// KINETIC steady state.
	inInitial bool
	// reads collects the per-instance variables the entry being compiled
	// reads or writes (so that callers gather only those).
	reads map[string]bool
	// writes collects the per-instance variables assigned (a TABLE's build).
	writes map[string]bool
	// tableArg, when compiling a TABLE's function over its grid, is the
	// one per-instance name the body may read (its argument).
	forTable string
}

func (c *compiler) emit(op func()) { *c.ops = append(*c.ops, op) }

// tmp is a scratch array, free again after the statement that took it.
func (c *compiler) tmp() []float64 {
	if c.sp == len(c.pool) {
		c.pool = append(c.pool, make([]float64, c.n))
	}
	c.sp++
	return c.pool[c.sp-1]
}

func (c *compiler) errf(line int, format string, args ...any) error {
	return c.m.errf(line, format, args...)
}

// fail panics with a compile error; build recovers it.
func (c *compiler) fail(line int, format string, args ...any) {
	panic(bail{c.errf(line, format, args...)})
}

func (c *compiler) build() (err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	f := c.m.File
	in := c.in
	// INITIAL: states to 0, except concentrations (kept from the ion).
	c.ops = &in.init
	ionConc := map[string]bool{}
	for _, u := range c.m.Ions {
		ionConc[u.Ci()], ionConc[u.Co()] = true, true
	}
	for _, s := range c.m.States {
		if !ionConc[s] {
			a := in.vars[s]
			c.emit(func() { clear(a) })
		}
	}
	c.inInitial = true
	c.reads = in.reads[PhaseInit]
	c.block(f.Initial)
	c.inInitial = false
	c.ops = &in.body
	var body []Stmt
	for _, s := range f.Breakpoint {
		if _, ok := s.(*Solve); !ok {
			body = append(body, s)
		}
	}
	c.reads = in.reads[PhaseState]
	for _, sv := range c.m.solves {
		step := c.solve(sv)
		in.states = append(in.states, step)
	}
	if len(c.m.Currents) > 0 {
		c.ops = &in.body
		c.reads = in.reads[PhaseCurrent]
		c.block(body)
	} else if len(body) > 0 {
		// Without currents NEURON runs BREAKPOINT's statements once a
		// step, after its SOLVEs, in the state update.
		var ops []func()
		c.ops = &ops
		c.block(body)
		in.states = append(in.states, func() {
			for _, op := range ops {
				op()
			}
		})
	}
	if f.NetReceive != nil {
		c.netReceive(f.NetReceive)
	}
	return nil
}

// block compiles statements in a new scope.
func (c *compiler) block(ss []Stmt) {
	c.scopes = append(c.scopes, map[string]val{})
	for _, s := range ss {
		c.stmt(s)
	}
	c.scopes = c.scopes[:len(c.scopes)-1]
}

func (c *compiler) stmt(s Stmt) {
	clear(c.cse)
	mark := c.sp
	defer func() { c.sp = mark }()
	switch s := s.(type) {
	case *Local:
		scope := c.scopes[len(c.scopes)-1]
		for _, name := range s.Names {
			scope[name] = val{vec: make([]float64, c.n)}
		}
	case *Assign:
		if s.Prime {
			c.fail(s.Line, "%s' = ... outside a DERIVATIVE block", s.Name)
		}
		dst := c.target(s.Name, s.Line)
		c.assign(dst, s.X)
	case *If:
		c.ifStmt(s)
	case *CallStmt:
		c.callStmt(s.Call)
	case *Solve:
		if !c.inInitial {
			c.fail(s.Line, "SOLVE is only allowed in BREAKPOINT and INITIAL")
		}
		c.initSolve(s)
	case *Reaction:
		c.fail(s.Line, "a reaction (~) outside a KINETIC block")
	case *Conserve:
		c.fail(s.Line, "CONSERVE outside a KINETIC block")
	case *Equation:
		c.fail(s.Line, "an equation (~ ... = ...) outside a LINEAR block")
	case *cnexpAssign:
		c.cnexp(s)
	case *Ignored:
	default:
		c.fail(s.stmtLine(), "statement not supported here")
	}
}

// target is the array an assignment to name writes.
func (c *compiler) target(name string, line int) []float64 {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		if v, ok := c.scopes[i][name]; ok {
			if !v.isVec() {
				c.fail(line, "cannot assign to %s here", name)
			}
			return v.vec
		}
	}
	if a, ok := c.in.vars[name]; ok {
		if c.reads != nil {
			c.reads[name] = true // a masked write keeps the other values: they are needed too
		}
		if c.writes != nil {
			c.writes[name] = true
		}
		return a
	}
	if c.forTable != "" && c.m.HasVar(name) {
		c.fail(line, "the TABLE of %s assigns %s, which it does not tabulate", c.forTable, name)
	}
	if _, ok := c.consts[name]; ok {
		c.fail(line, "cannot assign to %s: it is a constant", name)
	}
	if c.m.scalars[name] {
		c.fail(line, "cannot assign to %s", name)
	}
	c.fail(line, "%s is not declared", name)
	return nil
}

// assign compiles dst = x under the current mask.
func (c *compiler) assign(dst []float64, x Expr) {
	if c.mask == nil {
		v := c.expr(x, dst)
		c.store(dst, v)
		return
	}
	v := c.expr(x, nil)
	c.store(dst, v)
}

// store writes v into dst under the current mask (nothing when v is dst).
func (c *compiler) store(dst []float64, v val) {
	mask := c.mask
	switch {
	case v.isVec() && len(dst) > 0 && &v.vec[0] == &dst[0]:
		// x = x: nothing to do, masked or not
	case v.isVec():
		src := v.vec
		if mask == nil {
			c.emit(func() { copy(dst, src) })
		} else {
			c.emit(func() {
				for k, m := range mask {
					if m {
						dst[k] = src[k]
					}
				}
			})
		}
	default:
		sp := v.s
		if mask == nil {
			c.emit(func() {
				x := *sp
				for k := range dst {
					dst[k] = x
				}
			})
		} else {
			c.emit(func() {
				x := *sp
				for k, m := range mask {
					if m {
						dst[k] = x
					}
				}
			})
		}
	}
}

// ifStmt compiles a conditional as masks: the branches' assignments
// write only the instances whose mask is set, and a branch no instance
// takes is skipped at run time (guards such as if (v == -38) {...} cost
// one comparison when they do not fire).
func (c *compiler) ifStmt(s *If) {
	parent := c.mask
	yes, no := make([]bool, c.n), make([]bool, c.n)
	var guard *guardMask
	if parent == nil {
		guard = c.guard(s.Cond, yes, no, len(s.Else) > 0)
	}
	var cv []float64
	if guard == nil {
		cond := c.expr(s.Cond, nil)
		if cond.known {
			if *cond.s != 0 {
				c.block(s.Then)
			} else {
				c.block(s.Else)
			}
			return
		}
		cv = c.vector(cond)
	}
	outer := c.ops
	var thenOps, elseOps []func()
	c.mask = yes
	c.ops = &thenOps
	c.block(s.Then)
	c.mask = no
	c.ops = &elseOps
	c.block(s.Else)
	c.mask = parent
	c.ops = outer
	hasElse := len(elseOps) > 0
	var uniform uniformMasks
	c.emit(func() {
		var anyYes, anyNo bool
		switch {
		case guard != nil:
			anyYes, anyNo = guard.run()
		case parent == nil:
			anyYes, anyNo = uniform.set(cv, yes, no, hasElse)
		default:
			for k, x := range cv {
				p := parent[k]
				y, n := p && x != 0, p && x == 0
				yes[k], no[k] = y, n
				anyYes = anyYes || y
				anyNo = anyNo || n
			}
		}
		if anyYes {
			for _, op := range thenOps {
				op()
			}
		}
		if anyNo && len(elseOps) > 0 {
			for _, op := range elseOps {
				op()
			}
		}
	})
}

// uniformMasks sets an unnested if's masks from its condition's values,
// counting first: when every instance goes the same way (a floor on a
// time constant that seldom bites, a series expansion near a
// singularity), the masks are written only when they change.
type uniformMasks struct {
	state int // 0: unknown, 1: all yes, 2: all no (as the masks hold them)
}

func (u *uniformMasks) set(cv []float64, yes, no []bool, hasElse bool) (anyYes, anyNo bool) {
	nYes := 0
	for _, x := range cv {
		if x != 0 {
			nYes++
		}
	}
	switch {
	case nYes == 0:
		if hasElse && u.state != 2 {
			clear(yes)
			for k := range no {
				no[k] = true
			}
			u.state = 2
		}
		return false, len(cv) > 0
	case nYes == len(cv):
		if u.state != 1 {
			for k := range yes {
				yes[k] = true
			}
			clear(no)
			u.state = 1
		}
		return true, false
	}
	for k, x := range cv {
		yes[k], no[k] = x != 0, x == 0
	}
	u.state = 0
	return true, true
}

// guardMask sets an if's masks straight from a comparison of an array
// with a number (if (v == -38) ...), the commonest condition.
type guardMask struct {
	run func() (anyYes, anyNo bool)
}

// guard compiles cond when it is a variable compared with a number, else
// returns nil (without emitting anything). At run time it counts the
// instances that take the branch first and writes the masks only when
// some do (or when there is an else branch to mask), since guards such
// as if (v == -38) {v = v + 0.0001} almost never fire.
func (c *compiler) guard(cond Expr, yes, no []bool, hasElse bool) *guardMask {
	b, ok := cond.(*Binary)
	if !ok {
		return nil
	}
	if _, ok := b.X.(*Name); !ok {
		return nil
	}
	from, mark := len(*c.ops), c.sp
	x := c.expr(b.X, nil)
	y := c.expr(b.Y, nil)
	if len(*c.ops) != from || !x.isVec() || y.isVec() || !y.known {
		*c.ops = (*c.ops)[:from] // compiled again as the condition
		c.sp = mark
		clear(c.cse)
		return nil
	}
	xs, s := x.vec, *y.s
	var count func() int
	var fill func()
	switch b.Op {
	case "==":
		count = func() int {
			n := 0
			for _, v := range xs {
				if v == s {
					n++
				}
			}
			return n
		}
		fill = func() {
			for k, v := range xs {
				t := v == s
				yes[k], no[k] = t, !t
			}
		}
	case "<":
		count = func() int {
			n := 0
			for _, v := range xs {
				if v < s {
					n++
				}
			}
			return n
		}
		fill = func() {
			for k, v := range xs {
				t := v < s
				yes[k], no[k] = t, !t
			}
		}
	case ">":
		count = func() int {
			n := 0
			for _, v := range xs {
				if v > s {
					n++
				}
			}
			return n
		}
		fill = func() {
			for k, v := range xs {
				t := v > s
				yes[k], no[k] = t, !t
			}
		}
	case "<=":
		count = func() int {
			n := 0
			for _, v := range xs {
				if v <= s {
					n++
				}
			}
			return n
		}
		fill = func() {
			for k, v := range xs {
				t := v <= s
				yes[k], no[k] = t, !t
			}
		}
	case ">=":
		count = func() int {
			n := 0
			for _, v := range xs {
				if v >= s {
					n++
				}
			}
			return n
		}
		fill = func() {
			for k, v := range xs {
				t := v >= s
				yes[k], no[k] = t, !t
			}
		}
	default:
		return nil
	}
	noAll := false // no[] is all true from an earlier run
	return &guardMask{run: func() (bool, bool) {
		n := count()
		if n == 0 {
			if hasElse && !noAll {
				clear(yes)
				for k := range no {
					no[k] = true
				}
				noAll = true
			}
			return false, len(xs) > 0
		}
		fill()
		noAll = false
		return true, n < len(xs)
	}}
}

// lookup is the value of a name in an expression.
func (c *compiler) lookup(name string, line int) val {
	for i := len(c.scopes) - 1; i >= 0; i-- {
		if v, ok := c.scopes[i][name]; ok {
			return v
		}
	}
	if a, ok := c.in.vars[name]; ok {
		if c.reads != nil {
			c.reads[name] = true
		}
		return val{vec: a}
	}
	if c.forTable != "" && c.m.HasVar(name) {
		c.fail(line, "the TABLE of %s reads %s, a per-instance variable: a table may depend only on its argument and globals", c.forTable, name)
	}
	if x, ok := c.consts[name]; ok {
		return constVal(x)
	}
	switch name {
	case "t":
		return val{s: &c.in.t}
	case "dt":
		return val{s: &c.in.dt}
	case "celsius":
		return constVal(c.in.celsius)
	}
	c.fail(line, "%s is not declared", name)
	return val{}
}

// expr compiles e; the result goes to dst when dst is not nil and e is an
// operation (a name or a number is returned as it is).
func (c *compiler) expr(e Expr, dst []float64) val {
	switch e := e.(type) {
	case *Num:
		return constVal(e.V)
	case *Name:
		return c.lookup(e.Name, e.Line)
	case *Unary:
		if b, ok := e.X.(*Binary); ok && e.Op == "-" && (b.Op == "*" || b.Op == "/") {
			// -(x * k) = x * (-k), -(k / x) = (-k) / x, ...: exactly, and
			// one pass fewer
			x := c.expr(b.X, nil)
			y := c.expr(b.Y, nil)
			switch {
			case y.known:
				return c.binary(b.Op, x, constVal(-*y.s), dst)
			case x.known:
				return c.binary(b.Op, constVal(-*x.s), y, dst)
			}
			return c.binary("*", constVal(-1), c.binary(b.Op, x, y, nil), dst)
		}
		x := c.expr(e.X, nil)
		if e.Op == "-" {
			return c.binary("*", constVal(-1), x, dst)
		}
		return c.binary("==", x, constVal(0), dst)
	case *Binary:
		x := c.expr(e.X, nil)
		y := c.expr(e.Y, nil)
		if e.Op == "-" && !x.isVec() && x.known && *x.s == 0 && y.isVec() {
			return c.binary("*", constVal(-1), y, dst) // 0 - y from simplification
		}
		return c.binary(e.Op, x, y, dst)
	case *Call:
		return c.call(e, dst)
	}
	panic("nmodl: unknown expression")
}

func (c *compiler) call(e *Call, dst []float64) val {
	if n, ok := builtins[e.Fn]; ok {
		if len(e.Args) != n {
			c.fail(e.Line, "%s takes %d argument(s), not %d", e.Fn, n, len(e.Args))
		}
		if n == 1 {
			x := c.expr(e.Args[0], nil)
			f := builtin1(e.Fn)
			if !x.isVec() {
				if x.known {
					return constVal(f(*x.s))
				}
				if dst == nil {
					dst = c.tmp()
				}
				sp := x.s
				c.emit(func() {
					y := f(*sp)
					for k := range dst {
						dst[k] = y
					}
				})
				return val{vec: dst}
			}
			if dst == nil {
				dst = c.tmp()
			}
			src := x.vec
			if e.Fn == "exp" {
				c.emit(func() { expAll(dst, src) })
			} else {
				c.emit(func() {
					for k, x := range src {
						dst[k] = f(x)
					}
				})
			}
			return val{vec: dst}
		}
		x := c.expr(e.Args[0], nil)
		y := c.expr(e.Args[1], nil)
		f := builtin2(e.Fn)
		if !x.isVec() && !y.isVec() && x.known && y.known {
			return constVal(f(*x.s, *y.s))
		}
		if e.Fn == "pow" {
			return c.binary("^", x, y, dst)
		}
		if dst == nil {
			dst = c.tmp()
		}
		xs, ys := c.vector(x), c.vector(y)
		c.emit(func() {
			for k := range dst {
				dst[k] = f(xs[k], ys[k])
			}
		})
		return val{vec: dst}
	}
	fn, ok := c.m.File.Funcs[e.Fn]
	if !ok {
		c.fail(e.Line, "call of %s: no such FUNCTION (nor a math function NMODL knows)", e.Fn)
	}
	if fn.Kind != "FUNCTION" {
		c.fail(e.Line, "%s is a %s, not a FUNCTION: it has no value", e.Fn, fn.Kind)
	}
	return c.inline(fn, e.Args, e.Line)
}

// vector makes any value an array (for operations with no scalar form).
func (c *compiler) vector(v val) []float64 {
	if v.isVec() {
		return v.vec
	}
	dst := c.tmp()
	sp := v.s
	c.emit(func() {
		x := *sp
		for k := range dst {
			dst[k] = x
		}
	})
	return dst
}

func (c *compiler) callStmt(e *Call) {
	if _, ok := builtins[e.Fn]; ok {
		c.call(e, nil)
		return
	}
	fn, ok := c.m.File.Funcs[e.Fn]
	if !ok {
		c.fail(e.Line, "call of %s: no such PROCEDURE or FUNCTION", e.Fn)
	}
	switch fn.Kind {
	case "PROCEDURE", "FUNCTION":
		c.inline(fn, e.Args, e.Line)
	default:
		c.fail(e.Line, "%s is a %s block: it is run by SOLVE, not called", e.Fn, fn.Kind)
	}
}

// inline compiles a call of a PROCEDURE or FUNCTION in place: its
// arguments are evaluated into locals, its body compiled with them in
// scope (under the caller's mask), and a FUNCTION's value is its local of
// its own name. A TABLE is looked up instead when tables are on.
func (c *compiler) inline(fn *Func, args []Expr, line int) val {
	for _, s := range c.stack {
		if s == fn.Name {
			c.fail(line, "%s calls itself: recursion is not supported", fn.Name)
		}
	}
	if len(args) != len(fn.Params) {
		c.fail(line, "%s takes %d argument(s), not %d", fn.Name, len(fn.Params), len(args))
	}
	vals := make([]val, len(args))
	for i, a := range args {
		vals[i] = c.expr(a, nil)
	}
	if fn.Table != nil && c.usetable && c.forTable == "" {
		return c.tableCall(fn, vals, line)
	}
	c.stack = append(c.stack, fn.Name)
	defer func() { c.stack = c.stack[:len(c.stack)-1] }()
	assigned := map[string]bool{}
	var walk func([]Stmt)
	walk = func(ss []Stmt) {
		for _, s := range ss {
			switch s := s.(type) {
			case *Assign:
				assigned[s.Name] = true
			case *If:
				walk(s.Then)
				walk(s.Else)
			}
		}
	}
	walk(fn.Body)
	scope := map[string]val{}
	for i, p := range fn.Params {
		v := vals[i]
		if assigned[p] || v.isVec() {
			a := make([]float64, c.n)
			c.storeUnmasked(a, v)
			v = val{vec: a}
		}
		scope[p] = v
	}
	var ret val
	if fn.Kind == "FUNCTION" {
		ret = val{vec: make([]float64, c.n)}
		scope[fn.Name] = ret
	}
	saved := c.scopes
	c.scopes = []map[string]val{scope} // a body sees its own names, not its caller's
	for _, s := range fn.Body {
		c.stmt(s)
	}
	c.scopes = saved
	clear(c.cse) // the body may have assigned what the caller's values read
	return ret
}

// storeUnmasked copies v into dst for every instance (arguments are
// evaluated for all; only the body's assignments honour the mask).
func (c *compiler) storeUnmasked(dst []float64, v val) {
	mask := c.mask
	c.mask = nil
	c.store(dst, v)
	c.mask = mask
}
