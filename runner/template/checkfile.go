package template

import (
	"errors"
	"fmt"
	"os"
)

// FileError is a static error in a template file, at its line and column.
type FileError struct {
	Path      string
	Line, Col int
	Msg       string
	Err       error // the syntax error, when it is one (an unknown filter: a Python plugin's?)
}

func (e *FileError) Error() string { return fmt.Sprintf("%s:%d:%d: %s", e.Path, e.Line, e.Col, e.Msg) }

func (e *FileError) Unwrap() error { return e.Err }

// CheckFile reports, without rendering anything, the first syntax error of
// the template file at path and of the templates it extends, includes and
// imports by a literal name, and such a name that no directory of dirs (see
// SearchPath) has, unless the include ignores missing ones.
func CheckFile(path string, dirs []string) (err error) {
	defer recoverInternal(&err)
	return checkFile(path, dirs, map[string]bool{})
}

func checkFile(path string, dirs []string, seen map[string]bool) error {
	if seen[path] {
		return nil
	}
	seen[path] = true
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := string(data)
	if !hasTemplateSyntax(text) {
		return nil
	}
	if _, err := checker.fileTemplate(text, ansibleEnv); err != nil {
		var se *SyntaxError
		if errors.As(err, &se) {
			return &FileError{Path: path, Line: se.Line, Col: se.Col, Msg: se.Msg, Err: se}
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	nodes, err := parseTemplate(jinjaSource(text))
	if err != nil {
		return err // compiled above: cannot happen
	}
	var named []namedTemplate
	walkStatements(nodes, func(n tnode) { named = append(named, templatesNamed(n)...) })
	for _, nt := range named {
		found, err := findTemplate(nt.name, dirs)
		var nf *TemplateNotFoundError
		switch {
		case errors.As(err, &nf) && nt.optional:
		case err != nil:
			line, col := lineCol(text, nt.off)
			return &FileError{Path: path, Line: line, Col: col, Msg: err.Error()}
		default:
			if err := checkFile(found, dirs, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// namedTemplate is a template a tag names by a literal, at the tag's offset;
// optional when one of several an include tries, or ignore missing.
type namedTemplate struct {
	name     string
	off      int
	optional bool
}

func templatesNamed(n tnode) []namedTemplate {
	switch n := n.(type) {
	case *extendsNode:
		return literalNames(n.name, n.off, false)
	case *importNode:
		return literalNames(n.name, n.off, false)
	case *includeNode:
		return literalNames(n.names, n.off, n.ignoreMissing)
	}
	return nil
}

// literalNames is the names of a literal string or list of strings; the
// names of a list are each optional, unless none of them is found (which
// this check leaves to run time).
func literalNames(n node, off int, optional bool) []namedTemplate {
	switch x := n.(type) {
	case *litNode:
		if s, ok := x.val.(string); ok {
			return []namedTemplate{{name: s, off: off, optional: optional}}
		}
	case *listNode:
		var out []namedTemplate
		for _, item := range x.items {
			out = append(out, literalNames(item, off, true)...)
		}
		return out
	}
	return nil
}

// walkStatements calls f on every node of a template, nested ones too.
func walkStatements(nodes []tnode, f func(tnode)) {
	for _, n := range nodes {
		f(n)
		for _, body := range children(n) {
			walkStatements(body, f)
		}
	}
}

// children are the bodies nested in a node.
func children(n tnode) [][]tnode {
	switch n := n.(type) {
	case *ifNode:
		return append(append([][]tnode{}, n.bodies...), n.els)
	case *forNode:
		return [][]tnode{n.body, n.els}
	case *blockNode:
		return [][]tnode{n.body}
	case *macroNode:
		return [][]tnode{n.body}
	case *callBlockNode:
		return [][]tnode{n.caller.body}
	case *filterBlockNode:
		return [][]tnode{n.body}
	case *setBlockNode:
		return [][]tnode{n.body}
	case *withNode:
		return [][]tnode{n.body}
	}
	return nil
}
