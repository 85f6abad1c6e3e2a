package inventory

import "strings"

// HostVars returns the variables of host merged exactly as Ansible 2.14 merges
// inventory variables (its default VARIABLE_PRECEDENCE), lowest first:
//
//  1. vars of the all group set in inventory files
//  2. vars of the host's other groups set in inventory files, groups sorted
//     by depth (parents before children), then ansible_group_priority, then
//     name
//  3. group_vars/all of each inventory source directory, in -i order
//  4. group_vars/all of each AddVarsDir directory (the playbook's)
//  5. group_vars/GROUP of each inventory source directory, for each group in
//     the order of 2 (source directory is the outer loop, as in Ansible)
//  6. group_vars/GROUP of each AddVarsDir directory
//  7. vars set on the host in inventory files (inline INI vars, YAML host
//     vars); a later file overrides an earlier one
//  8. host_vars/HOST of each inventory source directory
//  9. host_vars/HOST of each AddVarsDir directory
//
// Merging replaces whole top-level variables (hash_behaviour=replace): a
// dict in a higher layer is not deep-merged with one in a lower layer.
// Note that 3 beats 2: group_vars/all.yml overrides [web:vars] in an INI
// file, as in Ansible.
//
// Layers 1-6 depend only on the host's set of groups, so they are merged
// once per distinct group set and shared. The result is cached; the returned
// map is a fresh shallow copy, but nested lists and maps are shared and must
// not be modified. Unknown hosts get nil, except the localhost names, which
// resolve as the implicit localhost.
func (inv *Inventory) HostVars(name string) map[string]any {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	return inv.hostVars(name)
}

// hostVars is HostVars, with inv.dyn held.
func (inv *Inventory) hostVars(name string) map[string]any {
	h, ok := inv.hostByName[name]
	if !ok {
		if h, ok = inv.localhostFor(name); !ok {
			return nil
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.hostCache == nil {
		inv.hostCache = map[string]map[string]any{}
	}
	vars, ok := inv.hostCache[name]
	if !ok {
		vars = inv.resolve(h)
		inv.hostCache[name] = vars
	}
	return copyMap(vars)
}

// resolve merges the layers of HostVars for h. Called with inv.mu held.
func (inv *Inventory) resolve(h *Host) map[string]any {
	groupVars := inv.groupLayer(h.groups)
	out := make(map[string]any, len(groupVars)+len(h.vars)+8)
	for k, v := range groupVars {
		out[k] = v
	}
	merge(out, h.vars)
	for _, d := range inv.invDirs {
		merge(out, d.host[h.Name])
	}
	for _, d := range inv.playDirs {
		merge(out, d.host[h.Name])
	}
	return out
}

// groupLayer returns layers 1-6 for a sorted group set, cached by the set.
func (inv *Inventory) groupLayer(groups []*Group) map[string]any {
	var key strings.Builder
	for _, g := range groups {
		key.WriteString(g.Name)
		key.WriteByte(0)
	}
	if inv.groupCache == nil {
		inv.groupCache = map[string]map[string]any{}
	}
	if vars, ok := inv.groupCache[key.String()]; ok {
		return vars
	}
	all := inv.all()
	out := map[string]any{}
	merge(out, all.vars)
	for _, g := range groups {
		merge(out, g.vars)
	}
	for _, dirs := range [][]*varsDir{inv.invDirs, inv.playDirs} {
		for _, d := range dirs {
			merge(out, d.group["all"])
		}
	}
	for _, dirs := range [][]*varsDir{inv.invDirs, inv.playDirs} {
		for _, d := range dirs {
			for _, g := range groups {
				merge(out, d.group[g.Name])
			}
		}
	}
	inv.groupCache[key.String()] = out
	return out
}

func merge(dst, src map[string]any) {
	for k, v := range src {
		dst[k] = v
	}
}
