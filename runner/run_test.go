package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const localInventory = `[web]
web1 ansible_connection=local
web2 ansible_connection=local
`

// runResult is a playbook run through the whole session, as `ferry run` does.
type runResult struct {
	code           int
	stdout, stderr string
	dir            string
}

func runPlaybook(t *testing.T, playbook, inventory string, configure func(*Session)) runResult {
	t.Helper()
	dir := t.TempDir()
	pb := filepath.Join(dir, "site.yml")
	inv := filepath.Join(dir, "hosts.ini")
	writeFile(t, pb, strings.ReplaceAll(playbook, "DIR", dir))
	writeFile(t, inv, inventory)
	var stdout, stderr bytes.Buffer
	s := &Session{Playbook: pb, Inventories: []string{inv}, Stdout: &stdout, Stderr: &stderr, Output: "text"}
	if configure != nil {
		configure(s)
	}
	code := s.Run(context.Background())
	return runResult{code: code, stdout: stdout.String(), stderr: stderr.String(), dir: dir}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (r runResult) mustContain(t *testing.T, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.stdout+r.stderr, p) {
			t.Errorf("output lacks %q:\n%s%s", p, r.stdout, r.stderr)
		}
	}
}

func TestCheckModeChangesNothingAndShowsThePlan(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - name: write
      copy:
        content: "hello\n"
        dest: "DIR/{{ inventory_hostname }}.txt"
    - name: a command
      command: touch DIR/touched
`
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.Check = true })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, f := range []string{"web1.txt", "web2.txt", "touched"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
			t.Errorf("check mode created %s", f)
		}
	}
	r.mustContain(t, "changed: [web1]", "    would write "+filepath.Join(r.dir, "web1.txt"), "skipping: [web1]",
		"web1                       : ok=1    changed=1    unreachable=0    failed=0    skipped=1")
	// The real run does what the plan said, and a second run changes nothing.
	r2 := runPlaybook(t, strings.ReplaceAll(pb, "DIR", r.dir), localInventory, nil)
	r2.mustContain(t, "web1                       : ok=2    changed=2")
	r3 := runPlaybook(t, strings.ReplaceAll(pb, "DIR", r.dir), localInventory, func(s *Session) { s.Check = true })
	r3.mustContain(t, "ok: [web1]", "web1                       : ok=1    changed=0")
}

func TestForceHandlersRunAfterFailure(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - name: change
      command: "true"
      notify: record
    - name: fail on web1
      fail: {msg: boom}
      when: inventory_hostname == 'web1'
  handlers:
    - name: record
      command: "touch DIR/handled-{{ inventory_hostname }}"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "handled-web1")); err == nil {
		t.Error("without --force-handlers the failed host ran its handler")
	}
	if _, err := os.Stat(filepath.Join(r.dir, "handled-web2")); err != nil {
		t.Error("the healthy host did not run its handler")
	}
	r.mustContain(t, "handlers notified on web1 did not run because the host failed:\nrecord (re-run with --force-handlers")

	r = runPlaybook(t, pb, localInventory, func(s *Session) { s.ForceHandlers = true })
	if _, err := os.Stat(filepath.Join(r.dir, "handled-web1")); err != nil {
		t.Errorf("with --force-handlers the failed host's handler did not run:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "did not run") {
		t.Error("pending-handlers warning with --force-handlers")
	}
	r.mustContain(t, "web1                       : ok=2    changed=2    unreachable=0    failed=1")
}

func TestVariablePrecedence(t *testing.T) {
	inv := "[web]\nweb1 ansible_connection=local v_host=host\n[web:vars]\nv_group=group\nv_host=group\nv_play=group\n"
	pb := `
- hosts: web
  gather_facts: false
  vars:
    v_play: play
    v_task: play
    v_extra: play
    v_ref: "{{ v_group }}-{{ v_host }}"
  tasks:
    - set_fact:
        v_fact: fact
    - assert:
        that:
          - v_group == 'group'
          - v_host == 'host'
          - v_play == 'play'
          - v_task == 'task'
          - v_extra == 'extra'
          - v_ref == 'group-host'
          - v_fact == 'fact'
      vars:
        v_task: task
        v_extra: task
`
	r := runPlaybook(t, pb, inv, func(s *Session) { s.ExtraVars = []string{"v_extra=extra"} })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestUndefinedVariableIsStaticError(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - name: uses a typo
      debug:
        msg: "{{ greting }}"
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local greeting=hi\n", nil)
	if r.code != ExitInvalid {
		t.Errorf("exit %d, want 4", r.code)
	}
	r.mustContain(t, `site.yml:7:9: task "uses a typo" argument msg uses undefined variable "greting" (did you mean `+"`greeting`"+`?)`, "Nothing was run.")
}

func TestRecursiveVariableFailsClearly(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars:
    a: "{{ b }}"
    b: "{{ a }}"
  tasks:
    - debug: {msg: "{{ a }}"}
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != ExitInvalid {
		t.Errorf("exit %d, want 4", r.code)
	}
	r.mustContain(t, `site.yml:2:3: recursive loop in variable "a": a -> b -> a`)

	// A loop through the inventory is found when the task runs.
	r = runPlaybook(t, "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ a }}\"}\n",
		"[web]\nweb1 ansible_connection=local a={{b}} b={{a}}\n", nil)
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	r.mustContain(t, `recursive loop in variable \"a\": a -> b -> a`)
}

func TestSecretsAreMaskedEverywhere(t *testing.T) {
	secret := "s3cr3t-Pa55word"
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - name: echo the secret back (it goes in on stdin)
      command: cat
      args:
        stdin: "{{ db_password }}"
      register: out
    - debug: {var: out.stdout}
    - fail: {msg: "failed with {{ db_password }}"}
`
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	writeFile(t, secrets, "db_password: "+secret+"\n")
	for _, output := range []string{"text", "json"} {
		r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) {
			s.SecretFiles = []string{secrets}
			s.Output = output
			s.Verbosity = 4
		})
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Errorf("%s output shows the secret:\n%s%s", output, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, Mask) {
			t.Errorf("%s output does not show the mask:\n%s", output, r.stdout)
		}
	}
}

func TestJSONOutputIsOneEventPerLine(t *testing.T) {
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: 'true'\n"
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.Output = "json" })
	var types []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var e Event
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("not JSON: %q: %v", line, err)
		}
		types = append(types, string(e.Type))
		if e.Type == EventRecap && (len(e.Stats) != 2 || e.Stats[0].Changed != 1) {
			t.Errorf("recap stats = %+v", e.Stats)
		}
	}
	want := "play_start task_start host_result host_result recap"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
}

func TestSerialAndAnyErrorsFatal(t *testing.T) {
	inv := "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\nweb3 ansible_connection=local\n"
	pb := `
- hosts: web
  gather_facts: false
  serial: 1
  any_errors_fatal: true
  tasks:
    - fail: {msg: stop}
      when: inventory_hostname == 'web2'
    - command: "touch DIR/{{ inventory_hostname }}"
`
	r := runPlaybook(t, pb, inv, nil)
	if r.code != 2 {
		t.Errorf("exit %d", r.code)
	}
	for host, want := range map[string]bool{"web1": true, "web2": false, "web3": false} {
		_, err := os.Stat(filepath.Join(r.dir, host))
		if (err == nil) != want {
			t.Errorf("%s touched = %v, want %v\n%s", host, err == nil, want, r.stdout)
		}
	}
}

func TestTaskTimeoutStopsTheCommand(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - command: sleep 30
      timeout: 1
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 2 {
		t.Errorf("exit %d", r.code)
	}
	r.mustContain(t, "the task timed out after 1 seconds")
}

func TestLimitAndNoHostsMatched(t *testing.T) {
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: 'true'\n"
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.Limit = "web2" })
	if strings.Contains(r.stdout, "web1") || !strings.Contains(r.stdout, "changed: [web2]") {
		t.Errorf("--limit web2 ran:\n%s", r.stdout)
	}
}

func TestProgressLine(t *testing.T) {
	var b bytes.Buffer
	s := NewTextSink(&b, 0, false, false)
	s.Progress = true
	s.Event(Event{Type: EventProgress, Host: "vm", Done: 512 << 20, Total: 2 << 30})
	if got := b.String(); got != "\r\033[K[vm] 536.9 MB / 2.1 GB (25%)" {
		t.Errorf("progress = %q", got)
	}
	b.Reset()
	s.Event(Event{Type: EventHostResult, Host: "vm", Status: StatusChanged})
	if got := b.String(); got != "\r\033[Kchanged: [vm]\n" {
		t.Errorf("result after progress = %q", got)
	}
	quiet := NewTextSink(&b, 0, false, false)
	b.Reset()
	quiet.Event(Event{Type: EventProgress, Host: "vm", Done: 1, Total: 2})
	if b.Len() != 0 {
		t.Errorf("progress drawn when not on a terminal: %q", b.String())
	}
}

// A name of a play's pattern that is no host or group is ignored with a
// warning, as Ansible does (one site.yml serves inventories with only some
// of its groups); the typo's hint stays in the warning.
func TestHostPatternMatchingNothingSkipsThePlay(t *testing.T) {
	pb := "- hosts: wbe\n  gather_facts: false\n  tasks:\n    - command: 'true'\n"
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 0 {
		t.Errorf("exit %d, want 0\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "[WARNING]: Could not match supplied host pattern, ignoring: wbe (did you mean\n`web`?)") {
		t.Errorf("no warning on stderr, wrapped as Ansible's:\n%s", r.stderr)
	}
	r.mustContain(t, "skipping: no hosts matched")
	if strings.Contains(r.stdout+r.stderr, "changed:") {
		t.Errorf("the play ran:\n%s", r.stdout)
	}
}

func TestEmptyGroupSkipsThePlay(t *testing.T) {
	pb := "- hosts: db\n  gather_facts: false\n  tasks:\n    - command: 'true'\n"
	r := runPlaybook(t, pb, localInventory+"[db]\n", nil)
	if r.code != 0 {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, "skipping: no hosts matched")
}

func TestLocalhostIsImplicit(t *testing.T) {
	pb := "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - command: 'true'\n"
	r := runPlaybook(t, pb, localInventory, nil)
	r.mustContain(t, "changed: [localhost]")
}

// Playbook vars and vars files are typed as Ansible's YAML 1.1 types them,
// the same as inventory values.
func TestYAML11Typing(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars_files: [DIR/vars.yml]
  vars:
    flag: yes
    mode: 0755
    quoted: "yes"
  tasks:
    - assert:
        that:
          - flag == true
          - mode == 493
          - quoted == 'yes'
          - file_flag == false
          - file_port == 22
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) {
		writeFile(t, filepath.Join(filepath.Dir(s.Playbook), "vars.yml"), "file_flag: off\nfile_port: 22\n")
	})
	if r.code != 0 {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestInventoryDir(t *testing.T) {
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - assert:\n        that: inventory_dir == 'DIR' and inventory_file == 'DIR/hosts.ini'\n"
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 0 {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}

// A secret never reaches a command line or an environment variable, where
// other users of the host could read it; stdin is fine.
func TestSecretsNeverInArgvOrEnvironment(t *testing.T) {
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	writeFile(t, secrets, "db_password: Sup3r-s3cret-pw\n")
	for name, task := range map[string]string{
		"argv":        `command: "echo {{ db_password }}"`,
		"shell":       `shell: "echo {{ db_password }} | wc -c"`,
		"environment": "command: env\n      environment: {PW: \"{{ db_password }}\"}",
	} {
		t.Run(name, func(t *testing.T) {
			pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - " + task + "\n"
			r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.SecretFiles = []string{secrets} })
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s", r.code, r.stdout)
			}
			r.mustContain(t, "a secret would appear in a command line or environment", Mask)
		})
	}
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: wc -c\n      args: {stdin: \"{{ db_password }}\"}\n      register: n\n    - assert: {that: n.stdout | int == 16}\n"
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.SecretFiles = []string{secrets} })
	if r.code != 0 {
		t.Errorf("a secret on stdin: exit %d\n%s", r.code, r.stdout)
	}
}

// hostvars gives another host's variables rendered with that host's values,
// as Ansible does.
func TestHostvarsAreRendered(t *testing.T) {
	inv := "[web]\nweb1 ansible_connection=local region=us\nweb2 ansible_connection=local region=eu\n[web:vars]\nrack={{ region }}-r3\n"
	pb := "- hosts: web1\n  gather_facts: false\n  tasks:\n    - assert:\n        that: hostvars['web2'].rack == 'eu-r3' and rack == 'us-r3'\n"
	r := runPlaybook(t, pb, inv, nil)
	if r.code != 0 {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
}
