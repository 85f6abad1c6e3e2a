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
