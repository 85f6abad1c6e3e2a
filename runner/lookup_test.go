package runner

import "testing"

// A variable that cannot be resolved fails the host with a message naming it,
// wherever the runner reads it: in a template, and in the variables the runner
// reads itself (become, the connection's ansible_* variables), where a
// failure once escaped as a panic.
func TestUnresolvableVariableIsAnErrorEverywhere(t *testing.T) {
	pb := "- hosts: web\n  gather_facts: false\n  tasks:\n    - command: \"true\"\n"
	for _, tt := range []struct{ name, hostVars string }{
		{"become", "ansible_become={{a}}"},
		{"become user", "ansible_become=true ansible_become_user={{a}}"},
		{"become password", "ansible_become=true ansible_become_password={{a}}"},
		{"connection variable", "ansible_port={{a}}"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			inv := "[web]\nweb1 ansible_connection=local a={{b}} b={{a}} " + tt.hostVars + "\n"
			r := runPlaybook(t, pb, inv, nil)
			if r.code != 2 {
				t.Errorf("exit %d, want 2\n%s%s", r.code, r.stdout, r.stderr)
			}
			r.mustContain(t, `recursive loop in variable`)
		})
	}
}
