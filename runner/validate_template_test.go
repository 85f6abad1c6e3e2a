package runner

import (
	"os"
	"path/filepath"
	"testing"
)

// TestTemplateFilesAreCheckedBeforeAnythingRuns: a template task's file,
// and the templates it extends, includes and imports, are checked before
// the first task runs: a syntax error or a missing template is reported at
// the template's file:line with exit 4 and nothing run.
func TestTemplateFilesAreCheckedBeforeAnythingRuns(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unclosed block", map[string]string{"templates/t.j2": "a\n{% block b %}\nx\n"},
			"templates/t.j2:2:1: template of task \"template\": {% block %} is never closed: add {% endblock %}"},
		{"unknown tag", map[string]string{"templates/t.j2": "a\nb {% break %}"}, "templates/t.j2:2:6: template of task \"template\": unsupported tag {% break %}"},
		{"missing extends", map[string]string{"templates/t.j2": "{% extends 'base.j2' %}"}, `templates/t.j2:1:1: template of task "template": template "base.j2" not found`},
		{"missing include in a block", map[string]string{"templates/t.j2": "{% block b %}\n  {% include 'part.j2' %}{% endblock %}"},
			`templates/t.j2:2:3: template of task "template": template "part.j2" not found`},
		{"missing import", map[string]string{"templates/t.j2": "{% from 'm.j2' import x %}"}, `template "m.j2" not found`},
		{"syntax error in an extended template", map[string]string{"templates/t.j2": "{% extends 'base.j2' %}", "templates/base.j2": "\n\n{{ x | nosuch }}"},
			"templates/base.j2:3:8: template of task \"template\": unknown filter 'nosuch'"},
		{"unknown macro", map[string]string{"templates/t.j2": "{{ m() }}"}, "templates/t.j2:1:4: template of task \"template\": unknown function 'm'"},
	}
	pb := "- hosts: web1\n  gather_facts: false\n  tasks:\n    - command: touch DIR/changed\n    - template: src=t.j2 dest=DIR/out\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runPlaybook(t, pb, localInventory, func(s *Session) {
				for name, text := range tt.files {
					writeFile(t, filepath.Join(filepath.Dir(s.Playbook), name), text)
				}
			})
			if r.code != ExitInvalid {
				t.Errorf("exit %d, want %d", r.code, ExitInvalid)
			}
			r.mustContain(t, tt.want, "Nothing was run.")
			if _, err := os.Stat(filepath.Join(r.dir, "changed")); err == nil {
				t.Error("the task before the bad template ran")
			}
		})
	}
}

// TestTemplateFileCheckFindsTheRunsTemplates: a role's template that
// includes the playbook's templates, ignores a missing one and tries a
// list passes the check, and the run renders it.
func TestTemplateFileCheckFindsTheRunsTemplates(t *testing.T) {
	pb := "- hosts: web1\n  gather_facts: false\n  roles: [r]\n"
	r := runPlaybook(t, pb, localInventory, func(s *Session) {
		dir := filepath.Dir(s.Playbook)
		writeFile(t, filepath.Join(dir, "roles/r/tasks/main.yml"), "- template: src=t.j2 dest="+filepath.Join(dir, "out")+"\n")
		writeFile(t, filepath.Join(dir, "roles/r/templates/t.j2"),
			"{% include 'part.j2' %}|{% include 'none.j2' ignore missing %}{% include ['none.j2', 'part.j2'] %}\n")
		writeFile(t, filepath.Join(dir, "templates/part.j2"), "part")
	})
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	out, err := os.ReadFile(filepath.Join(r.dir, "out"))
	if err != nil || string(out) != "part|part\n" {
		t.Errorf("rendered %q, %v; want %q", out, err, "part|part\n")
	}
}
