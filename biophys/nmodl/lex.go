package nmodl

import (
	"fmt"
	"strconv"
	"strings"
)

// tokKind is the kind of a token.
type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNum
	tPunct  // operators and brackets
	tString // "..." (INCLUDE, printf)
)

type token struct {
	kind tokKind
	text string
	num  float64
	line int
}

func (t token) String() string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNum:
		return fmt.Sprintf("number %s", t.text)
	case tString:
		return fmt.Sprintf("string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// Error is a problem in an NMODL file: the file, the line and what.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// lex splits NMODL text into tokens. Comments (`: ...`, `? ...`,
// COMMENT ... ENDCOMMENT) and TITLE lines are dropped; VERBATIM blocks are
// refused, since they hold C that only NEURON's compiler can run.
func lex(file, src string) ([]token, error) {
	var out []token
	line := 1
	i := 0
	n := len(src)
	errf := func(format string, args ...any) error {
		return &Error{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	skipLine := func() {
		for i < n && src[i] != '\n' {
			i++
		}
	}
	for i < n {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == ':' || c == '?':
			skipLine()
			continue
		case isLetter(c):
			j := i
			for j < n && (isLetter(src[j]) || isDigit(src[j])) {
				j++
			}
			word := src[i:j]
			switch word {
			case "COMMENT":
				end := strings.Index(src[j:], "ENDCOMMENT")
				if end < 0 {
					return nil, errf("COMMENT without ENDCOMMENT")
				}
				line += strings.Count(src[j:j+end], "\n")
				i = j + end + len("ENDCOMMENT")
				continue
			case "VERBATIM":
				end := strings.Index(src[j:], "ENDVERBATIM")
				if end < 0 {
					return nil, errf("VERBATIM without ENDVERBATIM")
				}
				body := strings.TrimSpace(src[j : j+end])
				if body != "return 0;" {
					return nil, errf("VERBATIM block: C code inside NMODL is not supported (only NEURON's compiler can run it)")
				}
				// "return 0;" ending a PROCEDURE (an old idiom) does nothing:
				// a PROCEDURE returns 0 at its end anyway.
				out = append(out, token{kind: tIdent, text: "\x00return", line: line})
				line += strings.Count(src[j:j+end], "\n")
				i = j + end + len("ENDVERBATIM")
				continue
			case "TITLE":
				skipLine()
				continue
			case "UNITSOFF", "UNITSON":
				i = j
				continue
			}
			out = append(out, token{kind: tIdent, text: word, line: line})
			i = j
			continue
		case isDigit(c) || (c == '.' && i+1 < n && isDigit(src[i+1])):
			j := i
			for j < n && isDigit(src[j]) {
				j++
			}
			if j < n && src[j] == '.' {
				j++
				for j < n && isDigit(src[j]) {
					j++
				}
			}
			if j < n && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < n && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < n && isDigit(src[k]) {
					for k < n && isDigit(src[k]) {
						k++
					}
					j = k
				}
			}
			v, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil {
				return nil, errf("bad number %q", src[i:j])
			}
			out = append(out, token{kind: tNum, text: src[i:j], num: v, line: line})
			i = j
			continue
		case c == '"':
			j := i + 1
			for j < n && src[j] != '"' && src[j] != '\n' {
				j++
			}
			if j >= n || src[j] != '"' {
				return nil, errf("unterminated string")
			}
			out = append(out, token{kind: tString, text: src[i+1 : j], line: line})
			i = j + 1
			continue
		}
		// Punctuation, longest first.
		for _, p := range []string{"<->", "==", "!=", "<=", ">=", "&&", "||", "->"} {
			if strings.HasPrefix(src[i:], p) {
				out = append(out, token{kind: tPunct, text: p, line: line})
				i += len(p)
				goto next
			}
		}
		if strings.IndexByte("{}()[],=<>+-*/^!'~%@", c) >= 0 {
			out = append(out, token{kind: tPunct, text: string(c), line: line})
			i++
			continue
		}
		return nil, errf("unexpected character %q", c)
	next:
	}
	out = append(out, token{kind: tEOF, line: line})
	return out, nil
}

func isLetter(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
