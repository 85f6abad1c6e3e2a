package template

import "fmt"

// namespace is Jinja's namespace(): the one value a {% set %} can change
// from an inner scope (set ns.found = true inside a loop).
type namespace struct{ vars map[string]any }

// setTargets reads what a {% set %} assigns after its first name: .attr,
// or more names to unpack into.
func setTargets(sp *parser, n *setNode) error {
	if sp.acceptOp(".") {
		t := sp.advance()
		if t.kind != tokName {
			return errAt(t.pos, "expected an attribute name after '.', found %s", t.describe())
		}
		n.attr = t.text
		return nil
	}
	for sp.acceptOp(",") {
		t := sp.advance()
		if t.kind != tokName || reservedWords[t.text] {
			return errAt(t.pos, "expected a variable name after ',', found %s", t.describe())
		}
		n.more = append(n.more, t.text)
	}
	return nil
}

// tupleExpr parses an expression or a tuple written without parentheses
// (set a, b = 1, 2), as a list.
func tupleExpr(sp *parser) (node, error) {
	first, err := sp.parseCondExpr()
	if err != nil || !sp.peek().is(tokOp, ",") {
		return first, err
	}
	items := []node{first}
	for sp.acceptOp(",") && sp.peek().kind != tokEOF {
		n, err := sp.parseCondExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
	}
	return &listNode{pos: first.position(), items: items}, nil
}

// assign runs a {% set %}: into the scope, into a namespace's attribute,
// or unpacked into several names.
func assign(l *layer, n *cSet, v any) error {
	switch {
	case n.attr != "":
		obj, _, err := l.Lookup(n.name)
		if err != nil {
			return err
		}
		ns, ok := obj.(*namespace)
		if !ok {
			return fmt.Errorf("cannot assign attribute on non-namespace object '%s'", n.name)
		}
		ns.vars[n.attr] = v
	case len(n.more) > 0:
		return bindTargets(l, append([]string{n.name}, n.more...), v)
	default:
		l.vars[n.name] = v
	}
	return nil
}
