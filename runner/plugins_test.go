package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonPluginUses: every use of a filter or test that a Python plugin
// beside the playbook defines is reported when the playbook is loaded, with
// the use's file:line and the plugin's file:line; nothing runs.
func TestPythonPluginUses(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		t.Helper()
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("filter_plugins/my.py", "def shout(s):\n    return s.upper()\n\nclass FilterModule(object):\n    def filters(self):\n        return {\n            'shout': shout,\n        }\n")
	write("test_plugins/t.py", "class TestModule(object):\n    def tests(self):\n        return {'even_len': lambda s: len(s) % 2 == 0}\n")
	write("pb.yml", `- hosts: all
  tasks:
    - debug: msg="{{ 'a' | shout }}"
      when: "'ab' is even_len"
    - debug:
        msg: "{{ 'b' | shout }}"
    - debug: msg="{{ 'c' | nosuch }}"
`)
	_, err := LoadPlaybook(filepath.Join(dir, "pb.yml"))
	if err == nil {
		t.Fatal("a playbook using Python plugins loaded without an error")
	}
	msg := err.Error()
	for _, want := range []string{
		`pb.yml:3:14: bad template "{{ 'a' | shout }}" uses filter 'shout', defined in the Python plugin ` + filepath.Join(dir, "filter_plugins/my.py") + `:7, which ferry cannot run`,
		`pb.yml:4:13: bad expression "'ab' is even_len" uses test 'even_len', defined in the Python plugin ` + filepath.Join(dir, "test_plugins/t.py") + `:3`,
		`pb.yml:6:14: bad template "{{ 'b' | shout }}" uses filter 'shout'`,
		`pb.yml:7:14: bad template "{{ 'c' | nosuch }}": syntax error at column 10 of "{{ 'c' | nosuch }}": unknown filter 'nosuch'`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks\n%s\ngot:\n%s", want, msg)
		}
	}
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
