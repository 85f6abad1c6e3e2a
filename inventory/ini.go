package inventory

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/internal/suggest"
)

var (
	iniSectionRE   = regexp.MustCompile(`^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$`)
	iniGroupNameRE = regexp.MustCompile(`^([^:\]\s]+)\s*(?:#.*)?$`)
)

// iniParser follows Ansible 2.14's ini inventory plugin line by line, but
// collects every error of the file instead of stopping at the first.
type iniParser struct {
	inv     *Inventory
	file    string
	line    int
	errs    []error
	pending []*pendingDecl // groups referenced before being defined
	vaulted bool           // the file was vault-encrypted: its values are secrets
}

// pendingDecl is a [g:vars] or a :children entry naming a group that no
// section has defined yet; Ansible accepts it if a later section defines it.
type pendingDecl struct {
	name    string
	line    int
	state   string // "vars" or "children"
	parents []*Group
}

func (p *iniParser) fail(format string, args ...any) {
	p.errs = append(p.errs, errAt(p.file, p.line, format, args...))
}

// parseINI parses an INI inventory; every variable value of a vaulted one
// is a secret.
func parseINI(inv *Inventory, file string, data []byte, vaulted bool) error {
	p := &iniParser{inv: inv, file: file, vaulted: vaulted}
	p.parse(strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n"))
	return joinErrors(p.errs)
}

// value types a variable's text, recording it as a secret in a vaulted file.
func (p *iniParser) value(text string) any {
	if p.vaulted && worthMasking(text) {
		p.inv.addSecrets([]string{text})
	}
	return parseINIValue(text)
}

func (p *iniParser) parse(lines []string) {
	group, state := p.inv.ungrouped(), "hosts"
	for i, raw := range lines {
		p.line = i + 1
		line := strings.TrimSpace(raw)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if m := iniSectionRE.FindStringSubmatch(line); m != nil {
			group, state = p.section(m[1], m[2])
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			p.fail("invalid section header %s: write [group], [group:vars] or [group:children], with no spaces", line)
			state = "skip"
			continue
		}
		switch state {
		case "hosts":
			p.hostLine(line, group)
		case "vars":
			p.varLine(line, group)
		case "children":
			p.childLine(line, group)
		}
	}
	p.reportPending()
}

// section handles a [name] or [name:kind] header.
func (p *iniParser) section(name, kind string) (*Group, string) {
	state := kind
	if state == "" {
		state = "hosts"
	}
	if state != "hosts" && state != "vars" && state != "children" {
		hint := suggest.Hint(state, []string{"vars", "children"})
		p.fail("section [%s:%s] has unknown type %q: use [%s], [%s:vars] or [%s:children] %s", name, kind, kind, name, name, name, hint)
		return nil, "skip"
	}
	if _, exists := p.inv.groupByName[name]; !exists && state == "vars" && p.findPending(name) == nil {
		p.pending = append(p.pending, &pendingDecl{name: name, line: p.line, state: "vars"})
	}
	g := p.inv.addGroup(name)
	if d := p.findPending(name); d != nil && state != "vars" {
		p.resolvePending(d)
	}
	return g, state
}

func (p *iniParser) findPending(name string) *pendingDecl {
	for _, d := range p.pending {
		if d.name == name {
			return d
		}
	}
	return nil
}

// resolvePending links a now-defined group to the parents that listed it.
func (p *iniParser) resolvePending(d *pendingDecl) {
	p.pending = removeItem(p.pending, d)
	if d.state != "children" {
		return
	}
	g := p.inv.groupByName[d.name]
	for _, parent := range d.parents {
		if err := p.inv.addChild(parent, g); err != nil {
			p.errs = append(p.errs, errAt(p.file, d.line, "%v", err))
		}
	}
}

func (p *iniParser) reportPending() {
	for _, d := range p.pending {
		var known []string
		for _, g := range p.inv.groups {
			if g.Name != d.name {
				known = append(known, g.Name)
			}
		}
		hint := suggest.Hint(d.name, known)
		if d.state == "vars" {
			p.errs = append(p.errs, errAt(p.file, d.line,
				"[%s:vars] sets variables of group %s, which no [%s] or [%s:children] section defines: define the group or fix the name %s",
				d.name, d.name, d.name, d.name, hint))
			continue
		}
		parent := d.parents[len(d.parents)-1]
		p.errs = append(p.errs, errAt(p.file, d.line,
			"[%s:children] lists group %s, which no section defines: add a [%s] section or fix the name %s",
			parent.Name, d.name, d.name, hint))
	}
}

// hostLine parses `pattern [key=value ...]`, splitting like Python's shlex
// (quotes group words and are removed, # starts a comment).
func (p *iniParser) hostLine(line string, g *Group) {
	tokens, err := shlexSplit(line)
	if err != nil {
		p.fail("cannot parse host line %q: %v", line, err)
		return
	}
	if len(tokens) == 0 {
		return
	}
	names, port, err := p.expandHostPattern(tokens[0])
	if err != nil {
		p.fail("%v", err)
		return
	}
	vars := map[string]any{}
	var keys []string
	for _, t := range tokens[1:] {
		k, v, ok := strings.Cut(t, "=")
		if !ok || k == "" {
			p.fail("host %s: expected key=value after the host name, got %q (quote values that contain spaces: key=\"a b\")", tokens[0], t)
			continue
		}
		if _, dup := vars[k]; !dup {
			keys = append(keys, k)
		}
		vars[k] = p.value(v)
	}
	for _, name := range names {
		h, isNew := p.inv.addHostNew(name, p.file, g)
		if isNew && port > 0 {
			h.vars["ansible_port"] = port
		}
		for _, k := range keys {
			h.vars[k] = vars[k]
		}
	}
}

// expandHostPattern splits an optional :port and expands ranges, with the
// extra checks of Ansible's ini plugin.
func (p *iniParser) expandHostPattern(pattern string) ([]string, int, error) {
	names, port, err := expandHostPattern(pattern)
	if err == nil {
		err = p.inv.checkRoom(names)
	}
	if err != nil {
		return nil, 0, err
	}
	if strings.HasSuffix(strings.TrimSpace(pattern), ":") && port == 0 {
		return nil, 0, fmt.Errorf("host %q ends in ':', which is reserved for a port: write host:PORT or remove the colon", pattern)
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "---" {
			return nil, 0, fmt.Errorf("host %q: '---' is the start of a YAML document; name YAML inventories *.yml", pattern)
		}
	}
	return names, port, nil
}

// expandHostPattern is Ansible's _expand_hostpattern: a host name or address
// with an optional :port, then range expansion.
func expandHostPattern(pattern string) ([]string, int, error) {
	if pattern == "" {
		return nil, 0, fmt.Errorf("empty host name")
	}
	host, port, err := parseAddress(pattern)
	if err != nil {
		host, port = pattern, 0
	}
	names, err := ExpandHostRange(host)
	if err != nil {
		return nil, 0, err
	}
	return names, port, nil
}

func (p *iniParser) varLine(line string, g *Group) {
	k, v, ok := strings.Cut(line, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		p.fail("[%s:vars]: expected key=value, got %q", g.Name, line)
		return
	}
	if err := setGroupVar(g, k, p.value(strings.TrimSpace(v))); err != nil {
		p.fail("%v", err)
	}
}

func (p *iniParser) childLine(line string, parent *Group) {
	m := iniGroupNameRE.FindStringSubmatch(line)
	if m == nil {
		p.fail("[%s:children]: expected a group name, got %q", parent.Name, line)
		return
	}
	name := m[1]
	child, ok := p.inv.groupByName[name]
	if !ok {
		if d := p.findPending(name); d != nil {
			d.parents = append(d.parents, parent)
		} else {
			p.pending = append(p.pending, &pendingDecl{name: name, line: p.line, state: "children", parents: []*Group{parent}})
		}
		return
	}
	if err := p.inv.addChild(parent, child); err != nil {
		p.fail("%v", err)
	}
}

// shlexSplit splits like Python's shlex.split(s, comments=True) in POSIX mode.
func shlexSplit(s string) ([]string, error) {
	var tokens []string
	var cur strings.Builder
	inToken := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inToken {
				tokens = append(tokens, cur.String())
				cur.Reset()
				inToken = false
			}
		case c == '#':
			if inToken {
				tokens = append(tokens, cur.String())
			}
			return tokens, nil
		case c == '\\':
			if i+1 >= len(s) {
				return nil, fmt.Errorf("no character after the final backslash")
			}
			i++
			cur.WriteByte(s[i])
			inToken = true
		case c == '\'' || c == '"':
			end, err := readQuoted(s, i, &cur)
			if err != nil {
				return nil, err
			}
			i = end
			inToken = true
		default:
			cur.WriteByte(c)
			inToken = true
		}
	}
	if inToken {
		tokens = append(tokens, cur.String())
	}
	return tokens, nil
}

// readQuoted reads a quoted part starting at s[start]; in double quotes a
// backslash escapes only " and \ (POSIX shell rules). It returns the index of
// the closing quote.
func readQuoted(s string, start int, cur *strings.Builder) (int, error) {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			return i, nil
		case q == '"' && c == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\'):
			i++
			cur.WriteByte(s[i])
		default:
			cur.WriteByte(c)
		}
	}
	return 0, fmt.Errorf("no closing quotation mark")
}
