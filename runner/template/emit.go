package template

import (
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The translation to expr source keeps three name spaces apart so that a
// playbook variable called `int` or `date` can never hit an expr builtin:
//
//	h_var(s_scope, "NAME")  a variable of the playbook, read lazily (lazy.go)
//	f_NAME  a Jinja filter, t_NAME a Jinja test, g_NAME a global function
//	h_NAME  an operator or access helper, l_N a temporary from `let`
//
// Every helper checks its arguments for undefined values, except the guards
// (default, is defined, attribute access), which is how `foo | default(1)`
// stays lazy while any other use of a missing foo fails.
type emitter struct {
	b        strings.Builder
	vars     []string       // variable names in first-use order
	firstPos map[string]int // where each is first read, as an offset in the whole source
	base     int            // offset of the expression being emitted; -1 when unknown
	lets     int
}

// newEmitter starts a translation of an expression found at offset base of
// its source (-1 when its position is not tracked).
func newEmitter(base int) *emitter { return &emitter{firstPos: map[string]int{}, base: base} }

func (e *emitter) w(s string) { e.b.WriteString(s) }

func (e *emitter) addVar(name string, pos int) {
	if _, seen := e.firstPos[name]; !seen {
		e.firstPos[name] = -1
		if e.base >= 0 {
			e.firstPos[name] = e.base + pos
		}
		e.vars = append(e.vars, name)
	}
}

func (e *emitter) newLet() string {
	e.lets++
	return "l_" + strconv.Itoa(e.lets)
}

func (e *emitter) emit(n node) {
	switch n := n.(type) {
	case *litNode:
		e.literal(n.val)
	case *scopeNode:
		e.w(scopeKey)
	case *nameNode:
		e.addVar(n.name, n.pos)
		e.w("h_var(" + scopeKey + ", " + strconv.Quote(n.name) + ")")
	case *listNode:
		e.call("h_list", n.items...)
	case *dictNode:
		pairs := make([]node, 0, 2*len(n.keys))
		for i := range n.keys {
			pairs = append(pairs, n.keys[i], n.vals[i])
		}
		e.call("h_dict", pairs...)
	case *getNode:
		e.w("h_get(")
		e.emit(n.obj)
		e.w(", ")
		e.emit(n.key)
		e.w(", " + strconv.Quote(describe(n.obj)) + ")")
	case *sliceNode:
		e.call("h_slice", n.obj, orNone(n.lo), orNone(n.hi), orNone(n.step))
	case *callNode:
		args := n.args
		if isLookupFunc(n.fn) { // lookups read variables: pass the scope first
			args = append([]node{&scopeNode{}}, args...)
		}
		e.callKw("g_"+n.fn, args, n.kwargs)
	case *dynCallNode:
		e.dynCall(n)
	case *methodNode:
		e.callKw("h_method", append([]node{n.obj, &litNode{val: n.name}}, n.args...), n.kwargs)
	case *filterNode:
		e.callKw(filterFuncName(n.name), append([]node{n.target}, n.args...), n.kwargs)
	case *testNode:
		if n.negated {
			e.w("!")
		}
		e.callKw("t_"+n.name, append([]node{n.target}, n.args...), n.kwargs)
	case *unaryNode:
		e.unary(n)
	case *binaryNode:
		e.binary(n)
	case *compareNode:
		e.compare(n)
	case *condNode:
		e.w("(")
		e.boolExpr(n.cond)
		e.w(" ? ")
		e.emit(n.then)
		e.w(" : ")
		if n.els == nil {
			e.w(`""`) // Jinja renders a missing else as empty
		} else {
			e.emit(n.els)
		}
		e.w(")")
	}
}

func orNone(n node) node {
	if n == nil {
		return &litNode{val: nil}
	}
	return n
}

func (e *emitter) literal(v any) {
	switch x := v.(type) {
	case nil:
		e.w("nil")
	case bool:
		e.w(strconv.FormatBool(x))
	case int:
		e.w(strconv.Itoa(x))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEn") { // keep 1.0 a float for expr
			s += ".0"
		}
		e.w(s)
	case string:
		if utf8.ValidString(x) {
			e.w(strconv.Quote(x))
		} else { // expr string literals are UTF-8; carry raw bytes safely
			e.w("h_b64(" + strconv.Quote(base64.StdEncoding.EncodeToString([]byte(x))) + ")")
		}
	}
}

func (e *emitter) call(fn string, args ...node) {
	e.callKw(fn, args, nil)
}

// callKw emits fn(args..., h_kw("name", value)...).
func (e *emitter) callKw(fn string, args []node, kwargs []kwarg) {
	e.w(fn + "(")
	for i, a := range args {
		if i > 0 {
			e.w(", ")
		}
		e.emit(a)
	}
	for i, kw := range kwargs {
		if i > 0 || len(args) > 0 {
			e.w(", ")
		}
		e.w("h_kw(" + strconv.Quote(kw.name) + ", ")
		e.emit(kw.val)
		e.w(")")
	}
	e.w(")")
}

// isBool reports whether n always yields a bool, so that expr's native
// &&, || and ! can be used without a truthiness conversion.
func isBool(n node) bool {
	switch n := n.(type) {
	case *compareNode, *testNode:
		return true
	case *unaryNode:
		return n.op == "not"
	case *litNode:
		_, ok := n.val.(bool)
		return ok
	case *binaryNode:
		return (n.op == "and" || n.op == "or") && isBool(n.l) && isBool(n.r)
	}
	return false
}

func (e *emitter) boolExpr(n node) {
	if isBool(n) {
		e.emit(n)
		return
	}
	e.call("h_bool", n)
}

func (e *emitter) unary(n *unaryNode) {
	switch n.op {
	case "not":
		e.w("!")
		e.boolExpr(n.x)
	case "-":
		e.call("h_neg", n.x)
	default:
		e.call("h_pos", n.x)
	}
}

var arithHelpers = map[string]string{"+": "h_add", "-": "h_sub", "*": "h_mul", "/": "h_div",
	"//": "h_floordiv", "%": "h_mod", "**": "h_pow", "~": "h_cat"}

// binary emits arithmetic through helpers and Jinja's and/or, which return
// one of their operands (x or 'default'), through a let-bound temporary.
func (e *emitter) binary(n *binaryNode) {
	if fn, ok := arithHelpers[n.op]; ok {
		e.call(fn, n.l, n.r)
		return
	}
	and := n.op == "and"
	e.w("(")
	switch {
	case isBool(n.l) && isBool(n.r):
		e.emit(n.l)
		e.w(map[bool]string{true: " && ", false: " || "}[and])
		e.emit(n.r)
	case isBool(n.l):
		e.emit(n.l)
		if and {
			e.w(" ? ")
			e.emit(n.r)
			e.w(" : false")
		} else {
			e.w(" ? true : ")
			e.emit(n.r)
		}
	default:
		t := e.newLet()
		e.w("let " + t + " = ")
		e.emit(n.l)
		e.w("; h_bool(" + t + ") ? ")
		if and {
			e.emit(n.r)
			e.w(" : " + t)
		} else {
			e.w(t + " : ")
			e.emit(n.r)
		}
	}
	e.w(")")
}

var compareHelpers = map[string]string{"==": "h_eq", "!=": "!h_eq", "<": "h_lt", ">": "h_gt",
	"<=": "h_le", ">=": "h_ge", "in": "h_in", "not in": "!h_in"}

// compare emits a < b, and a chain a < b < c as (a < b) and (b < c) with b
// evaluated once.
func (e *emitter) compare(n *compareNode) {
	e.compareChain(func() { e.emit(n.first) }, n, 0)
}

func (e *emitter) compareChain(left func(), n *compareNode, i int) {
	fn := compareHelpers[n.ops[i]]
	if i == len(n.ops)-1 {
		e.w(fn + "(")
		left()
		e.w(", ")
		e.emit(n.rest[i])
		e.w(")")
		return
	}
	t := e.newLet()
	e.w("(let " + t + " = ")
	e.emit(n.rest[i])
	e.w("; " + fn + "(")
	left()
	e.w(", " + t + ") && ")
	e.compareChain(func() { e.w(t) }, n, i+1)
	e.w(")")
}

// describe names an expression for error messages: a, a.b, a['b'], a[0].
func describe(n node) string {
	switch n := n.(type) {
	case *nameNode:
		return n.name
	case *getNode:
		if lit, ok := n.key.(*litNode); ok {
			if s, ok := lit.val.(string); ok && n.attr {
				return describe(n.obj) + "." + s
			}
			return describe(n.obj) + "[" + pyRepr(lit.val) + "]"
		}
		return describe(n.obj) + "[...]"
	case *litNode:
		return pyRepr(n.val)
	}
	return "value"
}
