package inventory

import (
	"strings"

	"github.com/ferry-sh/ferry/internal/suggest"
	"gopkg.in/yaml.v3"
)

// groupSections are the only keys a group may have in a YAML inventory.
var groupSections = []string{"hosts", "vars", "children"}

// yamlInvParser follows Ansible 2.14's yaml inventory plugin. Where Ansible
// only warns and skips (an unknown key such as host:, a group that is a
// list), ferry reports an error, because the skipped part is always a mistake.
type yamlInvParser struct {
	inv  *Inventory
	conv *yamlConverter
}

func parseYAMLInventory(inv *Inventory, conv *yamlConverter, data []byte) error {
	file := conv.file
	root, err := yamlDoc(file, data)
	if err != nil {
		return err
	}
	if root == nil || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // an empty file holds no hosts, as in Ansible
	}
	p := &yamlInvParser{inv: inv, conv: conv}
	if root.Kind != yaml.MappingNode {
		return errAt(file, root.Line, "a YAML inventory must be a mapping of group names (usually just `all:`), got %s", kindName(root))
	}
	for _, kv := range p.pairs(root) {
		if kv[0].Value == "plugin" {
			return errAt(file, kv[0].Line, "inventory plugin configuration (plugin: %s) is not supported: list hosts and groups under all:", kv[1].Value)
		}
	}
	for _, kv := range p.pairs(root) {
		p.group(kv[0], kv[1])
	}
	inv.addSecrets(p.conv.secrets)
	return joinErrors(p.conv.errs)
}

// pairs returns the mapping's key/value pairs, reporting duplicate keys.
func (p *yamlInvParser) pairs(n *yaml.Node) [][2]*yaml.Node {
	pairs := mappingPairs(n)
	seen := make(map[string]int, len(pairs))
	out := pairs[:0:0]
	for _, kv := range pairs {
		k := kv[0]
		if first, dup := seen[k.Value]; dup && k.Kind == yaml.ScalarNode {
			p.conv.fail(k, "duplicate key %q (first at line %d): merge the two entries", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, kv)
	}
	return out
}

// name returns a group or host name key, which must be a string.
func (p *yamlInvParser) name(k *yaml.Node, what string) (string, bool) {
	if k.Kind != yaml.ScalarNode {
		p.conv.fail(k, "a %s name must be a string, got %s", what, kindName(k))
		return "", false
	}
	if _, isString := p.conv.scalar(k).(string); !isString || k.Value == "" {
		p.conv.fail(k, "%s name %q must be a string: quote it (\"%s\":)", what, k.Value, k.Value)
		return "", false
	}
	return k.Value, true
}

func (p *yamlInvParser) group(k, v *yaml.Node) *Group {
	name, ok := p.name(k, "group")
	if !ok {
		return nil
	}
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if !isNullOrMapping(v) {
		p.conv.fail(v, "group %s must be a mapping with hosts:, vars: and children:, got %s", name, kindName(v))
		return nil
	}
	g := p.inv.addGroup(name)
	if v.Kind != yaml.MappingNode {
		return g
	}
	for _, kv := range p.pairs(v) {
		key, val := kv[0], kv[1]
		if val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		switch key.Value {
		case "hosts":
			p.hosts(g, val)
		case "vars":
			p.vars(g, val)
		case "children":
			p.children(g, val)
		default:
			hint := suggest.Hint(key.Value, groupSections)
			if hint == "" {
				hint = "(a group takes only hosts:, vars: and children:; put variables under vars:)"
			}
			p.conv.fail(key, "unknown key %q in group %s: %s", key.Value, name, hint)
		}
	}
	return g
}

func isNullOrMapping(n *yaml.Node) bool {
	return n.Kind == yaml.MappingNode || n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// section returns the entries of hosts:/children:, where a single string is
// allowed and stands for one entry with no data.
func (p *yamlInvParser) section(g *Group, what string, n *yaml.Node) [][2]*yaml.Node {
	switch {
	case n.Kind == yaml.ScalarNode && n.Tag == "!!null":
		return nil
	case n.Kind == yaml.ScalarNode:
		return [][2]*yaml.Node{{n, {Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}}}
	case n.Kind == yaml.MappingNode:
		return p.pairs(n)
	}
	p.conv.fail(n, "%s of group %s must be a mapping with one `name:` per line, got %s", what, g.Name, kindName(n))
	return nil
}

func (p *yamlInvParser) hosts(g *Group, n *yaml.Node) {
	for _, kv := range p.section(g, "hosts", n) {
		pattern, ok := p.name(kv[0], "host")
		if !ok {
			continue
		}
		names, port, err := expandHostPattern(pattern)
		if err == nil {
			err = p.inv.checkRoom(names)
		}
		if err != nil {
			p.conv.fail(kv[0], "%v", err)
			continue
		}
		val := kv[1]
		if val.Kind == yaml.AliasNode && val.Alias != nil {
			val = val.Alias
		}
		if !isNullOrMapping(val) {
			p.conv.fail(val, "vars of host %s must be a mapping of variable names to values, got %s", pattern, kindName(val))
			continue
		}
		var vars map[string]any
		if val.Kind == yaml.MappingNode {
			vars = p.conv.mapping(val, 0)
		}
		for _, name := range names {
			h, isNew := p.inv.addHostNew(name, p.conv.file, g)
			if isNew && port > 0 {
				h.vars["ansible_port"] = port
			}
			for k, v := range vars {
				h.vars[k] = v
			}
		}
	}
}

func (p *yamlInvParser) vars(g *Group, n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.conv.fail(n, "vars of group %s must be a mapping of variable names to values, got %s", g.Name, kindName(n))
		return
	}
	for k, v := range p.conv.mapping(n, 0) {
		if err := setGroupVar(g, k, v); err != nil {
			p.conv.fail(n, "%v", err)
		}
	}
}

func (p *yamlInvParser) children(g *Group, n *yaml.Node) {
	for _, kv := range p.section(g, "children", n) {
		child := p.group(kv[0], kv[1])
		if child == nil {
			continue
		}
		if err := p.inv.addChild(g, child); err != nil {
			p.conv.fail(kv[0], "%v", err)
		}
	}
}

// hostListSource adds the hosts of an Ansible host list ("a,b:2222,"),
// which go to ungrouped.
func hostListSource(inv *Inventory, source string) error {
	for _, part := range splitComma(source) {
		host, port, err := parseAddress(part)
		if err != nil {
			host, port = part, 0
		}
		if _, exists := inv.hostByName[host]; exists {
			continue
		}
		h, _ := inv.addHostNew(host, "", inv.ungrouped())
		if port > 0 {
			h.vars["ansible_port"] = port
		}
	}
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
