package template

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// globalFuncs are the functions an expression may call by name.
var globalFuncs = map[string]bool{"range": true, "lookup": true, "query": true, "q": true, "dict": true, "namespace": true, "now": true}

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
		if name, ok := lit.val.(string); ok && !HasLookup(name) {
			return errAt(lit.pos, "%s", unknownLookup(name))
		}
	}
	return nil
}

// globals returns the functions bound to an engine's options.
func (e *Engine) globals() map[string]fn {
	return map[string]fn{
		"g_range": strict(gRange),
		"g_now":   strict(gNow),
		"g_dict":  strict(gDict),
		"g_namespace": func(p ...any) (any, error) {
			d, err := gDict(p...)
			if err != nil {
				return nil, err
			}
			return &namespace{vars: d.(map[string]any)}, nil
		},
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

// gDict is Python's dict(): dict(a=1, b=2), dict(mapping) or
// dict(pairs), keyword arguments after, in insertion order.
func gDict(p ...any) (any, error) {
	a, err := splitArgs(p)
	if err != nil {
		return nil, err
	}
	if len(a.pos) > 1 {
		return nil, fmt.Errorf("dict expected at most 1 argument, got %d", len(a.pos))
	}
	out := keyorder.NewBuilder(len(a.kw))
	if len(a.pos) == 1 {
		if err := dictFrom(out, a.pos[0]); err != nil {
			return nil, err
		}
	}
	for _, kw := range a.kw {
		out.Put(kw.name, kw.val)
	}
	return out.Map(), nil
}

// filterFuncName is the name a filter's function has in the compiled
// program: a collection's filter (community.general.dict) without its dots,
// which the program would read as attribute lookups.
func filterFuncName(name string) string { return "f_" + strings.ReplaceAll(name, ".", "__") }

// fCollectionDict is community.general's dict filter (dict_filter:
// Python's dict(sequence)), as kubespray turns key=value lines into a
// mapping: map('split', '=') | community.general.dict.
func fCollectionDict(in any, a *fargs) (any, error) {
	if err := a.expect(0); err != nil {
		return nil, err
	}
	return gDict(in)
}

// dictFrom puts a mapping's items, or a list of [key, value] pairs, into out.
func dictFrom(out *keyorder.Builder, v any) error {
	if m, ok := asMap(v); ok {
		for _, k := range dictKeys(m) {
			out.Put(k, m[k])
		}
		return nil
	}
	items, err := iterate(v)
	if err != nil {
		return fmt.Errorf("'%s' object is not iterable", typeName(v))
	}
	for i, item := range items {
		kv, err := iterate(item)
		if err != nil || len(kv) != 2 {
			return fmt.Errorf("dictionary update sequence element #%d has length %d; 2 is required", i, len(kv))
		}
		out.Put(pyStr(kv[0]), kv[1])
	}
	return nil
}
