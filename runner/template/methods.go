package template

import (
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
)

// methods are the Python methods that playbooks commonly call on strings
// and dicts (x.split(','), d.items()); anything else is a static error.
var methods = map[string]bool{
	"split": true, "strip": true, "lstrip": true, "rstrip": true, "lower": true, "upper": true,
	"startswith": true, "endswith": true, "replace": true, "join": true, "splitlines": true,
	"capitalize": true, "keys": true, "values": true, "items": true, "get": true,
}

// hMethod calls obj.name(args...).
func hMethod(p ...any) (any, error) {
	obj, name := p[0], p[1].(string)
	var args []any
	kwargs := map[string]any{}
	for _, a := range p[2:] {
		if kw, ok := a.(kwArg); ok {
			kwargs[kw.name] = kw.val
			continue
		}
		args = append(args, a)
	}
	if s, ok := obj.(string); ok && name == "format" {
		return pyStrFormat(s, args, kwargs)
	}
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("method '%s()' takes no keyword arguments", name)
	}
	if s, ok := obj.(string); ok {
		if m, ok := strMethods[name]; ok {
			return m(s, args)
		}
		return stringMethod(s, name, args)
	}
	if m, ok := asMap(obj); ok {
		return mapMethod(m, name, args)
	}
	if out, ok, err := dateMethod(obj, name, args); ok {
		return out, err
	}
	return nil, fmt.Errorf("'%s' object has no method '%s'", typeName(obj), name)
}

func argCount(name string, args []any, lo, hi int) error {
	if len(args) < lo || len(args) > hi {
		return fmt.Errorf("%s() takes %d to %d arguments, got %d", name, lo, hi, len(args))
	}
	return nil
}

func strArg(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s() expects a string argument, not '%s'", name, typeName(v))
	}
	return s, nil
}

func stringMethod(s, name string, args []any) (any, error) {
	switch name {
	case "strip", "lstrip", "rstrip", "startswith", "endswith", "lower", "upper", "capitalize":
		return stringMethod1(s, name, args)
	case "split":
		return pySplit(s, name, args, false)
	case "splitlines":
		if err := argCount(name, args, 0, 1); err != nil {
			return nil, err
		}
		return anylist.Of(pySplitLines(s, len(args) == 1 && truthy(args[0]))), nil
	case "replace":
		if err := argCount(name, args, 2, 3); err != nil {
			return nil, err
		}
		n, ok, err := intArg(name, args, 2)
		if err != nil {
			return nil, err
		}
		if !ok {
			n = -1
		}
		return strings.Replace(s, pyStr(args[0]), pyStr(args[1]), n), nil
	case "join":
		if err := argCount(name, args, 1, 1); err != nil {
			return nil, err
		}
		return joinValues(args[0], s)
	}
	return nil, fmt.Errorf("'str' object has no method '%s'", name)
}

// stringMethod1 handles the methods that take at most one argument.
func stringMethod1(s, name string, args []any) (any, error) {
	if err := argCount(name, args, 0, 1); err != nil {
		return nil, err
	}
	var arg any
	if len(args) == 1 {
		arg = args[0]
	}
	switch name {
	case "strip", "lstrip", "rstrip":
		return stripString(s, name, arg)
	case "startswith", "endswith":
		return affix(s, name, arg)
	case "lower":
		return strings.ToLower(s), nil
	case "upper":
		return strings.ToUpper(s), nil
	}
	return capitalize(s), nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

func stripString(s, name string, chars any) (any, error) {
	cut := " \t\n\r\f\v"
	if chars != nil {
		c, err := strArg(name, chars)
		if err != nil {
			return nil, err
		}
		cut = c
	}
	switch name {
	case "lstrip":
		return strings.TrimLeft(s, cut), nil
	case "rstrip":
		return strings.TrimRight(s, cut), nil
	}
	return strings.Trim(s, cut), nil
}

// affix is startswith/endswith, with a string or a list of alternatives.
func affix(s, name string, arg any) (any, error) {
	check := strings.HasPrefix
	if name == "endswith" {
		check = strings.HasSuffix
	}
	alts, isList := asList(arg)
	if !isList {
		alts = []any{arg}
	}
	for _, a := range alts {
		as, err := strArg(name, a)
		if err != nil {
			return nil, err
		}
		if check(s, as) {
			return true, nil
		}
	}
	return false, nil
}

func mapMethod(m map[string]any, name string, args []any) (any, error) {
	switch name {
	case "keys", "values", "items":
		if err := argCount(name, args, 0, 0); err != nil {
			return nil, err
		}
		keys := dictKeys(m)
		out := make([]any, len(keys))
		for i, k := range keys {
			switch name {
			case "keys":
				out[i] = k
			case "values":
				out[i] = m[k]
			default:
				out[i] = []any{k, m[k]}
			}
		}
		return out, nil
	case "get":
		if err := argCount(name, args, 1, 2); err != nil {
			return nil, err
		}
		if v, ok := m[pyStr(args[0])]; ok {
			return v, nil
		}
		if len(args) == 2 {
			return args[1], nil
		}
		return nil, nil
	}
	return nil, fmt.Errorf("'dict' object has no method '%s'", name)
}

// joinValues joins the items of a list as Jinja's join does (str() of each).
func joinValues(v any, sep string) (any, error) {
	items, err := iterate(v)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	for i, item := range items {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(pyStr(item))
		if b.Len() > maxStringLen {
			return nil, errTooLong
		}
	}
	return b.String(), nil
}
