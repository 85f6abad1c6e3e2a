package runner

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// answerPrompts makes the prompts read answers in order from a terminal
// that is not there, recording the prompts' texts.
func answerPrompts(t *testing.T, answers ...string) *[]string {
	t.Helper()
	var asked []string
	oldTerm, oldAsk := stdinIsTerminal, askPrompt
	t.Cleanup(func() { stdinIsTerminal, askPrompt = oldTerm, oldAsk })
	stdinIsTerminal = func() bool { return true }
	askPrompt = func(text string, private bool, _ *bufio.Reader) (string, error) {
		asked = append(asked, text+" private="+strconv.FormatBool(private))
		if len(answers) == 0 {
			t.Fatalf("asked %q once too often", text)
		}
		a := answers[0]
		answers = answers[1:]
		return a, nil
	}
	return &asked
}

// ansibleEncrypt is what ansible-core's do_encrypt, which do_var_prompt
// calls, makes of secret (run with the interpreter of ansible-playbook).
func ansibleEncrypt(t *testing.T, secret, scheme, salt string, saltSize int) string {
	t.Helper()
	code := `import sys
from ansible.utils.encrypt import do_encrypt
print(do_encrypt(sys.argv[1], sys.argv[2], salt=sys.argv[3] or None, salt_size=int(sys.argv[4]) or None))`
	out, err := exec.Command("/usr/bin/python3", "-c", code, secret, scheme, salt, strconv.Itoa(saltSize)).Output()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("ansible-core's do_encrypt: %v", err)
		}
		t.Skipf("ansible-core is not installed: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// vars_prompt's encrypt, salt, salt_size and confirm, as ansible-core
// 2.14's do_var_prompt: the hash equals do_encrypt's with the same salt;
// a random salt has salt_size characters and the hash verifies the
// answer; a confirmation that differs asks again; -e is never hashed.
func TestVarsPromptEncrypt(t *testing.T) {
	pb := `- hosts: web
  gather_facts: false
  vars_prompt:
    - name: md5
      prompt: Enter password
      encrypt: md5_crypt
      confirm: yes
      salt_size: 7
      salt: foo
    - name: sha512
      prompt: Second
      private: no
      encrypt: sha512_crypt
      salt: abcdefgh
    - name: sha256
      prompt: Third
      encrypt: sha256_crypt
      default: dflt
      salt_size: 4
    - name: given
      prompt: Given with -e
      encrypt: md5_crypt
  tasks:
    - debug: {msg: "md5={{ md5 }}"}
    - debug: {msg: "sha512={{ sha512 }}"}
    - debug: {msg: "sha256={{ sha256 }}"}
    - debug: {msg: "given={{ given }}"}
`
	asked := answerPrompts(t, "secret", "typo", "secret", "secret", "other", "")
	r := runPlaybook(t, pb, localInventory, func(s *Session) { s.ExtraVars = []string{"given=plain"} })
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	want := []string{"Enter password private=true", "confirm Enter password private=true", "Enter password private=true",
		"confirm Enter password private=true", "Second private=false", "Third [dflt] private=true"}
	if strings.Join(*asked, "\n") != strings.Join(want, "\n") {
		t.Errorf("asked:\n%s\nwant:\n%s", strings.Join(*asked, "\n"), strings.Join(want, "\n"))
	}
	r.mustContain(t, `"sha512=`+ansibleEncrypt(t, "other", "sha512_crypt", "abcdefgh", 0)+`"`, `"given=plain"`)
	// md5's answer was private: its hash is masked, as the answer is.
	r.mustContain(t, `"md5=********"`)
	if strings.Contains(r.stdout+r.stderr, ansibleEncrypt(t, "secret", "md5_crypt", "foo", 7)) {
		t.Errorf("the private answer's hash is shown:\n%s", r.stdout)
	}
	m := regexp.MustCompile(`"sha256=(\$5\$[./0-9A-Za-z]{4}\$[./0-9A-Za-z]+)"`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no sha256_crypt hash with a 4-character salt:\n%s", r.stdout)
	}
	salt := strings.Split(m[1], "$")[2]
	if got := ansibleEncrypt(t, "dflt", "sha256_crypt", salt, 4); got != m[1] {
		t.Errorf("the default's hash %s does not verify: Ansible makes %s with its salt", m[1], got)
	}
}

func TestVarsPromptEncryptSchemeIsStatic(t *testing.T) {
	pb := "- hosts: web\n  gather_facts: false\n  vars_prompt:\n    - name: p\n      encrypt: blowfish\n  tasks: []\n"
	answerPrompts(t)
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitInvalid {
		t.Errorf("exit %d, want 4", r.code)
	}
	r.mustContain(t, `site.yml:5:16: vars_prompt encrypt "blowfish" is not a scheme ferry hashes with`)
}
