package runner

import "strings"

// templatedFactNames reports whether a set_fact names a fact with a
// template (devsec.hardening's `"{{ item.key }}": "{{ item.value }}"` over
// the OS's vars file): which names it defines is known only at run time,
// as with include_vars of a templated file.
func templatedFactNames(pb *Playbook) bool {
	found := false
	for _, play := range pb.Plays {
		play.AllTasks(func(t *Task, _ bool) {
			if t.Module != "set_fact" {
				return
			}
			for k := range t.Args {
				if strings.Contains(k, "{{") {
					found = true
				}
			}
		})
	}
	return found
}
