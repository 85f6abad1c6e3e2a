package modules

import "maps"

// FactsResult is the result of a module that returns ansible_facts
// (getent, service_facts): registered under ansible_facts, and set on the
// host both as variables of their own (getent_passwd, services: Ansible
// injects facts as variables) and in ansible_facts beside the facts the
// host has already (the runner sets Facts as they are).
func FactsResult(h *Host, facts map[string]any) Result {
	all := PriorFacts(h)
	maps.Copy(all, facts)
	set := maps.Clone(facts)
	set["ansible_facts"] = all
	return Result{Data: map[string]any{"ansible_facts": maps.Clone(facts)}, Facts: set}
}

// PriorFacts is a copy of the host's ansible_facts before the task: a
// module's facts are added to them (setup's too), as Ansible merges a
// result's ansible_facts into the host's.
func PriorFacts(h *Host) map[string]any {
	all := map[string]any{}
	if h.Vars != nil {
		if v, err := h.Vars.Eval("ansible_facts"); err == nil {
			if m, ok := v.(map[string]any); ok {
				maps.Copy(all, m)
			}
		}
	}
	return all
}
