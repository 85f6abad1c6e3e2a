package runner

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A no_log task shows nothing of its arguments, output or messages on any
// path: streamed lines, plan lines, diffs, loop labels, failure messages,
// JSON msg/plan, at every verbosity, in check mode and not.
func TestNoLogHidesEverythingOnEveryPath(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - name: command
      command: echo MARK-out-1
      no_log: true
    - name: debug
      debug: {msg: MARK-msg-2}
      no_log: true
    - name: fail
      fail: {msg: MARK-fail-3}
      no_log: true
      ignore_errors: true
    - name: loop
      debug: {msg: "{{ item }}"}
      loop: [MARK-item-4]
      no_log: true
    - name: copy
      copy: {content: "MARK-content-5\n", dest: DIR/f}
      no_log: true
    - name: bad template
      debug: {msg: "{{ 'MARK-8' | from_json }}"}
      no_log: true
      ignore_errors: true
`
	for _, output := range []string{"text", "json"} {
		for _, check := range []bool{false, true} {
			for _, v := range []int{0, 4} {
				r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) {
					s.Output, s.Check, s.Diff, s.Verbosity = output, check, true, v
				})
				if strings.Contains(r.stdout+r.stderr, "MARK") {
					t.Errorf("%s check=%v -v=%d shows a no_log task's data:\n%s%s", output, check, v, r.stdout, r.stderr)
				}
				if (v > 0 || output == "json") && !strings.Contains(r.stdout, noLogMessage) {
					t.Errorf("%s check=%v -v=%d lacks the censored result:\n%s", output, check, v, r.stdout)
				}
			}
		}
	}
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.Verbosity = 1 })
	r.mustContain(t, "ok: [web1] => (item=None) => {", `"changed": true`)
}

// Text from a host (command output, results, diffs) cannot drive the
// operator's terminal: control sequences are escaped.
func TestTerminalEscapesFromHostsAreEscaped(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - shell: printf '\033]0;pwned\007\033[2J\233x\177\n'
      register: out
    - debug: {var: out.stdout}
    - copy: {content: "{{ out.stdout }}", dest: DIR/f}
`
	for _, v := range []int{0, 1, 4} {
		r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.Verbosity, s.Diff = v, true })
		if r.code != 0 {
			t.Fatalf("exit %d\n%s", r.code, r.stdout)
		}
		for _, c := range []string{"\x1b", "\x07", "\x9b", "\x7f"} {
			if strings.Contains(r.stdout, c) {
				t.Errorf("-v=%d: output holds the raw control %q:\n%q", v, c, r.stdout)
			}
		}
		r.mustContain(t, `\u001b]0;pwned`)
		if v >= 1 {
			r.mustContain(t, `[web1] \x1b]0;pwned\x07\x1b[2J\x9bx\x7f`)
		}
	}
}

// A secret is masked in each form the outputs write it: JSON with and
// without HTML escaping, control characters escaped, base64 (whole or
// inside a longer encoded value, as a diff of a Kubernetes Secret shows it).
func TestSecretMaskedInEveryEncoding(t *testing.T) {
	secret := "a<b>&c\"d\\e\x01f'g\x1bh"
	embedded := base64.StdEncoding.EncodeToString([]byte("xy" + secret + "z"))
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - copy: {content: "token: ` + base64.StdEncoding.EncodeToString([]byte(secret)) + `\nall: ` + embedded + `\n", dest: DIR/f}
    - copy: {content: "new\n", dest: DIR/f}
    - debug: {var: pw}
    - debug: {msg: "{{ [pw] }}"}
    - fail: {msg: "{{ {'k': pw} }}"}
`
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	writeFile(t, secrets, "pw: \"a<b>&c\\\"d\\\\e\\x01f'g\\eh\"\n")
	for _, output := range []string{"text", "json"} {
		for _, v := range []int{0, 1} {
			r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) {
				s.SecretFiles, s.Output, s.Verbosity, s.Diff = []string{secrets}, output, v, true
			})
			for _, form := range append(secretLeaks(secret), embedded[4:len(embedded)-4]) {
				if strings.Contains(r.stdout+r.stderr, form) {
					t.Errorf("%s -v=%d shows %q:\n%s%s", output, v, form, r.stdout, r.stderr)
				}
			}
		}
	}
}

// secretLeaks are byte sequences whose presence in output would reveal
// secret: its distinctive parts as written raw, JSON-escaped or escaped for
// a terminal.
func secretLeaks(secret string) []string {
	out := []string{secret, base64.StdEncoding.EncodeToString([]byte(secret))}
	for _, f := range []string{jsonInner(secret, false), jsonInner(secret, true), escapeControls(secret)} {
		out = append(out, f)
	}
	return out
}

// The working directory of a command is PWD in its environment: a secret
// there is refused like one in its argv.
func TestSecretInChdirIsRefused(t *testing.T) {
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	writeFile(t, secrets, "db_password: Sup3r-s3cret-pw\n")
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: pwd\n      args: {chdir: \"/tmp/{{ db_password }}\"}\n"
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.SecretFiles = []string{secrets} })
	if r.code != 2 {
		t.Errorf("exit %d, want 2\n%s", r.code, r.stdout)
	}
	r.mustContain(t, "a secret would appear in a command line or environment")
}

// A value computed from a secret is a secret: masked in every output and
// refused by the argv/env guard, whatever filters or operations made it.
func TestValuesComputedFromSecretsAreSecrets(t *testing.T) {
	secrets := filepath.Join(t.TempDir(), "secrets.yml")
	const pw = "Sup3r-s3cret-pw"
	writeFile(t, secrets, "db_password: "+pw+"\n")
	derived := map[string]string{
		"b64encode":   base64.StdEncoding.EncodeToString([]byte(pw)),
		"reverse":     "wp-terc3s-r3puS",
		"upper":       "SUP3R-S3CRET-PW",
		"hash":        "", // computed below
		"concat":      "x" + pw + "y",
		"to_json b64": base64.StdEncoding.EncodeToString([]byte(`{"p": "` + pw + `"}`)),
	}
	exprs := map[string]string{
		"b64encode":   "db_password | b64encode",
		"reverse":     "db_password | reverse",
		"upper":       "db_password.upper()",
		"hash":        "db_password | hash('sha1')",
		"concat":      "'x' ~ db_password ~ 'y'",
		"to_json b64": "{'p': db_password} | to_json | b64encode",
	}
	for name, expr := range exprs {
		t.Run(name, func(t *testing.T) {
			pb := `
- hosts: web
  gather_facts: false
  vars:
    derived: "{{ ` + expr + ` }}"
    chained: "{{ derived | b64encode }}"
  tasks:
    - debug: {var: derived}
    - debug: {msg: "{{ ` + expr + ` }}"}
    - debug: {msg: "line one\nv={{ chained }}\nline three"}
    - copy: {content: "k={{ derived }}\n", dest: DIR/f}
    - command: echo {{ derived }}
      ignore_errors: true
    - command: echo x
      environment: {V: "{{ chained }}"}
`
			r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) {
				s.SecretFiles, s.Verbosity, s.Diff = []string{secrets}, 2, true
			})
			want := derived[name]
			if strings.Contains(r.stdout, "line one") == false {
				t.Fatalf("playbook did not run:\n%s%s", r.stdout, r.stderr)
			}
			if want != "" && strings.Contains(r.stdout, want) {
				t.Errorf("output shows %s of the secret (%s):\n%s", name, want, r.stdout)
			}
			if want != "" && strings.Contains(r.stdout, base64.StdEncoding.EncodeToString([]byte(want))) {
				t.Errorf("output shows the base64 of %s of the secret:\n%s", name, r.stdout)
			}
			if n := strings.Count(r.stdout, "a secret would appear in a command line or environment"); n != 2 {
				t.Errorf("the guard refused %d commands, want 2:\n%s", n, r.stdout)
			}
			if !strings.Contains(r.stdout, "line three") || !strings.Contains(r.stdout, "v="+Mask) {
				t.Errorf("masking took more than the derived value:\n%s", r.stdout)
			}
		})
	}
}

// What does not depend on a secret stays visible even when read next to
// one: another host's address through hostvars, a password's length.
func TestTaintIsPrecise(t *testing.T) {
	inv := "[web]\nweb1 ansible_connection=local ansible_host=10.1.2.3 ansible_password=conn-pass-99\n"
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - debug: {msg: "addr={{ hostvars['web1'].ansible_host }} len={{ hostvars['web1'].ansible_password | length }} {{ hostvars['web1'] | dict2items | map(attribute='value') | select('string') | join(',') | length > 3 }}"}
`
	r := runPlaybook(t, pb, inv, nil)
	r.mustContain(t, "addr=10.1.2.3 len=12 True")
	if strings.Contains(r.stdout, "conn-pass-99") {
		t.Errorf("shows the connection password:\n%s", r.stdout)
	}
}

// Everything that will be secret during the run is masked from the first
// task: a debug before the task that makes a value secret never shows it.
func TestMaskingStartsBeforeTheFirstTask(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "later.yml"), "vf_token: !secret vars-file-token-7\n")
	inv := "[web]\nweb1 ansible_connection=local conn_pw=inventory-conn-pw ansible_become_password=\"{{ conn_pw }}-b\"\n"
	pb := `
- hosts: web
  gather_facts: false
  vars:
    kc_pw: templated-kc-pw-1
    users: [{name: a, pw: loop-item-pw-2}]
  tasks:
    - debug: {msg: "early: {{ kc_pw }} literal-kc-pw-3 {{ users }} {{ conn_pw }}-b {{ lookup('file', '` + dir + `/later.yml') }}"}
    - name: the secret arguments, later
      keycloak_user: {url: "http://127.0.0.1:9", username: admin, password: "{{ kc_pw }}"}
      when: false
    - keycloak_user: {url: "http://127.0.0.1:9", username: admin, password: literal-kc-pw-3}
      when: false
    - keycloak_user: {url: "http://127.0.0.1:9", username: "{{ item.name }}", password: "{{ item.pw }}"}
      loop: "{{ users }}"
      when: false
- hosts: web
  gather_facts: false
  vars_files: [` + dir + `/later.yml]
  tasks: []
`
	for _, output := range []string{"text", "json"} {
		r := runPlaybook(t, pb, inv, func(s *Session) { s.Output = output })
		if r.code != 0 {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		for _, leak := range []string{"templated-kc-pw-1", "loop-item-pw-2", "literal-kc-pw-3", "inventory-conn-pw-b", "vars-file-token-7"} {
			if strings.Contains(r.stdout+r.stderr, leak) {
				t.Errorf("%s output shows %q before the task that makes it secret:\n%s", output, leak, r.stdout)
			}
		}
		r.mustContain(t, "early: "+Mask)
	}
}

// The ad-hoc output prints a command's output as text: escaped too.
func TestAdHocOutputEscapesControls(t *testing.T) {
	var b strings.Builder
	NewAdHocSink(&b, false).Event(Event{Type: EventHostResult, Host: "h", Module: "command", Status: StatusChanged,
		Result: map[string]any{"rc": 0, "stdout": "\x1b]0;pwned\x07ok", "stderr": ""}})
	if strings.Contains(b.String(), "\x1b") || !strings.Contains(b.String(), `\x1b]0;pwned\x07ok`) {
		t.Errorf("ad-hoc output = %q", b.String())
	}
}

// A template that runs a command (lookup pipe) and reads a secret is run
// once: taint never runs the command again with a stand-in for the secret.
func TestTaintNeverRerunsAPipeLookup(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.yml")
	writeFile(t, secrets, "pw: Sup3r-s3cret-pw\n")
	log := filepath.Join(dir, "calls")
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ lookup('pipe', 'echo x >> " + log + "; echo ' ~ (pw | b64encode | length)) ~ (pw | md5) }}\"}\n"
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.SecretFiles = []string{secrets} })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	data, err := os.ReadFile(log)
	if err != nil || string(data) != "x\n" {
		t.Errorf("the pipe ran %q times, want once", data)
	}
	r.mustContain(t, `"msg": "`+Mask+`"`)
}

// A lookup with effects is known by its declaration, not by its name in
// the text: one named by a variable, that only the twin evaluation (with a
// stand-in for the secret) would reach, does not run at all.
func TestTaintNeverRunsAnEffectForTheStandIn(t *testing.T) {
	dir := t.TempDir()
	secrets := filepath.Join(dir, "secrets.yml")
	writeFile(t, secrets, "pw: Sup3r-s3cret-pw\n")
	log := filepath.Join(dir, "calls")
	pb := "- hosts: web\n  gather_facts: false\n  vars: {plugin: pipe}\n  tasks:\n" +
		"    - debug: {msg: \"{{ pw | b64encode if pw == 'Sup3r-s3cret-pw' else lookup(plugin, 'echo x >> " + log + "') }}\"}\n"
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.SecretFiles = []string{secrets} })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stdout)
	}
	if data, err := os.ReadFile(log); err == nil {
		t.Errorf("the pipe ran for the stand-in: %q", data)
	}
	r.mustContain(t, `"msg": "`+Mask+`"`)
}

// A loop whose every item computes a new value from a secret stays linear:
// the masker is rebuilt when next used, not for each value added.
func TestManyDerivedSecretsStayCheap(t *testing.T) {
	m := NewMasker("Sup3r-s3cret-pw")
	for i := 0; i < 20000; i++ {
		m.Add(fmt.Sprintf("Sup3r-s3cret-pw-%d", i))
	}
	if got := m.String("x Sup3r-s3cret-pw-19999 y"); got != "x "+Mask+" y" {
		t.Errorf("masked %q", got)
	}
}

// A value computed from a secret may be a boolean (a comparison, a test):
// it hides nothing, and masking it masked every "true" of the run and made
// the argv guard refuse `command: "true"`.
func TestBooleansComputedFromSecretsStayVisible(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars:
    tok: !secret abc123xyz
  tasks:
    - assert: {that: [tok == "abc123xyz", "tok is defined"]}
    - command: "true"
    - debug: {msg: "{{ tok }} {{ tok | b64encode }}"}
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", func(s *Session) { s.Verbosity = 1 })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, `"changed": true`, "ok=3    changed=1")
	for _, leak := range []string{"abc123xyz", base64.StdEncoding.EncodeToString([]byte("abc123xyz"))} {
		if strings.Contains(r.stdout+r.stderr, leak) {
			t.Errorf("output shows %q:\n%s", leak, r.stdout)
		}
	}
}

// !secret and !vault in a playbook's own vars are what they are in an
// inventory or vars file: masked from the first task, and decrypted.
func TestPlaybookVarsTaggedSecretOrVault(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars:
    quoted: !secret "quoted-pw-1"
    plain: !secret plain-pw-2
  tasks:
    - debug: {msg: "{{ quoted }} {{ plain }}"}
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, leak := range []string{"quoted-pw-1", "plain-pw-2"} {
		if strings.Contains(r.stdout+r.stderr, leak) {
			t.Errorf("output shows %q:\n%s", leak, r.stdout)
		}
	}
	vaulted := `
- hosts: web
  gather_facts: false
  vars:
    tok: !vault |
      $ANSIBLE_VAULT;1.1;AES256
      3132
  tasks:
    - debug: {msg: "{{ tok }}"}
`
	r = runPlaybook(t, vaulted, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 4 || strings.Contains(r.stdout, "ANSIBLE_VAULT") {
		t.Errorf("a !vault value without a vault password: exit %d (want 4, nothing run)\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, "site.yml:5:", "no vault password was given")
}

// The values of credential headers (uri's and get_url's headers) are secrets
// from the first task; the other headers stay visible.
func TestCredentialHeadersAreSecrets(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  vars:
    token: bearer-token-1
  tasks:
    - debug: {msg: "{{ token }} cookie-2 api-key-3 json-4"}
    - uri:
        url: http://127.0.0.1:9/
        headers: {Authorization: "Bearer {{ token }}", Cookie: cookie-2, X-API-Key: api-key-3, Accept: json-4}
      when: false
`
	r := runPlaybook(t, pb, "[web]\nweb1 ansible_connection=local\n", nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, leak := range []string{"bearer-token-1", "cookie-2", "api-key-3"} {
		if strings.Contains(r.stdout+r.stderr, leak) {
			t.Errorf("the output shows the credential header value %q:\n%s", leak, r.stdout)
		}
	}
	r.mustContain(t, "json-4")
}
