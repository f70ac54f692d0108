package nmodl

import "math"

// table is a TABLE of a PROCEDURE or FUNCTION: its values at With+1
// points from From to To, computed once per instance set (the globals it
// DEPENDs on are fixed then), interpolated as NEURON's generated code does.
type table struct {
	tmin, mfac float64
	n          int
	cols       [][]float64 // one per tabulated name, or the FUNCTION's value
	// build computes the columns (at the first lookup, and again when dt
	// has changed, as NEURON rebuilds a table whose DEPEND values moved).
	build   func()
	builtDt float64
	built   bool
}

// ensure builds the table for time step dt if it is not built for it.
func (tb *table) ensure(dt float64) {
	if !tb.built || tb.builtDt != dt {
		tb.build()
		tb.built, tb.builtDt = true, dt
	}
}

// tableCall compiles a call of a tabulated PROCEDURE (writing its TABLE
// names) or FUNCTION (giving its value) as a table lookup.
func (c *compiler) tableCall(fn *Func, args []val, line int) val {
	if len(args) != 1 {
		c.fail(fn.Table.Line, "TABLE in %s: a table needs exactly one argument", fn.Name)
	}
	tb := c.tables[fn.Name]
	if tb == nil {
		tb = c.buildTable(fn)
		c.tables[fn.Name] = tb
	}
	x := c.vector(args[0])
	var dsts [][]float64
	var ret val
	if fn.Kind == "FUNCTION" {
		ret = val{vec: c.tmp()}
		dsts = [][]float64{ret.vec}
	} else {
		for _, name := range fn.Table.Names {
			dsts = append(dsts, c.target(name, line))
		}
	}
	mask := c.mask
	dt := &c.in.dt
	c.emit(func() {
		tb.ensure(*dt)
		for k, lv := range x {
			if mask != nil && !mask[k] {
				continue
			}
			xi := tb.mfac * (lv - tb.tmin)
			switch {
			case math.IsNaN(xi):
				for _, d := range dsts {
					d[k] = xi
				}
			case xi <= 0:
				for j, d := range dsts {
					d[k] = tb.cols[j][0]
				}
			case xi >= float64(tb.n):
				for j, d := range dsts {
					d[k] = tb.cols[j][tb.n]
				}
			default:
				i := int(xi)
				theta := xi - float64(i)
				for j, d := range dsts {
					col := tb.cols[j]
					d[k] = col[i] + theta*(col[i+1]-col[i])
				}
			}
		}
	})
	return ret
}

// buildTable evaluates fn at the table's points, all at once as
// instances of a compiler of its own, and keeps the columns.
func (c *compiler) buildTable(fn *Func) *table {
	t := fn.Table
	var scratch []func()
	saved := c.ops
	c.ops = &scratch
	lo, hi := c.expr(t.From, nil), c.expr(t.To, nil)
	c.ops = saved
	if !lo.known || !hi.known {
		c.fail(t.Line, "TABLE in %s: FROM and TO must be constants or globals", fn.Name)
	}
	n := t.With
	tmin, tmax := *lo.s, *hi.s
	dx := (tmax - tmin) / float64(n)
	grid := make([]float64, n+1)
	x := tmin
	for i := range grid {
		grid[i] = x
		x += dx
	}
	// The function runs over the grid as n+1 instances of its own, as
	// NEURON's table build calls it for each point on one instance: the
	// variables it reads start at instance 0's values (and dt, t are the
	// run's); the tabulated names are its columns; what else it assigns
	// (a GLOBAL tadj) is left, as in NEURON, at its value for the last
	// point, in every instance.
	sub := &Instance{N: n + 1, m: c.m, vars: map[string][]float64{}, celsius: c.in.celsius}
	for name := range c.m.vars {
		sub.vars[name] = make([]float64, n+1)
	}
	var ops []func()
	writes := map[string]bool{}
	sc := &compiler{m: c.m, in: sub, n: n + 1, consts: c.consts, usetable: c.usetable, tables: map[string]*table{},
		ops: &ops, forTable: fn.Name, stack: []string{}, writes: writes}
	sc.scopes = []map[string]val{{"\x00grid": {vec: grid}}}
	call := &Call{Fn: fn.Name, Args: []Expr{&Name{Name: "\x00grid"}}, Line: t.Line}
	ret := sc.inline(fn, call.Args, t.Line)
	tb := &table{tmin: tmin, mfac: 1 / dx, n: n}
	in := c.in
	tabulated := map[string]bool{}
	for _, name := range t.Names {
		tabulated[name] = true
	}
	tb.build = func() {
		sub.t, sub.dt = in.t, in.dt
		for name, a := range sub.vars {
			x := 0.0
			if src := in.vars[name]; len(src) > 0 {
				x = src[0]
			}
			for k := range a {
				a[k] = x
			}
		}
		for _, op := range ops {
			op()
		}
		for name := range writes {
			if tabulated[name] {
				continue
			}
			if dst, ok := in.vars[name]; ok {
				last := sub.vars[name][n]
				for k := range dst {
					dst[k] = last
				}
			}
		}
	}
	if fn.Kind == "FUNCTION" {
		tb.cols = [][]float64{ret.vec}
	} else {
		for _, name := range t.Names {
			if _, ok := c.in.vars[name]; !ok {
				c.fail(t.Line, "TABLE %s in %s: not a per-instance variable (ASSIGNED or RANGE)", name, fn.Name)
			}
			tb.cols = append(tb.cols, sub.vars[name])
		}
	}
	return tb
}

// netReceive compiles NET_RECEIVE for one instance at a time: a compiler
// of one instance runs the block on copies of instance k's variables.
func (c *compiler) netReceive(fn *Func) {
	one := &Instance{N: 1, m: c.m, vars: map[string][]float64{}, celsius: c.in.celsius}
	names := make([]string, 0, len(c.in.vars))
	for name := range c.in.vars {
		one.vars[name] = make([]float64, 1)
		names = append(names, name)
	}
	var ops []func()
	sc := &compiler{m: c.m, in: one, n: 1, consts: c.consts, usetable: c.usetable, tables: c.tables, ops: &ops}
	var w float64
	scope := map[string]val{}
	var extra [][]float64
	for i, p := range fn.Params {
		if i == 0 {
			scope[p] = val{s: &w}
			continue
		}
		a := make([]float64, 1)
		extra = append(extra, a)
		scope[p] = val{vec: a}
	}
	sc.scopes = []map[string]val{scope}
	for _, s := range fn.Body {
		sc.stmt(s)
	}
	in := c.in
	src := make([][]float64, len(names))
	dst := make([][]float64, len(names))
	for i, name := range names {
		src[i], dst[i] = in.vars[name], one.vars[name]
	}
	in.receive = func(weight float64, k int) {
		one.t, one.dt = in.t, in.dt
		if !math.IsNaN(in.eventT) { // an event time given (ReceiveAt)
			one.t = in.eventT
		}
		w = weight
		for _, a := range extra { // NEURON keeps them per NetCon; here each event starts at 0
			a[0] = 0
		}
		for i := range src {
			dst[i][0] = src[i][k]
		}
		for _, op := range ops {
			op()
		}
		for i := range src {
			src[i][k] = dst[i][0]
		}
	}
}
