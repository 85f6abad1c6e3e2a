package template

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// globalFuncs are the functions an expression may call by name.
var globalFuncs = map[string]bool{"range": true, "lookup": true, "query": true, "q": true, "dict": true}

var lookupPlugins = map[string]bool{"file": true, "env": true}

func globalFuncNames() []string { return slices.Sorted(maps.Keys(globalFuncs)) }

// checkLookupPlugin rejects, before anything runs, a lookup whose plugin
// name is a literal that ferry does not implement.
func checkLookupPlugin(fn string, args []node) error {
	if fn != "lookup" && fn != "query" && fn != "q" {
		return nil
	}
	if len(args) == 0 {
		return errAt(0, "%s() needs a plugin name", fn)
	}
	if lit, ok := args[0].(*litNode); ok {
		if name, ok := lit.val.(string); ok && !lookupPlugins[pluginName(name)] {
			return errAt(lit.pos, "lookup plugin '%s' is not supported (ferry supports: %s)", name, strings.Join(slices.Sorted(maps.Keys(lookupPlugins)), ", "))
		}
	}
	return nil
}

func pluginName(name string) string { return strings.TrimPrefix(name, "ansible.builtin.") }

// globals returns the functions bound to an engine's options.
func (e *Engine) globals() map[string]fn {
	return map[string]fn{
		"g_range":  strict(gRange),
		"g_dict":   strict(gDict),
		"g_lookup": strict(func(p ...any) (any, error) { return e.lookup(false, p) }),
		"g_query":  strict(func(p ...any) (any, error) { return e.lookup(true, p) }),
		"g_q":      strict(func(p ...any) (any, error) { return e.lookup(true, p) }),
	}
}

// gRange is Python's range(stop) / range(start, stop[, step]) as a list.
func gRange(p ...any) (any, error) {
	a, err := splitArgs(p)
	if err != nil {
		return nil, err
	}
	if err := a.expect(3); err != nil || len(a.pos) == 0 {
		return nil, fmt.Errorf("range() takes 1 to 3 integer arguments")
	}
	bounds := make([]int, len(a.pos))
	for i := range a.pos {
		if bounds[i], err = a.integer(i, "", 0); err != nil {
			return nil, fmt.Errorf("range(): %v", err)
		}
	}
	start, stop, step := 0, bounds[0], 1
	if len(bounds) > 1 {
		start, stop = bounds[0], bounds[1]
	}
	if len(bounds) > 2 {
		step = bounds[2]
	}
	if step == 0 {
		return nil, fmt.Errorf("range() step must not be zero")
	}
	if n := (stop - start) / step; n > maxRange {
		return nil, fmt.Errorf("range() larger than %d items", maxRange)
	}
	out := []any{}
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(out) >= maxRange {
			return nil, fmt.Errorf("range() larger than %d items", maxRange)
		}
		out = append(out, i)
	}
	return out, nil
}

// gDict is dict(a=1, b=2).
func gDict(p ...any) (any, error) {
	a, err := splitArgs(p)
	if err != nil {
		return nil, err
	}
	if len(a.pos) > 0 {
		return nil, fmt.Errorf("dict() takes only keyword arguments here")
	}
	out := make(map[string]any, len(a.kw))
	for _, kw := range a.kw {
		out[kw.name] = kw.val
	}
	return out, nil
}

// lookup implements lookup('file', path...) and lookup('env', NAME...).
// lookup joins several results with commas; query returns a list.
func (e *Engine) lookup(asList bool, p []any) (any, error) {
	a, err := splitArgs(p)
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
	var results []any
	for _, term := range a.pos[1:] {
		var v string
		switch pluginName(plugin) {
		case "file":
			if err := a.expect(-1, "rstrip", "lstrip"); err != nil {
				return nil, fmt.Errorf("lookup('file'): %v", err)
			}
			v, err = e.lookupFile(pyStr(term), truthy(a.or(-1, "rstrip", true)), a.flag(-1, "lstrip"))
		case "env":
			if err := a.expect(-1, "default"); err != nil {
				return nil, fmt.Errorf("lookup('env'): %v", err)
			}
			v = e.lookupEnv(pyStr(term), a)
		default:
			return nil, fmt.Errorf("lookup plugin '%s' is not supported (ferry supports: %s)", plugin, strings.Join(slices.Sorted(maps.Keys(lookupPlugins)), ", "))
		}
		if err != nil {
			return nil, err
		}
		results = append(results, v)
	}
	if asList {
		return append([]any{}, results...), nil
	}
	return joinValues(results, ",")
}

func (e *Engine) lookupFile(path string, rstrip, lstrip bool) (string, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(e.opts.BaseDir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("lookup('file'): could not read %s: %v", path, err)
	}
	s := string(b)
	if rstrip {
		s = strings.TrimRight(s, " \t\r\n")
	}
	if lstrip {
		s = strings.TrimLeft(s, " \t\r\n")
	}
	return s, nil
}

func (e *Engine) lookupEnv(name string, a *fargs) string {
	env := e.opts.Env
	if env == nil {
		env = os.LookupEnv
	}
	if v, ok := env(name); ok {
		return v
	}
	return pyStr(a.or(-1, "default", ""))
}
