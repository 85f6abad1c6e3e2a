package runner

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Pos is a place in a source file.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	file := DisplayPath(p.File)
	switch {
	case p.Line == 0:
		return file
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", file, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", file, p.Line, p.Col)
}

func posOf(file string, n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: file}
	}
	return Pos{File: file, Line: n.Line, Col: n.Column}
}

// Diag is one problem found in the user's input, placed at file:line:col,
// with a hint saying what to do.
type Diag struct {
	Pos  Pos
	Msg  string
	Hint string
	// deferrable: an unknown module, which a conditional dynamic include
	// defers to the run (deferred.go).
	deferrable bool
}

func (d Diag) Error() string {
	s := d.Msg
	if d.Pos.File != "" {
		s = d.Pos.String() + ": " + d.Msg
	}
	if d.Hint != "" {
		s += " (" + d.Hint + ")"
	}
	return s
}

// Diags collects every problem of an input, so that the user sees them all at
// once rather than one per run.
type Diags []Diag

func (ds *Diags) add(pos Pos, hint string, format string, args ...any) {
	*ds = append(*ds, Diag{Pos: pos, Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// Err returns the diagnostics as one error, or nil when there are none.
func (ds Diags) Err() error {
	if len(ds) == 0 {
		return nil
	}
	return &ValidationError{Diags: ds}
}

// ValidationError is the error of input that failed static checks; nothing
// ran on any host. The CLI maps it to exit code 4.
type ValidationError struct{ Diags Diags }

func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Diags))
	for i, d := range e.Diags {
		lines[i] = d.Error()
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return fmt.Sprintf("%d errors:\n%s", len(lines), strings.Join(lines, "\n"))
}

// IsValidation reports whether err is a static input error.
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

// yamlDiag turns a yaml.v3 syntax error into a Diag with the file name.
func yamlDiag(file string, data []byte, err error) Diag {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if _, scanErr := fmt.Sscanf(msg, "line %d:", &line); scanErr == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	hint := "check the indentation and quoting around this line"
	if strings.Contains(msg, "tab character") || strings.Contains(msg, "found character that cannot start any token") {
		hint = "YAML does not allow tabs for indentation; use spaces"
		line = tabLine(data, line)
	}
	return Diag{Pos: Pos{File: file, Line: line}, Msg: "YAML syntax error: " + msg, Hint: hint}
}

// tabLine finds the line of a tab error: yaml.v3 reports the line before the
// tab (where the scanner was) for a tab that indents the next line. The
// first line from there whose indentation holds a tab is the one to fix.
func tabLine(data []byte, reported int) int {
	lines := strings.Split(string(data), "\n")
	for i := max(reported-1, 0); i < len(lines); i++ {
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
		if strings.Contains(indent, "\t") {
			return i + 1
		}
	}
	return reported
}
