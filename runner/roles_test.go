package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRoleAndIncludeErrors: a mistake inside a role or an included file is a
// static error that names that file and line, before anything runs.
func TestRoleAndIncludeErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown key in a role's tasks", map[string]string{
			"site.yml":                 "- hosts: all\n  roles: [web]\n",
			"roles/web/tasks/main.yml": "- name: x\n  debug: {msg: hi}\n  bogus_key: 1\n",
		}, []string{"roles/web/tasks/main.yml:3:3", `unknown module or task keyword "bogus_key"`}},
		{"missing role", map[string]string{
			"site.yml": "- hosts: all\n  roles:\n    - nosuchrole\n",
		}, []string{"site.yml:3:7", `role "nosuchrole" not found`, "roles/nosuchrole"}},
		{"missing dependency", map[string]string{
			"site.yml":                "- hosts: all\n  roles: [web]\n",
			"roles/web/meta/main.yml": "dependencies:\n  - role: gone\n",
		}, []string{"roles/web/meta/main.yml:2:11", `role "gone" not found`}},
		{"import_tasks with a loop", map[string]string{
			"site.yml": "- hosts: all\n  tasks:\n    - import_tasks: t.yml\n      loop: [1, 2]\n",
			"t.yml":    "- debug: {msg: hi}\n",
		}, []string{"site.yml:3:7", "import_tasks cannot loop"}},
		{"error in an included file", map[string]string{
			"site.yml": "- hosts: all\n  tasks:\n    - include_tasks: t.yml\n",
			"t.yml":    "- debug: {msg: hi}\n- nomodule: {}\n",
		}, []string{"t.yml:2:3", `unknown module or task keyword "nomodule"`}},
		{"missing imported file", map[string]string{
			"site.yml": "- hosts: all\n  tasks:\n    - import_tasks: gone.yml\n",
		}, []string{"site.yml:3:21", "gone.yml not found"}},
		{"unknown tasks_from", map[string]string{
			"site.yml":                 "- hosts: all\n  tasks:\n    - import_role: {name: web, tasks_from: nope}\n",
			"roles/web/tasks/main.yml": "- debug: {msg: hi}\n",
		}, []string{"site.yml:3:", `role "web" has no tasks file "nope"`}},
		{"bad import_playbook", map[string]string{
			"site.yml":  "- import_playbook: other.yml\n",
			"other.yml": "- hosts: all\n  tasks:\n    - debug: {msg: hi}\n      whn: x\n",
		}, []string{"other.yml:4:7", `"whn"`}},
		{"unknown role argument", map[string]string{
			"site.yml":                 "- hosts: all\n  tasks:\n    - include_role: {name: web, taks_from: x}\n",
			"roles/web/tasks/main.yml": "- debug: {msg: hi}\n",
		}, []string{"site.yml:3:33", `unknown argument "taks_from"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				path := filepath.Join(dir, name)
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := LoadPlaybook(filepath.Join(dir, "site.yml"))
			if err == nil {
				t.Fatal("no error")
			}
			if !IsValidation(err) {
				t.Errorf("not a validation error: %v", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
		})
	}
}

// TestEmptyRoleFiles: public roles ship meta, defaults, vars and handlers
// files holding only `---` or nothing; Ansible reads them as empty.
func TestEmptyRoleFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"site.yml":                  "- hosts: all\n  roles: [e]\n",
		"roles/e/tasks/main.yml":    "---\n- debug: {msg: hi}\n",
		"roles/e/meta/main.yml":     "---\n",
		"roles/e/defaults/main.yml": "---\n",
		"roles/e/vars/main.yml":     "",
		"roles/e/handlers/main.yml": "---\n# none yet\n",
	}
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pb, err := LoadPlaybook(filepath.Join(dir, "site.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := pb.TaskCount(); n != 2 { // the role's block and its one task
		t.Errorf("%d tasks, want 2", n)
	}
}
