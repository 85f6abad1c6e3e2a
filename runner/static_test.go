package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryLiteralIsCheckedBeforeAnythingRuns: each bad literal sits after a
// task that would change the host; the run must stop before that task, with
// exit 4, "Nothing was run." and the problem at its file:line.
func TestEveryLiteralIsCheckedBeforeAnythingRuns(t *testing.T) {
	tests := []struct {
		name, tasks, want string
	}{
		{"unknown filter in free-form", "    - command: echo {{ inventory_hostname | nosuchfilter }}\n", `site.yml:5:16: task "command" argument cmd: syntax error at column 30`},
		{"unknown filter in key=value", "    - debug: msg={{inventory_hostname|nosuchfilter}}\n", "unknown filter 'nosuchfilter'"},
		{"bad symbolic mode in key=value", "    - file: path=DIR/f state=touch mode=abc\n", `mode "abc": clause "abc" has no operator`},
		{"bad octal mode", "    - file:\n        path: DIR/f\n        state: touch\n        mode: \"0999\"\n", `site.yml:8:9: mode "0999" is not octal`},
		{"decimal mode", "    - copy: content=x dest=DIR/g mode=99999\n", `mode "99999" is not octal`},
		{"timeout too long", "    - command: 'true'\n      timeout: 9999999999999\n", "timeout 9999999999999 is too long: at most 9223372036 seconds"},
		{"delay too long", "    - command: 'true'\n      until: true\n      delay: 99999999999\n", "delay 99999999999 is too long"},
		{"missing vars_files in a later play", "- hosts: web\n  gather_facts: false\n  vars_files: [nosuch.yml]\n  tasks:\n    - command: 'true'\n",
			`site.yml:5:3: vars_files "nosuch.yml": `},
		{"async on a module that runs in the foreground", "    - debug: msg=x\n      async: 10\n", "site.yml:6:14: async is not supported for module debug"},
		{"async not a number", "    - command: 'true'\n      async: soon\n", `site.yml:6:14: want a whole number, not "soon"`},
		{"free-form text after a templated module", "    - action: \"{{ 'command' }} echo hi\"\n", "site.yml:5:15: the module {{ 'command' }} is a template, so its arguments must be key=value"},
		// 2.14 fails these at run time with "Invalid variable name in
		// 'register' specified" or at parse time ("Invalid variable name
		// in vars specified for Task"): isidentifier refuses Python's keywords.
		{"register naming a Python keyword", "    - debug: msg=x\n      register: import\n", `site.yml:6:17: "import" is not a valid variable name (a Python keyword`},
		{"register None", "    - debug: msg=x\n      register: None\n", `site.yml:6:17: "None" is not a valid variable name`},
		{"task vars naming a Python keyword", "    - debug: msg=x\n      vars: {class: 1}\n", `site.yml:6:14: "class" is not a valid variable name`},
		{"vars_files naming an undefined variable", "- hosts: web\n  gather_facts: false\n  vars_files: [\"{{ nosuch }}.yml\"]\n  tasks:\n    - command: 'true'\n",
			"'nosuch' is undefined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: touch DIR/changed\n" + tt.tasks
			r := runPlaybook(t, pb, localInventory, nil)
			if r.code != ExitInvalid {
				t.Errorf("exit %d, want %d", r.code, ExitInvalid)
			}
			r.mustContain(t, tt.want, "Nothing was run.")
			if _, err := os.Stat(filepath.Join(r.dir, "changed")); err == nil {
				t.Error("the task before the bad one ran")
			}
		})
	}
}

// TestVarsFilesPathsRenderAsTheRunDoes: a vars_files path built from -e,
// play vars and playbook_dir passes the static check and is read.
func TestVarsFilesPathsRenderAsTheRunDoes(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  vars:
    name: site
  vars_files: ["{{ playbook_dir }}/{{ env }}-{{ name }}.yml"]
  tasks:
    - debug: {msg: "{{ color }}"}
`
	r := runPlaybook(t, pb, localInventory, func(s *Session) {
		writeFile(t, filepath.Join(filepath.Dir(s.Playbook), "prod-site.yml"), "color: blue\n")
		s.ExtraVars = []string{"env=prod"}
	})
	if r.code != 0 || !strings.Contains(r.stdout, `"msg": "blue"`) {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
