package template

import (
	"fmt"
	"strings"
)

// fargs are the arguments of a filter, test or function call after the
// value it applies to: positional ones, then name=value ones.
type fargs struct {
	pos []any
	kw  []kwArg
}

// splitArgs separates keyword arguments from positional ones. The slice it
// returns may alias params, which expr reuses: callers must not keep it.
func splitArgs(params []any) (*fargs, error) {
	a := &fargs{}
	for i, p := range params {
		if err := defined(p); err != nil {
			return nil, err
		}
		if kw, ok := p.(kwArg); ok {
			a.kw = append(a.kw, kw)
			continue
		}
		if len(a.kw) > 0 {
			return nil, fmt.Errorf("positional argument after a keyword argument")
		}
		a.pos = params[:i+1]
	}
	return a, nil
}

// get returns argument i, or the keyword argument called name.
func (a *fargs) get(i int, name string) (any, bool) {
	if i >= 0 && i < len(a.pos) {
		return a.pos[i], true
	}
	for _, kw := range a.kw {
		if kw.name == name {
			return kw.val, true
		}
	}
	return nil, false
}

func (a *fargs) or(i int, name string, def any) any {
	if v, ok := a.get(i, name); ok {
		return v
	}
	return def
}

// expect rejects more positional arguments than maxPos and unknown keyword
// arguments, so that a typo is an error instead of being ignored.
func (a *fargs) expect(maxPos int, names ...string) error {
	if maxPos >= 0 && len(a.pos) > maxPos {
		return fmt.Errorf("takes at most %d arguments, got %d", maxPos, len(a.pos))
	}
	for _, kw := range a.kw {
		known := false
		for _, n := range names {
			known = known || n == kw.name
		}
		if !known {
			if len(names) == 0 {
				return fmt.Errorf("unexpected keyword argument '%s'", kw.name)
			}
			return fmt.Errorf("unexpected keyword argument '%s' (accepted: %s)", kw.name, strings.Join(names, ", "))
		}
	}
	return nil
}

func (a *fargs) str(i int, name, def string) (string, error) {
	v, ok := a.get(i, name)
	if !ok {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("argument '%s' must be a string, not '%s'", name, typeName(v))
	}
	return s, nil
}

func (a *fargs) integer(i int, name string, def int) (int, error) {
	v, ok := a.get(i, name)
	if !ok || v == nil {
		return def, nil
	}
	n, _, isInt, ok := number(v)
	if !ok || !isInt {
		return 0, fmt.Errorf("argument '%s' must be an integer, not '%s'", name, typeName(v))
	}
	return n, nil
}

func (a *fargs) flag(i int, name string) bool {
	v, _ := a.get(i, name)
	return truthy(v)
}
