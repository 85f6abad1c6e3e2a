package modules

import "maps"

// FactsResult is the result of a module that returns ansible_facts
// (getent, service_facts): registered under ansible_facts, and set on the
// host both as variables of their own (getent_passwd, services: Ansible
// injects facts as variables) and in ansible_facts beside the facts the
// host has already (the runner sets Facts as they are).
func FactsResult(h *Host, facts map[string]any) Result {
	all := map[string]any{}
	if h.Vars != nil { // facts gathered before: keep them beside the new ones
		if v, err := h.Vars.Eval("ansible_facts"); err == nil {
			if m, ok := v.(map[string]any); ok {
				maps.Copy(all, m)
			}
		}
	}
	maps.Copy(all, facts)
	set := maps.Clone(facts)
	set["ansible_facts"] = all
	return Result{Data: map[string]any{"ansible_facts": maps.Clone(facts)}, Facts: set}
}
