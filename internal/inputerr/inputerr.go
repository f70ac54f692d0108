// Package inputerr reports errors in files a user gave — the file, line and
// field — and places encoding/json's errors on their line.
package inputerr

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ValueError is a value a custom JSON decoder refused; Raw is its text, so
// that the error can be placed in the file (encoding/json does not say
// where).
type ValueError struct {
	Raw []byte
	Msg string
}

func (e *ValueError) Error() string { return e.Msg }

// Error is an error in a file a user gave: it names the file, line and field.
type Error struct {
	File  string
	Line  int // 0 when not known
	Field string
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Line returns the 1-based line of byte offset off in data.
func Line(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// FromJSON turns an encoding/json error into an Error with a line number.
func FromJSON(file string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var ve *ValueError
	switch {
	case errors.As(err, &se):
		return &Error{File: file, Line: Line(data, se.Offset), Msg: "invalid JSON: " + se.Error()}
	case errors.As(err, &te):
		return &Error{File: file, Line: Line(data, te.Offset), Field: te.Field,
			Msg: fmt.Sprintf("wrong type: got JSON %s, want %s", te.Value, te.Type)}
	case errors.As(err, &ve):
		// Placed where its text occurs, when it occurs once as a value.
		if i := valueOffset(data, ve.Raw); i >= 0 {
			return &Error{File: file, Line: Line(data, int64(i)), Msg: ve.Msg}
		}
		return &Error{File: file, Msg: ve.Msg}
	case errors.Is(err, io.EOF) && len(bytes.TrimSpace(data)) == 0:
		return &Error{File: file, Line: 1, Msg: "empty file: want a JSON object"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &Error{File: file, Line: Line(data, int64(len(data))), Msg: "invalid JSON: the file ends before its object is closed (truncated?)"}
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// encoding/json does not say where; find the key in the text.
		if k, err := strconv.Unquote(name); err == nil {
			if i := keyOffset(data, k); i >= 0 {
				return &Error{File: file, Line: Line(data, int64(i)), Msg: msg}
			}
		}
	}
	return &Error{File: file, Msg: msg}
}

// valueOffset is the offset of raw in data if it occurs exactly once after a
// colon (as an object's value), else -1.
func valueOffset(data, raw []byte) int {
	at := -1
	for off := 0; len(raw) > 0; {
		i := bytes.Index(data[off:], raw)
		if i < 0 {
			break
		}
		if before := bytes.TrimRight(data[:off+i], " \t\r\n"); len(before) > 0 && before[len(before)-1] == ':' {
			if at >= 0 {
				return -1 // more than once: do not guess
			}
			at = off + i
		}
		off += i + 1
	}
	return at
}

// keyOffset is the offset of the first occurrence of "key" used as an
// object key (followed by a colon), or -1.
func keyOffset(data []byte, key string) int {
	q := []byte(strconv.Quote(key))
	for off := 0; ; {
		i := bytes.Index(data[off:], q)
		if i < 0 {
			return -1
		}
		j := off + i + len(q)
		rest := bytes.TrimLeft(data[j:], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return off + i
		}
		off = j
	}
}
