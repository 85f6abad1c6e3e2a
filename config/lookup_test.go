package config

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// Lookup's order and types are ansible-core's config manager's: the
// environment over the file over base.yml's default, typed; paths relative
// to the file's directory (or the working directory for a variable), ~ the
// home; unknown names not found.
func TestLookupOrderAndTypes(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\nforks = 9\nhost_key_checking = no\nprivate_key_file = keys/id\nansible_managed = \"quoted {file}\"\n[colors]\nok = blue\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(env(map[string]string{"ANSIBLE_CONFIG": cfg, "ANSIBLE_FORKS": "3", "ANSIBLE_ROLES_PATH": "r1:~/r2"}), "/work", "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{
		"DEFAULT_FORKS":            3,
		"HOST_KEY_CHECKING":        false,
		"DEFAULT_PRIVATE_KEY_FILE": filepath.Join(dir, "keys/id"),
		"DEFAULT_MANAGED_STR":      "quoted {file}",
		"COLOR_OK":                 "blue",
		"COLOR_SKIP":               "cyan",
		"DEFAULT_ROLES_PATH":       []any{"/work/r1", "/home/u/r2"},
		"DEFAULT_HOST_LIST":        []any{"/etc/ansible/hosts"},
		"DEFAULT_REMOTE_USER":      nil,
		"DEFAULT_TIMEOUT":          10,
	} {
		got, found, err := s.Lookup(name)
		if err != nil || !found || !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v (found %v, %v), want %#v", name, got, found, err, want)
		}
	}
	if _, found, _ := s.Lookup("NO_SUCH_SETTING"); found {
		t.Error("an unknown setting was found")
	}
	bad, _ := Load(env(map[string]string{"ANSIBLE_POLL_INTERVAL": "soon"}), "/work", "/home/u")
	if _, _, err := bad.Lookup("DEFAULT_POLL_INTERVAL"); err == nil {
		t.Error("ANSIBLE_POLL_INTERVAL=soon was read as a number")
	}
	home, _, _ := Defaults().Lookup("DEFAULT_ROLES_PATH")
	if paths, ok := home.([]any); !ok || len(paths) != 3 || paths[1] != "/usr/share/ansible/roles" {
		t.Errorf("default roles path %v", home)
	}
}

// Every setting ferry applies itself is the one lookup('config') answers:
// one table says where both read it, so a quoted value, a relative path or
// a variable over the file gives the same answer to both.
func TestLoadAndLookupAgree(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ansible.cfg")
	write(t, cfg, "[defaults]\nremote_user = \"deploy\"\nforks = 7\ninventory = hosts, /etc/other\nprivate_key_file = 'keys/id'\n"+
		"vault_password_file = ~/vault\nhost_key_checking = no\nstdout_callback = json\ncollections_paths = c1\ncollections_path = c2:/c3\n[privilege_escalation]\nbecome = yes\nbecome_user = app\n")
	s, err := Load(env(map[string]string{"ANSIBLE_CONFIG": cfg, "ANSIBLE_TIMEOUT": "33", "ANSIBLE_ROLES_PATH": "r1:~/r2", "NO_COLOR": "1"}), "/work", "/home/u")
	if err != nil {
		t.Fatal(err)
	}
	applied := map[string]any{
		"DEFAULT_REMOTE_USER":         s.RemoteUser,
		"DEFAULT_FORKS":               s.Forks,
		"DEFAULT_HOST_LIST":           anys(s.Inventory),
		"DEFAULT_PRIVATE_KEY_FILE":    s.PrivateKeyFile,
		"DEFAULT_VAULT_PASSWORD_FILE": s.VaultPasswordFile,
		"HOST_KEY_CHECKING":           *s.HostKeyChecking,
		"DEFAULT_STDOUT_CALLBACK":     s.StdoutCallback,
		"DEFAULT_BECOME":              *s.Become,
		"DEFAULT_BECOME_USER":         s.BecomeUser,
		"DEFAULT_TIMEOUT":             s.Timeout,
		"DEFAULT_ROLES_PATH":          anys(s.RolesPath),
		"COLLECTIONS_PATHS":           anys(s.CollectionsPath),
		"ANSIBLE_NOCOLOR":             s.NoColor,
		"ANSIBLE_FORCE_COLOR":         s.ForceColor,
	}
	for _, k := range keys {
		want, ok := applied[k.name]
		if !ok {
			t.Errorf("%s: applied by Load but not checked here", k.name)
			continue
		}
		got, found, err := s.Lookup(k.name)
		if err != nil || !found || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lookup %#v (found %v, %v), Load applied %#v", k.name, got, found, err, want)
		}
	}
	if s.RemoteUser != "deploy" || s.PrivateKeyFile != filepath.Join(dir, "keys/id") || s.VaultPasswordFile != "/home/u/vault" {
		t.Errorf("quotes or paths: %q %q %q", s.RemoteUser, s.PrivateKeyFile, s.VaultPasswordFile)
	}
	if want := []string{filepath.Join(dir, "c2"), "/c3"}; !reflect.DeepEqual(s.CollectionsPath, want) {
		t.Errorf("collections_path (the last key given wins): %q, want %q", s.CollectionsPath, want)
	}
}

// Of a setting's variables the last one set wins, as ansible-playbook
// answered lookup('config', 'ANSIBLE_NOCOLOR') (ansible-core 2.14):
// ANSIBLE_NOCOLOR=1 NO_COLOR=0 gives False, ANSIBLE_NOCOLOR=0 NO_COLOR=1
// gives True.
func TestLastVariableWins(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{"ANSIBLE_NOCOLOR": "1", "NO_COLOR": "0"}, false},
		{map[string]string{"ANSIBLE_NOCOLOR": "0", "NO_COLOR": "1"}, true},
		{map[string]string{"ANSIBLE_NOCOLOR": "1"}, true},
	} {
		s, err := Load(env(tc.env), t.TempDir(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := s.Lookup("ANSIBLE_NOCOLOR"); err != nil || got != tc.want {
			t.Errorf("%v: lookup %v (%v), want %v", tc.env, got, err, tc.want)
		}
	}
}
