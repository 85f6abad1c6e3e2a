package template

import "sort"

// refCollector gathers the variables a template or expression reads.
type refCollector struct {
	used    map[string]bool // read where an undefined value is an error
	guarded map[string]bool // tested with `is defined`/`is undefined` somewhere
	effects bool            // a call may run a lookup with effects (see HasEffects)
	callees map[string]bool // names called as functions (macros, caller())
}

// Refs returns the top-level variables a template reads, sorted. Names only
// read under a guard (x | default(...), x is defined) are left out, and so is
// a name that the template tests with `foo is defined` anywhere (the
// author expects it may be missing), as are loop variables and {% set %} names.
func Refs(text string) (_ []string, err error) {
	defer recoverInternal(&err)
	if !hasTemplateSyntax(text) {
		return []string{}, nil
	}
	nodes, err := parseTemplate(text)
	if err != nil {
		return nil, syntaxError(text, 0, err)
	}
	rc := newRefCollector()
	rc.template(nodes, map[string]bool{})
	return rc.result(), nil
}

// ExprRefs is Refs for a bare expression (a when: condition).
func ExprRefs(src string) (_ []string, err error) {
	defer recoverInternal(&err)
	n, base, err := parseEvalSource(src)
	if err != nil {
		return nil, syntaxError(src, base, err)
	}
	rc := newRefCollector()
	rc.expr(n, false, map[string]bool{})
	return rc.result(), nil
}

func newRefCollector() *refCollector {
	return &refCollector{used: map[string]bool{}, guarded: map[string]bool{}, callees: map[string]bool{}}
}

func (rc *refCollector) result() []string {
	out := []string{}
	for name := range rc.used {
		if !rc.guarded[name] {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (rc *refCollector) template(nodes []tnode, locals map[string]bool) {
	for _, n := range nodes {
		switch n := n.(type) {
		case *outNode:
			rc.expr(n.expr, false, locals)
		case *ifNode:
			for i, c := range n.conds {
				rc.expr(c, false, locals)
				rc.branch(func(b *refCollector) { b.template(n.bodies[i], locals) })
			}
			rc.branch(func(b *refCollector) { b.template(n.els, locals) })
		case *forNode:
			rc.expr(n.iter, false, locals)
			inner := copyLocals(locals, append([]string{"loop"}, n.targets...)...)
			if n.cond != nil {
				rc.expr(n.cond, false, inner)
			}
			rc.template(n.body, inner)
			rc.template(n.els, locals)
		case *setNode:
			rc.expr(n.val, false, locals)
			if n.attr == "" {
				locals[n.name] = true
			} else if !locals[n.name] {
				rc.used[n.name] = true // set ns.attr reads ns
			}
			for _, m := range n.more {
				locals[m] = true
			}
		default:
			rc.statement(n, locals)
		}
	}
}

func copyLocals(locals map[string]bool, add ...string) map[string]bool {
	out := make(map[string]bool, len(locals)+len(add))
	for k := range locals {
		out[k] = true
	}
	for _, k := range add {
		out[k] = true
	}
	return out
}

// expr walks an expression; guarded means an undefined value is allowed here.
func (rc *refCollector) expr(n node, guarded bool, locals map[string]bool) {
	walk := func(ns ...node) {
		for _, x := range ns {
			if x != nil {
				rc.expr(x, false, locals)
			}
		}
	}
	switch n := n.(type) {
	case *nameNode:
		if !guarded && !locals[n.name] {
			rc.used[n.name] = true
		}
	case *getNode:
		rc.expr(n.obj, guarded, locals)
		walk(n.key)
	case *filterNode:
		rc.expr(n.target, n.name == "default", locals)
		walk(n.args...)
		walk(kwargValues(n.kwargs)...)
	case *testNode:
		isGuard := n.name == "defined" || n.name == "undefined"
		if root := rootName(n.target); root != "" && isGuard {
			rc.guarded[root] = true // `foo is defined`: the author expects foo may be missing
		}
		rc.expr(n.target, isGuard, locals)
		walk(n.args...)
		walk(kwargValues(n.kwargs)...)
	case *listNode:
		walk(n.items...)
	case *dictNode:
		walk(n.keys...)
		walk(n.vals...)
	case *sliceNode:
		walk(n.obj, n.lo, n.hi, n.step)
	case *callNode:
		rc.effects = rc.effects || callHasEffects(n)
		walk(n.args...)
		walk(kwargValues(n.kwargs)...)
	case *dynCallNode:
		if name, named := n.callee.(*nameNode); named { // a macro's name is checked by the parser
			rc.callees[name.name] = true
		} else {
			walk(n.callee)
		}
		walk(n.args...)
		walk(kwargValues(n.kwargs)...)
	case *methodNode:
		walk(n.obj)
		walk(n.args...)
		walk(kwargValues(n.kwargs)...)
	case *unaryNode:
		walk(n.x)
	case *binaryNode:
		walk(n.l, n.r)
	case *compareNode:
		walk(n.first)
		walk(n.rest...)
	case *condNode:
		walk(n.cond)
		rc.branch(func(b *refCollector) { b.expr(n.then, false, locals) })
		if n.els != nil {
			rc.branch(func(b *refCollector) { b.expr(n.els, false, locals) })
		}
	}
}

// branch walks a part that a condition may skip (an if's body, a branch of
// `a if c else b`): what it reads undefined fails only if the run takes it,
// as Ansible evaluates lazily, so its names are not reported; its guards
// and the effects it may have still count.
func (rc *refCollector) branch(walk func(*refCollector)) {
	b := newRefCollector()
	walk(b)
	for name := range b.guarded {
		rc.guarded[name] = true
	}
	rc.effects = rc.effects || b.effects
}

func kwargValues(kws []kwarg) []node {
	out := make([]node, len(kws))
	for i, kw := range kws {
		out[i] = kw.val
	}
	return out
}

// statement walks the statements of stmt.go. What a macro, a block or an
// included template reads is left to run time, except what a macro's
// parameters and a call's arguments read.
func (rc *refCollector) statement(n tnode, locals map[string]bool) {
	switch n := n.(type) {
	case *blockNode:
		rc.template(n.body, copyLocals(locals, "super"))
	case *extendsNode:
		rc.expr(n.name, false, locals)
	case *includeNode:
		rc.expr(n.names, false, locals)
	case *importNode:
		rc.expr(n.name, false, locals)
		locals[n.alias] = true
		for _, imp := range n.names {
			locals[imp.as] = true
		}
	case *macroNode:
		locals[n.name] = true
		rc.macro(n, locals)
	case *callBlockNode:
		rc.expr(n.call, false, copyLocals(locals, callerVar))
		rc.macro(n.caller, locals)
	case *filterBlockNode:
		rc.template(n.body, locals)
		rc.expr(n.filter, false, copyLocals(locals, bodyVar))
	case *setBlockNode:
		rc.template(n.body, locals)
		if n.filter != nil {
			rc.expr(n.filter, false, copyLocals(locals, bodyVar))
		}
		locals[n.name] = true
	case *withNode:
		for _, v := range n.vals {
			rc.expr(v, false, locals)
		}
		rc.template(n.body, copyLocals(locals, n.names...))
	}
}

// macro walks a macro's defaults and body, where its parameters and the
// names Jinja binds in a macro are local.
func (rc *refCollector) macro(n *macroNode, locals map[string]bool) {
	inner := copyLocals(locals, append([]string{"varargs", "kwargs", "caller"}, n.params...)...)
	for _, d := range n.defaults {
		if d != nil {
			rc.expr(d, false, inner)
		}
	}
	b := newRefCollector()
	b.template(n.body, inner)
	for name := range b.used {
		rc.used[name] = true
	}
	for name := range b.guarded {
		rc.guarded[name] = true
	}
	for name := range b.callees {
		rc.callees[name] = true
	}
	rc.effects = rc.effects || b.effects
}
