package inventory

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/pyjson"
	"github.com/ferry-sh/ferry/internal/suggest"
)

// internalVars are the magic variables ansible-inventory leaves out of its
// output even when an inventory sets them.
var internalVars = []string{"ansible_diff_mode", "ansible_config_file", "ansible_facts", "ansible_forks",
	"ansible_inventory_sources", "ansible_limit", "ansible_playbook_python", "ansible_run_tags",
	"ansible_skip_tags", "ansible_verbosity", "ansible_version", "inventory_dir", "inventory_file",
	"inventory_hostname", "inventory_hostname_short", "groups", "group_names", "omit", "playbook_dir"}

// secretMask replaces secret values in printed output.
const secretMask = "********"

// ListJSON is `ansible-inventory --list`: every group reachable from all with
// its direct hosts and children (empty groups left out, but still named as
// children), all without hosts, and _meta.hostvars holding each host's merged
// variables (hosts without variables left out). Group variables appear only
// merged into hostvars, as in Ansible 2.14 without --export. Secret values
// are masked.
func (inv *Inventory) ListJSON() ([]byte, error) {
	out := map[string]any{}
	seen := map[*Group]bool{}
	inv.listGroup(inv.all(), out, seen)
	hostvars := map[string]any{}
	masker := inv.secretMasker()
	for _, h := range inv.Hosts() {
		if vars := inv.maskedVars(h.Name, masker); len(vars) > 0 {
			hostvars[h.Name] = vars
		}
	}
	out["_meta"] = map[string]any{"hostvars": hostvars}
	return json.MarshalIndent(out, "", "    ")
}

func (inv *Inventory) listGroup(g *Group, out map[string]any, seen map[*Group]bool) {
	entry := map[string]any{}
	if g != inv.all() && len(g.hosts) > 0 {
		names := make([]string, 0, len(g.hosts))
		for _, h := range g.hosts {
			names = append(names, h.Name)
		}
		entry["hosts"] = names
	}
	if len(g.children) > 0 {
		names := make([]string, 0, len(g.children))
		for _, c := range g.children {
			names = append(names, c.Name)
			if !seen[c] {
				seen[c] = true
				inv.listGroup(c, out, seen)
			}
		}
		entry["children"] = names
	}
	if len(entry) > 0 {
		out[g.Name] = entry
	}
}

// HostJSON is `ansible-inventory --host NAME`: the host's merged variables
// as JSON, secrets masked.
func (inv *Inventory) HostJSON(name string) ([]byte, error) {
	if _, ok := inv.hostByName[name]; !ok && !isLocalhostName(name) {
		return nil, fmt.Errorf("host %q is not in the inventory %s", name, suggest.Hint(name, inv.hostNames()))
	}
	return json.MarshalIndent(inv.printableVars(name), "", "    ")
}

func (inv *Inventory) hostNames() []string {
	out := make([]string, 0, len(inv.hosts))
	for _, h := range inv.hosts {
		out = append(out, h.Name)
	}
	return out
}

// printableVars is HostVars without Ansible's internal names, secrets
// masked and values JSON can encode. A password variable is masked whole,
// even when its value is a template: what it names is a secret.
func (inv *Inventory) printableVars(name string) map[string]any {
	return inv.maskedVars(name, inv.secretMasker())
}

// maskedVars is printableVars with the inventory's masker built once by
// the caller, who prints many hosts.
func (inv *Inventory) maskedVars(name string, masker *strings.Replacer) map[string]any {
	vars := inv.HostVars(name)
	for _, k := range internalVars {
		delete(vars, k)
	}
	for k, v := range vars {
		if IsPasswordVar(k) && v != nil {
			vars[k] = secretMask
			continue
		}
		vars[k] = printable(v, masker)
	}
	return vars
}

// secretMasker replaces every secret of the inventory, longest first so
// that a secret holding another is masked whole.
func (inv *Inventory) secretMasker() *strings.Replacer {
	secrets := inv.Secrets()
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	pairs := make([]string, 0, 2*len(secrets))
	for _, s := range secrets {
		if s != "" {
			pairs = append(pairs, s, secretMask)
		}
	}
	return strings.NewReplacer(pairs...)
}

// printable copies v with secrets masked and non-finite floats written the
// way Python's json module writes them.
func printable(v any, masker *strings.Replacer) any {
	switch x := v.(type) {
	case string:
		return masker.Replace(x)
	case float64:
		return pyjson.Float(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[masker.Replace(k)] = printable(e, masker)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = printable(e, masker)
		}
		return out
	}
	return v
}

// Graph is `ansible-inventory --graph GROUP`: the group tree from group
// (all when empty), child groups before the group's own hosts.
func (inv *Inventory) Graph(group string) (string, error) {
	if group == "" {
		group = "all"
	}
	g, ok := inv.groupByName[group]
	if !ok {
		return "", fmt.Errorf("--graph needs a group name; %q is not a group %s", group, suggest.Hint(group, inv.groupNamesAll()))
	}
	var b strings.Builder
	inv.graphGroup(&b, g, 0, map[*Group]bool{})
	return strings.TrimSuffix(b.String(), "\n"), nil
}

func (inv *Inventory) graphGroup(b *strings.Builder, g *Group, depth int, path map[*Group]bool) {
	if path[g] { // cannot happen after addChild's cycle check; guards anyway
		return
	}
	path[g] = true
	defer delete(path, g)
	graphLine(b, "@"+g.Name+":", depth)
	for _, c := range g.children {
		inv.graphGroup(b, c, depth+1, path)
	}
	if g != inv.all() {
		for _, h := range g.hosts {
			graphLine(b, h.Name, depth+1)
		}
	}
}

func graphLine(b *strings.Builder, name string, depth int) {
	if depth > 0 {
		b.WriteString(strings.Repeat("  |", depth) + "--")
	}
	b.WriteString(name)
	b.WriteByte('\n')
}
