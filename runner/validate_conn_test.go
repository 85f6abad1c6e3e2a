package runner

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ssh variables ferry cannot honour are refused before anything runs,
// naming the host (and its inventory file) or the task: ssh arguments it
// has no equivalent for, and host key checking turned off in any of
// Ansible's ways. A host on the local connection is not checked, nor a
// host no play runs on.
func TestSSHVariablesRefusedBeforeTheRun(t *testing.T) {
	pb := `
- hosts: web1:web2:web3:lo
  gather_facts: false
  tasks:
    - command: touch DIR/ran
    - command: "true"
      vars:
        ansible_ssh_extra_args: -o UserKnownHostsFile=/dev/null
`
	inv := `[web]
web1 ansible_host=127.0.0.250 ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p bastion"'
web2 ansible_host=127.0.0.250 ansible_ssh_extra_args='-o StrictHostKeyChecking=no'
web3 ansible_host=127.0.0.250 ansible_host_key_checking=false
lo ansible_connection=local ansible_ssh_common_args='-o ProxyCommand=none'
elsewhere ansible_host=127.0.0.250 ansible_ssh_pkcs11_provider=/usr/lib/p11.so
`
	r := runPlaybook(t, pb, inv, nil)
	if r.code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitInvalid, r.stdout, r.stderr)
	}
	r.mustContain(t, "hosts.ini: host web1: ansible_ssh_common_args: ssh argument \"-o ProxyCommand=ssh -W %h:%p bastion\" is not supported by ferry",
		"host web2: ansible_ssh_extra_args: -o StrictHostKeyChecking=no: ferry never turns host key checking off",
		"host web3: ansible_host_key_checking: ferry never turns host key checking off",
		"site.yml:6:7: vars: ansible_ssh_extra_args: -o UserKnownHostsFile=/dev/null: ferry never turns host key checking off")
	for _, not := range []string{"host lo", "host elsewhere"} {
		if strings.Contains(r.stderr, not) {
			t.Errorf("%s is checked:\n%s", not, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "ran")); err == nil {
		t.Errorf("a task ran")
	}
}

// ansible_ssh_password, ansible_sudo_pass and ansible_su_pass, the ssh and
// become plugins' other names for passwords, are masked as the others are.
func TestOtherPasswordNamesAreMasked(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  tasks:
    - debug:
        msg: "{{ ansible_ssh_password }} {{ ansible_sudo_pass }} {{ ansible_su_pass }}"
`
	inv := "[web]\nweb1 ansible_connection=local ansible_ssh_password=pw-one ansible_sudo_pass=pw-two ansible_su_pass=pw-three\n"
	r := runPlaybook(t, pb, inv, nil)
	if r.code != ExitOK {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, pw := range []string{"pw-one", "pw-two", "pw-three"} {
		if strings.Contains(r.stdout+r.stderr, pw) {
			t.Errorf("%s shows:\n%s", pw, r.stdout)
		}
	}
}
