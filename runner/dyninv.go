package runner

import (
	"fmt"
	"strings"
)

// The run's inventory changes as Ansible's does: add_host and group_by
// describe a change in their result (add_host, add_group), and the runner
// applies it once the task is done on every host, between tasks, so that no
// task reads the inventory while it changes. refresh_inventory reads the
// sources again and applies the run's changes so far once more, as
// InventoryManager.refresh_inventory does.

// inventoryChange is one applied add_host or group_by result, kept for
// refresh_inventory.
type inventoryChange struct {
	host   string // the host group_by ran for
	result map[string]any
}

// changesInventory tells whether a task's result asks for an inventory change.
func changesInventory(out taskOutcome) bool {
	for _, item := range resultItems(out.registered) {
		if _, ok := item["add_host"]; ok {
			return true
		}
		if _, ok := item["add_group"]; ok {
			return true
		}
	}
	return false
}

// resultItems is a result's per-item results for a loop, or the result.
func resultItems(registered map[string]any) []map[string]any {
	list, ok := registered["results"].([]any)
	if !ok {
		return []map[string]any{registered}
	}
	var items []map[string]any
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			items = append(items, m)
		}
	}
	return items
}

// recordInventoryChanges applies, in host order, the inventory changes of
// a task's results that ask for one, then records and prints them: whether
// they changed anything is known only then.
func (r *Runner) recordInventoryChanges(t *Task, hosts []*hostState, results []taskOutcome, rescuable bool) {
	for i := range results {
		out := &results[i]
		if !changesInventory(*out) {
			continue
		}
		r.changeInventory(t, hosts[i], out)
		r.record(t, hosts[i], out, rescuable)
		r.emit(out.event)
	}
}

func (r *Runner) changeInventory(t *Task, h *hostState, out *taskOutcome) {
	changed := false
	for i, item := range resultItems(out.registered) {
		if failed, _ := item["failed"].(bool); failed {
			continue
		}
		c, err := r.applyChange(inventoryChange{host: h.name, result: item})
		if err != nil {
			item["failed"], item["msg"] = true, err.Error()
			out.failed = true
			out.event.Msg = err.Error()
		}
		if len(t.ChangedWhen) == 0 {
			item["changed"] = c
		}
		changed = changed || c
		if i < len(out.event.Items) && !out.event.Items[i].Status.isSkippedOrFailed() {
			out.event.Items[i].Status = itemOutcome{changed: c, failed: err != nil}.status()
		}
	}
	if len(t.ChangedWhen) == 0 {
		out.changed = changed
		out.registered["changed"] = changed
	}
	if out.failed {
		out.registered["failed"] = true
	}
	out.event.Status = statusOf(*out)
	out.event.Result = out.registered
	r.inventoryChanged()
}

func (s Status) isSkippedOrFailed() bool { return s == StatusSkipped || s == StatusFailed }

// applyChange makes one add_host or group_by change and remembers it.
func (r *Runner) applyChange(c inventoryChange) (bool, error) {
	inv := r.opts.Inventory
	if inv == nil {
		return false, fmt.Errorf("no inventory to change")
	}
	var changed bool
	var err error
	if add, ok := c.result["add_host"].(map[string]any); ok {
		name, _ := add["host_name"].(string)
		vars, _ := add["host_vars"].(map[string]any)
		changed, err = inv.AddHost(name, strings.Fields(strings.Join(anyStrings(add["groups"]), " ")), vars)
	} else {
		group, _ := c.result["add_group"].(string)
		changed, err = inv.AddToGroup(c.host, group, anyStrings(c.result["parent_groups"]))
	}
	if err == nil {
		r.dynamicMu.Lock()
		r.dynamicInventory = append(r.dynamicInventory, c)
		r.dynamicMu.Unlock()
	}
	return changed, err
}

func anyStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

// inventoryChanged drops everything computed from the inventory: the
// groups variable, hostvars and each host's inventory variables (a new
// group may bring group_vars).
func (r *Runner) inventoryChanged() {
	inv := r.opts.Inventory
	r.groupsMu.Lock()
	r.groups = nil
	r.groupsMu.Unlock()
	r.viewMu.Lock()
	r.views, r.hostvarsAll = map[string]hostView{}, nil
	r.viewMu.Unlock()
	r.mu.Lock()
	for _, h := range r.hosts {
		h.setInventoryVars(inv.HostVars(h.name))
	}
	r.mu.Unlock()
	r.opts.Masker.Add(inv.Secrets()...)
	r.factsGen.Add(1)
}

// refreshInventory is meta: refresh_inventory.
func (r *Runner) refreshInventory() {
	if r.opts.ReloadInventory == nil || r.opts.Inventory == nil {
		return
	}
	inv, err := r.opts.ReloadInventory()
	if err != nil {
		r.warn("refresh_inventory: %v; the run goes on with the inventory it had", err)
		return
	}
	r.opts.Inventory = inv
	r.dynamicMu.Lock()
	replay := r.dynamicInventory
	r.dynamicInventory = nil
	r.dynamicMu.Unlock()
	for _, c := range replay {
		if _, err := r.applyChange(c); err != nil {
			continue // its host left the inventory, as in Ansible
		}
	}
	r.inventoryChanged()
}

// clearFacts is meta: clear_facts: the facts gathered or cached for the
// play's hosts go (ansible_facts and the ansible_* names); registered
// values and set_fact's plain variables stay, as in Ansible, whose
// clear_facts empties the fact cache only.
func (r *Runner) clearFacts(pr *playRun) {
	for _, h := range pr.allHosts {
		h.facts.clearGathered()
	}
}

func (f *facts) clearGathered() {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := make(map[string]any, len(f.m))
	for k, v := range f.m {
		if k != "ansible_facts" && !strings.HasPrefix(k, "ansible_") {
			next[k] = v
		}
	}
	f.m = next
	f.version++
	if f.changes != nil {
		f.changes.Add(1)
	}
}

// inventoryVars are the host's inventory variables, as of the last
// inventory change.
func (h *hostState) inventoryVars() map[string]any {
	if p := h.invVars.Load(); p != nil {
		return *p
	}
	return nil
}

func (h *hostState) setInventoryVars(vars map[string]any) { h.invVars.Store(&vars) }
