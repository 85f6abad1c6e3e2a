package template

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
)

// Lookup plugins, as Ansible's lib/ansible/plugins/lookup/*.py run them:
// each turns its terms (the lookup's positional arguments, or a with_X
// loop's list) into a list of results. lookup() joins string results with
// commas, query()/q() and wantlist=True return the list.

// lookupSpec is one plugin: the keyword arguments it accepts and its run.
type lookupSpec struct {
	kw  []string
	run func(c *lookupCall, terms []any) ([]any, error)
	// effects: the plugin acts outside the template (runs a command,
	// writes a file); see EffectScope and HasEffects.
	effects bool
}

// lookupCall is one run of a plugin: the engine, the caller's variables and
// the keyword arguments.
type lookupCall struct {
	e      *Engine
	s      Scope
	kw     map[string]any
	subdir string // where first_found searches: files, templates or vars
}

// lookupPlugins is filled in init: some plugins run others.
var lookupPlugins map[string]lookupSpec

func init() {
	lookupPlugins = map[string]lookupSpec{
		"file":          {kw: []string{"rstrip", "lstrip"}, run: lookupFile},
		"env":           {kw: []string{"default"}, run: lookupEnv},
		"items":         {run: func(_ *lookupCall, t []any) ([]any, error) { return flattenOnce(t), nil }},
		"list":          {run: func(_ *lookupCall, t []any) ([]any, error) { return t, nil }},
		"dict":          {run: lookupDict},
		"indexed_items": {run: lookupIndexed},
		"together":      {run: lookupTogether},
		"nested":        {run: lookupNested},
		"cartesian":     {run: lookupNested},
		"subelements":   {run: lookupSubelements},
		"sequence":      {run: lookupSequence},
		"fileglob":      {run: lookupFileglob},
		"lines":         {run: lookupLines},
		"pipe":          {run: lookupPipe, effects: true},
		"first_found":   {kw: []string{"files", "paths", "skip"}, run: lookupFirstFound},
		"template":      {kw: []string{"template_vars", "convert_data"}, run: lookupTemplate},
		"password":      {kw: []string{"length", "chars", "encrypt", "seed", "ident"}, run: lookupPassword, effects: true},
		"vars":          {kw: []string{"default"}, run: lookupVars},
	}
}

// HasLookup reports whether ferry implements the lookup plugin (a with_X
// loop uses plugin X). ansible.builtin. and community.general. prefixes are
// accepted.
func HasLookup(name string) bool {
	_, ok := lookupPlugins[pluginName(name)]
	return ok
}

// LookupNames lists the implemented plugins, for messages.
func LookupNames() []string { return slices.Sorted(maps.Keys(lookupPlugins)) }

func pluginName(name string) string {
	for _, prefix := range []string{"ansible.builtin.", "ansible.legacy.", "community.general."} {
		name = strings.TrimPrefix(name, prefix)
	}
	return name
}

// scopeKey is the expr variable that holds a run's *runScope, which
// variable reads and lookup() (whose plugins read variables) go through.
const scopeKey = "s_scope"

// Query runs plugin name over terms as a with_<name> loop does (a list,
// wantlist=True). subdir is where first_found searches for the task's
// module: templates for template, vars for include_vars, else files.
func (e *Engine) Query(name string, terms []any, s Scope, subdir string) (out []any, err error) {
	defer recoverInternal(&err)
	spec, ok := lookupPlugins[pluginName(name)]
	if !ok {
		return nil, unknownLookup(name)
	}
	if s == nil {
		s = emptyScope{}
	}
	if err := beforeEffect(s, spec, name); err != nil {
		return nil, err
	}
	return spec.run(&lookupCall{e: e, s: s, kw: map[string]any{}, subdir: subdir}, terms)
}

func unknownLookup(name string) error {
	return fmt.Errorf("lookup plugin '%s' is not supported (ferry supports: %s)", name, strings.Join(LookupNames(), ", "))
}

// lookup is lookup(), query() and q() in expressions. p[0] is the scope.
func (e *Engine) lookup(asList bool, p []any) (any, error) {
	scope := scopeOf(p[0])
	a, err := splitArgs(p[1:])
	if err != nil {
		return nil, err
	}
	if len(a.pos) == 0 {
		return nil, fmt.Errorf("lookup() needs a plugin name")
	}
	plugin, err := a.str(0, "", "")
	if err != nil {
		return nil, err
	}
	spec, ok := lookupPlugins[pluginName(plugin)]
	if !ok {
		return nil, unknownLookup(plugin)
	}
	c := &lookupCall{e: e, s: scope, kw: map[string]any{}, subdir: "files"}
	wantList, errorsMode := asList, "strict"
	for _, kw := range a.kw {
		switch kw.name {
		case "wantlist":
			wantList = wantList || truthy(kw.val)
		case "errors":
			errorsMode = pyStr(kw.val)
		case "allow_unsafe":
		default:
			if !slices.Contains(spec.kw, kw.name) {
				return nil, fmt.Errorf("lookup('%s'): unexpected keyword argument '%s'%s", plugin, kw.name, acceptedKw(spec.kw))
			}
			c.kw[kw.name] = kw.val
		}
	}
	terms := append([]any{}, a.pos[1:]...) // expr reuses p
	if err := beforeEffect(scope, spec, plugin); err != nil {
		return nil, fmt.Errorf("lookup('%s'): %w", plugin, err)
	}
	ran, err := spec.run(c, terms)
	if err != nil {
		var ue *UndefinedError
		if errorsMode == "strict" || errorsMode == "" || errors.As(err, &ue) {
			return nil, fmt.Errorf("lookup('%s'): %w", plugin, err)
		}
		if wantList {
			return []any{}, nil
		}
		return nil, nil
	}
	if wantList {
		return ran, nil
	}
	return joinLookup(ran), nil
}

func acceptedKw(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (accepted: " + strings.Join(names, ", ") + ")"
}

// joinLookup is what lookup() returns without wantlist: string results
// joined with commas; otherwise one result alone, or the list.
func joinLookup(ran []any) any {
	if len(ran) == 0 {
		return []any{}
	}
	strs := make([]string, len(ran))
	for i, r := range ran {
		s, ok := r.(string)
		if !ok {
			if len(ran) == 1 {
				return ran[0]
			}
			return ran
		}
		strs[i] = s
	}
	return strings.Join(strs, ",")
}

// flattenOnce is LookupBase._flatten: list terms are spliced in, one level.
func flattenOnce(terms []any) []any {
	out := []any{}
	for _, t := range terms {
		if l, ok := asList(t); ok {
			out = append(out, l...)
		} else {
			out = append(out, t)
		}
	}
	return out
}

// listify is listify_lookup_plugin_terms on a value already templated: a
// string or a scalar becomes a one-item list.
func listify(v any) []any {
	if _, isStr := v.(string); !isStr {
		if items, err := iterate(v); err == nil {
			return items
		}
	}
	return []any{v}
}

func lookupDict(_ *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		m, ok := asMap(t)
		if !ok {
			return nil, errors.New("with_dict expects a dict")
		}
		for _, k := range dictKeys(m) {
			out = append(out, pair("key", k, "value", m[k]))
		}
	}
	return out, nil
}

func lookupIndexed(_ *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for i, item := range flattenOnce(terms) {
		out = append(out, []any{i, item})
	}
	return out, nil
}

// lookupTogether transposes lists, filling the short ones with None.
func lookupTogether(_ *lookupCall, terms []any) ([]any, error) {
	if len(terms) == 0 {
		return nil, errors.New("with_together requires at least one element in each list")
	}
	lists := make([][]any, len(terms))
	longest := 0
	for i, t := range terms {
		lists[i] = listify(t)
		longest = max(longest, len(lists[i]))
	}
	out := []any{}
	for i := range longest {
		row := make([]any, len(lists))
		for j, l := range lists {
			if i < len(l) {
				row[j] = l[i]
			}
		}
		out = append(out, flattenOnce(row))
	}
	return out, nil
}

// lookupNested is the cartesian product of the lists, each combination
// flattened one level.
func lookupNested(_ *lookupCall, terms []any) ([]any, error) {
	if len(terms) == 0 {
		return nil, errors.New("with_nested requires at least one element in the nested list")
	}
	result := listify(terms[0])
	for _, t := range terms[1:] {
		next := listify(t)
		if len(result)*len(next) > maxRange {
			return nil, fmt.Errorf("with_nested: more than %d combinations", maxRange)
		}
		combined := make([]any, 0, len(result)*len(next))
		for _, x := range result {
			for _, y := range next {
				combined = append(combined, flattenOnce([]any{x, y}))
			}
		}
		result = combined
	}
	out := make([]any, len(result))
	for i, x := range result {
		out[i] = flattenOnce(listify(x))
	}
	return out, nil
}

// lookupSubelements pairs each element of a list (or a dict's values) with
// each item of its sub-list named by a dotted key.
func lookupSubelements(_ *lookupCall, terms []any) ([]any, error) {
	usage := "subelements lookup expects a list of two or three items, "
	if len(terms) < 2 || len(terms) > 3 {
		return nil, errors.New(usage)
	}
	key, isStr := terms[1].(string)
	elements, isList := asList(terms[0])
	m, isMap := asMap(terms[0])
	if !isStr || (!isList && !isMap) {
		return nil, errors.New(usage + "first a dict or a list, second a string pointing to the subkey")
	}
	if isMap {
		if sk, ok := m["skipped"]; ok && sk != false {
			return []any{}, nil // a registered result that was skipped entirely
		}
		for _, k := range dictKeys(m) {
			elements = append(elements, m[k])
		}
	}
	skipMissing := false
	if len(terms) == 3 {
		flags, ok := asMap(terms[2])
		if !ok {
			return nil, errors.New(usage + "the optional third item must be a dict with flags skip_missing")
		}
		skipMissing = conditionTruth(flags["skip_missing"])
	}
	out := []any{}
	for _, el := range elements {
		item, ok := asMap(el)
		if !ok {
			return nil, fmt.Errorf("subelements lookup expects a dictionary, got '%s'", pyStr(el))
		}
		if sk, ok := item["skipped"]; ok && sk != false {
			continue
		}
		sub, err := subList(item, strings.Split(key, "."), skipMissing)
		if err != nil {
			return nil, err
		}
		for _, s := range sub {
			out = append(out, []any{withoutKey(item, key), s})
		}
	}
	return out, nil
}

// withoutKey is the element as Ansible pairs it: its sub-list popped off
// (for a top-level key; a nested one is popped from the inner dict).
func withoutKey(item map[string]any, key string) map[string]any {
	parts := strings.Split(key, ".")
	out := maps.Clone(item)
	cur := out
	for _, p := range parts[:len(parts)-1] {
		inner, ok := asMap(cur[p])
		if !ok {
			return out
		}
		inner = maps.Clone(inner)
		cur[p] = inner
		cur = inner
	}
	delete(cur, parts[len(parts)-1])
	return out
}

func subList(item map[string]any, keys []string, skipMissing bool) ([]any, error) {
	cur := item
	for i, k := range keys {
		v, ok := cur[k]
		if !ok {
			if skipMissing {
				return nil, nil
			}
			return nil, fmt.Errorf("could not find '%s' key in iterated item '%s'", k, pyStr(cur))
		}
		if i == len(keys)-1 {
			l, ok := asList(v)
			if !ok {
				return nil, fmt.Errorf("the key %s should point to a list, got '%s'", k, pyStr(v))
			}
			return l, nil
		}
		next, ok := asMap(v)
		if !ok {
			if skipMissing {
				return nil, nil
			}
			return nil, fmt.Errorf("the key %s should point to a dictionary, got '%s'", k, pyStr(v))
		}
		cur = next
	}
	return nil, nil
}

func lookupVars(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		name, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("invalid setting identifier, %s is not a string, its a %s", pyRepr(t), typeName(t))
		}
		v, found, err := c.s.Lookup(name)
		if !found || err != nil {
			if def, ok := c.kw["default"]; ok && def != nil {
				out = append(out, def)
				continue
			}
			if err != nil {
				return nil, err
			}
			return nil, &UndefinedError{Name: name, Msg: "No variable found with this name: " + name}
		}
		out = append(out, v)
	}
	return out, nil
}

func lookupEnv(c *lookupCall, terms []any) ([]any, error) {
	env := c.e.opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	out := []any{}
	for _, t := range terms {
		fields := strings.Fields(pyStr(t))
		if len(fields) == 0 {
			return nil, errors.New("env lookup needs a variable name")
		}
		if v, ok := env(fields[0]); ok {
			out = append(out, v)
			continue
		}
		def, ok := c.kw["default"]
		if !ok {
			def = ""
		}
		out = append(out, def)
	}
	return out, nil
}

// searchDirs is the task's search path: ansible_search_path when the
// runner sets it (roles), else the playbook's directory.
func (c *lookupCall) searchDirs() []string {
	if v, ok, err := c.s.Lookup("ansible_search_path"); ok && err == nil {
		if l, ok := asList(v); ok && len(l) > 0 {
			dirs := make([]string, len(l))
			for i, d := range l {
				dirs[i] = pyStr(d)
			}
			return dirs
		}
	}
	dir, err := filepath.Abs(c.e.opts.BaseDir)
	if err != nil {
		dir = c.e.opts.BaseDir
	}
	return []string{dir}
}

// findFile is find_file_in_search_path: an absolute path as is, else
// DIR/subdir/name then DIR/name for each directory of the search path.
func (c *lookupCall) findFile(subdir, name string) (string, bool) {
	if filepath.IsAbs(name) {
		_, err := os.Stat(name)
		return name, err == nil
	}
	for _, dir := range c.searchDirs() {
		for _, p := range []string{filepath.Join(dir, subdir, name), filepath.Join(dir, name)} {
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
	}
	return "", false
}

func lookupFile(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	rstrip := c.kw["rstrip"] == nil || truthy(c.kw["rstrip"])
	for _, t := range terms {
		path, ok := c.findFile("files", pyStr(t))
		if !ok {
			return nil, fmt.Errorf("could not locate file in lookup: %s", pyStr(t))
		}
		b, err := c.readFile(path)
		if err != nil {
			return nil, err
		}
		s := string(b)
		if truthy(c.kw["lstrip"]) {
			s = strings.TrimLeft(s, " \t\r\n\f\v")
		}
		if rstrip {
			s = strings.TrimRight(s, " \t\r\n\f\v")
		}
		out = append(out, s)
	}
	return out, nil
}

func lookupFileglob(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		term := pyStr(t)
		base := filepath.Base(term)
		var dirs []string
		if base != term {
			if dir, ok := c.findFile("files", filepath.Dir(term)); ok {
				dirs = []string{dir}
			}
		} else {
			for _, d := range c.searchDirs() {
				dirs = append(dirs, filepath.Join(d, "files"), d)
			}
		}
		for _, dir := range dirs {
			matches, err := filepath.Glob(filepath.Join(dir, base))
			if err != nil {
				return nil, fmt.Errorf("bad pattern %q: %v", term, err)
			}
			var files []any
			for _, m := range matches {
				if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
					files = append(files, m)
				}
			}
			if len(files) > 0 {
				out = append(out, files...)
				break
			}
		}
	}
	return out, nil
}

// shell runs a command on the controller in the playbook's directory, as
// the pipe and lines lookups do.
func (c *lookupCall) shell(plugin, command string) (string, error) {
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = c.e.opts.BaseDir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return "", fmt.Errorf("lookup_plugin.%s(%s) returned %d", plugin, command, code)
	}
	return string(out), nil
}

func lookupPipe(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		s, err := c.shell("pipe", pyStr(t))
		if err != nil {
			return nil, err
		}
		out = append(out, strings.TrimRight(s, " \t\r\n\f\v"))
	}
	return out, nil
}

func lookupLines(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	for _, t := range terms {
		s, err := c.shell("lines", pyStr(t))
		if err != nil {
			return nil, err
		}
		out = append(out, anylist.Of(pySplitLines(s))...)
	}
	return out, nil
}

func lookupTemplate(c *lookupCall, terms []any) ([]any, error) {
	out := []any{}
	extra, _ := asMap(c.kw["template_vars"])
	for _, t := range terms {
		path, ok := c.findFile("templates", pyStr(t))
		if !ok {
			return nil, fmt.Errorf("the template file %s could not be found for the lookup", pyStr(t))
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		vars := map[string]any{"template_path": path, "template_fullpath": path,
			"template_host": "", "template_uid": "", "template_run_date": ""}
		maps.Copy(vars, extra)
		s, err := c.e.RenderFile(string(b), c.templateDirs(path), &layer{vars: vars, parent: c.s})
		if err != nil {
			return nil, err
		}
		if trailing := len(b) - len(strings.TrimRight(string(b), "\n")); !strings.HasSuffix(s, strings.Repeat("\n", trailing)) {
			s += strings.Repeat("\n", trailing)
		}
		out = append(out, s)
	}
	return out, nil
}

// templateDirs is where the templates a looked-up template names are found,
// as lookup/template.py sets Jinja's search path: the template's own
// directory, then each directory of the search path's templates/ and itself.
func (c *lookupCall) templateDirs(path string) []string {
	dirs := []string{filepath.Dir(path)}
	for _, d := range c.searchDirs() {
		dirs = append(dirs, filepath.Join(d, "templates"), d)
	}
	return dirs
}

func isLookupFunc(name string) bool { return name == "lookup" || name == "query" || name == "q" }

// scopeNode stands for the caller's scope in a translated lookup() call.
type scopeNode struct{}

func (*scopeNode) position() int { return 0 }
