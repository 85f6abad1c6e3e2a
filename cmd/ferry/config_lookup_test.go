package main

import (
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

// An ansible.cfg and ANSIBLE_* variables reach lookup('config') and the
// template module's ansible_managed as they reach ansible-playbook's:
// the variable wins over the file, relative paths start in the file's
// directory, and ansible_managed's {uid}, {file} and strftime fields are
// filled in.
func TestConfigLookupAndAnsibleManaged(t *testing.T) {
	pb := configSite(t, "[defaults]\ninventory = hosts.ini\nforks = 7\ntimeout = 20\nroles_path = roles:/opt/roles\n"+
		"ansible_managed = Managed by {uid}: {file} (%Y)\n\n[privilege_escalation]\nbecome_user = admin\n")
	dir := filepath.Dir(pb)
	t.Setenv("ANSIBLE_TIMEOUT", "33")
	must(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "m.j2"), []byte("# {{ ansible_managed }}\n"), 0o644))
	must(t, os.WriteFile(pb, []byte(`- hosts: web1
  gather_facts: false
  tasks:
    - debug: msg="{{ lookup('config', 'DEFAULT_FORKS') + 1 }} {{ lookup('config', 'DEFAULT_TIMEOUT') }} {{ lookup('config', 'DEFAULT_BECOME_USER') }}"
    - debug: msg="{{ lookup('config', 'DEFAULT_ROLES_PATH') | map('replace', playbook_dir, 'DIR') }} {{ lookup('config', 'DEFAULT_HOST_LIST') | map('basename') }}"
    - template: src=m.j2 dest={{ dest }}
    - debug: msg="{{ lookup('file', dest) | regex_replace('[0-9]{4}', 'YEAR') }}"
`), 0o644))
	code, stdout, stderr := ferry(t, "run", "site.yml", "-e", "dest="+filepath.Join(t.TempDir(), "out"))
	me, err := user.Current()
	must(t, err)
	want := `"msg": "# Managed by ` + me.Username + `: m.j2 (YEAR)"`
	if code != 0 || !strings.Contains(stdout, `"msg": "8 33 admin"`) || !strings.Contains(stdout, "['DIR/roles', '/opt/roles']") ||
		!strings.Contains(stdout, want) {
		t.Fatalf("exit %d, want %s\n%s%s", code, want, stdout, stderr)
	}
	sameAsAnsible(t, stdout, pb, "-e", "dest="+filepath.Join(t.TempDir(), "out"))
}
