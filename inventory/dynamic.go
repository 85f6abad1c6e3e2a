package inventory

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
)

// The run changes the inventory as Ansible's add_host and group_by do
// (InventoryManager.add_dynamic_host and add_dynamic_group), each holding
// inv.dyn against the readers: under strategy free a host changes the
// inventory while the others run.

// AddHost adds the host name, or finds it, merges vars into its inventory
// variables and puts it in groups, each created under all when new. A new
// host or group picks up its host_vars/ and group_vars/ files. changed tells
// whether anything was new, as add_host reports it.
func (inv *Inventory) AddHost(name string, groups []string, vars map[string]any) (changed bool, err error) {
	if name == "" {
		return false, fmt.Errorf("add_host needs a host name")
	}
	inv.dyn.Lock()
	defer inv.dyn.Unlock()
	if err := inv.checkRoom([]string{name}); err != nil {
		return false, err
	}
	h, isNew := inv.addHostNew(name, "", nil)
	if isNew {
		addMember(inv.all(), h)
		if err := inv.loadDynamicVars("host_vars", name); err != nil {
			return true, err
		}
	}
	changed = isNew
	merged := maps.Clone(h.vars)
	maps.Copy(merged, vars)
	if !reflect.DeepEqual(merged, h.vars) {
		h.vars, changed = merged, true
	}
	for _, gname := range groups {
		g, err := inv.dynamicGroup(gname)
		if err != nil {
			return changed, err
		}
		changed = changed || g.created
		if !g.members[h] {
			addMember(g.Group, h)
			changed = true
		}
	}
	inv.dynamicDone()
	return changed, nil
}

// AddToGroup puts the host into group (created when new), and makes group a
// child of each parent (created under all when new), as group_by does.
func (inv *Inventory) AddToGroup(host, group string, parents []string) (changed bool, err error) {
	inv.dyn.Lock()
	defer inv.dyn.Unlock()
	h, ok := inv.hostByName[host]
	if !ok {
		if h, ok = inv.localhostFor(host); !ok {
			return false, fmt.Errorf("%s cannot be matched in inventory", host)
		}
	}
	g, err := inv.dynamicGroup(group)
	if err != nil {
		return false, err
	}
	for _, pname := range parents {
		p, err := inv.dynamicGroup(pname)
		if err != nil {
			return changed, err
		}
		changed = changed || p.created
		isChild := false
		for _, c := range p.children {
			isChild = isChild || c == g.Group
		}
		if !isChild && p.Group != g.Group {
			if err := inv.addChild(p.Group, g.Group); err != nil {
				return changed, err
			}
			changed = true
		}
	}
	if !g.members[h] {
		addMember(g.Group, h)
		changed = true
	}
	inv.dynamicDone()
	return changed, nil
}

type dynamicGroup struct {
	*Group
	created bool
}

// dynamicGroup finds or creates a group, loading the group_vars/ files of
// a new one.
func (inv *Inventory) dynamicGroup(name string) (dynamicGroup, error) {
	if g, ok := inv.groupByName[name]; ok {
		return dynamicGroup{g, false}, nil
	}
	g := inv.addGroup(name)
	return dynamicGroup{g, true}, inv.loadDynamicVars("group_vars", name)
}

// loadDynamicVars reads sub/name files of every vars directory for an
// entity created at run time.
func (inv *Inventory) loadDynamicVars(sub, name string) error {
	rd := inv.reader()
	for _, d := range append(append([]*varsDir(nil), inv.invDirs...), inv.playDirs...) {
		loaded, err := rd.loadEntities(filepath.Join(d.dir, sub), []string{name})
		if err != nil {
			return err
		}
		target := d.host
		if sub == "group_vars" {
			target = d.group
		}
		if vars, ok := loaded[name]; ok && target != nil {
			target[name] = vars
		}
	}
	inv.addSecrets(rd.secrets)
	return nil
}

// dynamicDone applies the inventory's rules again (ungrouped, all, group
// order) and drops the variable caches.
func (inv *Inventory) dynamicDone() {
	inv.reconcile()
	inv.mu.Lock()
	inv.groupCache, inv.hostCache = nil, nil
	inv.mu.Unlock()
}

// UnusedGroupVarNames lists the variables that group_vars/ files define for
// groups the inventory does not have (yet): group_by and add_host may create
// those groups at run time, and the validator must not call their variables
// undefined.
func (inv *Inventory) UnusedGroupVarNames() []string {
	rd := inv.reader()
	var names []string
	for _, d := range append(append([]*varsDir(nil), inv.invDirs...), inv.playDirs...) {
		sub := filepath.Join(d.dir, "group_vars")
		entries, err := os.ReadDir(sub)
		if err != nil {
			continue
		}
		var groups []string
		for _, e := range entries {
			g := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(e.Name(), ".yml"), ".yaml"), ".json")
			if _, known := inv.groupByName[g]; !known {
				groups = append(groups, g)
			}
		}
		loaded, _ := rd.loadEntities(sub, groups) // a broken file fails when its group is made
		for _, vars := range loaded {
			for k := range vars {
				names = append(names, k)
			}
		}
	}
	return names
}
