package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
)

// configSite is a directory with an ansible.cfg naming its inventory, as
// Ansible projects have; the test runs from inside it with HOME elsewhere.
func configSite(t *testing.T, cfg string) (pb string) {
	t.Helper()
	dir := t.TempDir()
	must(t, os.Chmod(dir, 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "ansible.cfg"), []byte(cfg), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "hosts.ini"), []byte("[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"), 0o644))
	pb = filepath.Join(dir, "site.yml")
	must(t, os.WriteFile(pb, []byte("- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: {msg: \"{{ ansible_user | default('nobody') }}\"}\n"), 0o644))
	t.Chdir(dir)
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"ANSIBLE_CONFIG", "FERRY_CONFIG", "ANSIBLE_INVENTORY", "ANSIBLE_FORKS", "ANSIBLE_STDOUT_CALLBACK", "ANSIBLE_NOCOLOR", "ANSIBLE_FORCE_COLOR", "NO_COLOR"} {
		t.Setenv(v, "") // restored after the test
		must(t, os.Unsetenv(v))
	}
	return pb
}

// With an ansible.cfg naming the inventory, -i is not needed, for ferry as
// for ansible-playbook; the config's remote_user reaches the play.
func TestConfigFileInventoryAndRemoteUser(t *testing.T) {
	pb := configSite(t, "[defaults]\ninventory = hosts.ini\nremote_user = deploy\nforks = 1\n")
	code, stdout, stderr := ferry(t, "run", "site.yml")
	if code != 0 || strings.Count(stdout, `"msg": "deploy"`) != 2 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	sameAsAnsible(t, stdout, pb)
	// -i and -u on the command line win over the config.
	_, inv := site(t, "")
	code, stdout, _ = ferry(t, "run", "site.yml", "-i", inv, "-u", "cli", "-l", "web3")
	if code != 0 || !strings.Contains(stdout, "[web3]") || !strings.Contains(stdout, `"msg": "cli"`) {
		t.Errorf("flags did not win: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = ferry(t, "inventory", "--list")
	if code != 0 || !strings.Contains(stdout, "web2") {
		t.Errorf("ferry inventory without -i: exit %d %s", code, stdout)
	}
}

func TestConfigStdoutCallbackJSONAndEnvironment(t *testing.T) {
	configSite(t, "[defaults]\ninventory = hosts.ini\nstdout_callback = json\nforks = many\n")
	code, _, stderr := ferry(t, "run", "site.yml")
	if code != 4 || !strings.Contains(stderr, "ansible.cfg: [defaults] forks = many: want a whole number") {
		t.Errorf("bad forks: exit %d %s", code, stderr)
	}
	must(t, os.WriteFile("ansible.cfg", []byte("[defaults]\ninventory = hosts.ini\nstdout_callback = json\nforks = 4\n"), 0o644))
	t.Setenv("ANSIBLE_FORKS", "1") // the environment overrides the file
	code, stdout, stderr := ferry(t, "run", "site.yml")
	if code != 0 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("stdout_callback = json, but a line is not JSON: %q", line)
		}
	}
	if code, stdout, _ = ferry(t, "run", "site.yml", "--output", "text"); code != 0 || !strings.Contains(stdout, "PLAY RECAP") {
		t.Errorf("--output text should win over stdout_callback: %s", stdout)
	}
}

// ANSIBLE_FORCE_COLOR colours output that is not a terminal; ANSIBLE_NOCOLOR wins over it.
func TestColorEnvironment(t *testing.T) {
	configSite(t, "[defaults]\ninventory = hosts.ini\n")
	_, plain, _ := ferry(t, "run", "site.yml")
	if strings.Contains(plain, "\x1b[") {
		t.Fatal("colour off a terminal without ANSIBLE_FORCE_COLOR")
	}
	t.Setenv("ANSIBLE_FORCE_COLOR", "true")
	_, forced, _ := ferry(t, "run", "site.yml")
	if !strings.Contains(forced, "\x1b[32m") {
		t.Errorf("ANSIBLE_FORCE_COLOR: no colour:\n%q", forced)
	}
	t.Setenv("ANSIBLE_NOCOLOR", "1")
	if _, out, _ := ferry(t, "run", "site.yml"); strings.Contains(out, "\x1b[") {
		t.Error("ANSIBLE_NOCOLOR did not turn colour off")
	}
}

// trimLines drops trailing blanks: Ansible's recap lines end with spaces.
// sameAsAnsible fails the test when ansible-playbook, run with args from
// the working directory (and its ansible.cfg), does not print what ferry
// printed.
func sameAsAnsible(t *testing.T, ferryOut string, args ...string) {
	t.Helper()
	code, out, errOut, ran := ansiblecmp.Playbook(t, "", args)
	if ran && (code != 0 || trimLines(out+errOut) != trimLines(ferryOut)) {
		t.Errorf("ansible-playbook with the same ansible.cfg: exit %d\n%s%s\nferry:\n%s", code, out, errOut, ferryOut)
	}
}

func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// roles_path in the config file is where roles are found, for ferry as for
// ansible-playbook.
func TestConfigRolesPath(t *testing.T) {
	configSite(t, "[defaults]\ninventory = hosts.ini\nroles_path = shared/roles\nforks = 1\n")
	must(t, os.MkdirAll(filepath.Join("shared", "roles", "greet", "tasks"), 0o755))
	must(t, os.WriteFile(filepath.Join("shared", "roles", "greet", "tasks", "main.yml"), []byte("- debug: {msg: from the role}\n"), 0o644))
	must(t, os.WriteFile("roles.yml", []byte("- hosts: web\n  gather_facts: false\n  roles: [greet]\n"), 0o644))
	code, stdout, stderr := ferry(t, "run", "roles.yml")
	if code != 0 || strings.Count(stdout, `"msg": "from the role"`) != 2 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	sameAsAnsible(t, stdout, "roles.yml")
}

// An environment variable set to "" is set, as in Ansible's config
// manager: an empty ANSIBLE_ROLES_PATH is the working directory (not the
// file's roles_path), an empty boolean is false, and an empty number is
// the default (not the file's value).
func TestConfigEmptyEnvironment(t *testing.T) {
	configSite(t, "[defaults]\ninventory = hosts.ini\nroles_path = shared/roles\nhost_key_checking = true\ntimeout = 33\nforks = 1\n")
	for dir, msg := range map[string]string{filepath.Join("shared", "roles"): "from shared", ".": "from the working directory"} {
		must(t, os.MkdirAll(filepath.Join(dir, "greet", "tasks"), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, "greet", "tasks", "main.yml"), []byte("- debug: {msg: "+msg+"}\n"), 0o644))
	}
	must(t, os.Mkdir("sub", 0o755))
	pb := filepath.Join("sub", "roles.yml")
	must(t, os.WriteFile(pb, []byte(`- hosts: web
  gather_facts: false
  roles: [greet]
  tasks:
    - debug: msg="{{ lookup('config', 'HOST_KEY_CHECKING') }} {{ lookup('config', 'DEFAULT_TIMEOUT') }}"
`), 0o644))
	for _, v := range []string{"ANSIBLE_ROLES_PATH", "ANSIBLE_HOST_KEY_CHECKING", "ANSIBLE_TIMEOUT"} {
		t.Setenv(v, "")
	}
	code, stdout, stderr := ferry(t, "run", pb)
	if code != 0 || strings.Count(stdout, `"msg": "from the working directory"`) != 2 || strings.Count(stdout, `"msg": "False 10"`) != 2 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	sameAsAnsible(t, stdout, pb)
}
