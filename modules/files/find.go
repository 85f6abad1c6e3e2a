package files

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/modules"
)

// find lists files on the host by name, age, size and content, as
// Ansible's find: one find(1) per path describes every entry, the filters
// run in ferry.
type find struct{}

type findOptions struct {
	Paths         []string `opt:"paths,required" aliases:"name,path" doc:"The directories to search."`
	Patterns      []string `opt:"patterns" default:"" aliases:"pattern" doc:"Shell globs (or, with use_regex, regular expressions matched from the start) that the base name must match; any of them."`
	Excludes      []string `opt:"excludes" aliases:"exclude" doc:"Globs or regular expressions of base names to leave out."`
	Contains      *string  `opt:"contains" doc:"A regular expression a line of the file must match from its start (files only)."`
	ReadWholeFile bool     `opt:"read_whole_file" default:"false" doc:"Search contains anywhere in the whole file instead of line by line."`
	FileType      string   `opt:"file_type" default:"file" choices:"any,directory,file,link" doc:"What kind of entry to report."`
	Age           *string  `opt:"age" doc:"At least this old (a negative age: at most), in seconds or with a unit: 30s, 5m, 2h, 1d, 1w."`
	AgeStamp      string   `opt:"age_stamp" default:"mtime" choices:"atime,ctime,mtime" doc:"Which time age compares."`
	Size          *string  `opt:"size" doc:"At least this size (a negative size: at most), in bytes or with a unit: 10k, 5m, 1g."`
	Recurse       bool     `opt:"recurse" default:"false" doc:"Descend into subdirectories."`
	Hidden        bool     `opt:"hidden" default:"false" doc:"Report entries whose name starts with a dot."`
	Follow        bool     `opt:"follow" default:"false" doc:"Descend into linked directories (entries are then described by what they point to)."`
	GetChecksum   bool     `opt:"get_checksum" default:"false" doc:"Add the sha1 checksum of each regular file."`
	UseRegex      bool     `opt:"use_regex" default:"false" doc:"patterns and excludes are regular expressions, not globs."`
	Depth         int      `opt:"depth" doc:"With recurse, how many levels to descend (1: the paths' own entries)."`
}

func (findOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"contains": checkRegexp("contains"),
		"age":      checkUnits("age", "smhdw"),
		"size":     checkUnits("size", "bkmgt"),
	}
}

func (find) Spec() modules.Spec {
	return modules.Spec{
		Name:    "find",
		Returns: []string{"files", "changed", "msg", "matched", "examined", "skipped_paths"}, // the order of Ansible's result
		Summary: "Find files on the host by name, type, age, size or content (read-only)",
		Args:    modules.OptionsOf[findOptions](),
		Check:   modules.CheckSupported,
	}
}

func checkRegexp(name string) func(v any) error {
	return func(v any) error {
		if _, err := pyre.Compile(fmt.Sprint(v)); err != nil {
			return fmt.Errorf("%s %q is not a regular expression ferry can run (%v); RE2 has no look-arounds or backreferences", name, v, err)
		}
		return nil
	}
}

// checkUnits accepts what Ansible's find parses: a whole number with one
// of units after it.
func checkUnits(name, units string) func(v any) error {
	return func(v any) error {
		if _, err := parseUnits(fmt.Sprint(v), units); err != nil {
			return fmt.Errorf("%s %q: %v", name, v, err)
		}
		return nil
	}
}

var unitSize = map[byte]int64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400, 'w': 604800}
var byteSize = map[byte]int64{'b': 1, 'k': 1 << 10, 'm': 1 << 20, 'g': 1 << 30, 't': 1 << 40}

func parseUnits(s, units string) (int64, error) {
	s = strings.ToLower(s)
	table := unitSize
	if units == "bkmgt" {
		table = byteSize
	}
	mult := int64(1)
	if n := len(s); n > 0 && strings.IndexByte(units, s[n-1]) >= 0 {
		mult, s = table[s[n-1]], s[:n-1]
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("want a whole number with an optional unit (%s)", strings.Join(strings.Split(units, ""), ", "))
	}
	return v * mult, nil
}

func (find) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[findOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	f, err := newFilter(o)
	if err != nil {
		return modules.Result{}, err
	}
	var files []any
	examined := 0
	skipped := map[string]any{}
	for _, root := range o.Paths {
		found, looked, err := f.search(ctx, h, root)
		if err != nil {
			skipped[root] = err.Error()
			continue
		}
		files = append(files, found...)
		examined += looked
	}
	msg := "All paths examined"
	if len(skipped) > 0 {
		msg = "Not all paths examined, check warnings for details"
	}
	if files == nil {
		files = []any{}
	}
	return modules.Result{Data: map[string]any{"files": files, "msg": msg, "matched": len(files), "examined": examined, "skipped_paths": skipped}}, nil
}

// filter is find's options, parsed.
type filter struct {
	o                 findOptions
	patterns, exclude []string
	regex             bool
	age, size         *int64
	contains          *regexp.Regexp
	depth             int // 0: no limit
}

func newFilter(o findOptions) (*filter, error) {
	f := &filter{o: o, patterns: o.Patterns, exclude: o.Excludes, regex: o.UseRegex, depth: o.Depth}
	if len(f.patterns) == 0 {
		f.patterns = []string{"*"}
		if f.regex {
			f.patterns = []string{".*"}
		}
	}
	for _, u := range []struct {
		value *string
		units string
		dst   **int64
	}{{o.Age, "smhdw", &f.age}, {o.Size, "bkmgt", &f.size}} {
		if u.value != nil {
			v, err := parseUnits(*u.value, u.units)
			if err != nil {
				return nil, err
			}
			*u.dst = &v
		}
	}
	if o.Contains != nil {
		src := *o.Contains
		if !o.ReadWholeFile {
			src = `\A(?:` + src + `)` // Python's re.match: at the start of the line
		}
		re, err := pyre.Compile(src)
		if err != nil {
			return nil, err
		}
		f.contains = re
	}
	return f, nil
}

// search lists root as Python's os.walk visits it (each directory's files,
// then its subdirectories, top down) and keeps the entries that pass.
func (f *filter) search(ctx context.Context, h *modules.Host, root string) ([]any, int, error) {
	info, err := modules.StatPath(ctx, h, root, true)
	if err != nil {
		return nil, 0, err
	}
	if info.Type != "directory" {
		return nil, 0, fmt.Errorf("'%s' is not a directory", root)
	}
	q := modules.EntryQuery{Root: root, MinDepth: 1, MaxDepth: 1, Follow: f.o.Follow}
	switch {
	case !f.o.Recurse:
	case f.depth > 0:
		q.MaxDepth = f.depth + 1 // os.walk lists the level below the last one (examined counts it)
	default:
		q.MaxDepth = -1
	}
	entries, now, err := modules.ListEntries(ctx, h, q)
	if err != nil {
		return nil, 0, err
	}
	var found []any
	for _, e := range walkOrder(entries) {
		if f.depth > 0 && strings.Count(e.Rel, "/")+1 > f.depth {
			continue
		}
		r, ok, err := f.keep(ctx, h, root, e, now)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			found = append(found, r)
		}
	}
	if err := f.addChecksums(ctx, h, found); err != nil {
		return nil, 0, err
	}
	return found, len(entries), nil
}

// walkOrder orders find's (depth-first) entries as os.walk yields them.
func walkOrder(entries []modules.Entry) []modules.Entry {
	children := map[string][]modules.Entry{}
	for _, e := range entries {
		parent := path.Dir(e.Rel)
		children[parent] = append(children[parent], e)
	}
	var out []modules.Entry
	var walk func(dir string)
	walk = func(dir string) {
		var dirs []modules.Entry
		for _, e := range children[dir] {
			if e.Type == 'd' || e.Type == 'l' && e.TargetType == 'd' { // os.walk's is_dir follows links
				dirs = append(dirs, e)
			} else {
				out = append(out, e)
			}
		}
		out = append(out, dirs...)
		for _, d := range dirs {
			walk(d.Rel)
		}
	}
	walk(".")
	return out
}

// keep applies Ansible's filters to one entry and returns its result.
func (f *filter) keep(ctx context.Context, h *modules.Host, root string, e modules.Entry, now float64) (map[string]any, bool, error) {
	name := path.Base(e.Rel)
	if strings.HasPrefix(name, ".") && !f.o.Hidden {
		return nil, false, nil
	}
	kind := f.o.FileType
	switch {
	case kind == "any":
	case kind == "directory" && e.Type == 'd', kind == "file" && e.Type == 'f', kind == "link" && e.Type == 'l':
	default:
		return nil, false, nil
	}
	if !f.nameMatches(name) || !f.ageMatches(e, now) {
		return nil, false, nil
	}
	if e.Type == 'f' && !f.sizeMatches(e.Size) {
		return nil, false, nil
	}
	full := path.Clean(path.Join(root, e.Rel))
	if kind == "file" && f.contains != nil {
		ok, err := f.contentMatches(ctx, h, full, e.Size)
		if err != nil || !ok {
			return nil, false, err
		}
	}
	r := e.StatInfo()
	r["path"] = full
	return r, true, nil
}

func (f *filter) nameMatches(name string) bool {
	match := func(p string) bool {
		if f.regex {
			re, err := pyre.Compile(`\A(?:` + p + `)`)
			return err == nil && re.MatchString(name)
		}
		ok, _ := path.Match(strings.ReplaceAll(p, "[!", "[^"), name) // fnmatch's [!x] is Go's [^x]
		return ok
	}
	for _, p := range f.patterns {
		if match(p) {
			for _, x := range f.exclude {
				if match(x) {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (f *filter) ageMatches(e modules.Entry, now float64) bool {
	if f.age == nil {
		return true
	}
	stamp := map[string]float64{"atime": e.Atime, "ctime": e.Ctime, "mtime": e.Mtime}[f.o.AgeStamp]
	age := float64(*f.age)
	if age >= 0 {
		return now-stamp >= age
	}
	return now-stamp <= -age
}

func (f *filter) sizeMatches(size int64) bool {
	switch {
	case f.size == nil:
		return true
	case *f.size >= 0:
		return size >= *f.size
	}
	return size <= -*f.size
}

// maxContains is the largest file contains reads; larger ones do not match.
const maxContains = 64 << 20

func (f *filter) contentMatches(ctx context.Context, h *modules.Host, file string, size int64) (bool, error) {
	if size > maxContains {
		return false, nil
	}
	b, err := modules.ReadFile(ctx, h, file, maxContains)
	if err != nil {
		return false, nil // unreadable: no match, as Ansible's contentfilter
	}
	if f.o.ReadWholeFile {
		return f.contains.Match(b), nil
	}
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if line != "" && f.contains.MatchString(strings.TrimSuffix(line, "\n")) {
			return true, nil
		}
	}
	return false, nil
}

func (f *filter) addChecksums(ctx context.Context, h *modules.Host, found []any) error {
	if !f.o.GetChecksum {
		return nil
	}
	var paths []string
	var regular []map[string]any
	for _, r := range found {
		m := r.(map[string]any)
		if m["isreg"] == true {
			paths, regular = append(paths, m["path"].(string)), append(regular, m)
		}
	}
	sums, err := modules.HostSHA1(ctx, h, paths)
	for i, m := range regular {
		if i < len(sums) {
			m["checksum"] = sums[i]
		}
	}
	return err
}
