package template

// DefinedGuards returns the variables that condition cond can only be true
// with defined: the roots of `x is defined`, `x.y is defined` and
// `x is not undefined` at its top level or joined by `and`. A task whose
// `when` holds such a guard never reads those names undefined.
func DefinedGuards(cond string) (names []string) {
	defer func() {
		if recover() != nil {
			names = nil
		}
	}()
	n, _, err := parseEvalSource(cond)
	if err != nil {
		return nil
	}
	var walk func(n node)
	walk = func(n node) {
		switch n := n.(type) {
		case *binaryNode:
			if n.op == "and" {
				walk(n.l)
				walk(n.r)
			}
		case *testNode:
			asserted := n.name == "defined" && !n.negated || n.name == "undefined" && n.negated
			if asserted {
				if root := rootName(n.target); root != "" {
					names = append(names, root)
				}
			}
		}
	}
	walk(n)
	return names
}

// rootName is the variable an expression such as x, x.y or x['y'] starts
// from, or "".
func rootName(n node) string {
	for {
		switch x := n.(type) {
		case *nameNode:
			return x.name
		case *getNode:
			n = x.obj
		default:
			return ""
		}
	}
}
