package yumrepo

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// repoFile is a .repo file as Python's configparser.RawConfigParser holds
// it (yum_repository.py reads and writes it with one): sections in the
// file's order, each option's key lower-cased and its value stripped, a
// value's continuation lines joined by newlines; the DEFAULT section's
// options apart. No interpolation, no inline comments.
type repoFile struct {
	defaults *section
	sections []*section
}

type section struct {
	name    string
	keys    []string // in the file's (or the task's) order
	values  map[string]string
	lineNum int
}

func newSection(name string) *section { return &section{name: name, values: map[string]string{}} }

func (s *section) set(key, value string) {
	if _, ok := s.values[key]; !ok {
		s.keys = append(s.keys, key)
	}
	s.values[key] = value
}

// The patterns of configparser's _read: a section header, an option line
// (the first = or : splits it), and where a line's text starts.
var (
	sectionRE = regexp.MustCompile(`^\[(.+)\]`)
	optionRE  = regexp.MustCompile(`^(.*?)\s*([=:])\s*(.*)$`)
)

const maxIndent = int(^uint(0) >> 1)

// parseRepoFile reads text as RawConfigParser.read does (strict: a
// duplicate section or option is an error, as is text before the first
// section or a line that is no option); name is the file, for errors.
func parseRepoFile(name, text string) (*repoFile, error) {
	f := &repoFile{defaults: newSection("DEFAULT")}
	var cur *section
	var opt string
	var lines map[string][]string // the current section's values, line by line
	indent := 0
	seen := map[string]bool{}
	finish := func() {
		if cur != nil {
			for _, k := range cur.keys {
				cur.values[k] = strings.TrimRight(strings.Join(lines[k], "\n"), " \t\r\n\f\v")
			}
		}
	}
	for i, line := range strings.Split(text, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || strings.HasPrefix(trimmed, ";") {
			indent = maxIndent // a comment ends a value's continuation lines
			continue
		}
		if trimmed == "" {
			if cur != nil && opt != "" {
				lines[opt] = append(lines[opt], "")
			} else {
				indent = maxIndent
			}
			continue
		}
		lineIndent := len(line) - len(strings.TrimLeft(line, " \t\r\n\f\v"))
		if cur != nil && opt != "" && lineIndent > indent {
			lines[opt] = append(lines[opt], trimmed)
			continue
		}
		indent = lineIndent
		if m := sectionRE.FindStringSubmatch(trimmed); m != nil {
			finish()
			if seen[m[1]] {
				return nil, fmt.Errorf("%s:%d: section %q is there twice: configparser (and Ansible's yum_repository) refuse the file; remove one", name, i+1, m[1])
			}
			seen[m[1]] = true
			if m[1] == "DEFAULT" {
				cur = f.defaults
			} else {
				cur = newSection(m[1])
				f.sections = append(f.sections, cur)
			}
			cur.lineNum = i + 1
			lines, opt = map[string][]string{}, ""
			continue
		}
		m := optionRE.FindStringSubmatch(trimmed)
		if cur == nil || m == nil || strings.TrimSpace(m[1]) == "" {
			return nil, fmt.Errorf("%s:%d: %q is neither a [section] nor a key = value line under one: configparser (and Ansible's yum_repository) refuse the file; fix the line", name, i+1, line)
		}
		opt = strings.ToLower(strings.TrimRight(m[1], " \t"))
		if _, dup := cur.values[opt]; dup {
			return nil, fmt.Errorf("%s:%d: option %q is in section [%s] twice: configparser (and Ansible's yum_repository) refuse the file; remove one", name, i+1, opt, cur.name)
		}
		cur.set(opt, "")
		lines[opt] = []string{strings.TrimSpace(m[3])}
	}
	finish()
	return f, nil
}

func (f *repoFile) index(name string) int {
	return slices.IndexFunc(f.sections, func(s *section) bool { return s.name == name })
}

// remove drops the section name, if it is there.
func (f *repoFile) remove(name string) {
	if i := f.index(name); i >= 0 {
		f.sections = slices.Delete(f.sections, i, i+1)
	}
}

// add puts s at the end, replacing a section of its name (the module
// removes the repository's section and adds it anew, so it moves last).
func (f *repoFile) add(s *section) {
	f.remove(s.name)
	f.sections = append(f.sections, s)
}

// text is RawConfigParser.write's output: DEFAULT first when it has
// options, each section's options as "key = value" with a value's
// newlines followed by a tab, a blank line after each section.
func (f *repoFile) text() string {
	var b strings.Builder
	write := func(s *section) {
		fmt.Fprintf(&b, "[%s]\n", s.name)
		for _, k := range s.keys {
			fmt.Fprintf(&b, "%s = %s\n", k, strings.ReplaceAll(s.values[k], "\n", "\n\t"))
		}
		b.WriteString("\n")
	}
	if len(f.defaults.keys) > 0 {
		write(f.defaults)
	}
	for _, s := range f.sections {
		write(s)
	}
	return b.String()
}

// dump is YumRepo.dump, the text the module compares before and after:
// sections sorted by name, each with its options and DEFAULT's sorted by
// key, as "key = value" lines, a blank line after each section.
func (f *repoFile) dump() string {
	var b strings.Builder
	sorted := slices.Clone(f.sections)
	slices.SortFunc(sorted, func(a, b *section) int { return strings.Compare(a.name, b.name) })
	for _, s := range sorted {
		fmt.Fprintf(&b, "[%s]\n", s.name)
		items := map[string]string{}
		for _, k := range f.defaults.keys {
			items[k] = f.defaults.values[k]
		}
		for _, k := range s.keys {
			items[k] = s.values[k]
		}
		keys := make([]string, 0, len(items))
		for k := range items {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s = %s\n", k, items[k])
		}
		b.WriteString("\n")
	}
	return b.String()
}
