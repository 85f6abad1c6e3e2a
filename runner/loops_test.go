package runner

import (
	"path/filepath"
	"testing"
)

// TestIncludeLoopControl: include_tasks in a loop gives the included tasks
// loop_var, index_var and ansible_loop, as ansible-playbook does (checked:
// it prints the same three messages for this playbook).
func TestIncludeLoopControl(t *testing.T) {
	r := runPlaybook(t, `- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: inc.yml
      loop: [a, b]
      loop_control: {loop_var: it, index_var: idx, extended: true}
    - include_tasks: inc.yml
      with_items: [c]
      loop_control: {loop_var: it, index_var: idx, extended: true}
`, "localhost ansible_connection=local\n", func(s *Session) {
		writeFile(t, filepath.Join(filepath.Dir(s.Playbook), "inc.yml"),
			`- debug: msg="{{ idx }}:{{ it }} first={{ ansible_loop.first }}"`+"\n")
	})
	r.mustContain(t, `"msg": "0:a first=True"`, `"msg": "1:b first=False"`, `"msg": "0:c first=True"`)
}
