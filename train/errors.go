package train

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// SettingError is a bad training setting, or settings that do not go
// together. Its text names settings as {name}: a Config field's JSON name,
// or its name in snake case where it has none (e.g. {sub_bins},
// {time_budget}); Error writes them plainly, and a front end
// writes them as its own names with Render (the command line: --sub-bins).
type SettingError struct {
	format string // with {name} placeholders, as fmt.Errorf's
	args   []any
}

// settingf makes a SettingError: format and args as fmt.Errorf's (%w
// wraps a cause). Only the format's {name}s are settings: the arguments
// (paths, wrapped errors) are written as they are.
func settingf(format string, args ...any) error {
	return &SettingError{format: format, args: args}
}

var settingName = regexp.MustCompile(`\{([a-z][A-Za-z0-9_]*)\}`)

// Render writes the error with every setting named by name(setting).
func (e *SettingError) Render(name func(setting string) string) string {
	format := settingName.ReplaceAllStringFunc(e.format, func(m string) string {
		return strings.ReplaceAll(name(m[1:len(m)-1]), "%", "%%")
	})
	return fmt.Errorf(format, e.args...).Error()
}

func (e *SettingError) Error() string { return e.Render(func(s string) string { return s }) }

// Unwrap gives the cause the error wraps, if any.
func (e *SettingError) Unwrap() error { return errors.Unwrap(fmt.Errorf(e.format, e.args...)) }
