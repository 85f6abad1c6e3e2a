package template

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// Compiled forms of the statements of stmt.go.
type (
	cBlock struct {
		name             string
		scoped, required bool
		body             []cnode
	}
	cExtends struct{ name *program }
	cInclude struct {
		names         *program
		ignoreMissing bool
		withContext   bool
	}
	cImport struct {
		name        *program
		alias       string
		names       []importName
		withContext bool
	}
	cMacro struct {
		name     string
		params   []string
		defaults []*program
		body     []cnode
		// whether the body reads varargs, kwargs, caller: Jinja's macro
		// takes extra arguments and a caller only then.
		varargs, kwargs, caller bool
	}
	cCallBlock struct {
		call   *program
		caller *cMacro
	}
	cFilterBlock struct {
		filter *program
		body   []cnode
	}
	cSetBlock struct {
		name   string
		filter *program // nil without one
		body   []cnode
	}
	cWith struct {
		names []string
		vals  []*program
		body  []cnode
	}
)

// tmplModule is an imported template: its exported top-level macros and
// variables, as attributes.
type tmplModule struct {
	name string
	vars map[string]any
}

func (tc *templateCompiler) statement(n tnode) (cnode, error) {
	switch n := n.(type) {
	case *blockNode:
		body, err := tc.body(n.body)
		b := &cBlock{name: n.name, scoped: n.scoped, required: n.required, body: body}
		tc.blocks[n.name] = b
		return b, err
	case *extendsNode:
		p, err := tc.expr(n.name, "{% extends "+describe(n.name)+" %}")
		return &cExtends{name: p}, err
	case *includeNode:
		p, err := tc.expr(n.names, "{% include "+describe(n.names)+" %}")
		return &cInclude{names: p, ignoreMissing: n.ignoreMissing, withContext: n.withContext}, err
	case *importNode:
		p, err := tc.expr(n.name, "{% import "+describe(n.name)+" %}")
		return &cImport{name: p, alias: n.alias, names: n.names, withContext: n.withContext}, err
	case *macroNode:
		return tc.macro(n)
	case *callBlockNode:
		caller, err := tc.macro(n.caller)
		if err != nil {
			return nil, err
		}
		p, err := tc.expr(n.call, "{% call %}")
		return &cCallBlock{call: p, caller: caller}, err
	case *filterBlockNode:
		body, err := tc.body(n.body)
		if err != nil {
			return nil, err
		}
		p, err := tc.expr(n.filter, "{% filter %}")
		return &cFilterBlock{filter: p, body: body}, err
	case *setBlockNode:
		return tc.setBlock(n)
	case *withNode:
		return tc.with(n)
	}
	return nil, fmt.Errorf("internal error: unknown template node %T", n)
}

func (tc *templateCompiler) macro(n *macroNode) (*cMacro, error) {
	m := &cMacro{name: n.name, params: n.params, defaults: make([]*program, len(n.defaults))}
	for i, d := range n.defaults {
		if d == nil {
			continue
		}
		var err error
		if m.defaults[i], err = tc.expr(d, "{% macro "+n.name+" %}"); err != nil {
			return nil, err
		}
	}
	rc := newRefCollector()
	rc.template(n.body, map[string]bool{})
	reads := func(name string) bool { return rc.used[name] || rc.guarded[name] || rc.callees[name] }
	m.varargs, m.kwargs, m.caller = reads("varargs"), reads("kwargs"), reads("caller")
	var err error
	m.body, err = tc.body(n.body)
	return m, err
}

func (tc *templateCompiler) setBlock(n *setBlockNode) (cnode, error) {
	body, err := tc.body(n.body)
	if err != nil {
		return nil, err
	}
	c := &cSetBlock{name: n.name, body: body}
	if n.filter != nil {
		c.filter, err = tc.expr(n.filter, "{% set "+n.name+" %}")
	}
	return c, err
}

func (tc *templateCompiler) with(n *withNode) (cnode, error) {
	c := &cWith{names: n.names}
	for i, v := range n.vals {
		p, err := tc.expr(v, "{% with "+n.names[i]+" %}")
		if err != nil {
			return nil, err
		}
		c.vals = append(c.vals, p)
	}
	var err error
	c.body, err = tc.body(n.body)
	return c, err
}

// execStatement runs the statements of stmt.go.
func (st *renderState) execStatement(n cnode, l *layer) error {
	switch n := n.(type) {
	case *cBlock:
		if st.parent != nil {
			return nil
		}
		chain := st.blocks[n.name]
		if len(chain) == 0 {
			chain = []*cBlock{n}
		}
		return st.renderBlock(chain, 0, l)
	case *cExtends:
		return st.extends(n, l)
	case *cInclude:
		if st.parent != nil {
			return nil
		}
		return st.include(n, l)
	case *cImport:
		return st.importTemplate(n, l)
	case *cMacro:
		l.vars[n.name] = st.macro(n, l)
	case *cCallBlock:
		if st.parent != nil {
			return nil
		}
		inner := &layer{vars: map[string]any{callerVar: st.macro(n.caller, l)}, parent: l}
		v, err := n.call.run(inner)
		if err != nil {
			return err
		}
		st.b.WriteString(pyStr(v))
	case *cFilterBlock:
		if st.parent != nil {
			return nil
		}
		v, err := st.filtered(n.body, n.filter, l)
		if err == nil {
			st.b.WriteString(pyStr(v))
		}
		return err
	case *cSetBlock:
		v, err := st.filtered(n.body, n.filter, l)
		if err == nil {
			l.vars[n.name] = v
		}
		return err
	case *cWith:
		inner := &layer{vars: make(map[string]any, len(n.names)), parent: l}
		for i, p := range n.vals {
			v, err := p.run(l)
			if err != nil {
				return err
			}
			inner.vars[n.names[i]] = v
		}
		return st.exec(n.body, inner)
	default:
		return fmt.Errorf("internal error: unknown compiled node %T", n)
	}
	return nil
}

// sub is a state that renders into its own output (a macro's, a block's
// super()) with this one's blocks, top-level scope and limits.
func (st *renderState) sub() *renderState {
	return &renderState{ctx: st.ctx, blocks: st.blocks, root: st.root}
}

var errNesting = fmt.Errorf("templates nested more than %d deep (a macro calling itself, a template including itself?)", maxNesting)

// nested runs f one level deeper, refusing to go beyond maxNesting.
func (st *renderState) nested(f func() error) error {
	if err := st.enter(); err != nil {
		return err
	}
	defer func() { st.ctx.depth-- }()
	return f()
}

// enter counts one more level and entry into a template, macro or block,
// within the bounds that keep a render's time bounded (a macro calling
// itself twice at each level would otherwise run 2^depth times).
func (st *renderState) enter() error {
	st.ctx.entries++
	switch {
	case st.ctx.depth >= maxNesting:
		return errNesting
	case st.ctx.entries > maxEntries:
		return fmt.Errorf("templates made more than %d macro calls, includes and imports in one render", maxEntries)
	}
	st.ctx.depth++
	return nil
}

// filtered renders body and applies filter (when set) to the text.
func (st *renderState) filtered(body []cnode, filter *program, l *layer) (any, error) {
	sub := st.sub()
	if err := sub.exec(body, l); err != nil {
		return nil, err
	}
	if filter == nil {
		return sub.b.String(), nil
	}
	return filter.run(&layer{vars: map[string]any{bodyVar: sub.b.String()}, parent: l})
}

// renderBlock renders chain[i], the most derived definition of a block
// first, where super() renders the next. A block sees the template's
// top-level variables, and the enclosing ones only when scoped.
func (st *renderState) renderBlock(chain []*cBlock, i int, l *layer) error {
	b := chain[i]
	if b.required {
		return fmt.Errorf("Required block '%s' not found", b.name)
	}
	base := st.root
	if b.scoped || base == nil {
		base = l
	}
	super := &callable{name: "super", fn: func([]any, []kwArg) (any, error) {
		if i+1 >= len(chain) {
			return nil, fmt.Errorf("there is no parent block called '%s'", b.name)
		}
		sub := st.sub()
		err := st.nested(func() error { return sub.renderBlock(chain, i+1, l) })
		return sub.b.String(), err
	}}
	return st.exec(b.body, &layer{vars: map[string]any{"super": super}, parent: base})
}

// selfVar is Jinja's self, the template's reference: self.name() renders
// block name (its most derived definition) to a string.
const selfVar = "self"

type templateRef struct{ st *renderState }

// block is self.name: a callable rendering the block, or false when the
// template has no block of that name.
func (r *templateRef) block(name string) (*callable, bool) {
	chain := r.st.blocks[name]
	if len(chain) == 0 {
		return nil, false
	}
	return &callable{name: name, fn: func([]any, []kwArg) (any, error) {
		sub := r.st.sub()
		err := r.st.nested(func() error { return sub.renderBlock(chain, 0, r.st.root) })
		return sub.b.String(), err
	}}, true
}

func (st *renderState) extends(n *cExtends, l *layer) error {
	if st.parent != nil {
		return &EvalError{Source: n.name.src, Err: fmt.Errorf("extended multiple times")}
	}
	v, err := n.name.run(l)
	if err != nil {
		return err
	}
	names, err := templateNames(v)
	if err == nil {
		st.parent, _, err = st.ctx.e.firstTemplate(names, st.ctx.dirs, st.ctx.env, false)
	}
	if err != nil {
		return &EvalError{Source: n.name.src, Err: err}
	}
	return nil
}

// renderTemplate renders t with root as its top-level scope: its body, then
// the body of the template it extends, and so on up, each block rendered
// from its most derived definition.
func (st *renderState) renderTemplate(t *compiledTemplate, root *layer) error {
	st.root = root
	root.vars[selfVar] = &templateRef{st}
	if err := st.enter(); err != nil {
		return err
	}
	defer func() { st.ctx.depth-- }()
	for cur := t; cur != nil; cur = st.parent {
		if len(cur.blocks) > 0 && st.blocks == nil {
			st.blocks = map[string][]*cBlock{}
		}
		for name, b := range cur.blocks {
			st.blocks[name] = append(st.blocks[name], b)
		}
		st.parent = nil
		if err := st.exec(cur.body, root); err != nil {
			return err
		}
	}
	return nil
}

// contextFor is the scope an included or imported template starts from:
// the current one, or nothing (Ansible's variables are Jinja's context,
// so a template imported without context sees none of them).
func contextFor(withContext bool, l *layer) *layer {
	if withContext {
		return &layer{vars: map[string]any{}, parent: l}
	}
	return &layer{vars: map[string]any{}, parent: emptyScope{}}
}

func (st *renderState) include(n *cInclude, l *layer) error {
	v, err := n.names.run(l)
	if err != nil {
		return err
	}
	names, err := templateNames(v)
	var t *compiledTemplate
	var path string
	if err == nil {
		t, path, err = st.ctx.e.firstTemplate(names, st.ctx.dirs, st.ctx.env, n.ignoreMissing)
	}
	if err != nil {
		return &EvalError{Source: n.names.src, Err: err}
	}
	if t == nil {
		return nil
	}
	sub := &renderState{ctx: st.ctx}
	if err := sub.renderTemplate(t, contextFor(n.withContext, l)); err != nil {
		return inTemplate(path, err)
	}
	st.b.WriteString(sub.b.String())
	return nil
}

func (st *renderState) importTemplate(n *cImport, l *layer) error {
	v, err := n.name.run(l)
	if err != nil {
		return err
	}
	name, ok := v.(string)
	if !ok {
		if err := defined(v); err != nil {
			return err
		}
		return &EvalError{Source: n.name.src, Err: fmt.Errorf("a template name must be a string, not '%s'", typeName(v))}
	}
	t, path, err := st.ctx.e.loadTemplate(name, st.ctx.dirs, st.ctx.env)
	if err != nil {
		return &EvalError{Source: n.name.src, Err: err}
	}
	root := contextFor(n.withContext, l)
	if err := (&renderState{ctx: st.ctx}).renderTemplate(t, root); err != nil {
		return inTemplate(path, err)
	}
	mod := &tmplModule{name: name, vars: map[string]any{}}
	for k, v := range root.vars {
		if !strings.HasPrefix(k, "_") && k != selfVar { // Jinja keeps names starting with _ private
			mod.vars[k] = v
		}
	}
	if n.alias != "" {
		l.vars[n.alias] = mod
		return nil
	}
	for _, imp := range n.names {
		v, ok := mod.vars[imp.name]
		if !ok {
			v = &undefined{name: imp.as, msg: fmt.Sprintf("the template '%s' does not export the requested name '%s'", name, imp.name)}
		}
		l.vars[imp.as] = v
	}
	return nil
}

// inTemplate places an error of an included or imported template in its
// file, once (the innermost file is the one that says where).
func inTemplate(path string, err error) error {
	var ie *includedError
	if errors.As(err, &ie) {
		return err
	}
	return &includedError{path: path, err: err}
}

type includedError struct {
	path string
	err  error
}

func (e *includedError) Error() string { return "in " + e.path + ": " + e.err.Error() }
func (e *includedError) Unwrap() error { return e.err }

// macro is the callable a {% macro %} defines, over the scope where it is
// defined.
func (st *renderState) macro(m *cMacro, closure *layer) *callable {
	return &callable{name: m.name, fn: func(args []any, kw []kwArg) (any, error) {
		l, err := m.bind(args, kw, closure)
		if err != nil {
			return nil, err
		}
		sub := st.sub()
		err = st.nested(func() error { return sub.exec(m.body, l) })
		return sub.b.String(), err
	}}
}

// bind binds a call's arguments to the macro's parameters as Jinja's
// Macro.__call__ does, in a new scope over closure.
func (m *cMacro) bind(args []any, kw []kwArg, closure *layer) (*layer, error) {
	if len(args) > len(m.params) && !m.varargs {
		return nil, fmt.Errorf("macro '%s' takes not more than %d argument(s)", m.name, len(m.params))
	}
	l := &layer{vars: make(map[string]any, len(m.params)+3), parent: closure}
	given := map[string]any{}
	extra := keyorder.NewBuilder(0)
	var caller any = &undefined{name: "caller", msg: "No caller defined"}
	for _, k := range kw {
		i := slices.Index(m.params, k.name)
		switch {
		case i >= 0 && i < len(args):
			return nil, fmt.Errorf("macro '%s' got multiple values for argument '%s'", m.name, k.name)
		case i >= 0:
			given[k.name] = k.val
		case k.name == "caller" && m.caller:
			caller = k.val
		case m.kwargs:
			extra.Put(k.name, k.val)
		case k.name == "caller":
			return nil, fmt.Errorf("macro '%s' was invoked with two values for the special caller argument", m.name)
		default:
			return nil, fmt.Errorf("macro '%s' takes no keyword argument '%s'", m.name, k.name)
		}
	}
	for i, p := range m.params {
		v, ok := given[p]
		switch {
		case i < len(args):
			v = args[i]
		case ok:
		case m.defaults[i] != nil:
			var err error
			if v, err = m.defaults[i].run(l); err != nil {
				return nil, err
			}
		default:
			v = &undefined{name: p, msg: fmt.Sprintf("parameter '%s' was not provided", p)}
		}
		l.vars[p] = v
	}
	if m.varargs {
		l.vars["varargs"] = append([]any{}, args[min(len(args), len(m.params)):]...)
	}
	if m.kwargs {
		l.vars["kwargs"] = extra.Map()
	}
	if m.caller {
		l.vars["caller"] = caller
	}
	return l, nil
}
