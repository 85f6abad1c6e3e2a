package runner

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/runner/template"
	"gopkg.in/yaml.v3"
)

// Custom Jinja filters and tests are Python files (filter_plugins/*.py,
// test_plugins/*.py beside the playbook, in a role, or on
// ANSIBLE_FILTER_PLUGINS / ANSIBLE_TEST_PLUGINS). ferry cannot run Python,
// so a template that uses one is reported before anything runs, naming the
// plugin file and line that defines the name.

// pluginDef is where a Python plugin defines a filter or test.
type pluginDef struct {
	file string
	line int
}

type pluginIndex struct {
	filters, tests map[string]pluginDef
}

var pluginCache sync.Map // directory list -> *pluginIndex

// pluginDirs are the directories Ansible loads filter or test plugins from:
// beside the playbook (base), in the role (roleDir, may be empty), and the
// ANSIBLE_FILTER_PLUGINS / ANSIBLE_TEST_PLUGINS settings.
func pluginDirs(kind, base, roleDir string) []string {
	sub := kind + "_plugins"
	dirs := []string{filepath.Join(base, sub)}
	if roleDir != "" {
		dirs = append(dirs, filepath.Join(roleDir, sub))
	}
	env := map[string]string{"filter": "ANSIBLE_FILTER_PLUGINS", "test": "ANSIBLE_TEST_PLUGINS"}[kind]
	for _, d := range filepath.SplitList(os.Getenv(env)) {
		if d != "" {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// pythonPlugin returns where a Python plugin defines filter or test name.
func pythonPlugin(kind, name string, dirs []string) (pluginDef, bool) {
	key := kind + "\x00" + strings.Join(dirs, "\x00")
	idx, ok := pluginCache.Load(key)
	if !ok {
		idx, _ = pluginCache.LoadOrStore(key, scanPlugins(kind, dirs))
	}
	defs := idx.(*pluginIndex).filters
	if kind == "test" {
		defs = idx.(*pluginIndex).tests
	}
	d, found := defs[name]
	return d, found
}

// pluginUse explains a template error that is a use of a filter or test a
// Python plugin defines; ok is false for any other error.
func pluginUse(err error, base, roleDir string) (msg, hint string, ok bool) {
	var se *template.SyntaxError
	if !errors.As(err, &se) || se.Unknown == "" {
		return "", "", false
	}
	def, found := pythonPlugin(se.Unknown, se.Name, pluginDirs(se.Unknown, base, roleDir))
	if !found {
		return collectionPluginUse(se)
	}
	return fmt.Sprintf("uses %s '%s', defined in the Python plugin %s:%d, which ferry cannot run", se.Unknown, se.Name, def.file, def.line),
		pluginHint, true
}

const pluginHint = "ferry cannot run Python plugins: write the expression with built-in filters and tests (ferry doc lists them), or compute the value in a task"

// collectionPluginUse explains an unknown filter or test with a
// collection's name (ns.coll.name): a Python plugin of that collection
// (plugins/filter, plugins/test), which ferry cannot run.
func collectionPluginUse(se *template.SyntaxError) (msg, hint string, ok bool) {
	parts := strings.Split(se.Name, ".")
	if len(parts) < 3 || parts[0] == "ansible" && (parts[1] == "builtin" || parts[1] == "legacy") {
		return "", "", false
	}
	coll := parts[0] + "." + parts[1]
	return fmt.Sprintf("uses %s '%s', a Python plugin of the collection %s, which ferry cannot run", se.Unknown, se.Name, coll),
		pluginHint, true
}

// pluginKey is one 'name': function entry of the dict that a plugin's
// filters() or tests() method returns.
var pluginKey = regexp.MustCompile(`['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*:`)

// scanPlugins reads the names the plugins in dirs define: the keys of the
// dict literal returned by `def filters(self)` (or `def tests(self)`).
func scanPlugins(kind string, dirs []string) *pluginIndex {
	idx := &pluginIndex{filters: map[string]pluginDef{}, tests: map[string]pluginDef{}}
	defs := idx.filters
	if kind == "test" {
		defs = idx.tests
	}
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.py"))
		for _, f := range files {
			scanPluginFile(f, kind+"s", defs)
		}
	}
	return idx
}

func scanPluginFile(path, method string, defs map[string]pluginDef) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	inMethod, line := false, 0
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		if strings.HasPrefix(trimmed, "def ") {
			inMethod = strings.HasPrefix(trimmed, "def "+method+"(")
			continue
		}
		if !inMethod {
			continue
		}
		for _, m := range pluginKey.FindAllStringSubmatch(text, -1) {
			if _, seen := defs[m[1]]; !seen {
				defs[m[1]] = pluginDef{file: path, line: line}
			}
		}
	}
}

// templateError reports a bad template or expression; a filter or test that
// a Python plugin defines gets a message saying so and what to do.
func (p *parser) templateError(n *yaml.Node, what, src string, err error) {
	roleDir := ""
	if p.role != nil {
		roleDir = p.role.Path
	}
	if msg, hint, ok := pluginUse(err, p.dir, roleDir); ok {
		p.errorf(n, hint, "%s %q %s", what, src, msg)
		return
	}
	p.errorf(n, "", "%s %q: %v", what, src, err)
}
