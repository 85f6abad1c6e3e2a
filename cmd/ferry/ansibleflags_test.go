package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

const listingPlaybook = `- name: first play
  hosts: web
  gather_facts: false
  tags: [p1]
  tasks:
    - name: one
      command: 'true'
      tags: [a, b]
    - block:
        - name: inner
          debug: msg=x
      tags: [c]
    - debug: msg=y
- hosts: all
  gather_facts: false
  tasks:
    - name: two
      command: 'true'
`

// The --list-* views and --syntax-check print what ansible-playbook prints,
// byte for byte, with the same tag and limit selection.
func TestListingsMatchAnsiblePlaybook(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "site.yml"), []byte(listingPlaybook), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte("[web]\nweb1\nweb2\n[db]\ndb1\n"), 0o644))
	t.Chdir(dir)
	for _, args := range [][]string{
		{"--list-tasks"}, {"--list-tags"}, {"--list-hosts"}, {"--syntax-check"},
		{"--list-tasks", "-t", "a,c"}, {"--list-tags", "--skip-tags", "b"}, {"--list-hosts", "--list-tasks", "-l", "web1"},
	} {
		all := append([]string{"site.yml", "-i", "hosts.ini"}, args...)
		code, got, stderr := ferry(t, append([]string{"run"}, all...)...)
		aCode, want, aErr, ran := ansiblecmp.Playbook(t, "", all)
		if !ran {
			return
		}
		if aCode != 0 {
			t.Fatalf("ansible-playbook %v: exit %d\n%s", args, aCode, aErr)
		}
		if code != 0 || sortHostLines(got) != sortHostLines(want) {
			t.Errorf("%v: exit %d\nferry:\n%s%s\nansible-playbook:\n%s", args, code, got, stderr, want)
		}
	}
}

// sortHostLines sorts each play's host list: ansible-playbook prints them
// in the order of a Python set, ferry in inventory order.
func sortHostLines(s string) string {
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "    hosts (") {
			continue
		}
		j := i + 1
		for j < len(lines) && strings.HasPrefix(lines[j], "      ") {
			j++
		}
		slices.Sort(lines[i+1 : j])
		i = j - 1
	}
	return strings.Join(lines, "\n")
}

func TestStartAtTask(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - name: first\n      command: touch DIR/first\n    - name: second\n      command: touch DIR/second\n")
	code, stdout, stderr := ferry(t, "run", pb, "-i", inv, "--start-at-task", "second")
	if code != 0 || strings.Contains(stdout, "TASK [first]") || !strings.Contains(stdout, "TASK [second]") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(pb), "first")); err == nil {
		t.Error("the task before --start-at-task ran")
	}
	code, _, stderr = ferry(t, "run", pb, "-i", inv, "--start-at-task", "third")
	if code != 5 || !strings.Contains(stderr, `--start-at-task "third": no task`) {
		t.Errorf("unknown task: exit %d %s", code, stderr)
	}
}

// --step asks before each task: n skips, y runs, c runs the rest unasked.
func TestStepAsksBeforeEachTask(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n"+
		"    - {name: a, command: touch DIR/a}\n    - {name: b, command: touch DIR/b}\n"+
		"    - {name: c, command: touch DIR/c}\n    - {name: d, command: touch DIR/d}\n")
	var stdout, stderr bytes.Buffer
	code := runIO([]string{"run", pb, "-i", inv, "--step"}, strings.NewReader("n\ny\nc\n"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	for name, want := range map[string]bool{"a": false, "b": true, "c": true, "d": true} {
		_, err := os.Stat(filepath.Join(filepath.Dir(pb), name))
		if (err == nil) != want {
			t.Errorf("task %s ran=%v, want %v", name, err == nil, want)
		}
	}
	if n := strings.Count(stdout.String(), "Perform task: TASK: "); n != 3 {
		t.Errorf("asked %d times, want 3 (none after c):\n%s", n, stdout.String())
	}
}

// The connection flags set the ansible_* variables they stand for, below
// the inventory's; -k's password is masked like every secret.
func TestConnectionFlags(t *testing.T) {
	dir := t.TempDir()
	pb := filepath.Join(dir, "site.yml")
	inv := filepath.Join(dir, "hosts.ini")
	must(t, os.WriteFile(pb, []byte(`- hosts: all
  gather_facts: false
  tasks:
    - command: 'true'
    - debug: {msg: "{{ ansible_user }} {{ ansible_timeout }} {{ ansible_ssh_private_key_file }} {{ ansible_password }}"}
`), 0o644))
	// Neither host says how to connect: -c local does.
	must(t, os.WriteFile(inv, []byte("a.invalid\nb.invalid ansible_user=bob\n"), 0o644))
	var stdout, stderr bytes.Buffer
	code := runIO([]string{"run", pb, "-i", inv, "-c", "local", "-u", "alice", "-T", "7", "--private-key", "/k", "-k"},
		strings.NewReader("hunter2\n"), &stdout, &stderr)
	out := stdout.String()
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr.String())
	}
	for _, want := range []string{`"msg": "alice 7 /k ********"`, `"msg": "bob 7 /k ********"`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr.String(), "hunter2") {
		t.Error("the -k password was printed")
	}
	if !strings.Contains(stderr.String(), "SSH password: ") {
		t.Errorf("no password prompt: %s", stderr.String())
	}
	// -b and --become-user, shown by debug (which needs no escalation).
	must(t, os.WriteFile(pb, []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ ansible_become }} {{ ansible_become_user }}\"}\n"), 0o644))
	code, out, _ = ferry(t, "run", pb, "-i", inv, "-c", "local", "-b", "--become-user", "app")
	if code != 0 || strings.Count(out, `"msg": "True app"`) != 2 {
		t.Errorf("-b --become-user: exit %d\n%s", code, out)
	}
}

func TestExtraVarsJSON(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ a.b + 1 }} {{ c[1] }}\"}\n")
	code, stdout, stderr := ferry(t, "run", pb, "-i", inv, "-e", `{"a": {"b": 41}, "c": ["x", "y"]}`)
	if code != 0 || !strings.Contains(stdout, `"msg": "42 y"`) {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}
