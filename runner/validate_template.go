package runner

import (
	"errors"

	"github.com/ferry-sh/ferry/runner/template"
)

// templateFile checks a template task's file, and the templates it
// extends, includes and imports, as the run will find them (the role's,
// then the playbook's directory, then the file's own): a syntax error or a
// template that none of them has is reported at its file:line, before
// anything runs.
func (v *validator) templateFile(t *Task, path string) {
	var dirs []string
	if t.Role != nil {
		dirs = append(dirs, t.Role.Path)
	}
	err := template.CheckFile(path, template.SearchPath(path, append(dirs, v.dir)...))
	if err == nil {
		return
	}
	var fe *template.FileError
	if errors.As(err, &fe) {
		v.diags.add(Pos{File: fe.Path, Line: fe.Line, Col: fe.Col}, "", "template of task %q: %s", t.Title(), fe.Msg)
		return
	}
	v.diags.add(t.Pos, "", "template of task %q: %v", t.Title(), err)
}
