package runner

import "testing"

// hostvars and groups are cached for the run; a host's set_fact must still be
// seen by every other host's next task, and a second change too.
func TestHostvarsSeeOtherHostsFactChanges(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - set_fact:
        n: "{{ inventory_hostname }}-first"
    - debug:
        msg: "first {{ inventory_hostname }} sees {{ hostvars[groups['web'] | reject('equalto', inventory_hostname) | first]['n'] }}"
    - set_fact:
        n: "{{ inventory_hostname }}-second"
    - debug:
        msg: "second {{ inventory_hostname }} sees {{ hostvars[groups['web'] | reject('equalto', inventory_hostname) | first]['n'] }}"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t,
		"first web1 sees web2-first", "first web2 sees web1-first",
		"second web1 sees web2-second", "second web2 sees web1-second")
}
