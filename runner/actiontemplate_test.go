package runner

import "testing"

// TestTemplatedModuleIsCheckedWhenItRuns: the module a template names is
// looked up, and its arguments checked against its declaration, on each
// host before it runs; a name ferry does not have fails with a hint.
func TestTemplatedModuleIsCheckedWhenItRuns(t *testing.T) {
	pb := `
- hosts: web1
  gather_facts: false
  vars: {mod: debug, typo: debgu}
  tasks:
    - action: "{{ typo }} msg=x"
      ignore_errors: true
    - action: "{{ mod }} msg=x nosuch=1"
      ignore_errors: true
    - action: "{{ mod }} msg=ran"
`
	r := runPlaybook(t, pb, localInventory, nil)
	if r.code != 0 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	r.mustContain(t, `the module {{ typo }} is \"debgu\", which ferry does not have (did you mean `+"`debug`"+`?)`,
		`module debug (from {{ mod }}): `, `nosuch`, `"msg": "ran"`, "ignored=2")
}
