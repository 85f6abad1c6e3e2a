package runner

import (
	"errors"

	"github.com/ferry-sh/ferry/runner/template"
)

// templateFile checks a template task's file, and the templates it
// extends, includes and imports, as the run will find them (in the task's
// ansible_search_path, then the file's own directory): a syntax error or a
// template that none of them has is reported at its file:line, before
// anything runs.
func (v *validator) templateFile(t *Task, path string) {
	var dirs []string
	for _, d := range taskSearchPath(t, v.dir) {
		dirs = append(dirs, d.(string))
	}
	err := template.CheckFile(path, template.SearchPath(path, dirs...))
	if err == nil {
		return
	}
	var fe *template.FileError
	if errors.As(err, &fe) {
		pos := Pos{File: fe.Path, Line: fe.Line, Col: fe.Col}
		if msg, hint, ok := pluginUse(err, v.dir, ""); ok {
			v.diags.add(pos, hint, "template of task %q %s", t.Title(), msg)
			return
		}
		v.diags.add(pos, "", "template of task %q: %s", t.Title(), fe.Msg)
		return
	}
	v.diags.add(t.Pos, "", "template of task %q: %v", t.Title(), err)
}
