package runner

import (
	"path/filepath"
	"slices"
)

// taskSearchPath is ansible_search_path, where lookups (first_found, file,
// template...) look for a task's files, in Ansible's order: the task's role
// (Task.get_search_path's dependency chain), the directory of the file the
// task is written in, then the playbook's directory (the loader's basedir,
// which VariableManager appends).
func taskSearchPath(t *Task, playbookDir string) []any {
	dirs := taskSearchDirs(t, playbookDir)
	out := make([]any, len(dirs))
	for i, d := range dirs {
		out[i] = d
	}
	return out
}

// taskSearchDirs is taskSearchPath as strings: where copy, template,
// script... look for a relative src (ActionBase._find_needle).
func taskSearchDirs(t *Task, playbookDir string) []string {
	var out []string
	add := func(dir string) {
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		if !slices.Contains(out, dir) {
			out = append(out, dir)
		}
	}
	if t.Role != nil {
		add(t.Role.Path)
		for _, parent := range slices.Backward(t.Role.Parents) {
			add(parent)
		}
	}
	if t.Pos.File != "" {
		add(filepath.Dir(t.Pos.File))
	}
	if playbookDir != "" {
		add(playbookDir)
	}
	return out
}
