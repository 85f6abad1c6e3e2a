package template

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// kwArg is a keyword argument (name=value) passed to a filter or function.
type kwArg struct {
	name string
	val  any
}

// fn is the shape of every function registered with expr.
type fn = func(params ...any) (any, error)

// strict wraps a helper so that any undefined argument is reported instead
// of being used.
func strict(f fn) fn {
	return func(params ...any) (any, error) {
		for _, p := range params {
			if u, ok := p.(*undefined); ok {
				return nil, u.err()
			}
		}
		return f(params...)
	}
}

// Limits that keep hostile templates from exhausting memory.
const (
	maxStringLen = 16 << 20 // longest string a repetition or the output may build
	maxRange     = 1 << 20  // most items range() may produce
	maxLoopIters = 1 << 18  // most for-loop iterations in one render
)

// helpers are the operators and access helpers used by translated code.
// Guard helpers (h_get) see undefined values; the rest are strict.
func helpers() map[string]fn {
	return map[string]fn{
		"h_get":      hGet,
		"h_var":      hVar,
		"h_list":     strict(hList),
		"h_dict":     strict(hDict),
		"h_slice":    strict(hSlice),
		"h_method":   strict(hMethod),
		"h_kw":       strict(hKw),
		"h_bool":     strict(func(p ...any) (any, error) { return truthy(p[0]), nil }),
		"h_neg":      strict(hNeg),
		"h_pos":      strict(hPos),
		"h_add":      strict(hAdd),
		"h_sub":      strict(arith("-")),
		"h_mul":      strict(hMul),
		"h_div":      strict(arith("/")),
		"h_floordiv": strict(arith("//")),
		"h_mod":      strict(hMod),
		"h_pow":      strict(arith("**")),
		"h_cat":      strict(hConcat),
		"h_concat":   strict(hConcat),
		"h_output":   strict(hOutput),
		"h_eq":       strict(func(p ...any) (any, error) { return equal(p[0], p[1]), nil }),
		"h_lt":       strict(ordered(func(c int) bool { return c < 0 })),
		"h_le":       strict(ordered(func(c int) bool { return c <= 0 })),
		"h_gt":       strict(ordered(func(c int) bool { return c > 0 })),
		"h_ge":       strict(ordered(func(c int) bool { return c >= 0 })),
		"h_in":       strict(func(p ...any) (any, error) { return contains(p[1], p[0]) }),
		"h_b64":      hB64,
		"h_call":     hCall,
		"h_kwl":      hKwLazy,
	}
}

func hList(p ...any) (any, error) {
	return append([]any(nil), p...), nil // expr reuses p: copy it
}

func hDict(p ...any) (any, error) {
	m := keyorder.NewBuilder(len(p) / 2)
	for i := 0; i+1 < len(p); i += 2 {
		k, ok := p[i].(string)
		if !ok {
			k = pyStr(p[i])
		}
		m.Put(k, p[i+1])
	}
	return m.Map(), nil
}

func hKw(p ...any) (any, error) { return kwArg{name: p[0].(string), val: p[1]}, nil }

func hB64(p ...any) (any, error) {
	b, err := base64.StdEncoding.DecodeString(p[0].(string))
	return string(b), err
}

// hGet is a.b, a['b'] and a[0]. A missing key yields an undefined value
// (an error only once used), so that default() and `is defined` can guard it.
func hGet(p ...any) (any, error) {
	obj, key, desc := p[0], p[1], p[2].(string)
	if u, ok := key.(*undefined); ok {
		return nil, u.err()
	}
	if u, ok := obj.(*undefined); ok {
		return u, nil
	}
	if v, ok := lookupKey(obj, key); ok {
		return v, nil
	}
	root := desc
	if i := strings.IndexAny(desc, ".["); i >= 0 {
		root = desc[:i]
	}
	if obj == nil {
		return &undefined{name: root, msg: fmt.Sprintf("'%s' is None and has no attribute %s", desc, pyRepr(key))}, nil
	}
	what := "attribute"
	if _, isList := asList(obj); isList {
		what = "item"
	}
	return &undefined{name: root, msg: fmt.Sprintf("'%s' has no %s %s", desc, what, pyRepr(key))}, nil
}

// lookupKey finds key in a map, list (negative index from the end) or string.
func lookupKey(obj, key any) (any, bool) {
	switch o := obj.(type) {
	case map[string]any:
		if k, ok := key.(string); ok {
			v, ok := o[k]
			return v, ok
		}
		if isNumber(key) {
			v, ok := o[pyStr(key)]
			return v, ok
		}
		return nil, false
	case map[string]string:
		v, ok := o[pyStr(key)]
		return v, ok
	case map[any]any:
		v, ok := o[key]
		return v, ok
	case groupTuple:
		if name, ok := key.(string); ok {
			return o.field(name)
		}
	case pyDatetime, pyTimedelta:
		return dateField(o, key)
	case *loopVar:
		return o.field(key)
	case *templateRef:
		k, _ := key.(string)
		return o.block(k)
	case *tmplModule:
		k, _ := key.(string)
		v, ok := o.vars[k]
		return v, ok
	case *namespace:
		k, _ := key.(string)
		v, ok := o.vars[k]
		return v, ok
	case string:
		i, _, isInt, ok := number(key)
		if !ok || !isInt {
			return nil, false
		}
		r := []rune(o)
		if i < 0 {
			i += len(r)
		}
		if i < 0 || i >= len(r) {
			return nil, false
		}
		return string(r[i]), true
	}
	if l, ok := asList(obj); ok {
		i, _, isInt, ok := number(key)
		if !ok || !isInt {
			return nil, false
		}
		if i < 0 {
			i += len(l)
		}
		if i < 0 || i >= len(l) {
			return nil, false
		}
		return l[i], true
	}
	if m, ok := asMap(obj); ok {
		v, ok := m[pyStr(key)]
		return v, ok
	}
	return nil, false
}

// hSlice is Python's a[lo:hi:step] on lists and strings.
func hSlice(p ...any) (any, error) {
	obj := p[0]
	if s, ok := obj.(string); ok {
		r := []rune(s)
		items := make([]any, len(r))
		for i, c := range r {
			items[i] = string(c)
		}
		out, err := sliceList(items, p[1], p[2], p[3])
		if err != nil {
			return nil, err
		}
		var b strings.Builder
		for _, c := range out {
			b.WriteString(c.(string))
		}
		return b.String(), nil
	}
	l, ok := asList(obj)
	if !ok {
		return nil, fmt.Errorf("'%s' object cannot be sliced", typeName(obj))
	}
	return sliceList(l, p[1], p[2], p[3])
}

func sliceList(l []any, lo, hi, step any) ([]any, error) {
	st := 1
	if step != nil {
		s, _, isInt, ok := number(step)
		if !ok || !isInt || s == 0 {
			return nil, errors.New("slice step must be a non-zero integer")
		}
		st = s
	}
	n := len(l)
	bound := func(v any, def int) (int, error) {
		if v == nil {
			return def, nil
		}
		i, _, isInt, ok := number(v)
		if !ok || !isInt {
			return 0, errors.New("slice indices must be integers or None")
		}
		if i < 0 {
			i += n
		}
		lowest, highest := 0, n
		if st < 0 {
			lowest, highest = -1, n-1
		}
		return min(max(i, lowest), highest), nil
	}
	defLo, defHi := 0, n
	if st < 0 {
		defLo, defHi = n-1, -1
	}
	start, err := bound(lo, defLo)
	if err != nil {
		return nil, err
	}
	stop, err := bound(hi, defHi)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for i := start; (st > 0 && i < stop) || (st < 0 && i > stop); i += st {
		out = append(out, l[i])
	}
	return out, nil
}

func hNeg(p ...any) (any, error) {
	if x, ok := p[0].(*big.Int); ok {
		return normBig(new(big.Int).Neg(x)), nil
	}
	i, f, isInt, ok := number(p[0])
	if !ok {
		return nil, fmt.Errorf("bad operand type for unary -: '%s'", typeName(p[0]))
	}
	if isInt {
		return -i, nil
	}
	return -f, nil
}

func hPos(p ...any) (any, error) {
	if !isNumber(p[0]) {
		return nil, fmt.Errorf("bad operand type for unary +: '%s'", typeName(p[0]))
	}
	return p[0], nil
}

// hAdd adds numbers, concatenates strings and lists.
func hAdd(p ...any) (any, error) {
	a, b := p[0], p[1]
	if sa, ok := a.(string); ok {
		if sb, ok := b.(string); ok {
			if len(sa)+len(sb) > maxStringLen {
				return nil, errTooLong
			}
			return sa + sb, nil
		}
	}
	if la, ok := asList(a); ok {
		if lb, ok := asList(b); ok {
			return append(append(make([]any, 0, len(la)+len(lb)), la...), lb...), nil
		}
	}
	return arith("+")(a, b)
}

var errTooLong = fmt.Errorf("result longer than %d bytes", maxStringLen)

// hMul multiplies numbers and repeats a string or list n times.
func hMul(p ...any) (any, error) {
	a, b := p[0], p[1]
	if isNumber(a) && !isNumber(b) {
		a, b = b, a
	}
	n, _, isInt, ok := number(b)
	if s, isStr := a.(string); isStr && ok && isInt {
		if n > 0 && n > maxStringLen/max(len(s), 1) {
			return nil, errTooLong
		}
		return strings.Repeat(s, max(n, 0)), nil
	}
	if l, isList := asList(a); isList && ok && isInt {
		if n > 0 && n > maxRange/max(len(l), 1) {
			return nil, fmt.Errorf("list repetition longer than %d items", maxRange)
		}
		out := []any{}
		for range max(n, 0) {
			out = append(out, l...)
		}
		return out, nil
	}
	return arith("*")(p[0], p[1])
}

// hMod is the modulo of numbers and Python's "%s" % value formatting.
func hMod(p ...any) (any, error) {
	if format, ok := p[0].(string); ok {
		args, isList := asList(p[1])
		if !isList {
			args = []any{p[1]}
		}
		return pyFormat(format, args)
	}
	return arith("%")(p...)
}

// arith applies a numeric operator with Python's int/float rules.
func arith(op string) fn {
	return func(p ...any) (any, error) {
		if out, ok, err := bigArith(op, p[0], p[1]); ok {
			return out, err
		}
		if out, ok, err := dateSub(p[0], p[1]); ok && op == "-" {
			return out, err
		}
		ai, af, aInt, aok := number(p[0])
		bi, bf, bInt, bok := number(p[1])
		if !aok || !bok {
			return nil, fmt.Errorf("unsupported operand types for %s: '%s' and '%s'", op, typeName(p[0]), typeName(p[1]))
		}
		if aInt && bInt && intOverflows(op, ai, bi) && !(op == "**" && bi < 0) {
			return exactArith(op, big.NewInt(int64(ai)), big.NewInt(int64(bi)))
		}
		if aInt && bInt {
			return intArith(op, ai, bi)
		}
		return floatArith(op, af, bf)
	}
}

var errDivZero = errors.New("division by zero")

func intArith(op string, a, b int) (any, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "/":
		if b == 0 {
			return nil, errDivZero
		}
		return float64(a) / float64(b), nil
	case "//":
		if b == 0 {
			return nil, errDivZero
		}
		q := a / b
		if (a%b != 0) && ((a < 0) != (b < 0)) {
			q--
		}
		return q, nil
	case "%":
		if b == 0 {
			return nil, errDivZero
		}
		m := a % b
		if m != 0 && (m < 0) != (b < 0) {
			m += b
		}
		return m, nil
	}
	return math.Pow(float64(a), float64(b)), nil // "**" with a negative exponent, as in Python
}

func floatArith(op string, a, b float64) (any, error) {
	switch op {
	case "+":
		return a + b, nil
	case "-":
		return a - b, nil
	case "*":
		return a * b, nil
	case "**":
		return math.Pow(a, b), nil
	}
	if b == 0 {
		return nil, errDivZero
	}
	switch op {
	case "/":
		return a / b, nil
	case "//":
		return math.Floor(a / b), nil
	}
	m := math.Mod(a, b) // "%"
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m, nil
}

// hConcat is Jinja's ~ and the joining of a template's text and values.
func hConcat(p ...any) (any, error) {
	var b strings.Builder
	for _, v := range p {
		if s, ok := v.(string); ok {
			b.WriteString(s)
		} else {
			b.WriteString(pyStr(v))
		}
		if b.Len() > maxStringLen {
			return nil, errTooLong
		}
	}
	return b.String(), nil
}

// hOutput joins a template's text and {{ }} values; like Ansible's
// finalize, a None value prints as nothing.
func hOutput(p ...any) (any, error) {
	for i, v := range p {
		if v == nil {
			p[i] = ""
		}
	}
	return hConcat(p...)
}

func ordered(ok func(int) bool) fn {
	return func(p ...any) (any, error) {
		c, err := compare(p[0], p[1])
		if err != nil {
			return nil, err
		}
		return ok(c), nil
	}
}

// contains is Jinja's `in`: a substring, a list member or a map key.
func contains(container, item any) (bool, error) {
	switch c := container.(type) {
	case string:
		s, ok := item.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires a string on the left, not '%s'", typeName(item))
		}
		return strings.Contains(c, s), nil
	case map[string]any:
		k, ok := item.(string)
		if !ok {
			k = pyStr(item)
		}
		_, found := c[k]
		return found, nil
	}
	if l, ok := asList(container); ok {
		for _, v := range l {
			if equal(v, item) {
				return true, nil
			}
		}
		return false, nil
	}
	if m, ok := asMap(container); ok {
		_, found := m[pyStr(item)]
		return found, nil
	}
	return false, fmt.Errorf("argument of type '%s' is not iterable", typeName(container))
}
