package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func getenv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFindOrder(t *testing.T) {
	cwd, home := t.TempDir(), t.TempDir()
	if f, _ := Find(env(nil), cwd, home); f != "" {
		t.Fatalf("found %s in empty directories", f)
	}
	write(t, filepath.Join(home, ".ansible.cfg"), "")
	if f, _ := Find(env(nil), cwd, home); f != filepath.Join(home, ".ansible.cfg") {
		t.Errorf("home: %s", f)
	}
	write(t, filepath.Join(home, ".ferry.cfg"), "")
	if f, _ := Find(env(nil), cwd, home); f != filepath.Join(home, ".ferry.cfg") {
		t.Errorf("~/.ferry.cfg should come before ~/.ansible.cfg: %s", f)
	}
	write(t, filepath.Join(cwd, "ansible.cfg"), "")
	if f, _ := Find(env(nil), cwd, home); f != filepath.Join(cwd, "ansible.cfg") {
		t.Errorf("./ansible.cfg should come before ~/: %s", f)
	}
	write(t, filepath.Join(cwd, "ferry.cfg"), "")
	if f, _ := Find(env(nil), cwd, home); f != filepath.Join(cwd, "ferry.cfg") {
		t.Errorf("./ferry.cfg should come first in ./: %s", f)
	}
	other := filepath.Join(t.TempDir(), "x.cfg")
	if f, _ := Find(env(map[string]string{"ANSIBLE_CONFIG": other}), cwd, home); f != other {
		t.Errorf("ANSIBLE_CONFIG: %s", f)
	}
	if f, _ := Find(env(map[string]string{"ANSIBLE_CONFIG": "a", "FERRY_CONFIG": other}), cwd, home); f != other {
		t.Errorf("FERRY_CONFIG should win over ANSIBLE_CONFIG: %s", f)
	}
}

// Ansible ignores an ansible.cfg in a world-writable directory; so does ferry, and says so.
func TestWorldWritableDirectoryIgnored(t *testing.T) {
	cwd, home := t.TempDir(), t.TempDir()
	write(t, filepath.Join(cwd, "ansible.cfg"), "[defaults]\nforks = 9\n")
	if err := os.Chmod(cwd, 0o777); err != nil {
		t.Fatal(err)
	}
	s, err := Load(env(nil), cwd, home)
	if err != nil || s.File != "" || s.Forks != 0 || len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], "world-writable") {
		t.Errorf("%+v %v", s, err)
	}
}

func TestKeysPathsAndEnvironment(t *testing.T) {
	cwd, home := t.TempDir(), t.TempDir()
	write(t, filepath.Join(cwd, "ansible.cfg"), `# Ansible's own keys, ferry reads the ones it knows
[defaults]
inventory = site, /etc/other
remote_user = deploy
forks = 12
roles_path = roles:/usr/share/roles
host_key_checking = False
vault_password_file = ~/.vault_pass
stdout_callback = json
gathering = smart
[privilege_escalation]
become = yes
become_user = app
`)
	t.Setenv("HOME", home)
	s, err := Load(env(map[string]string{"ANSIBLE_FORKS": "3", "ANSIBLE_NOCOLOR": "1"}), cwd, home)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", name, got, want)
		}
	}
	check("inventory", s.Inventory, []string{filepath.Join(cwd, "site"), "/etc/other"})
	check("remote_user", s.RemoteUser, "deploy")
	check("forks (ANSIBLE_FORKS wins)", s.Forks, 3)
	check("roles_path", s.RolesPath, []string{filepath.Join(cwd, "roles"), "/usr/share/roles"})
	check("host_key_checking", *s.HostKeyChecking, false)
	check("vault_password_file", s.VaultPasswordFile, filepath.Join(home, ".vault_pass"))
	check("stdout_callback", s.StdoutCallback, "json")
	check("become", *s.Become, true)
	check("become_user", s.BecomeUser, "app")
	check("nocolor", s.NoColor, true)
	merged := s.Getenv(getenv(nil))
	check("Getenv vault", merged("ANSIBLE_VAULT_PASSWORD_FILE"), s.VaultPasswordFile)
	check("Getenv set wins", s.Getenv(getenv(map[string]string{"ANSIBLE_VAULT_PASSWORD_FILE": "/x"}))("ANSIBLE_VAULT_PASSWORD_FILE"), "/x")
}

func TestBadValuesNameTheFileAndKey(t *testing.T) {
	cwd := t.TempDir()
	write(t, filepath.Join(cwd, "ferry.cfg"), "[defaults]\nforks = many\n")
	_, err := Load(env(nil), cwd, "")
	if err == nil || !strings.Contains(err.Error(), "ferry.cfg: [defaults] forks = many: want a whole number") {
		t.Errorf("err = %v", err)
	}
	_, err = Load(env(map[string]string{"ANSIBLE_FORCE_COLOR": "maybe"}), t.TempDir(), "")
	if err == nil || !strings.Contains(err.Error(), "ANSIBLE_FORCE_COLOR=maybe") {
		t.Errorf("err = %v", err)
	}
}
