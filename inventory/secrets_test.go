package inventory

import (
	"path/filepath"
	"strings"
	"testing"
)

// Connection and become passwords are secrets without a tag: `ferry
// inventory` never prints them, nor a copy of one under another name, nor
// a !secret value in the form JSON would escape it to.
func TestInventoryOutputMasksPasswords(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"inv.yml": `all:
  vars:
    ansible_ssh_pass: group-ssh-pass
  hosts:
    h1:
      ansible_password: conn-pass-1
      ansible_become_pass: become-pass-1
      copy_of: conn-pass-1
      tok: !secret "a<b&c"
    h2:
      ansible_become_password: "{{ vault_become }}"
`,
		"inv.ini": "[db]\nd1 ansible_password=ini-pass-9\n",
	})
	inv, err := Load(filepath.Join(dir, "inv.yml"), filepath.Join(dir, "inv.ini"))
	if err != nil {
		t.Fatal(err)
	}
	for what, out := range map[string]func() ([]byte, error){
		"ListJSON":  inv.ListJSON,
		"HostJSON1": func() ([]byte, error) { return inv.HostJSON("h1") },
		"HostJSON2": func() ([]byte, error) { return inv.HostJSON("h2") },
		"HostJSONd": func() ([]byte, error) { return inv.HostJSON("d1") },
	} {
		b, err := out()
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"group-ssh-pass", "conn-pass-1", "become-pass-1", "vault_become", "ini-pass-9", `a\u003cb`, "a<b"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("%s prints %q:\n%s", what, leak, b)
			}
		}
		if !strings.Contains(string(b), `"ansible_`) || !strings.Contains(string(b), `"********"`) {
			t.Errorf("%s lacks the masked password variables:\n%s", what, b)
		}
	}
}
