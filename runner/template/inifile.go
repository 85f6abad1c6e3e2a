package template

import (
	"strings"

	"gopkg.in/ini.v1"
)

// iniFile is an INI file read as Python's configparser reads it for the ini
// lookup: section names keep their case, keys are lower-cased unless
// case_sensitive, `#` and `;` start comments only at a line's start, quotes
// are part of values, indented lines continue a value, and [DEFAULT]'s keys
// show in every section.
type iniFile struct{ f *ini.File }

type iniItem struct{ Key, Value string }

func parseINI(data []byte, caseSensitive bool) (iniFile, error) {
	f, err := ini.LoadSources(ini.LoadOptions{
		InsensitiveKeys:            !caseSensitive,
		IgnoreInlineComment:        true,
		PreserveSurroundedQuote:    true,
		AllowPythonMultilineValues: true,
		KeyValueDelimiters:         "=:",
	}, data)
	return iniFile{f}, err
}

// items is configparser's items(section): [DEFAULT]'s keys first, each
// overridden by the section's own value, then the section's other keys.
func (f iniFile) items(name string) ([]iniItem, bool) {
	sec, err := f.f.GetSection(name)
	if err != nil {
		return nil, false
	}
	var out []iniItem
	seen := map[string]bool{}
	if def, err := f.f.GetSection(ini.DefaultSection); err == nil && name != ini.DefaultSection {
		for _, k := range def.Keys() {
			v := k.String()
			if sec.HasKey(k.Name()) {
				v = sec.Key(k.Name()).String()
			}
			out = append(out, iniItem{k.Name(), v})
			seen[k.Name()] = true
		}
	}
	for _, k := range sec.Keys() {
		if !seen[k.Name()] {
			out = append(out, iniItem{k.Name(), k.String()})
		}
	}
	for i := range out {
		out[i].Value = stripLines(out[i].Value)
	}
	return out, true
}

// stripLines strips each line of a multi-line value, as configparser does.
func stripLines(v string) string {
	if !strings.Contains(v, "\n") {
		return v
	}
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return strings.Join(lines, "\n")
}
