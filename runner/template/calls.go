package template

import (
	"fmt"
	"strconv"
)

// dynCallNode is a call of a value a template binds at run time: a macro,
// caller(), super(), a recursive loop(...), loop.cycle(...), or a macro of
// an imported template (forms.field(...)).
type dynCallNode struct {
	pos    int
	callee node
	args   []node
	kwargs []kwarg
}

func (n *dynCallNode) position() int { return n.pos }

// calledName is a name a template calls (name(...), or name.method(...)
// of a method strings and dicts lack), at its offset in the template.
type calledName struct {
	name, method string
	pos          int
}

// callable is a value a template can call.
type callable struct {
	name string
	fn   func(args []any, kw []kwArg) (any, error)
}

func (c *callable) call(args []any, kw []kwArg) (any, error) { return c.fn(args, kw) }

// callee is a value a template can call: a callable, or a recursive loop.
type callee interface {
	call(args []any, kw []kwArg) (any, error)
}

// hCall calls p[0] with the rest as arguments (h_kw pairs last). The
// arguments may be undefined: a macro passes them on, as Jinja does.
func hCall(p ...any) (any, error) {
	c, ok := p[0].(callee)
	if !ok {
		if u, ok := p[0].(*undefined); ok {
			return nil, u.err()
		}
		return nil, fmt.Errorf("'%s' object is not callable", typeName(p[0]))
	}
	var args []any
	var kw []kwArg
	for _, a := range p[1:] {
		if k, ok := a.(kwArg); ok {
			kw = append(kw, k)
		} else {
			args = append(args, a)
		}
	}
	return c.call(args, kw)
}

// hKwLazy is h_kw for a call of a callable: the value may be undefined.
func hKwLazy(p ...any) (any, error) { return kwArg{name: p[0].(string), val: p[1]}, nil }

func (e *emitter) dynCall(n *dynCallNode) {
	e.w("h_call(")
	e.emit(n.callee)
	for _, a := range n.args {
		e.w(", ")
		e.emit(a)
	}
	for _, kw := range n.kwargs {
		e.w(", h_kwl(" + strconv.Quote(kw.name) + ", ")
		e.emit(kw.val)
		e.w(")")
	}
	e.w(")")
}
