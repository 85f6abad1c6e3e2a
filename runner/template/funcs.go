package template

import (
	"fmt"
	"maps"
	"slices"
)

// globalFuncs are the functions an expression may call by name.
var globalFuncs = map[string]bool{"range": true, "lookup": true, "query": true, "q": true, "dict": true}

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
