package nmodl

import (
	"fmt"
	"regexp"
	"strings"
)

var suffixRE = regexp.MustCompile(`(?m)^[ \t]*(?:SUFFIX|POINT_PROCESS|ARTIFICIAL_CELL)[ \t]+([A-Za-z_][A-Za-z0-9_]*)`)

// Suffix is the mechanism name an NMODL text declares (SUFFIX,
// POINT_PROCESS or ARTIFICIAL_CELL), found without parsing the file, so
// that a folder's files can be matched to mechanisms even where some would
// not parse; "" if there is none.
func Suffix(src string) string {
	m := suffixRE.FindStringSubmatch(src)
	if m == nil {
		return ""
	}
	return m[1]
}

// Parse reads an NMODL file. Every error names the file, the line and the
// construct; constructs outside what the executor supports are refused here
// or when the file is compiled.
func Parse(file, src string) (*File, error) {
	toks, err := lex(file, src)
	if err != nil {
		return nil, err
	}
	p := &parser{file: file, toks: toks}
	f, err := p.parseFile()
	if err != nil {
		return nil, err
	}
	return f, nil
}

type parser struct {
	file  string
	toks  []token
	pos   int
	depth int // nesting of blocks and parentheses
}

// maxDepth bounds nesting, so that a pathological file is an error, not
// a stack overflow.
const maxDepth = 200

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail("nesting deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// bail is what a parse error panics with; parseFile recovers it.
type bail struct{ err error }

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) peekAt(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) failAt(line int, format string, args ...any) {
	panic(bail{&Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) fail(format string, args ...any) { p.failAt(p.peek().line, format, args...) }

func (p *parser) is(text string) bool {
	t := p.peek()
	return (t.kind == tPunct || t.kind == tIdent) && t.text == text
}

func (p *parser) accept(text string) bool {
	if p.is(text) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expect(text string) token {
	if !p.is(text) {
		p.fail("expected %q, found %s", text, p.peek())
	}
	return p.next()
}

func (p *parser) ident() token {
	t := p.peek()
	if t.kind != tIdent {
		p.fail("expected a name, found %s", t)
	}
	return p.next()
}

func (p *parser) parseFile() (f *File, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			f, err = nil, b.err
		}
	}()
	f = &File{Name: p.file, Units: map[string]float64{}, Funcs: map[string]*Func{}, Line: map[string]int{}}
	for p.peek().kind != tEOF {
		t := p.ident()
		switch t.text {
		case "NEURON":
			p.neuronBlock(f)
		case "UNITS":
			p.unitsBlock(f)
		case "PARAMETER":
			f.Params = append(f.Params, p.declBlock("PARAMETER")...)
		case "ASSIGNED":
			f.Assigned = append(f.Assigned, p.declBlock("ASSIGNED")...)
		case "STATE":
			f.States = append(f.States, p.declBlock("STATE")...)
		case "CONSTANT":
			f.Constants = append(f.Constants, p.declBlock("CONSTANT")...)
		case "INDEPENDENT":
			p.skipBraces()
		case "DEFINE":
			name := p.ident()
			v := p.number()
			f.Constants = append(f.Constants, VarDecl{Name: name.text, Value: &v, Line: name.line})
		case "INITIAL":
			f.Initial = p.block()
			f.Line["INITIAL"] = t.line
		case "BREAKPOINT":
			f.Breakpoint = p.block()
			f.Line["BREAKPOINT"] = t.line
		case "DERIVATIVE", "KINETIC", "LINEAR", "PROCEDURE", "FUNCTION":
			fn := p.funcBlock(t)
			if prev, dup := f.Funcs[fn.Name]; dup {
				p.failAt(t.line, "%s %s: already defined at line %d", t.text, fn.Name, prev.Line)
			}
			f.Funcs[fn.Name] = fn
		case "NET_RECEIVE":
			fn := &Func{Kind: "NET_RECEIVE", Line: t.line}
			fn.Params = p.paramList()
			fn.Body = p.block()
			f.NetReceive = fn
		case "LOCAL":
			// file-scope scratch variables: like ASSIGNED ones here
			for _, n := range p.names() {
				f.Assigned = append(f.Assigned, VarDecl{Name: n, Line: t.line})
			}
		case "CONSTRUCTOR", "DESTRUCTOR":
			if body := p.block(); len(body) > 0 {
				p.failAt(t.line, "%s block: not supported", t.text)
			}
		default:
			p.failAt(t.line, "%s block: not supported (supported: NEURON, UNITS, PARAMETER, ASSIGNED, STATE, CONSTANT, INDEPENDENT, INITIAL, BREAKPOINT, DERIVATIVE, KINETIC, PROCEDURE, FUNCTION, NET_RECEIVE)", t.text)
		}
	}
	if f.Suffix == "" {
		p.failAt(1, "no SUFFIX or POINT_PROCESS in the NEURON block")
	}
	return f, nil
}

// skipBraces skips a { ... } block (INDEPENDENT).
func (p *parser) skipBraces() {
	p.expect("{")
	depth := 1
	for depth > 0 {
		t := p.next()
		switch {
		case t.kind == tEOF:
			p.fail("unclosed {")
		case t.kind == tPunct && t.text == "{":
			depth++
		case t.kind == tPunct && t.text == "}":
			depth--
		}
	}
}

func (p *parser) names() []string {
	var out []string
	out = append(out, p.ident().text)
	for p.accept(",") {
		out = append(out, p.ident().text)
	}
	return out
}

func (p *parser) neuronBlock(f *File) {
	p.expect("{")
	for !p.accept("}") {
		t := p.ident()
		switch t.text {
		case "SUFFIX":
			f.Suffix = p.ident().text
		case "POINT_PROCESS":
			f.Suffix, f.Point = p.ident().text, true
		case "USEION":
			d := IonDecl{Ion: p.ident().text, Line: t.line}
			for {
				switch {
				case p.accept("READ"):
					d.Read = append(d.Read, p.names()...)
				case p.accept("WRITE"):
					d.Write = append(d.Write, p.names()...)
				case p.accept("VALENCE"):
					neg := p.accept("-")
					v := p.number()
					if neg {
						v = -v
					}
					d.Valence = &v
				case p.is("REPRESENTS"):
					p.next()
					p.ident()
				default:
					goto done
				}
			}
		done:
			f.Ions = append(f.Ions, d)
		case "NONSPECIFIC_CURRENT":
			f.Nonspecific = append(f.Nonspecific, p.names()...)
		case "RANGE":
			f.Range = append(f.Range, p.names()...)
		case "GLOBAL":
			f.Global = append(f.Global, p.names()...)
		case "THREADSAFE":
			if p.peek().kind == tIdent && p.peekAt(1).kind == tPunct && p.peekAt(1).text == "," {
				p.names()
			}
		case "REPRESENTS":
			p.ident()
		default:
			p.failAt(t.line, "NEURON block: %s is not supported", t.text)
		}
	}
}

func (p *parser) number() float64 {
	t := p.peek()
	if t.kind != tNum {
		p.fail("expected a number, found %s", t)
	}
	p.next()
	p.skipUnit()
	return t.num
}

// unit reads a parenthesized unit, ( ... ), and returns its text.
func (p *parser) unit() string {
	p.expect("(")
	var b strings.Builder
	depth := 1
	for {
		t := p.next()
		switch {
		case t.kind == tEOF:
			p.fail("unclosed unit")
		case t.kind == tPunct && t.text == "(":
			depth++
		case t.kind == tPunct && t.text == ")":
			depth--
			if depth == 0 {
				return b.String()
			}
		}
		if b.Len() > 0 && t.kind != tPunct {
			if s := b.String(); s[len(s)-1] != '/' && s[len(s)-1] != '-' {
				b.WriteByte(' ')
			}
		}
		b.WriteString(t.text)
	}
}

// skipUnit drops a unit written after a number, as in 10 (degC).
func (p *parser) skipUnit() {
	if p.is("(") {
		p.unit()
	}
}

// unitsBlock reads (a) = (b) definitions (dropped: values are taken as
// written) and named constants such as FARADAY = (faraday) (coulomb).
func (p *parser) unitsBlock(f *File) {
	p.expect("{")
	for !p.accept("}") {
		if p.is("(") {
			p.unit()
			p.expect("=")
			p.unit()
			continue
		}
		name := p.ident()
		p.expect("=")
		if p.peek().kind == tNum {
			f.Units[name.text] = p.number()
			f.Line[name.text] = name.line
			continue
		}
		quantity := p.unit()
		unit := ""
		if p.is("(") {
			unit = p.unit()
		}
		v, err := unitConstant(quantity, unit)
		if err != nil {
			p.failAt(name.line, "UNITS %s = (%s) (%s): %v", name.text, quantity, unit, err)
		}
		f.Units[name.text] = v
		f.Line[name.text] = name.line
	}
}

// declBlock reads PARAMETER, ASSIGNED, STATE or CONSTANT declarations.
func (p *parser) declBlock(kind string) []VarDecl {
	p.expect("{")
	var out []VarDecl
	for !p.accept("}") {
		name := p.ident()
		d := VarDecl{Name: name.text, Line: name.line}
		if p.is("[") {
			p.fail("%s %s: array variables are not supported", kind, name.text)
		}
		if p.accept("=") {
			neg := p.accept("-")
			if !neg {
				p.accept("+")
			}
			t := p.peek()
			if t.kind != tNum {
				p.fail("%s %s: expected a number after =, found %s", kind, name.text, t)
			}
			p.next()
			v := t.num
			if neg {
				v = -v
			}
			d.Value = &v
		}
		if p.is("(") {
			d.Unit = p.unit()
		}
		if kind == "STATE" && p.accept("FROM") {
			p.signedNumber()
			p.expect("TO")
			p.signedNumber()
		}
		if p.accept("<") {
			p.signedNumber()
			if p.accept(",") {
				p.signedNumber()
			}
			p.expect(">")
		}
		out = append(out, d)
	}
	return out
}

func (p *parser) signedNumber() float64 {
	neg := p.accept("-")
	v := p.number()
	if neg {
		return -v
	}
	return v
}

func (p *parser) paramList() []string {
	var out []string
	p.expect("(")
	if p.accept(")") {
		return out
	}
	for {
		out = append(out, p.ident().text)
		if p.is("(") {
			p.unit()
		}
		if !p.accept(",") {
			break
		}
	}
	p.expect(")")
	return out
}

func (p *parser) funcBlock(kw token) *Func {
	fn := &Func{Kind: kw.text, Name: p.ident().text, Line: kw.line}
	if kw.text == "PROCEDURE" || kw.text == "FUNCTION" {
		fn.Params = p.paramList()
		if kw.text == "FUNCTION" && p.is("(") {
			p.unit()
		}
	}
	p.expect("{")
	fn.Body = p.stmts(fn)
	return fn
}

// block reads { statements }.
func (p *parser) block() []Stmt {
	p.expect("{")
	return p.stmts(nil)
}

// stmts reads statements up to the closing brace; fn (if not nil) takes a
// TABLE statement.
func (p *parser) stmts(fn *Func) []Stmt {
	p.enter()
	defer p.leave()
	var out []Stmt
	for !p.accept("}") {
		if p.peek().kind == tEOF {
			p.fail("unclosed {")
		}
		if s := p.stmt(fn); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) stmt(fn *Func) Stmt {
	t := p.peek()
	if t.kind == tPunct {
		switch t.text {
		case "{":
			p.next()
			body := p.stmts(nil)
			// A bare block: its statements, in order (LOCALs stay scoped by
			// name uniqueness in practice).
			return &If{Cond: &Num{V: 1, Line: t.line}, Then: body, Line: t.line}
		case "~":
			p.next()
			if fn != nil && fn.Kind == "LINEAR" {
				eq := &Equation{Left: p.expr(), Line: t.line}
				p.expect("=")
				eq.Right = p.expr()
				return eq
			}
			return p.reaction(t.line)
		}
		p.fail("unexpected %s at the start of a statement", t)
	}
	if t.kind != tIdent {
		p.fail("unexpected %s at the start of a statement", t)
	}
	switch t.text {
	case "LOCAL":
		p.next()
		l := &Local{Line: t.line}
		for {
			l.Names = append(l.Names, p.ident().text)
			if p.is("[") {
				p.fail("LOCAL arrays are not supported")
			}
			if !p.accept(",") {
				break
			}
		}
		return l
	case "if":
		p.next()
		return p.ifStmt(t.line)
	case "SOLVE":
		p.next()
		s := &Solve{Block: p.ident().text, Line: t.line}
		switch {
		case p.accept("METHOD"):
			s.Method = p.ident().text
		case p.accept("STEADYSTATE"):
			s.Method, s.Steady = p.ident().text, true
		}
		return s
	case "TABLE":
		p.next()
		if fn == nil || (fn.Kind != "PROCEDURE" && fn.Kind != "FUNCTION") {
			p.failAt(t.line, "TABLE outside a PROCEDURE or FUNCTION")
		}
		tb := &Table{Line: t.line}
		if p.peek().kind == tIdent && p.peek().text != "DEPEND" && p.peek().text != "FROM" {
			tb.Names = p.names()
		}
		if p.accept("DEPEND") {
			tb.Depend = p.names()
		}
		p.expect("FROM")
		tb.From = p.expr()
		p.expect("TO")
		tb.To = p.expr()
		p.expect("WITH")
		w := p.number()
		if w < 1 || w != float64(int(w)) || w > 1e6 {
			p.failAt(t.line, "TABLE ... WITH %g: want a whole number of intervals from 1 to 1e6", w)
		}
		tb.With = int(w)
		fn.Table = tb
		return nil
	case "CONSERVE":
		p.next()
		c := &Conserve{Line: t.line, Terms: p.terms()}
		p.expect("=")
		c.X = p.expr()
		return c
	case "COMPARTMENT":
		p.failAt(t.line, "COMPARTMENT is not supported")
	case "\x00return":
		// VERBATIM return 0; ENDVERBATIM: only as a block's last statement.
		p.next()
		if !p.is("}") {
			p.failAt(t.line, "VERBATIM return 0; ENDVERBATIM before the end of its block: C code inside NMODL is not supported")
		}
		return &Ignored{Line: t.line}
	case "printf":
		p.next()
		p.expect("(")
		depth := 1
		for depth > 0 {
			x := p.next()
			switch {
			case x.kind == tEOF:
				p.fail("unclosed printf")
			case x.kind == tPunct && x.text == "(":
				depth++
			case x.kind == tPunct && x.text == ")":
				depth--
			}
		}
		return &Ignored{Line: t.line}
	case "while", "FROM", "FOR_NETCONS", "WATCH", "LAG", "MATCH", "SWEEP", "FORALL":
		p.failAt(t.line, "%s statements are not supported", t.text)
	case "INITIAL":
		p.failAt(t.line, "an INITIAL block inside NET_RECEIVE is not supported")
	}
	name := p.next()
	if p.is("(") {
		return &CallStmt{Call: p.call(name)}
	}
	a := &Assign{Name: name.text, Line: name.line}
	if p.accept("'") {
		a.Prime = true
	}
	p.expect("=")
	a.X = p.expr()
	return a
}

func (p *parser) ifStmt(line int) Stmt {
	p.expect("(")
	s := &If{Cond: p.expr(), Line: line}
	p.expect(")")
	s.Then = p.block()
	if p.accept("else") {
		if p.is("if") {
			l := p.next().line
			s.Else = []Stmt{p.ifStmt(l)}
		} else {
			s.Else = p.block()
		}
	}
	return s
}

// terms reads A + 2B + ... of a reaction or CONSERVE.
func (p *parser) terms() []Term {
	var out []Term
	for {
		c := 1
		if p.peek().kind == tNum {
			v := p.next().num
			if v != float64(int(v)) || v < 1 {
				p.fail("stoichiometric coefficient %g: want a whole number", v)
			}
			c = int(v)
		}
		out = append(out, Term{Name: p.ident().text, Coeff: c})
		if !p.accept("+") {
			return out
		}
	}
}

func (p *parser) reaction(line int) Stmt {
	r := &Reaction{Line: line, Left: p.terms()}
	switch {
	case p.accept("<->"):
		r.Right = p.terms()
		p.expect("(")
		r.Kf = p.expr()
		p.expect(",")
		r.Kb = p.expr()
		p.expect(")")
	case p.accept("->"):
		if p.peek().kind == tIdent {
			r.Right = p.terms()
		}
		p.expect("(")
		r.Kf = p.expr()
		p.expect(")")
	default:
		p.failAt(line, "reaction: `<<` fluxes and other forms are not supported (use <-> or ->)")
	}
	return r
}

func (p *parser) call(name token) *Call {
	c := &Call{Fn: name.text, Line: name.line}
	p.expect("(")
	if p.accept(")") {
		return c
	}
	for {
		c.Args = append(c.Args, p.expr())
		if !p.accept(",") {
			break
		}
	}
	p.expect(")")
	return c
}

// Expressions, loosest first: ||, &&, comparisons, + -, * /, unary, ^.
func (p *parser) expr() Expr { return p.orExpr() }

func (p *parser) orExpr() Expr {
	x := p.andExpr()
	for p.is("||") {
		t := p.next()
		x = &Binary{Op: "||", X: x, Y: p.andExpr(), Line: t.line}
	}
	return x
}

func (p *parser) andExpr() Expr {
	x := p.cmpExpr()
	for p.is("&&") {
		t := p.next()
		x = &Binary{Op: "&&", X: x, Y: p.cmpExpr(), Line: t.line}
	}
	return x
}

func (p *parser) cmpExpr() Expr {
	x := p.addExpr()
	for {
		t := p.peek()
		if t.kind == tPunct && (t.text == "==" || t.text == "!=" || t.text == "<" || t.text == ">" || t.text == "<=" || t.text == ">=") {
			p.next()
			x = &Binary{Op: t.text, X: x, Y: p.addExpr(), Line: t.line}
			continue
		}
		return x
	}
}

func (p *parser) addExpr() Expr {
	x := p.mulExpr()
	for p.is("+") || p.is("-") {
		t := p.next()
		x = &Binary{Op: t.text, X: x, Y: p.mulExpr(), Line: t.line}
	}
	return x
}

func (p *parser) mulExpr() Expr {
	x := p.unary()
	for p.is("*") || p.is("/") {
		t := p.next()
		x = &Binary{Op: t.text, X: x, Y: p.unary(), Line: t.line}
	}
	return x
}

func (p *parser) unary() Expr {
	p.enter()
	defer p.leave()
	if p.is("-") || p.is("!") || p.is("+") {
		t := p.next()
		x := p.unary()
		if t.text == "+" {
			return x
		}
		return &Unary{Op: t.text, X: x, Line: t.line}
	}
	return p.power()
}

// power: x ^ y, right-associative; the exponent may carry a sign.
func (p *parser) power() Expr {
	x := p.primary()
	if p.is("^") {
		t := p.next()
		return &Binary{Op: "^", X: x, Y: p.unary(), Line: t.line}
	}
	return x
}

func (p *parser) primary() Expr {
	t := p.peek()
	switch {
	case t.kind == tNum:
		p.next()
		p.skipUnit()
		return &Num{V: t.num, Line: t.line}
	case t.kind == tPunct && t.text == "(":
		p.next()
		x := p.expr()
		p.expect(")")
		return x
	case t.kind == tIdent:
		p.next()
		if p.is("(") {
			return p.call(t)
		}
		if p.is("[") {
			p.fail("array indexing is not supported")
		}
		return &Name{Name: t.text, Line: t.line}
	}
	p.fail("expected an expression, found %s", t)
	return nil
}
