package runner

import (
	"path/filepath"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/template"
)

// RenderFile renders a template file with the variables Ansible's template
// action adds for it (template_path, ansible_managed...), above the task's
// own, as the action's task_vars.update() puts them. The templates it
// extends, includes and imports are found in the action's search path.
func (v varsAdapter) RenderFile(f modules.TemplateFile) (string, error) {
	vars, err := v.sc.engine.FileVars(f.Src, f.Path, f.Dest)
	if err != nil {
		return "", err
	}
	set := template.Settings{TrimBlocks: f.TrimBlocks, LstripBlocks: f.LstripBlocks}
	return varsAdapter{v.sc.withLayer(vars)}.render(f.Text, v.searchPath(f.Path), set)
}

// searchPath is the template action's search path for the template at
// path: the task's ansible_search_path (its role, the directory of its
// tasks file, the playbook's directory), then the template's own
// directory, each DIR/templates first.
func (v varsAdapter) searchPath(path string) []string {
	var dirs []string
	if sp, ok, err := v.sc.Lookup("ansible_search_path"); ok && err == nil {
		if l, ok := sp.([]any); ok {
			for _, d := range l {
				if s, ok := d.(string); ok {
					dirs = append(dirs, s)
				}
			}
		}
	}
	return template.SearchPath(path, dirs...)
}

// playbookDir is playbook_dir: absolute, as Ansible's (a playbook named
// by a relative path has its directory from the working directory).
func playbookDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// render is Render with the Jinja settings set, and the templates text
// names found in dirs.
func (v varsAdapter) render(text string, dirs []string, set template.Settings) (string, error) {
	out, err := v.sc.taint(func(sc template.Scope) (any, error) { return v.sc.engine.RenderFileWith(text, dirs, set, sc) })
	s, _ := out.(string)
	return s, err
}
