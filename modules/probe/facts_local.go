package probe

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/pyrepr"
	"slices"
	"strings"
)

// localFacts is ansible-core 2.14's local collector
// (module_utils/facts/system/local.py): each fact_path/*.fact, in name
// order, read as JSON, else as INI (Python's configparser), or run when
// its owner may execute it; a file that cannot be read as either, or a
// script that fails, gives the fact its message and a warning. ok is false
// where the collector fails (an INI value naming an option that is not
// there: local.py catches configparser's errors of reading only), which
// leaves ansible_local out, with the warnings of the files before.
func (g *gathered) localFacts(factPath string) (facts map[string]any, warnings []any, ok bool) {
	local := map[string]any{}
	if g.raw["local_dir"] != "1" {
		return local, nil, true
	}
	entries := slices.Clone(g.multi["local"])
	slices.SortFunc(entries, func(a, b string) int { return strings.Compare(localName(a), localName(b)) })
	for _, e := range entries {
		f := strings.Split(e, " ")
		file := localName(e)
		path := factPath + "/" + file
		base := strings.ReplaceAll(file, ".fact", "")
		var text string
		switch kind := nth(f, 1); kind {
		case "stat":
			msg := fmt.Sprintf("Could not stat fact (%s): [Errno 2] No such file or directory: '%s'", path, path)
			local[base], warnings = msg, append(warnings, msg)
			continue
		case "run":
			rc, stderr, stdout := nth(f, 2), unb64(nth(f, 3)), unb64(nth(f, 4))
			if rc != "0" {
				msg := fmt.Sprintf("Failure executing fact script (%s), rc: %s, err: %s", path, rc, stderr)
				local[base], warnings = msg, append(warnings, msg)
				continue
			}
			text = stdout
		default:
			text = strings.TrimSpace(unb64(nth(f, 2))) // get_file_content strips
		}
		fact, warning, err := parseLocalFact(text, path)
		if err != nil {
			return nil, warnings, false
		}
		local[base] = fact
		if warning != "" {
			warnings = append(warnings, warning)
		}
	}
	return local, warnings, true
}

func localName(entry string) string { return unb64(strings.SplitN(entry, " ", 2)[0]) }

// parseLocalFact reads a fact as JSON, else as INI; err is an INI value's
// interpolation error.
func parseLocalFact(text, path string) (fact any, warning string, err error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() && trailingSpaceOnly(dec) {
		return jsonNumbers(v), "", nil
	}
	ini, perr := parseINI(text)
	if perr != nil {
		msg := "error loading facts as JSON or ini - please check content: " + path
		return msg, msg, nil
	}
	out := map[string]any{}
	for _, s := range ini.order {
		opts := map[string]any{}
		for _, k := range ini.options(s) {
			val, err := ini.get(s, k)
			if err != nil {
				return nil, "", err
			}
			opts[k] = val
		}
		out[s] = opts
	}
	return out, "", nil
}

func trailingSpaceOnly(dec *json.Decoder) bool {
	var rest bytes.Buffer
	rest.ReadFrom(dec.Buffered())
	return strings.TrimSpace(rest.String()) == ""
}

// jsonNumbers turns json.Numbers into ints where Python's json would make
// an int, floats otherwise.
func jsonNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil && !strings.ContainsAny(x.String(), ".eE") {
			return i
		}
		f, _ := x.Float64()
		return f
	case []any:
		for i := range x {
			x[i] = jsonNumbers(x[i])
		}
	case map[string]any:
		for k := range x {
			x[k] = jsonNumbers(x[k])
		}
	}
	return v
}

// ini is what Python 3's configparser.ConfigParser() reads (strict, '='
// and ':' delimiters, '#' and ';' whole-line comments, indented lines
// continuing a value, option names lower-cased, a DEFAULT section whose
// options every section has).
type ini struct {
	order    []string
	sections map[string]map[string]*[]string
	optOrder map[string][]string
}

const iniDefault = "DEFAULT"

func parseINI(text string) (*ini, error) {
	p := &ini{sections: map[string]map[string]*[]string{iniDefault: {}}, optOrder: map[string][]string{}}
	var cur, opt string
	indent := -1
	seen := map[string]bool{}
	for n, line := range anylist.Split(text) {
		value := strings.TrimSpace(line)
		comment := strings.HasPrefix(value, "#") || strings.HasPrefix(value, ";")
		if comment || value == "" {
			if !comment && cur != "" && opt != "" && p.sections[cur][opt] != nil {
				*p.sections[cur][opt] = append(*p.sections[cur][opt], "")
			}
			continue
		}
		lead := len(line) - len(strings.TrimLeft(line, " \t\f\v"))
		if cur != "" && opt != "" && lead > indent {
			*p.sections[cur][opt] = append(*p.sections[cur][opt], value)
			continue
		}
		indent = lead
		if strings.HasPrefix(value, "[") && strings.Contains(value[1:], "]") && strings.LastIndex(value, "]") > 1 {
			name := value[1:strings.LastIndex(value, "]")]
			if seen["["+name] {
				return nil, fmt.Errorf("line %d: section %q already exists", n+1, name)
			}
			seen["["+name] = true
			if _, ok := p.sections[name]; !ok {
				p.sections[name] = map[string]*[]string{}
				p.order = append(p.order, name)
			}
			cur, opt = name, ""
			continue
		}
		if cur == "" {
			return nil, fmt.Errorf("line %d: no section header", n+1)
		}
		i := strings.IndexAny(value, "=:")
		if i < 0 {
			return nil, fmt.Errorf("line %d: parsing error", n+1)
		}
		opt = strings.ToLower(strings.TrimRight(value[:i], " \t"))
		if opt == "" {
			return nil, fmt.Errorf("line %d: parsing error", n+1)
		}
		if seen[cur+"\x00"+opt] {
			return nil, fmt.Errorf("line %d: option %q in section %q already exists", n+1, opt, cur)
		}
		seen[cur+"\x00"+opt] = true
		if _, ok := p.sections[cur][opt]; !ok {
			p.optOrder[cur] = append(p.optOrder[cur], opt)
		}
		p.sections[cur][opt] = &[]string{strings.TrimSpace(value[i+1:])}
	}
	return p, nil
}

// options are a section's option names, then DEFAULT's it has not.
func (p *ini) options(section string) []string {
	out := slices.Clone(p.optOrder[section])
	for _, k := range p.optOrder[iniDefault] {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

func (p *ini) raw(section, opt string) (string, bool) {
	v, ok := p.sections[section][opt]
	if !ok {
		v, ok = p.sections[iniDefault][opt]
	}
	if !ok {
		return "", false
	}
	return strings.TrimRight(strings.Join(*v, "\n"), " \t\n\r\f\v"), true
}

// get is the option's value through BasicInterpolation: %(name)s is
// another option's value, %% a percent sign.
func (p *ini) get(section, opt string) (string, error) {
	v, _ := p.raw(section, opt)
	return p.interpolate(section, opt, v, v, 1)
}

func (p *ini) interpolate(section, opt, rawValue, rest string, depth int) (string, error) {
	if depth > 10 {
		return "", fmt.Errorf("Recursion limit exceeded in value substitution: option %s in section %s contains an interpolation key which cannot be substituted in 10 steps. Raw value: %s", pyrepr.Repr(opt), pyrepr.Repr(section), pyrepr.Repr(rawValue))
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		rest = rest[i:]
		switch {
		case strings.HasPrefix(rest, "%%"):
			b.WriteByte('%')
			rest = rest[2:]
		case strings.HasPrefix(rest, "%("):
			end := strings.Index(rest, ")")
			if end <= 2 || !strings.HasPrefix(rest[end:], ")s") {
				return "", fmt.Errorf("bad interpolation variable reference %s", pyrepr.Repr(rest))
			}
			name := strings.ToLower(rest[2:end])
			ref, ok := p.raw(section, name)
			if !ok {
				return "", fmt.Errorf("Bad value substitution: option %s in section %s contains an interpolation key %s which is not a valid option name. Raw value: %s", pyrepr.Repr(opt), pyrepr.Repr(section), pyrepr.Repr(name), pyrepr.Repr(rawValue))
			}
			if strings.Contains(ref, "%") {
				var err error
				if ref, err = p.interpolate(section, opt, rawValue, ref, depth+1); err != nil {
					return "", err
				}
			}
			b.WriteString(ref)
			rest = rest[end+2:]
		default:
			return "", fmt.Errorf("'%%' must be followed by '%%' or '(', found: %s", pyrepr.Repr(rest))
		}
	}
}
