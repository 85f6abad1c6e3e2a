package runner

import "testing"

// ansible-core 2.14 refuses loop, register, until, retries... on a block
// ("'retries' is not a valid attribute for a Block", exit 4, measured);
// ferry refuses them before the run, each at its line.
func TestBlockRefusesTaskOnlyKeywords(t *testing.T) {
	pb := `
- hosts: web
  gather_facts: false
  tasks:
    - block:
        - debug:
            msg: x
      retries: 3
      delay: 1
      with_items: [1]
      register: r
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitInvalid {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitInvalid, r.stdout, r.stderr)
	}
	r.mustContain(t, `site.yml:8:7: "retries" is not a valid keyword for a block`, `site.yml:9:7: "delay"`,
		`site.yml:10:7: "with_items"`, `site.yml:11:7: "register"`, "put it on the tasks inside the block")
}

// A play's timeout is every task's, as base.py's timeout inherited.
func TestPlayTimeoutReachesTasks(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  timeout: 1
  tasks:
    - command: sleep 30
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != ExitFailed {
		t.Fatalf("exit %d, want %d\n%s%s", r.code, ExitFailed, r.stdout, r.stderr)
	}
	r.mustContain(t, "the task timed out after 1 seconds")
}
