package nmodl

// Expr is an expression: *Num, *Name, *Call, *Unary or *Binary.
type Expr interface{ exprLine() int }

// Num is a number literal (its unit, if written, dropped).
type Num struct {
	V    float64
	Line int
}

// Name is a variable reference.
type Name struct {
	Name string
	Line int
}

// Call is a FUNCTION or built-in call.
type Call struct {
	Fn   string
	Args []Expr
	Line int
}

// Unary is -x or !x.
type Unary struct {
	Op   string
	X    Expr
	Line int
}

// Binary is x op y.
type Binary struct {
	Op   string
	X, Y Expr
	Line int
}

func (e *Num) exprLine() int    { return e.Line }
func (e *Name) exprLine() int   { return e.Line }
func (e *Call) exprLine() int   { return e.Line }
func (e *Unary) exprLine() int  { return e.Line }
func (e *Binary) exprLine() int { return e.Line }

// Stmt is a statement.
type Stmt interface{ stmtLine() int }

// Assign is name = x, or name' = x (Prime) in a DERIVATIVE block.
type Assign struct {
	Name  string
	Prime bool
	X     Expr
	Line  int
}

// If is if (Cond) {Then} else {Else}.
type If struct {
	Cond       Expr
	Then, Else []Stmt
	Line       int
}

// CallStmt is a PROCEDURE call (or a built-in called for its effect).
type CallStmt struct {
	Call *Call
}

// Local declares block-local variables.
type Local struct {
	Names []string
	Line  int
}

// Solve is SOLVE Block METHOD Method (in BREAKPOINT or INITIAL).
type Solve struct {
	Block, Method string
	Steady        bool // STEADYSTATE
	Line          int
}

// Reaction is a KINETIC scheme's ~ Left <-> Right (Kf, Kb), or -> with Kf only.
type Reaction struct {
	Left, Right []Term
	Kf, Kb      Expr // Kb nil for ->
	Line        int
}

// Term is a reactant with its stoichiometric coefficient.
type Term struct {
	Name  string
	Coeff int
}

// Conserve is CONSERVE sum = x (kept for reference; the sparse solve
// conserves by construction).
type Conserve struct {
	Terms []Term
	X     Expr
	Line  int
}

// Equation is a LINEAR block's ~ Left = Right.
type Equation struct {
	Left, Right Expr
	Line        int
}

// Ignored is a statement accepted and dropped (printf).
type Ignored struct{ Line int }

func (s *Assign) stmtLine() int   { return s.Line }
func (s *If) stmtLine() int       { return s.Line }
func (s *CallStmt) stmtLine() int { return s.Call.Line }
func (s *Local) stmtLine() int    { return s.Line }
func (s *Solve) stmtLine() int    { return s.Line }
func (s *Reaction) stmtLine() int { return s.Line }
func (s *Conserve) stmtLine() int { return s.Line }
func (s *Ignored) stmtLine() int  { return s.Line }
func (s *Equation) stmtLine() int { return s.Line }

// Table is a TABLE statement of a PROCEDURE or FUNCTION.
type Table struct {
	Names    []string // the assigned variables tabulated (empty for a FUNCTION)
	Depend   []string
	From, To Expr
	With     int
	Line     int
}

// Func is a PROCEDURE, FUNCTION, DERIVATIVE, KINETIC or NET_RECEIVE block.
type Func struct {
	Kind   string // PROCEDURE, FUNCTION, DERIVATIVE, KINETIC, LINEAR, NET_RECEIVE
	Name   string
	Params []string
	Body   []Stmt
	Table  *Table
	Line   int
}

// VarDecl is a declared variable of PARAMETER, ASSIGNED, STATE or CONSTANT.
type VarDecl struct {
	Name  string
	Value *float64
	Unit  string
	Line  int
}

// IonDecl is one USEION statement.
type IonDecl struct {
	Ion         string
	Read, Write []string
	Valence     *float64
	Line        int
}

// File is a parsed NMODL file.
type File struct {
	Name        string // file name, for errors
	Suffix      string // SUFFIX or POINT_PROCESS name
	Point       bool   // POINT_PROCESS
	Ions        []IonDecl
	Nonspecific []string
	Range       []string
	Global      []string
	Params      []VarDecl
	Assigned    []VarDecl
	States      []VarDecl
	Constants   []VarDecl
	Units       map[string]float64 // named constants of the UNITS block
	Initial     []Stmt
	Breakpoint  []Stmt
	Funcs       map[string]*Func // PROCEDURE, FUNCTION, DERIVATIVE, KINETIC by name
	NetReceive  *Func
	Line        map[string]int // line of each top-level block and declaration
}
