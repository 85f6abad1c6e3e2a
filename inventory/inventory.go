// Package inventory loads Ansible-compatible inventories (YAML and INI files,
// directories of them, group_vars/ and host_vars/), resolves each host's
// variables with Ansible's precedence, matches host patterns, and prints the
// same JSON as `ansible-inventory --list`. Behaviour follows ansible-core 2.14
// and is checked against it by the tests (golden files, and live when
// ansible is installed).
//
// Typical use by the runner:
//
//	inv, err := inventory.Load(flags.Inventories...)  // every -i, in order
//	err = inv.AddVarsDir(filepath.Dir(playbookPath))  // playbook group_vars/host_vars
//	hosts, err := inv.Match(play.Hosts)               // *NoMatchError: caller decides
//	vars := inv.HostVars(h.Name)                      // plus magic vars from
//	inv.GroupNames(h.Name); inv.GroupMembers()        // group_names and groups
//	mask(inv.Secrets())                               // values tagged !secret
//
// A pattern naming localhost matches the implicit localhost when the
// inventory has none (see Localhost): its Host has Implicit set and its vars
// hold ansible_connection=local.
package inventory

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/vault"
)

// Host is one inventory host.
type Host struct {
	Name string
	// File is the inventory source the host was first seen in (Ansible's
	// inventory_file); empty for the implicit localhost.
	File string
	// Implicit is true for the localhost that Match creates when a pattern
	// names localhost and the inventory has no such host. It is in no group
	// and not part of `all`, as in Ansible.
	Implicit bool

	vars   map[string]any // vars set in inventory files, later files win
	direct []*Group       // groups the host was put in, in order
	groups []*Group       // direct groups and their ancestors, sorted for merging
	order  int
}

// Group is one inventory group.
type Group struct {
	Name string

	vars     map[string]any
	hosts    []*Host // direct members, in order added
	members  map[*Host]bool
	children []*Group
	parents  []*Group
	priority int // ansible_group_priority, default 1
	depth    int // longest path from all
}

// Hosts returns the group's direct members, in the order they were added.
func (g *Group) Hosts() []*Host { return append([]*Host(nil), g.hosts...) }

// Children returns the group's direct child groups, in the order added.
func (g *Group) Children() []*Group { return append([]*Group(nil), g.children...) }

// Vars returns a copy of the variables set on the group in inventory files
// (not group_vars/ files).
func (g *Group) Vars() map[string]any { return copyMap(g.vars) }

// Inventory is a loaded inventory. After Load and AddVarsDir it is safe for
// concurrent use, add_host and group_by (AddHost, AddToGroup) included:
// under strategy free each host applies its own while the others read.
type Inventory struct {
	// dyn guards the hosts and groups against AddHost and AddToGroup: each
	// exported reader holds it for reading, and calls no other exported
	// method (a read lock is not reentrant once a writer waits).
	dyn sync.RWMutex

	hosts       []*Host // insertion order
	hostByName  map[string]*Host
	groups      []*Group // creation order (all, ungrouped first)
	groupByName map[string]*Group

	// invDirs are the directories whose group_vars/ and host_vars/ apply
	// (each -i source directory, or the directory of a -i file), playDirs
	// the ones added by AddVarsDir; each is searched in order.
	invDirs  []*varsDir
	playDirs []*varsDir

	secrets []string
	keys    *vault.Keyring // opens vaulted files and !vault values

	mu         sync.Mutex
	localhost  *Host
	groupCache map[string]map[string]any // group-level vars by group-set key
	hostCache  map[string]map[string]any // resolved vars by host name
}

// LocalhostNames are the names Ansible treats as the local machine.
var LocalhostNames = []string{"localhost", "127.0.0.1", "::1"}

func newInventory() *Inventory {
	inv := &Inventory{hostByName: map[string]*Host{}, groupByName: map[string]*Group{}}
	inv.addGroup("all")
	inv.addGroup("ungrouped")
	_ = inv.addChild(inv.groupByName["all"], inv.groupByName["ungrouped"])
	return inv
}

func (inv *Inventory) all() *Group       { return inv.groupByName["all"] }
func (inv *Inventory) ungrouped() *Group { return inv.groupByName["ungrouped"] }

func (inv *Inventory) addGroup(name string) *Group {
	if g, ok := inv.groupByName[name]; ok {
		return g
	}
	g := &Group{Name: name, vars: map[string]any{}, members: map[*Host]bool{}, priority: 1}
	inv.groups = append(inv.groups, g)
	inv.groupByName[name] = g
	return g
}

// maxInventoryHosts bounds the hosts of one inventory: a range typo
// (web[1:99999999] is caught per pattern) repeated on many lines would
// otherwise exhaust memory. 250,000 is beyond the largest inventories Ansible
// users run (200,000 hosts take about 140 MB and 6 s to load).
var maxInventoryHosts = 250_000

// checkRoom refuses names that would take the inventory past
// maxInventoryHosts.
func (inv *Inventory) checkRoom(names []string) error {
	fresh := 0
	for _, n := range names {
		if _, ok := inv.hostByName[n]; !ok {
			fresh++
		}
	}
	if len(inv.hosts)+fresh > maxInventoryHosts {
		return fmt.Errorf("the inventory would hold more than %d hosts, ferry's limit: check the host ranges", maxInventoryHosts)
	}
	return nil
}

// addHostNew adds name (if new) and puts it in group g (if not nil). isNew
// tells whether the host was created by this call.
func (inv *Inventory) addHostNew(name, file string, g *Group) (h *Host, isNew bool) {
	h, ok := inv.hostByName[name]
	if !ok {
		h = &Host{Name: name, File: file, vars: map[string]any{}, order: len(inv.hosts)}
		inv.hosts = append(inv.hosts, h)
		inv.hostByName[name] = h
	}
	if g != nil {
		addMember(g, h)
	}
	return h, !ok
}

func addMember(g *Group, h *Host) {
	if g.members[h] {
		return
	}
	g.members[h] = true
	g.hosts = append(g.hosts, h)
	h.direct = append(h.direct, g)
}

// addChild makes child a child group of parent, refusing self-membership and
// cycles as Ansible does.
func (inv *Inventory) addChild(parent, child *Group) error {
	if parent == child {
		return fmt.Errorf("group %s cannot be a child of itself: remove it from its own children", child.Name)
	}
	for _, c := range parent.children {
		if c == child {
			return nil
		}
	}
	if isAncestor(child, parent) {
		return fmt.Errorf("adding group %s as a child of %s creates a cycle (%s is already an ancestor of %s): remove one of the two links",
			child.Name, parent.Name, child.Name, parent.Name)
	}
	parent.children = append(parent.children, child)
	child.parents = append(child.parents, parent)
	return nil
}

// isAncestor reports whether a is an ancestor of g.
func isAncestor(a, g *Group) bool {
	seen := map[*Group]bool{}
	stack := append([]*Group(nil), g.parents...)
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p == a {
			return true
		}
		if !seen[p] {
			seen[p] = true
			stack = append(stack, p.parents...)
		}
	}
	return false
}

// setGroupVar sets a group variable; ansible_group_priority sets the
// group's merge priority instead of becoming a variable, as in Ansible.
func setGroupVar(g *Group, key string, value any) error {
	if key != "ansible_group_priority" {
		g.vars[key] = value
		return nil
	}
	p, ok := asInt(value)
	if !ok {
		return fmt.Errorf("ansible_group_priority of group %s must be an integer, got %v", g.Name, value)
	}
	g.priority = p
	return nil
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case float64:
		return int(x), true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		if n, ok := parseINIValue(strings.TrimSpace(x)).(int); ok {
			return n, true
		}
	}
	return 0, false
}

// reconcile applies Ansible's rules once every source is parsed: groups
// without a parent become children of all, hosts in no other group are
// ungrouped, and each host's group set is computed and sorted for merging.
func (inv *Inventory) reconcile() {
	all, ungrouped := inv.all(), inv.ungrouped()
	for _, g := range inv.groups {
		if g != all && len(g.parents) == 0 {
			_ = inv.addChild(all, g)
		}
	}
	inv.computeDepths()
	for _, h := range inv.hosts {
		inUngrouped, inOther := false, false
		for _, g := range h.direct {
			switch g {
			case ungrouped:
				inUngrouped = true
			case all:
			default:
				inOther = true
			}
		}
		switch {
		case inUngrouped && inOther:
			delete(ungrouped.members, h)
			h.direct = removeItem(h.direct, ungrouped)
		case !inUngrouped && !inOther:
			addMember(ungrouped, h)
		}
	}
	// One pass over ungrouped, so that reconciling stays linear.
	kept := ungrouped.hosts[:0]
	for _, h := range ungrouped.hosts {
		if ungrouped.members[h] {
			kept = append(kept, h)
		}
	}
	ungrouped.hosts = kept
	for _, h := range inv.hosts {
		h.groups = sortedGroups(ancestorsOf(h.direct))
	}
}

func removeItem[T comparable](list []T, item T) []T {
	out := list[:0]
	for _, x := range list {
		if x != item {
			out = append(out, x)
		}
	}
	return out
}

// computeDepths sets each group's depth to its longest distance from all,
// which is what Ansible's incremental depth updates converge to.
func (inv *Inventory) computeDepths() {
	for _, g := range inv.groups {
		g.depth = -1
	}
	var visit func(g *Group, d int)
	visit = func(g *Group, d int) {
		if d <= g.depth {
			return
		}
		g.depth = d
		for _, c := range g.children {
			visit(c, d+1)
		}
	}
	visit(inv.all(), 0)
}

// ancestorsOf returns groups and all their ancestors, without all.
func ancestorsOf(groups []*Group) []*Group {
	seen := map[*Group]bool{}
	var out []*Group
	var walk func(g *Group)
	walk = func(g *Group) {
		if seen[g] {
			return
		}
		seen[g] = true
		if g.Name != "all" {
			out = append(out, g)
		}
		for _, p := range g.parents {
			walk(p)
		}
	}
	for _, g := range groups {
		walk(g)
	}
	return out
}

// sortedGroups orders groups as Ansible merges their variables: by depth
// (parents before children), then ansible_group_priority, then name.
func sortedGroups(groups []*Group) []*Group {
	sort.SliceStable(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.depth != b.depth {
			return a.depth < b.depth
		}
		if a.priority != b.priority {
			return a.priority < b.priority
		}
		return a.Name < b.Name
	})
	return groups
}

// groupHosts is Ansible's Group.get_hosts: the group's own hosts, then those
// of its descendants breadth first, each once. The implicit localhost is
// never part of all.
func groupHosts(g *Group) []*Host {
	seen := map[*Host]bool{}
	var out []*Host
	for _, kid := range descendants(g) {
		for _, h := range kid.hosts {
			if !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
	}
	return out
}

// descendants lists g and its descendants breadth first, in child order.
func descendants(g *Group) []*Group {
	seen := map[*Group]bool{g: true}
	out := []*Group{g}
	for i := 0; i < len(out); i++ {
		for _, c := range out[i].children {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// Hosts returns every host of the inventory in Ansible's order for the
// pattern `all`. The implicit localhost is not included.
func (inv *Inventory) Hosts() []*Host {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	return groupHosts(inv.all())
}

// Host returns the inventory host called name. It does not create the
// implicit localhost; Match and Localhost do.
func (inv *Inventory) Host(name string) (*Host, bool) {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	h, ok := inv.hostByName[name]
	return h, ok
}

// GroupNames is Ansible's group_names for host: the names of every group the
// host is in, directly or through a child group, sorted, without all. As in
// Ansible, a host in no group has ["ungrouped"].
func (inv *Inventory) GroupNames(host string) []string {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	h, ok := inv.hostByName[host]
	if !ok {
		return []string{}
	}
	names := make([]string, 0, len(h.groups))
	for _, g := range h.groups {
		names = append(names, g.Name)
	}
	sort.Strings(names)
	return names
}

// GroupMembers is Ansible's `groups` magic variable: every group name,
// including all and ungrouped, mapped to its hosts (with those of child
// groups) in inventory order.
func (inv *Inventory) GroupMembers() map[string][]string {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	out := make(map[string][]string, len(inv.groups))
	for _, g := range inv.groups {
		names := []string{}
		for _, h := range groupHosts(g) {
			names = append(names, h.Name)
		}
		out[g.Name] = names
	}
	return out
}

// Localhost returns the host to use for name when a pattern says localhost
// (or 127.0.0.1, ::1): the inventory's own host of that name, else its first
// localhost-like host, else Ansible's implicit localhost: a host in no group
// and not in all, whose only own variable is ansible_connection=local (it
// still gets group_vars/all, [all:vars] and host_vars/NAME), created once.
// ok is false when name is not one of LocalhostNames. Unlike Ansible, ferry
// sets no ansible_python_interpreter, as it runs no Python.
func (inv *Inventory) Localhost(name string) (*Host, bool) {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	return inv.localhostFor(name)
}

// localhostFor is Localhost, with inv.dyn held.
func (inv *Inventory) localhostFor(name string) (*Host, bool) {
	if h, ok := inv.hostByName[name]; ok {
		return h, true
	}
	if !isLocalhostName(name) {
		return nil, false
	}
	// As in Ansible, a localhost-like host of the inventory (the first one)
	// stands for all three names.
	for _, n := range LocalhostNames {
		if h, ok := inv.hostByName[n]; ok {
			return h, true
		}
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	if inv.localhost == nil {
		inv.localhost = &Host{Name: name, Implicit: true, order: -1,
			vars: map[string]any{"ansible_connection": "local"}}
	}
	return inv.localhost, true
}

func isLocalhostName(name string) bool {
	for _, n := range LocalhostNames {
		if n == name {
			return true
		}
	}
	return false
}

// Secrets returns every value tagged !secret in the inventory, group_vars
// and host_vars, and the hosts' connection and become passwords (see
// PasswordVars), so that the runner can mask them in all output.
func (inv *Inventory) Secrets() []string {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	return append(append([]string(nil), inv.secrets...), inv.passwordValues()...)
}

// Vault returns the vault passwords the inventory was loaded with (nil for
// none), for the other files of the same run.
func (inv *Inventory) Vault() *vault.Keyring { return inv.keys }

func (inv *Inventory) addSecrets(values []string) {
	seen := make(map[string]bool, len(inv.secrets))
	for _, s := range inv.secrets {
		seen[s] = true
	}
	for _, s := range values {
		if s != "" && !seen[s] {
			seen[s] = true
			inv.secrets = append(inv.secrets, s)
		}
	}
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// joinErrors is errors.Join that keeps nil for no errors.
func joinErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errors.Join(errs...)
}
