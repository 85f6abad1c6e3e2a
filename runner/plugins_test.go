package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonPluginUses: every use of a filter or test that a Python plugin
// beside the playbook defines is reported before anything runs, with the
// use's file:line and the plugin's file:line.
func TestPythonPluginUses(t *testing.T) {
	plugins := func(s *Session) {
		dir := filepath.Dir(s.Playbook)
		writeFile(t, filepath.Join(dir, "filter_plugins/my.py"), "def shout(s):\n    return s.upper()\n\nclass FilterModule(object):\n    def filters(self):\n        return {\n            'shout': shout,\n        }\n")
		writeFile(t, filepath.Join(dir, "test_plugins/t.py"), "class TestModule(object):\n    def tests(self):\n        return {'even_len': lambda s: len(s) % 2 == 0}\n")
	}
	const use = ", defined in the Python plugin "
	// Templates in YAML values are checked as the playbook is read...
	r := runPlaybook(t, `- hosts: all
  tasks:
    - debug:
        msg: "{{ 'b' | shout }}"
      when: "'ab' is even_len"
    - debug:
        msg: "{{ 'c' | nosuch }}"
`, "localhost ansible_connection=local\n", plugins)
	r.mustContain(t, `site.yml:4:14: bad template "{{ 'b' | shout }}" uses filter 'shout'`+use+filepath.Join(r.dir, "filter_plugins/my.py")+":7, which ferry cannot run",
		`site.yml:5:13: bad expression "'ab' is even_len" uses test 'even_len'`+use+filepath.Join(r.dir, "test_plugins/t.py")+":3",
		`site.yml:7:14: bad template "{{ 'c' | nosuch }}": syntax error at column 10 of "{{ 'c' | nosuch }}": unknown filter 'nosuch'`,
		"Nothing was run")
	// ...key=value and free-form arguments when they are split.
	r = runPlaybook(t, `- hosts: all
  tasks:
    - debug: msg="{{ 'a' | shout }}"
    - command: echo {{ 'a' | shout }}
`, "localhost ansible_connection=local\n", plugins)
	r.mustContain(t, `site.yml:3:14: task "debug" argument msg uses filter 'shout'`+use,
		`site.yml:4:16: task "command" argument cmd uses filter 'shout'`+use, "Nothing was run")
	// ...and the expressions a module evaluates itself (assert's that,
	// debug's var: ansible-for-devops' test-plugin and collection examples),
	// a collection's test named as such.
	r = runPlaybook(t, `- hosts: all
  tasks:
    - assert:
        that:
          - "'ab' is even_len"
    - debug: var="'ab' | shout"
    - assert:
        that: "'yellow' is not local.colors.blue"
    - template: {src: t.j2, dest: /tmp/t}
`, "localhost ansible_connection=local\n", func(s *Session) {
		plugins(s)
		writeFile(t, filepath.Join(filepath.Dir(s.Playbook), "templates/t.j2"), "plain\nshouted {{ 'a' | shout }}\n")
	})
	r.mustContain(t, `site.yml:4:9: task "assert" argument that uses test 'even_len'`+use,
		`t.j2:2:18: template of task "template" uses filter 'shout'`+use,
		`site.yml:6:14: task "debug" argument var uses filter 'shout'`+use,
		`site.yml:8:9: task "assert" argument that uses test 'local.colors.blue', a Python plugin of the collection local.colors, which ferry cannot run`,
		"Nothing was run")
}

// TestPasswordLookupIsMasked: a password that lookup('password') creates or
// reads is a secret: it never appears in the output, at any verbosity.
func TestPasswordLookupIsMasked(t *testing.T) {
	pb := `
- hosts: all
  gather_facts: false
  tasks:
    - debug: msg="pw is {{ lookup('password', 'DIR/pw length=14') }}"
    - debug: msg="again {{ lookup('password', 'DIR/pw') }}"
`
	for _, output := range []string{"text", "json"} {
		r := runPlaybook(t, pb, "localhost ansible_connection=local\n", func(s *Session) {
			s.Output = output
			s.Verbosity = 4
		})
		pw, err := os.ReadFile(filepath.Join(r.dir, "pw"))
		if err != nil || len(strings.TrimSpace(string(pw))) != 14 {
			t.Fatalf("password file: %q, %v", pw, err)
		}
		if strings.Contains(r.stdout+r.stderr, strings.TrimSpace(string(pw))) || !strings.Contains(r.stdout, Mask) {
			t.Errorf("%s output shows the password or no mask:\n%s%s", output, r.stdout, r.stderr)
		}
	}
}
