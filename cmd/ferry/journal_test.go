package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const resumePlaybook = `- hosts: web
  gather_facts: false
  tasks:
    - name: first
      command: echo one
      register: first_out
    - name: remember
      set_fact: {remembered: "{{ first_out.stdout }}-x"}
    - name: count
      shell: echo ran >> DIR/count-{{ inventory_hostname }}
    - name: token
      set_fact: {token: "{{ pw }}-derived"}
    - name: flaky
      command: test -e DIR/go
    - name: after
      debug: {msg: "{{ remembered }} {{ first_out.rc + 1 }} {{ token | length }}"}
`

// A failed run is recorded; --resume starts each host at the task that
// failed, with what the earlier tasks registered and set replayed, or at an
// earlier task whose registered value held a secret (the journal has only
// its mask, so it runs again). The journal never holds a secret.
func TestJournalAndResume(t *testing.T) {
	pb, inv := site(t, resumePlaybook)
	dir := filepath.Dir(pb)
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	must(t, os.WriteFile(secrets, []byte("pw: s3cr3t-value\n"), 0o600))
	args := []string{"run", pb, "-i", inv, "-l", "web1,web2", "--secrets", secrets}

	if code, stdout, stderr := ferry(t, args...); code != 2 {
		t.Fatalf("first run: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
	code, stdout, stderr := ferry(t, append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, skipped := range []string{"TASK [first]", "TASK [remember]", "TASK [count]"} {
		if strings.Contains(stdout, skipped) {
			t.Errorf("resume ran %s again:\n%s", skipped, stdout)
		}
	}
	// token holds a secret: it is run again, and so is what follows it.
	if !strings.Contains(stdout, "TASK [token]") || !strings.Contains(stdout, `"msg": "one-x 1 20"`) {
		t.Errorf("resume did not replay the registered values or rerun the secret one:\n%s", stdout)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "count-web1")); string(data) != "ran\n" {
		t.Errorf("the task before the failure ran %q times", data)
	}

	journals, _ := filepath.Glob(filepath.Join(dir, ".ferry", "journal", "*.jsonl"))
	if len(journals) != 2 {
		t.Fatalf("journals: %v", journals)
	}
	for _, j := range journals {
		data, err := os.ReadFile(j)
		must(t, err)
		if strings.Contains(string(data), "s3cr3t") {
			t.Errorf("%s holds the secret", j)
		}
		if fi, _ := os.Stat(j); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v", j, fi.Mode())
		}
	}

	// The run finished ok: nothing to resume.
	code, _, stderr = ferry(t, append(args, "--resume")...)
	if code != 4 || !strings.Contains(stderr, "finished ok: there is nothing to resume") {
		t.Errorf("resume after success: exit %d %s", code, stderr)
	}
	// A failed run, then the playbook changes: resume refuses.
	must(t, os.Remove(filepath.Join(dir, "go")))
	ferry(t, args...)
	must(t, os.WriteFile(pb, []byte(strings.ReplaceAll(resumePlaybook, "DIR", dir)+"    - debug: {msg: new}\n"), 0o644))
	code, _, stderr = ferry(t, append(args, "--resume")...)
	if code != 4 || !strings.Contains(stderr, "the playbook's files changed since") {
		t.Errorf("resume after a playbook change: exit %d %s", code, stderr)
	}

	code, stdout, _ = ferry(t, "log", "-i", inv)
	if code != 0 || strings.Count(stdout, "\n") != 4 || !strings.Contains(stdout, "resumes ") || !strings.Contains(stdout, "failed") {
		t.Errorf("ferry log: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = ferry(t, "log", "-i", inv, "last")
	if code != 0 || !strings.Contains(stdout, "TASK [flaky]") || !strings.Contains(stdout, "PLAY RECAP") || !strings.Contains(stdout, "result: failed") {
		t.Errorf("ferry log last: exit %d\n%s", code, stdout)
	}
}

// A run that fails in the middle of a looped include_tasks (itself inside a
// looped include) resumes at that iteration's task: the iterations before it
// are not run again, the ones after it run once, and what each iteration set
// is replayed in order.
func TestResumeInsideLoopedInclude(t *testing.T) {
	pb, inv := site(t, `- hosts: web1,web2
  gather_facts: false
  tasks:
    - include_tasks: outer.yml
      loop: [1, 2]
      loop_control: {loop_var: outer}
    - name: after
      debug: {msg: "seen {{ seen | join(',') }}"}
`)
	dir := filepath.Dir(pb)
	must(t, os.WriteFile(filepath.Join(dir, "outer.yml"), []byte(`- set_fact: {seen: "{{ (seen | default([])) + [outer | string] }}"}
- include_tasks: inner.yml
  loop: [a, b]
`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "inner.yml"), []byte(strings.ReplaceAll(`- name: count
  shell: echo {{ outer }}{{ item }} >> DIR/ran-{{ inventory_hostname }}
  register: out
- set_fact: {seen: "{{ seen + [out.cmd | regex_search('[0-9][ab]')] }}"}
- name: flaky
  command: test -e DIR/go
  when: inventory_hostname == 'web1' and outer == 2 and item == 'a'
`, "DIR", dir)), 0o644))
	args := []string{"run", pb, "-i", inv}

	if code, stdout, stderr := ferry(t, args...); code != 2 {
		t.Fatalf("first run: exit %d, want 2\n%s%s", code, stdout, stderr)
	}
	must(t, os.WriteFile(filepath.Join(dir, "go"), nil, 0o644))
	code, stdout, stderr := ferry(t, append(args, "--resume")...)
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, `"msg": "seen 1,1a,1b,2,2a,2b"`) {
		t.Errorf("web1's values were not replayed in order:\n%s", stdout)
	}
	for host, want := range map[string]string{"web1": "1a\n1b\n2a\n2b\n", "web2": "1a\n1b\n2a\n2b\n"} {
		if data, _ := os.ReadFile(filepath.Join(dir, "ran-"+host)); string(data) != want {
			t.Errorf("%s ran the counted task for %q, want each iteration once: %q", host, data, want)
		}
	}
	if n := strings.Count(stdout, "TASK [count]"); n != 1 {
		t.Errorf("the resumed run ran the counted task %d times, want once (web1's 2b):\n%s", n, stdout)
	}
}

// Ansible's host list (-i web1,web2,) runs, its journal in the current
// directory, and --resume knows the list.
func TestHostListInventoryJournal(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	must(t, os.WriteFile("pb.yml", []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - command: test -e go\n"), 0o644))
	args := []string{"run", "pb.yml", "-i", "web1,web2,", "-c", "local"}
	if code, stdout, stderr := ferry(t, args...); code != 2 || !strings.Contains(stdout, "web2") {
		t.Fatalf("first run: exit %d\n%s%s", code, stdout, stderr)
	}
	must(t, os.WriteFile("go", nil, 0o644))
	if code, stdout, stderr := ferry(t, append(args, "--resume")...); code != 0 {
		t.Fatalf("resume: exit %d\n%s%s", code, stdout, stderr)
	}
	if journals, _ := filepath.Glob(filepath.Join(dir, ".ferry", "journal", "*.jsonl")); len(journals) != 2 {
		t.Errorf("journals: %v", journals)
	}
}
