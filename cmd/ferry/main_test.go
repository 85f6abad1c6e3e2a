package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func ferry(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func site(t *testing.T, playbook string) (pb, inv string) {
	t.Helper()
	dir := t.TempDir()
	pb = filepath.Join(dir, "site.yml")
	inv = filepath.Join(dir, "hosts.ini")
	must(t, os.WriteFile(pb, []byte(strings.ReplaceAll(playbook, "DIR", dir)), 0o644))
	must(t, os.WriteFile(inv, []byte("[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\nweb3 ansible_connection=local\n"), 0o644))
	return pb, inv
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestExitCodes(t *testing.T) {
	ok, inv := site(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: 'true'\n")
	failing, _ := site(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: 'false'\n")
	invalid, _ := site(t, "- hosts: web\n  tasks:\n    - bogus: {}\n")
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"ok", []string{"run", ok, "-i", inv}, 0, ""},
		{"flags after the playbook", []string{"run", ok, "-i", inv, "--check", "-f", "2"}, 0, ""},
		{"host failed", []string{"run", failing, "-i", inv}, 2, ""},
		{"invalid playbook", []string{"run", invalid, "-i", inv}, 4, "unknown module or task keyword \"bogus\""},
		{"unknown flag", []string{"run", ok, "-i", inv, "--chek"}, 2, "unknown flag: --chek"},
		{"flag without its value", []string{"run", ok, "-i", inv, "--forks"}, 2, "flag needs an argument"},
		{"no forks", []string{"run", ok, "-i", inv, "--forks", "0"}, 2, "--forks must be at least 1"},
		{"bad -e", []string{"run", ok, "-i", inv, "-e", "not a pair"}, 5, "-e not a pair"},
		{"bad output", []string{"run", ok, "-i", inv, "--output", "xml"}, 5, "--output must be text, json or junit"},
		{"no inventory", []string{"run", ok}, 4, "pass -i INVENTORY"},
		{"two playbooks", []string{"run", ok, ok, "-i", inv}, 5, "one playbook at a time"},
		{"unknown command", []string{"deploy"}, 2, "unknown command \"deploy\""},
		{"missing playbook", []string{"run", "/nonexistent.yml", "-i", inv}, 1, "the playbook /nonexistent.yml could not be found"},
		{"limit matching no host", []string{"run", ok, "-i", inv, "-l", "nosuch"}, 1, "--limit \"nosuch\" leaves no host to run on"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := ferry(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.err) {
				t.Errorf("stderr lacks %q:\n%s", tt.err, stderr)
			}
			if (tt.code == 5 || tt.code == 2 && strings.Contains(stderr, "ferry: ")) && !strings.Contains(stderr, "Usage:") {
				t.Errorf("exit %d without the usage:\n%s", tt.code, stderr)
			}
		})
	}
}

func TestValidateRunsNothing(t *testing.T) {
	pb, inv := site(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: touch DIR/ran\n")
	code, stdout, stderr := ferry(t, "validate", pb, "-i", inv)
	if code != 0 || !strings.Contains(stdout, "1 plays, 1 tasks: valid") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(pb), "ran")); err == nil {
		t.Error("validate ran a task")
	}
}

// TestTextOutputGolden pins the text output an Ansible user reads.
func TestTextOutputGolden(t *testing.T) {
	pb, inv := site(t, `
- name: golden
  hosts: web
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      when: inventory_hostname != 'web3'
      notify: handler
    - name: loop
      debug: {msg: "{{ item }}"}
      loop: [a]
      when: inventory_hostname == 'web1'
    - name: fail
      fail: {msg: boom}
      when: inventory_hostname == 'web2'
  handlers:
    - name: handler
      debug: {msg: handled}
`)
	_, stdout, _ := ferry(t, "run", pb, "-i", inv, "-f", "1")
	golden := filepath.Join("testdata", "output.golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		must(t, os.WriteFile(golden, []byte(stdout), 0o644))
	}
	want, err := os.ReadFile(golden)
	must(t, err)
	if stdout != string(want) {
		t.Errorf("output differs from %s (UPDATE_GOLDEN=1 to accept):\n%s", golden, stdout)
	}
}

func TestInventoryList(t *testing.T) {
	_, inv := site(t, "")
	code, stdout, stderr := ferry(t, "inventory", "-i", inv, "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var list map[string]any
	must(t, json.Unmarshal([]byte(stdout), &list))
	web, _ := list["web"].(map[string]any)
	if hosts, _ := web["hosts"].([]any); len(hosts) != 3 {
		t.Errorf("web hosts = %v", web)
	}
	code, stdout, _ = ferry(t, "inventory", "-i", inv, "--graph")
	if code != 0 || !strings.Contains(stdout, "@web:") {
		t.Errorf("graph: %d %s", code, stdout)
	}
}

func TestDocAndInit(t *testing.T) {
	code, stdout, _ := ferry(t, "doc")
	if code != 0 || !strings.Contains(stdout, "copy") || !strings.Contains(stdout, "wait_for") {
		t.Errorf("doc index: %d\n%s", code, stdout)
	}
	code, stdout, _ = ferry(t, "doc", "copy")
	if code != 0 || !strings.Contains(stdout, "dest") {
		t.Errorf("doc copy: %d\n%s", code, stdout)
	}
	if code, _, _ = ferry(t, "doc", "nope"); code != 5 {
		t.Errorf("doc of an unknown module: exit %d", code)
	}
	dir := filepath.Join(t.TempDir(), "mysite")
	if code, _, stderr := ferry(t, "init", dir); code != 0 {
		t.Fatalf("init: %d %s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "inventory.yml")); err != nil {
		t.Error("init did not copy the example inventory")
	}
	if code, _, _ = ferry(t, "init", dir); code == 0 {
		t.Error("init into a non-empty directory succeeded")
	}
}

// A shipped playbook's name runs the embedded playbook.
func TestEmbeddedPlaybookByName(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	code, stdout, stderr := ferry(t, "validate", "dash-enterprise-upgrade.yml", "-i", filepath.Join("..", "..", "playbooks", "examples", "site"),
		"-e", "admin_console_password=x", "-e", "dash_admin_password=y")
	if code != 0 || !strings.Contains(stdout, "dash-enterprise-upgrade.yml") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestMainJob is the README's first command: the embedded playbook in check
// mode against the example site, with this machine standing in for the server
// (without a journal, which would pile up in the checkout's example site).
func TestMainJob(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	examples := filepath.Join("..", "..", "playbooks", "examples")
	code, stdout, stderr := ferry(t, "run", "--check", "--no-journal", "-i", filepath.Join(examples, "site"), "-e", "@"+filepath.Join(examples, "demo", "demo.yml"))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "PLAY RECAP") || !strings.Contains(stdout, "failed=0") {
		t.Errorf("no clean recap:\n%s", stdout)
	}
}

// debug var= prints the variable alone, as ansible-playbook 2.14 does
// (it printed a "msg" beside it).
func TestDebugVarShowsTheVariableAlone(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - set_fact: {r: {a: 1}}\n    - debug: var=r\n")
	_, stdout, _ := ferry(t, "run", pb, "-i", inv, "--no-journal")
	if want := "ok: [web1] => {\n    \"r\": {\n        \"a\": 1\n    }\n}\n"; !strings.Contains(stdout, want) {
		t.Errorf("want\n%s\ngot\n%s", want, stdout)
	}
}
