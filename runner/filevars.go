package runner

import "path/filepath"

// RenderFile renders a template file with the variables Ansible's template
// action adds for it (template_path, ansible_managed...), above the task's
// own, as the action's task_vars.update() puts them.
func (v varsAdapter) RenderFile(text, src, path, dest string) (string, error) {
	vars, err := v.sc.engine.FileVars(src, path, dest)
	if err != nil {
		return "", err
	}
	return varsAdapter{v.sc.withLayer(vars)}.Render(text)
}

// playbookDir is playbook_dir: absolute, as Ansible's (a playbook named
// by a relative path has its directory from the working directory).
func playbookDir(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}
