package template

import (
	"fmt"
	"github.com/ferry-sh/ferry/internal/pyrepr"
	"math/big"
	"reflect"
	"strings"
)

// undefined stands for a variable or attribute that does not exist. It flows
// through attribute access (so that foo.bar | default(1) works when foo is
// missing) and becomes an error at the first place that uses it.
type undefined struct {
	name string // the top-level variable involved
	msg  string // Ansible-style: 'foo' is undefined
}

// UndefinedError reports the use of a variable or attribute that does not
// exist. Name is the top-level variable involved.
type UndefinedError struct {
	Name string
	Msg  string
}

func (e *UndefinedError) Error() string { return e.Msg }

func (u *undefined) err() error { return &UndefinedError{Name: u.name, Msg: u.msg} }

func undefinedVar(name string) *undefined {
	return &undefined{name: name, msg: fmt.Sprintf("'%s' is undefined (undefined variable %q)", name, name)}
}

// defined returns an error when v is undefined.
func defined(v any) error {
	if u, ok := v.(*undefined); ok {
		return u.err()
	}
	return nil
}

// truthy is Python truthiness, which Jinja uses for if, and, or, not.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case float64:
		return x != 0
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	case *undefined:
		return false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return rv.Len() > 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.Bool:
		return rv.Bool()
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}

// number returns v as an int or a float64 (bools count as 0 and 1, as in
// Python); ok is false for anything else.
func number(v any) (i int, f float64, isInt bool, ok bool) {
	switch x := v.(type) {
	case int:
		return x, float64(x), true, true
	case float64:
		return 0, x, false, true
	case bool:
		if x {
			return 1, 1, true, true
		}
		return 0, 0, true, true
	case int64:
		return int(x), float64(x), true, true
	case int32:
		return int(x), float64(x), true, true
	case float32:
		return 0, float64(x), false, true
	case uint64:
		return int(x), float64(x), true, true
	case *big.Int: // too large for int: counts as a number, compared as a float
		return 0, bigFloat(x), false, true
	case uint:
		return int(x), float64(x), true, true
	case int8, int16, uint8, uint16, uint32:
		n := reflect.ValueOf(v).Convert(reflect.TypeOf(0)).Interface().(int)
		return n, float64(n), true, true
	}
	return 0, 0, false, false
}

func isNumber(v any) bool {
	if _, ok := v.(bool); ok {
		return false
	}
	_, _, _, ok := number(v)
	return ok
}

// typeName names v's type the way Python would, for error messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case string:
		return "str"
	case *undefined:
		return "AnsibleUndefined"
	case *big.Int:
		return "int"
	case pyDatetime:
		return "datetime"
	case pyTimedelta:
		return "timedelta"
	case *callable:
		return "Macro"
	case *loopVar:
		return "LoopContext"
	case *tmplModule:
		return "TemplateModule"
	case *namespace:
		return "Namespace"
	}
	if isNumber(v) {
		if _, _, isInt, _ := number(v); isInt {
			return "int"
		}
		return "float"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// asList returns v as a list when it is one (any slice type).
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case nil, string, map[string]any:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, false
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, true
}

// asMap returns v as a map with string keys when it is a map.
func asMap(v any) (map[string]any, bool) {
	switch x := v.(type) {
	case map[string]any:
		return x, true
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out, true
	case nil, string, []any:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return nil, false
	}
	out := make(map[string]any, rv.Len())
	iter := rv.MapRange()
	for iter.Next() {
		out[pyStr(iter.Key().Interface())] = iter.Value().Interface()
	}
	return out, true
}

// iterate returns the items a for loop or a filter walks over: list items,
// sorted map keys (Go maps keep no order), or a string's characters.
func iterate(v any) ([]any, error) {
	if l, ok := asList(v); ok {
		return l, nil
	}
	if m, ok := asMap(v); ok {
		keys := dictKeys(m)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	}
	if s, ok := v.(string); ok {
		out := make([]any, 0, len(s))
		for _, r := range s {
			out = append(out, string(r))
		}
		return out, nil
	}
	if err := defined(v); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("'%s' object is not iterable", typeName(v))
}

// equal is Python ==: numbers compare across int and float, lists and maps
// compare deeply.
func equal(a, b any) bool {
	if eq, ok := bigEqual(a, b); ok {
		return eq
	}
	if c, ok := dateCompare(a, b); ok {
		return c == 0
	}
	if ai, af, aInt, ok := number(a); ok {
		bi, bf, bInt, ok := number(b)
		if !ok {
			return false
		}
		if aInt && bInt {
			return ai == bi
		}
		return af == bf
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	}
	if la, ok := asList(a); ok {
		lb, ok := asList(b)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !equal(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	if ma, ok := asMap(a); ok {
		mb, ok := asMap(b)
		if !ok || len(ma) != len(mb) {
			return false
		}
		for k, va := range ma {
			vb, ok := mb[k]
			if !ok || !equal(va, vb) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// compare orders two values like Python's <: numbers, strings, and lists
// element by element. Other pairs are an error, as in Python 3.
func compare(a, b any) (int, error) {
	if c, ok := dateCompare(a, b); ok {
		return c, nil
	}
	if _, af, aInt, ok := number(a); ok {
		if _, bf, bInt, ok := number(b); ok {
			if aInt && bInt {
				ai, _, _, _ := number(a)
				bi, _, _, _ := number(b)
				return cmpOrdered(ai, bi), nil
			}
			return cmpOrdered(af, bf), nil
		}
	}
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			return strings.Compare(sa, sb), nil
		}
	}
	if la, ok := asList(a); ok {
		if lb, ok := asList(b); ok {
			for i := 0; i < len(la) && i < len(lb); i++ {
				c, err := compare(la[i], lb[i])
				if err != nil || c != 0 {
					return c, err
				}
			}
			return cmpOrdered(len(la), len(lb)), nil
		}
	}
	return 0, fmt.Errorf("cannot compare '%s' and '%s' with < or >", typeName(a), typeName(b))
}

func cmpOrdered[T int | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// py prints values as Jinja does: the template's own types (Undefined,
// other number, slice and map types) made plain first. (A function, not a
// variable: plainValue itself prints a map's non-string keys.)
func py() pyrepr.Printer { return pyrepr.Printer{Plain: plainValue, MaxDepth: maxDepth} }

// pyStr formats a value the way Jinja prints it into text: True/False,
// None, Python reprs for lists and dicts.
func pyStr(v any) string { return py().Str(v) }

// pyRepr is Python's repr(): strings quoted, containers recursively.
func pyRepr(v any) string { return py().Repr(v) }

// pyFloat formats a float like Python's repr: 1.0, 0.1, 1e-05, 1e+16.
func pyFloat(f float64) string { return pyrepr.Float(f) }

// plainValue is v as one of the types pyrepr prints.
func plainValue(v any) any {
	switch v.(type) {
	case nil, bool, int, float64, *big.Int, string, []any, map[string]any:
		return v
	case *undefined:
		return pyrepr.Raw("Undefined")
	}
	if i, f, isInt, ok := number(v); ok {
		if isInt {
			return i
		}
		return f
	}
	if l, ok := asList(v); ok {
		return l
	}
	if m, ok := asMap(v); ok {
		return m
	}
	return v
}
