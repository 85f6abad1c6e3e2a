package runner

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/rawtext"
	"github.com/ferry-sh/ferry/runner/template"
)

// omitValue is what `{{ omit }}` renders to: an argument whose value is it is
// dropped, as in Ansible.
const omitValue = "__ferry_omit_placeholder__"

// facts is a host's mutable variable layer (gathered facts, set_fact,
// register). Other hosts read it through hostvars while the host's own task
// writes it, so writes copy the map and swap it under the lock.
type facts struct {
	mu sync.RWMutex
	m  map[string]any
	// fromHost names the values a host gave (registered results, a
	// module's facts): data, never rendered again when read, as 2.14's
	// wrap_var makes them unsafe. Replaced, never changed in place.
	fromHost map[string]bool
	version  int           // bumped on every set, so views built from m know they are stale
	changes  *atomic.Int64 // the run's count of facts changes on any host, when set
}

func (f *facts) get() map[string]any {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m
}

// set sets variables a playbook computed (set_fact, include_vars): their
// templates render when they are read.
func (f *facts) set(values map[string]any) { f.store(values, false) }

// setFromHost sets values a host gave: they are never rendered again.
func (f *facts) setFromHost(values map[string]any) { f.store(values, true) }

// view is the facts and the names of those that came from a host, read
// together.
func (f *facts) view() (map[string]any, map[string]bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m, f.fromHost
}

func (f *facts) store(values map[string]any, fromHost bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	marks := make(map[string]bool, len(f.fromHost)+len(values))
	for k := range f.fromHost {
		marks[k] = true
	}
	for k := range values {
		if fromHost {
			marks[k] = true
		} else {
			delete(marks, k)
		}
	}
	f.fromHost = marks
	next := keyorder.NewBuilder(len(f.m) + len(values)) // in the order they were set (varnames)
	for _, m := range []map[string]any{f.m, values} {
		for _, k := range keyorder.Keys(m) {
			next.Put(k, m[k])
		}
	}
	f.m = next.Map()
	f.version++
	if f.changes != nil {
		f.changes.Add(1)
	}
}

func (f *facts) snapshot() (map[string]any, map[string]bool, int) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.m, f.fromHost, f.version
}

// scope resolves variable names for one host and task with Ansible's
// precedence, rendering templated values lazily on lookup.
type scope struct {
	engine *template.Engine
	// layers, highest precedence first: extra vars, loop var, registered
	// and set facts, task vars, vars_files, play vars, inventory vars.
	layers []map[string]any
	// keywordLayers are how many of the last layers hold keywords and the
	// command line's settings, which every variable beats (connkw.go).
	keywordLayers int
	magic         func(name string) (any, bool)
	// data are the layers (or some of their names) whose values came from
	// a host: returned as they are, never rendered (facts.setFromHost).
	data []dataLayer
	// readData is set when the task read such a value: what set_fact
	// computes from it is data too, as 2.14's templating keeps a result
	// made from an unsafe value unsafe. Shared by the task's scopes.
	readData *atomic.Bool
	// masker learns the values computed from secrets (see taint.go).
	masker *Masker
	// resolving holds the names being rendered, to catch a variable whose
	// value refers back to itself.
	resolving []string
	// forHost is the same task's scope on another host (a delegated one);
	// nil in scopes of no task.
	forHost func(*hostState) *scope
	// warnings are the task's on the host, each shown once; nil in
	// scopes of no task.
	warnings *taskWarnings
}

// Lookup implements template.Scope.
func (s *scope) Lookup(name string) (any, bool, error) {
	if name == "vars" && s.magic != nil { // a task's: the magic variable wins, as in 2.14
		return s.varsVar(), true, nil
	}
	for _, layer := range s.layers {
		if v, ok := layer[name]; ok {
			if s.isData(layer, name) {
				if s.readData != nil {
					s.readData.Store(true)
				}
				return v, true, nil
			}
			return s.resolve(name, v)
		}
	}
	if s.magic != nil {
		v, ok := s.magic(name)
		return v, ok, nil
	}
	return nil, false, nil
}

// dataLayer marks a layer's values as a host's data: those of names, or
// all of them when names is nil.
type dataLayer struct {
	layer map[string]any
	names map[string]bool
}

// isData says whether name's value in layer came from a host.
func (s *scope) isData(layer map[string]any, name string) bool {
	for _, d := range s.data {
		if (d.names == nil || d.names[name]) && sameMap(layer, d.layer) {
			return true
		}
	}
	return false
}

// sameMap says whether a and b are the same map (not equal contents).
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

func (s *scope) resolve(name string, v any) (any, bool, error) {
	if !hasTemplate(v) {
		return v, true, nil
	}
	if slices.Contains(s.resolving, name) {
		chain := strings.Join(append(slices.Clone(s.resolving), name), " -> ")
		return nil, false, &lookupError{fmt.Errorf("recursive loop in variable %q: %s", name, chain)}
	}
	s.resolving = append(s.resolving, name)
	defer func() { s.resolving = s.resolving[:len(s.resolving)-1] }()
	out, err := s.render(v)
	var inner *lookupError
	if errors.As(err, &inner) {
		return nil, false, err // the variable that failed already named itself
	}
	if err != nil {
		return nil, false, &lookupError{fmt.Errorf("variable %q: %w", name, err)}
	}
	return out, true, nil
}

// lookupError is a variable that could not be resolved. The variables whose
// values referred to it pass it on unchanged, so that the message names the
// one that failed, not every variable on the way to it.
type lookupError struct{ err error }

func (e *lookupError) Error() string { return e.err.Error() }
func (e *lookupError) Unwrap() error { return e.err }

// render renders every template inside v (strings, lists, maps); an
// !unsafe text becomes the plain string it is, unrendered.
func (s *scope) render(v any) (any, error) {
	switch x := v.(type) {
	case rawtext.Text:
		if s.readData != nil {
			s.readData.Store(true)
		}
		return string(x), nil
	case string:
		if !strings.Contains(x, "{{") && !strings.Contains(x, "{%") {
			return x, nil
		}
		return s.taint(func(sc template.Scope) (any, error) { return s.engine.Render(x, sc) })
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := s.render(e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	case map[string]any:
		out := keyorder.NewBuilder(len(x))
		for _, k := range keyorder.Keys(x) {
			r, err := s.render(x[k])
			if err != nil {
				return nil, err
			}
			out.Put(k, r)
		}
		return out.Map(), nil
	}
	return v, nil
}

// eval evaluates a bare expression (when, until...) to a bool.
func (s *scope) evalBool(expr string) (bool, error) {
	if s.warnings != nil && hasTemplate(expr) {
		// as Conditional._check_conditional
		s.warnings.once("conditional statements should not include jinja2 templating delimiters such as {{ }} or {% %}. Found: " + expr)
	}
	return s.engine.EvalBool(expr, s)
}

// hasTemplate says whether v needs render: a template in it, or an !unsafe
// text to hand on as a plain string.
func hasTemplate(v any) bool {
	switch x := v.(type) {
	case rawtext.Text:
		return true
	case string:
		return strings.Contains(x, "{{") || strings.Contains(x, "{%")
	case []any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	}
	return false
}

// withDataLayer is withLayer for values that are data (a registered result
// judged by failed_when, a loop's items): they are never rendered.
func (s *scope) withDataLayer(layer map[string]any) *scope {
	sc := s.withLayer(layer)
	sc.data = append(slices.Clip(s.data), dataLayer{layer: layer})
	return sc
}

// withLayer returns a scope with one more layer on top (a loop item, a
// registered result being judged by failed_when).
func (s *scope) withLayer(layer map[string]any) *scope {
	return &scope{engine: s.engine, layers: append([]map[string]any{layer}, s.layers...), keywordLayers: s.keywordLayers, data: s.data, readData: s.readData,
		magic: s.magic, masker: s.masker, forHost: s.forHost, warnings: s.warnings}
}

// checkExpression checks the syntax of a bare expression.
func checkExpression(e string) error { return template.CheckExpr(e) }

// checkTemplate checks the syntax of a string that may hold templates.
func checkTemplate(s string) error { return template.Check(s) }
