package runner

import (
	"strings"
	"testing"
)

// A connection or become method ferry does not run is refused before the
// run, at its line, naming the ones it runs; a templated one is checked
// when it is rendered.
func TestConnectionKeywordsRefuseUnknownValues(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  become_method: doas
  tasks:
    - command: "true"
      connection: docker
    - block:
        - command: "true"
      become_method: runas
    - command: "true"
      connection: "{{ how }}"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitInvalid, r.stdout, r.stderr)
	}
	r.mustContain(t, `site.yml:4:18: become_method "doas" is not supported by ferry`, "use sudo or su",
		`site.yml:7:19: connection "docker" is not supported by ferry`, "use ssh or local",
		`site.yml:10:22: become_method "runas"`)
	if strings.Contains(r.stderr, "site.yml:12") {
		t.Errorf("a templated connection is refused before it is rendered:\n%s", r.stderr)
	}
}

// become_method su with a become password runs (su asks for it only when
// ferry is not root: TestCompareSuWithPassword has the real su between two
// users), and the password is never shown.
func TestBecomeSuWithPasswordRuns(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - command: echo ran
      become: true
      become_method: su
      vars:
        ansible_become_password: s3cret-pw
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitOK, r.stdout, r.stderr)
	}
	r.mustContain(t, "changed=1")
	if strings.Contains(r.stdout+r.stderr, "s3cret-pw") {
		t.Errorf("the become password shows:\n%s%s", r.stdout, r.stderr)
	}
}

// ansible-core's plugin loader takes a connection or become plugin by its
// full name (ansible.builtin.local, ansible.legacy.sudo): so does ferry.
func TestConnectionKeywordsTakeFullNames(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - command: "true"
      connection: ansible.builtin.local
      become_method: ansible.builtin.sudo
    - command: "true"
      vars:
        ansible_connection: ansible.legacy.local
        ansible_become_method: ansible.legacy.su
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitOK, r.stdout, r.stderr)
	}
	r.mustContain(t, "changed=2")
}
