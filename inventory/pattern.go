package inventory

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/dedupe"
	"github.com/ferry-sh/ferry/internal/fnmatch"
	"github.com/ferry-sh/ferry/internal/suggest"
)

// NoMatchError is returned by Match when a part of the pattern names no host
// or group (a likely typo), or when the pattern selects no host at all. The
// hosts Match returns alongside it are still the result: Ansible warns about
// an unknown name and goes on with the rest, and the caller decides whether
// that is fatal.
type NoMatchError struct {
	Pattern string
	// Unknown lists the parts that name no host or group, each with a "did
	// you mean" hint when one is close.
	Unknown []UnknownName
}

// UnknownName is one part of a pattern that matched nothing.
type UnknownName struct {
	Name string
	Hint string // "did you mean `web`?" or ""
}

func (e *NoMatchError) Error() string {
	if len(e.Unknown) == 0 {
		return fmt.Sprintf("host pattern %q matches no hosts", e.Pattern)
	}
	parts := make([]string, 0, len(e.Unknown))
	for _, u := range e.Unknown {
		s := fmt.Sprintf("%q is not a host or group of the inventory", u.Name)
		if u.Hint != "" {
			s += ": " + u.Hint
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("host pattern %q: %s", e.Pattern, strings.Join(parts, "; "))
}

// Match returns the hosts selected by an Ansible host pattern, in Ansible's
// order: each part's hosts in inventory order, parts in the order given.
//
//	all, *          every host (not the implicit localhost)
//	web             a group (with its child groups' hosts) or a host
//	web*, ~web\d+   glob or regex (anchored at the start) on group and host names
//	a:b, a,b        union
//	a:&b            intersection
//	a:!b            exclusion
//	web[0], web[-1], web[1:3], web[2:]   index or inclusive slice
//
// When the pattern names localhost (or 127.0.0.1, ::1) and the inventory
// has no such host, the implicit localhost is returned (see Localhost).
// A malformed pattern (bad regex, index out of range) returns a plain error
// and no hosts; an unknown name or an empty result returns *NoMatchError.
func (inv *Inventory) Match(pattern string) ([]*Host, error) {
	inv.dyn.RLock()
	defer inv.dyn.RUnlock()
	parts := splitHostPattern(pattern)
	var hosts []*Host
	var unknown []UnknownName
	for _, p := range orderPatterns(parts) {
		if h, ok := inv.hostByName[p]; ok {
			hosts = append(hosts, h)
			continue
		}
		that, matched, err := inv.matchOne(p)
		if err != nil {
			return nil, err
		}
		if !matched {
			name := strings.TrimLeft(p, "&!")
			unknown = append(unknown, UnknownName{Name: name, Hint: suggest.Hint(name, inv.names())})
		}
		hosts = combine(hosts, that, p[0])
	}
	hosts = dedupe.Stable(hosts)
	if len(unknown) > 0 || len(hosts) == 0 {
		return hosts, &NoMatchError{Pattern: pattern, Unknown: unknown}
	}
	return hosts, nil
}

func combine(hosts, that []*Host, op byte) []*Host {
	switch op {
	case '!', '&':
		set := make(map[*Host]bool, len(that))
		for _, h := range that {
			set[h] = true
		}
		keep := op == '&'
		out := hosts[:0:0]
		for _, h := range hosts {
			if set[h] == keep {
				out = append(out, h)
			}
		}
		return out
	}
	existing := make(map[*Host]bool, len(hosts))
	for _, h := range hosts {
		existing[h] = true
	}
	for _, h := range that {
		if !existing[h] {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// names lists group and host names, for "did you mean" hints.
func (inv *Inventory) names() []string {
	out := inv.groupNamesAll()
	for _, h := range inv.hosts {
		out = append(out, h.Name)
	}
	return out
}

var addressOrRangeRE = regexp.MustCompile(`(?:[^\s:\[\]]|\[[^\]]*\])+`)

// splitHostPattern is Ansible's split_host_pattern: commas separate parts;
// without commas, colons do, unless the whole pattern is an address or a
// host range (IPv6, web[1:3]).
func splitHostPattern(pattern string) []string {
	var parts []string
	switch {
	case strings.Contains(pattern, ","):
		parts = strings.Split(pattern, ",")
	default:
		if _, _, err := parseAddress(pattern); err == nil {
			parts = []string{pattern}
		} else {
			parts = addressOrRangeRE.FindAllString(pattern, -1)
		}
	}
	out := parts[:0:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// orderPatterns puts plain parts first, then intersections (&), then
// exclusions (!); with no plain part, all is implied.
func orderPatterns(parts []string) []string {
	var regular, inter, excl []string
	for _, p := range parts {
		switch p[0] {
		case '!':
			excl = append(excl, p)
		case '&':
			inter = append(inter, p)
		default:
			regular = append(regular, p)
		}
	}
	if len(regular) == 0 {
		regular = []string{"all"}
	}
	return append(append(regular, inter...), excl...)
}

var subscriptRE = regexp.MustCompile(`^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$`)

// matchOne matches one part, without its & or ! prefix. matched is false
// when the part names no group and no host.
func (inv *Inventory) matchOne(part string) ([]*Host, bool, error) {
	expr := strings.TrimLeft(part[:1], "&!") + part[1:]
	sub := subscriptRE.FindStringSubmatch(expr)
	if expr == "" || expr[0] == '~' {
		sub = nil
	}
	if sub != nil {
		expr = sub[1]
	}
	hosts, matchedGroups, err := inv.enumerate(expr)
	if err != nil {
		return nil, false, err
	}
	matched := len(hosts) > 0 || matchedGroups || expr == "all"
	if sub != nil {
		hosts, err = applySubscript(hosts, sub)
		if err != nil {
			return nil, false, fmt.Errorf("host pattern %q: %w", part, err)
		}
	}
	return hosts, matched, nil
}

// enumerate is Ansible's _enumerate_matches: hosts of matching groups, then
// matching hosts when no group matched or the pattern is a glob or regex.
func (inv *Inventory) enumerate(expr string) ([]*Host, bool, error) {
	if expr == "" {
		return nil, false, nil
	}
	re, err := compileHostPattern(expr)
	if err != nil {
		return nil, false, err
	}
	var hosts []*Host
	matchedGroups := false
	for _, g := range inv.groups {
		if re.MatchString(g.Name) {
			matchedGroups = true
			hosts = append(hosts, groupHosts(g)...)
		}
	}
	if !matchedGroups || expr[0] == '~' || strings.ContainsAny(expr, ".?*[") {
		for _, h := range inv.hosts {
			if re.MatchString(h.Name) {
				hosts = append(hosts, h)
			}
		}
	}
	if len(hosts) == 0 {
		if h, ok := inv.localhostFor(expr); ok {
			hosts = append(hosts, h)
		}
	}
	return hosts, matchedGroups, nil
}

// compileHostPattern turns ~regex (matched at the start, like Python's
// re.match) or a shell glob (fnmatch) into a regexp.
func compileHostPattern(expr string) (*regexp.Regexp, error) {
	if expr[0] == '~' {
		re, err := regexp.Compile(`^(?:` + expr[1:] + `)`)
		if err != nil {
			return nil, fmt.Errorf("host pattern %q is not a valid regular expression: %v", expr, err)
		}
		return re, nil
	}
	re, err := regexp.Compile(fnmatch.Translate(expr))
	if err != nil {
		return nil, fmt.Errorf("host pattern %q is not a valid glob: %v", expr, err)
	}
	return re, nil
}

// applySubscript selects [i] (negative counts from the end) or the inclusive
// slice [a:b] / [a:] from hosts, as Ansible's _apply_subscript does.
func applySubscript(hosts []*Host, sub []string) ([]*Host, error) {
	if len(hosts) == 0 {
		return hosts, nil
	}
	if sub[2] != "" {
		i, err := strconv.Atoi(sub[2])
		if err != nil {
			return nil, fmt.Errorf("index %s is not a number", sub[2])
		}
		if i < 0 {
			i += len(hosts)
		}
		if i < 0 || i >= len(hosts) {
			return nil, fmt.Errorf("index [%s] is out of range: the group has %d hosts (indexes 0 to %d)", sub[2], len(hosts), len(hosts)-1)
		}
		return hosts[i : i+1], nil
	}
	start, err := strconv.Atoi(sub[3])
	if err != nil {
		return nil, fmt.Errorf("slice start %s is not a number", sub[3])
	}
	end := len(hosts) - 1
	if sub[5] != "" {
		if end, err = strconv.Atoi(sub[5]); err != nil {
			return nil, fmt.Errorf("slice end %s is not a number", sub[5])
		}
	}
	if end == 0 { // Python's `if end:` treats [a:0] as the single index a
		if start >= len(hosts) {
			return nil, fmt.Errorf("index [%d] is out of range: the group has %d hosts", start, len(hosts))
		}
		return hosts[start : start+1], nil
	}
	if start >= len(hosts) || start > end {
		return nil, nil
	}
	return hosts[start:min(end+1, len(hosts))], nil
}
