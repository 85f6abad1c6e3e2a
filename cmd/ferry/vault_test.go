package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/vault"
)

// vaultTestdata holds files written by the real ansible-vault (see
// vault/vault_test.go): v11.yml (db_password, port) and inline11.txt
// (api_token) with pw-default.txt; v12-prod.yml with --vault-id
// prod@pw-prod.txt.
var vaultTestdata, _ = filepath.Abs(filepath.Join("..", "..", "vault", "testdata"))

func testdataFile(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(vaultTestdata, name))
	must(t, err)
	return string(data)
}

const vaultPlaybook = `- hosts: all
  gather_facts: false
  vars_files:
    - prod-vars.yml
  tasks:
    - name: show the inline token
      debug:
        msg: "token={{ api_token }} password={{ db_password }}"
    - name: the values are the plaintext
      assert:
        that:
          - api_token == "tok-ansible-inline-1"
          - db_password == "s3cr3t-from-ansible"
          - port == 5432
          - group_secret == "s3cr3t-from-ansible"
    - name: write the secret
      copy:
        content: "{{ db_password }}"
        dest: "{{ workdir }}/out.txt"
    - name: copy a vaulted file, decrypted
      copy:
        src: vaulted-src.yml
        dest: "{{ workdir }}/copied.yml"
    - name: render a vaulted template
      template:
        src: vaulted.j2
        dest: "{{ workdir }}/rendered.txt"
`

// vaultSite writes a playbook and inventory that use each kind of vaulted
// data ansible-vault makes: a whole group_vars file (1.1), a vars_files file
// (1.2, vault id prod), an inline !vault value, and a vaulted copy source.
func vaultSite(t *testing.T) (dir string) {
	dir = t.TempDir()
	inline := strings.ReplaceAll(strings.TrimRight(testdataFile(t, "inline11.txt"), "\n"), "\n", "\n      ")
	files := map[string]string{
		"site.yml":              vaultPlaybook,
		"inv.yml":               "all:\n  hosts:\n    local1:\n      ansible_connection: local\n      " + inline + "\n",
		"group_vars/all.yml":    testdataFile(t, "v11.yml"),
		"prod-vars.yml":         testdataFile(t, "v12-prod.yml"),
		"files/vaulted-src.yml": testdataFile(t, "v11.yml"),
	}
	for name, content := range files {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	tpl, err := vault.Encrypt([]byte("port={{ port }}\n"), []byte("hunter2-vault"), "")
	must(t, err)
	must(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "vaulted.j2"), tpl, 0o644))
	// group_secret is a plain host var templated from the vaulted group_vars.
	must(t, os.MkdirAll(filepath.Join(dir, "host_vars"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "host_vars", "local1.yml"), []byte("group_secret: \"{{ db_password }}\"\n"), 0o644))
	return dir
}

func vaultArgs() []string {
	return []string{"--vault-password-file", filepath.Join(vaultTestdata, "pw-default.txt"),
		"--vault-id", "prod@" + filepath.Join(vaultTestdata, "pw-prod.txt")}
}

// TestVaultPlaybookMatchesAnsible runs the same vaulted site with ferry and
// ansible-playbook and the same passwords: same recap, same files written,
// and ferry shows no decrypted value even at -vvvv.
func TestVaultPlaybookMatchesAnsible(t *testing.T) {
	dir := vaultSite(t)
	work := t.TempDir()
	args := append([]string{"run", filepath.Join(dir, "site.yml"), "-i", filepath.Join(dir, "inv.yml"), "-e", "workdir=" + work, "-vvvv"}, vaultArgs()...)
	code, stdout, stderr := ferry(t, args...)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, secret := range []string{"tok-ansible-inline-1", "s3cr3t-from-ansible", "hunter2-vault", "prod-pass-42"} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("ferry's -vvvv output shows %q:\n%s%s", secret, stdout, stderr)
		}
	}
	if !strings.Contains(stdout, "token=********") {
		t.Errorf("the debug message is not masked:\n%s", stdout)
	}
	checkVaultEffects(t, work)
	recap := recapLines(stdout)

	awork := t.TempDir()
	code, out, errOut, ran := ansiblecmp.Playbook(t, dir, append([]string{"-i", "inv.yml", "site.yml", "-e", "workdir=" + awork}, vaultArgs()...), "ANSIBLE_HOME="+t.TempDir())
	if !ran {
		return // ferry checked alone
	}
	if code != 0 {
		t.Fatalf("ansible-playbook: exit %d\n%s%s", code, out, errOut)
	}
	if want := recapLines(out); recap != want || recap == "" {
		t.Errorf("recap differs\nferry:\n%s\nansible-playbook:\n%s", recap, want)
	}
	checkVaultEffects(t, awork)
}

func checkVaultEffects(t *testing.T, work string) {
	t.Helper()
	if got, _ := os.ReadFile(filepath.Join(work, "out.txt")); string(got) != "s3cr3t-from-ansible" {
		t.Errorf("out.txt = %q", got)
	}
	if got, _ := os.ReadFile(filepath.Join(work, "copied.yml")); string(got) != testdataFile(t, "plain.yml") {
		t.Errorf("copied.yml = %q, want the decrypted file", got)
	}
	if got, _ := os.ReadFile(filepath.Join(work, "rendered.txt")); string(got) != "port=5432\n" {
		t.Errorf("rendered.txt = %q, want the decrypted template rendered", got)
	}
}

func TestVaultRunErrors(t *testing.T) {
	dir := vaultSite(t)
	base := []string{"run", filepath.Join(dir, "site.yml"), "-i", filepath.Join(dir, "inv.yml"), "-e", "workdir=" + t.TempDir()}
	wrong := filepath.Join(t.TempDir(), "wrong")
	must(t, os.WriteFile(wrong, []byte("nope\n"), 0o600))
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no password":    {nil, "the !vault value is encrypted with ansible-vault and no vault password was given: pass --vault-password-file FILE"},
		"wrong password": {[]string{"--vault-password-file", wrong}, dir + "/inv.yml:5: the !vault value: decryption failed: none of the vault passwords given (vault ids default) opens it"},
		"missing file":   {[]string{"--vault-id", "x@" + dir + "/nope"}, "vault password file " + dir + "/nope (vault id x): no such file or directory"},
		"no terminal":    {[]string{"--vault-id", "x@prompt"}, "needs a terminal"},
	} {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := ferry(t, append(base, tc.args...)...)
			if code != 4 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "Nothing was run") {
				t.Errorf("exit %d, want 4 and %q\n%s%s", code, tc.want, stdout, stderr)
			}
		})
	}
}

func TestVaultEnvironmentPasswordFile(t *testing.T) {
	dir := vaultSite(t)
	t.Setenv("ANSIBLE_VAULT_PASSWORD_FILE", filepath.Join(vaultTestdata, "pw-default.txt"))
	t.Setenv("ANSIBLE_VAULT_IDENTITY_LIST", "prod@"+filepath.Join(vaultTestdata, "pw-prod.txt"))
	code, stdout, stderr := ferry(t, "validate", filepath.Join(dir, "site.yml"), "-i", filepath.Join(dir, "inv.yml"), "-e", "workdir=/tmp")
	if code != 0 {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = ferry(t, "inventory", "-i", filepath.Join(dir, "inv.yml"), "--host", "local1")
	if code != 0 || !strings.Contains(stdout, `"api_token": "********"`) || strings.Contains(stdout, "s3cr3t") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestVaultCommand drives `ferry vault` and hands its files to the real
// ansible-vault, and the other way round.
func TestVaultCommand(t *testing.T) {
	dir := t.TempDir()
	pw, pw2 := filepath.Join(dir, "pw"), filepath.Join(dir, "pw2")
	must(t, os.WriteFile(pw, []byte("one-pass\n"), 0o600))
	must(t, os.WriteFile(pw2, []byte("two-pass\n"), 0o600))
	f := filepath.Join(dir, "secrets.yml")
	plain := "password: from-ferry\n"
	must(t, os.WriteFile(f, []byte(plain), 0o644))

	vaultOK(t, "", "encrypt", "--vault-id", "prod@"+pw, f)
	data, _ := os.ReadFile(f)
	if !strings.HasPrefix(string(data), "$ANSIBLE_VAULT;1.2;AES256;prod\n") {
		t.Fatalf("encrypted file:\n%s", data)
	}
	if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600 as ansible-vault writes", fi.Mode().Perm())
	}
	if got := ansibleVault(t, "view", "--vault-id", pw, f); got != plain {
		t.Errorf("ansible-vault view: %q", got)
	}
	if got := vaultOK(t, "", "view", "--vault-password-file", pw, f); got != plain {
		t.Errorf("view: %q", got)
	}
	vaultOK(t, "", "rekey", "--vault-id", pw, "--new-vault-id", "next@"+pw2, f)
	if got := ansibleVault(t, "view", "--vault-id", pw2, f); got != plain {
		t.Errorf("after rekey, ansible-vault view: %q", got)
	}
	t.Setenv("EDITOR", "sed -i s/from-ferry/edited/")
	vaultOK(t, "", "edit", "--vault-id", pw2, f)
	data, _ = os.ReadFile(f)
	if got := vaultOK(t, "", "decrypt", "--vault-id", pw2, "--output", "-", f); got != "password: edited\n" || !strings.HasPrefix(string(data), "$ANSIBLE_VAULT;1.2;AES256;next\n") {
		t.Errorf("after edit: %q\n%s", got, data)
	}

	// ansible-vault's output, decrypted by ferry in place.
	g := filepath.Join(dir, "from-ansible.yml")
	must(t, os.WriteFile(g, []byte(plain), 0o644))
	ansibleVault(t, "encrypt", "--vault-id", "dev@"+pw, g)
	vaultOK(t, "", "decrypt", "--vault-id", "dev@"+pw, g)
	if got, _ := os.ReadFile(g); string(got) != plain {
		t.Errorf("decrypted %q", got)
	}

	// encrypt_string: a YAML block ansible-inventory reads.
	block := vaultOK(t, "stdin-secret", "encrypt_string", "--vault-password-file", pw, "--stdin-name", "from_stdin")
	block += vaultOK(t, "", "encrypt_string", "--vault-password-file", pw, "-n", "from_arg", "arg-secret")
	inv := filepath.Join(dir, "inv.yml")
	must(t, os.WriteFile(inv, []byte("all:\n  hosts:\n    h1:\n      "+strings.ReplaceAll(strings.TrimRight(block, "\n"), "\n", "\n      ")+"\n"), 0o644))
	if bin, err := exec.LookPath("ansible"); err == nil {
		cmd := exec.Command(bin, "h1", "-i", inv, "--vault-id", pw, "-c", "local", "-m", "debug", "-a", "msg={{ from_stdin }}/{{ from_arg }}")
		cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_HOME="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), `"msg": "stdin-secret/arg-secret"`) {
			t.Errorf("ansible reading ferry's encrypt_string: %v\n%s", err, out)
		}
	}

	code, _, stderr := vaultRun(t, "", "view", "--vault-id", pw, f)
	if code != 1 || !strings.Contains(stderr, f+": decryption failed") {
		t.Errorf("wrong password: exit %d\n%s", code, stderr)
	}
	code, _, stderr = vaultRun(t, "", "create", "--vault-id", pw, f)
	if code != 1 || !strings.Contains(stderr, "exists: use ferry vault edit") {
		t.Errorf("create over a file: exit %d\n%s", code, stderr)
	}
}

// unsetenv unsets the variables for the test: set to "", a variable is set
// for Ansible's config manager (ANSIBLE_VAULT_PASSWORD_FILE="" is the
// working directory), and ferry's config reads it the same way.
func unsetenv(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Setenv(name, "") // restores the variable after the test
		os.Unsetenv(name)
	}
}

func vaultRun(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	unsetenv(t, "ANSIBLE_VAULT_PASSWORD_FILE", "ANSIBLE_VAULT_IDENTITY_LIST")
	var stdout, stderr bytes.Buffer
	code := runIO(append([]string{"vault"}, args...), strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// TestVaultCommandLineAsAnsibleVault: a command line that does not parse, or
// parses but cannot be carried out, ends with ansible-vault's exit code, and
// every action answers -h with its own flags.
func TestVaultCommandLineAsAnsibleVault(t *testing.T) {
	bin, err := exec.LookPath("ansible-vault")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ansible-vault is not installed (make deps)")
		}
		t.Skip("ansible-vault not installed")
	}
	dir := t.TempDir()
	pw, plain := filepath.Join(dir, "pw"), filepath.Join(dir, "plain")
	must(t, os.WriteFile(pw, []byte("pw\n"), 0o600))
	must(t, os.WriteFile(plain, []byte("x\n"), 0o600))
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"encrypt", "--bogus", plain},
		{"encrypt", "--vault-password-file", pw, "--output", filepath.Join(dir, "o"), plain, plain},
		{"create", "--vault-password-file", pw, filepath.Join(dir, "a"), filepath.Join(dir, "b")},
		{"decrypt", "--encrypt-vault-id", "x", plain},
	} {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_HOME="+t.TempDir())
		cmd.Stdin = strings.NewReader("")
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("ansible-vault %v: %v, want a failure", args, err)
		}
		if code, _, stderr := vaultRun(t, "", args...); code != exit.ExitCode() {
			t.Errorf("ferry vault %v: exit %d, ansible-vault exits %d\n%s", args, code, exit.ExitCode(), stderr)
		}
	}
	for _, action := range []string{"encrypt", "decrypt", "view", "edit", "create", "encrypt_string", "rekey"} {
		code, stdout, _ := vaultRun(t, "", action, "-h")
		if code != 0 || !strings.Contains(stdout, "--vault-id") || !strings.Contains(stdout, "ferry vault "+action) {
			t.Errorf("ferry vault %s -h: exit %d\n%s", action, code, stdout)
		}
	}
}

func vaultOK(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	code, stdout, stderr := vaultRun(t, stdin, args...)
	if code != 0 {
		t.Fatalf("ferry vault %v: exit %d\n%s", args, code, stderr)
	}
	return stdout
}

func ansibleVault(t *testing.T, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("ansible-vault")
	if err != nil {
		t.Skip("ansible-vault not installed")
	}
	if args[0] == "view" {
		args = append([]string{"decrypt", "--output", "-"}, args[1:]...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+t.TempDir(), "ANSIBLE_HOME="+t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ansible-vault %v: %v\n%s", args, err, stderr.String())
	}
	return string(out)
}

// TestVaultSecretNeverInArgv: a decrypted value is a secret like any other,
// so a command line holding it is refused (other users can read argv).
func TestVaultSecretNeverInArgv(t *testing.T) {
	dir := vaultSite(t)
	pb := filepath.Join(dir, "argv.yml")
	must(t, os.WriteFile(pb, []byte("- hosts: all\n  gather_facts: false\n  tasks:\n    - command: echo {{ api_token }}\n"), 0o644))
	code, stdout, stderr := ferry(t, append([]string{"run", pb, "-i", filepath.Join(dir, "inv.yml"), "-vvvv"}, vaultArgs()...)...)
	if code != 2 || strings.Contains(stdout+stderr, "tok-ansible") || !strings.Contains(stdout, "echo ********") {
		t.Errorf("exit %d, want 2 (task refused), secret masked\n%s%s", code, stdout, stderr)
	}
}

// TestVaultConfigPasswordFile: ansible.cfg's vault_password_file is a
// password source for ferry vault and ferry inventory, as for Ansible's.
func TestVaultConfigPasswordFile(t *testing.T) {
	dir := vaultSite(t)
	unsetenv(t, "FERRY_CONFIG", "ANSIBLE_CONFIG")
	must(t, os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte("[defaults]\nvault_password_file = "+filepath.Join(vaultTestdata, "pw-default.txt")+"\n"), 0o644))
	t.Chdir(dir)
	code, stdout, stderr := vaultRun(t, "", "view", "group_vars/all.yml")
	if code != 0 || stdout != testdataFile(t, "plain.yml") {
		t.Errorf("ferry vault view: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = ferry(t, "inventory", "-i", "inv.yml", "--host", "local1", "--vault-id", "prod@"+filepath.Join(vaultTestdata, "pw-prod.txt"))
	if code != 0 || !strings.Contains(stdout, `"db_password": "********"`) {
		t.Errorf("ferry inventory: exit %d\n%s%s", code, stdout, stderr)
	}
}

// include_vars opens a vault-encrypted file with the run's vault password,
// and what it read is secret from then on.
func TestIncludeVarsOpensAVaultedFile(t *testing.T) {
	pb, inv := site(t, "- hosts: web1\n  gather_facts: false\n  tasks:\n    - include_vars: sealed.yml\n    - debug: {msg: \"{{ token | length }} {{ token }}\"}\n")
	dir := filepath.Dir(pb)
	enc, err := vault.Encrypt([]byte("token: abc-sealed-123\n"), []byte("pw"), "")
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "sealed.yml"), enc, 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "pw.txt"), []byte("pw\n"), 0o600))
	code, stdout, stderr := ferry(t, "run", pb, "-i", inv, "--no-journal", "--vault-password-file", filepath.Join(dir, "pw.txt"))
	if code != 0 || !strings.Contains(stdout, `"msg": "14 ********"`) || strings.Contains(stdout, "abc-sealed") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
}
