package template

import (
	"maps"
	"slices"
	"strings"
)

// The Jinja expression AST. Positions are byte offsets in the expression.
type node interface{ position() int }

type (
	litNode struct {
		pos int
		val any // string, int, float64, bool or nil
	}
	nameNode struct {
		pos  int
		name string
	}
	listNode struct {
		pos   int
		items []node
	}
	dictNode struct {
		pos        int
		keys, vals []node
	}
	// getNode is a.b (attr) or a[key].
	getNode struct {
		pos  int
		obj  node
		key  node
		attr bool
	}
	sliceNode struct {
		pos               int
		obj, lo, hi, step node // lo, hi, step may be nil
	}
	// callNode is a call of a global function: range(3), lookup('env', 'X').
	callNode struct {
		pos    int
		fn     string
		args   []node
		kwargs []kwarg
	}
	// methodNode is a Python method call on a value: s.split(','), d.items().
	methodNode struct {
		pos    int
		obj    node
		name   string
		args   []node
		kwargs []kwarg // only str.format takes them
	}
	filterNode struct {
		pos    int
		name   string
		target node
		args   []node
		kwargs []kwarg
	}
	testNode struct {
		pos     int
		name    string
		target  node
		args    []node
		kwargs  []kwarg
		negated bool
	}
	unaryNode struct {
		pos int
		op  string // "-", "+", "not"
		x   node
	}
	binaryNode struct {
		pos  int
		op   string // + - * / // % ** ~ and or
		l, r node
	}
	// compareNode is a (possibly chained) comparison: a < b <= c.
	compareNode struct {
		pos   int
		first node
		ops   []string // == != < > <= >= in "not in"
		rest  []node
	}
	// condNode is Jinja's inline if: then if cond else els (els may be nil).
	condNode struct {
		pos             int
		then, cond, els node
	}
)

type kwarg struct {
	name string
	val  node
}

func (n *litNode) position() int     { return n.pos }
func (n *nameNode) position() int    { return n.pos }
func (n *listNode) position() int    { return n.pos }
func (n *dictNode) position() int    { return n.pos }
func (n *getNode) position() int     { return n.pos }
func (n *sliceNode) position() int   { return n.pos }
func (n *callNode) position() int    { return n.pos }
func (n *methodNode) position() int  { return n.pos }
func (n *filterNode) position() int  { return n.pos }
func (n *testNode) position() int    { return n.pos }
func (n *unaryNode) position() int   { return n.pos }
func (n *binaryNode) position() int  { return n.pos }
func (n *compareNode) position() int { return n.pos }
func (n *condNode) position() int    { return n.pos }

// maxDepth bounds nesting so that hostile input cannot exhaust the stack.
const maxDepth = 100

type parser struct {
	toks  []token
	i     int
	depth int
	// calls is set in templates, where a call may name a macro: it is told
	// each name called (and the method, for obj.method()), which the
	// template checks once parsed.
	calls func(name, method string, pos int)
}

// parseExpression parses a whole Jinja expression.
func parseExpression(src string) (node, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	return (&parser{toks: toks}).parseWhole()
}

// parseWhole parses the tokens as one expression.
func (p *parser) parseWhole() (node, error) {
	n, err := p.parseCondExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, errAt(t.pos, "unexpected %s after the end of the expression", t.describe())
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) advance() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) acceptOp(op string) bool {
	if p.peek().is(tokOp, op) {
		p.i++
		return true
	}
	return false
}

func (p *parser) acceptName(name string) bool {
	if p.peek().is(tokName, name) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if t := p.peek(); !t.is(tokOp, op) {
		return errAt(t.pos, "expected '%s' but found %s", op, t.describe())
	}
	p.i++
	return nil
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return errAt(p.peek().pos, "expression nested too deeply (more than %d levels)", maxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseCondExpr() (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	for p.peek().is(tokName, "if") {
		pos := p.advance().pos
		cond, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		c := &condNode{pos: pos, then: n, cond: cond}
		if p.acceptName("else") {
			if c.els, err = p.parseCondExpr(); err != nil {
				return nil, err
			}
		}
		n = c
	}
	return n, nil
}

func (p *parser) parseOr() (node, error) {
	return p.parseLogical("or", p.parseAnd)
}

func (p *parser) parseAnd() (node, error) {
	return p.parseLogical("and", p.parseNot)
}

func (p *parser) parseLogical(op string, operand func() (node, error)) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.peek().is(tokName, op) {
		pos := p.advance().pos
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binaryNode{pos: pos, op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) parseNot() (node, error) {
	if t := p.peek(); t.is(tokName, "not") {
		p.advance()
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryNode{pos: t.pos, op: "not", x: x}, nil
	}
	return p.parseCompare()
}

var compareOps = map[string]bool{"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true}

func (p *parser) parseCompare() (node, error) {
	first, err := p.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareNode{pos: first.position(), first: first}
	for {
		t := p.peek()
		var op string
		switch {
		case t.kind == tokOp && compareOps[t.text]:
			op = t.text
			p.advance()
		case t.is(tokName, "in"):
			op = "in"
			p.advance()
		case t.is(tokName, "not") && p.toks[p.i+1].is(tokName, "in"):
			op = "not in"
			p.i += 2
		}
		if op == "" {
			break
		}
		r, err := p.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops = append(c.ops, op)
		c.rest = append(c.rest, r)
		if len(c.ops) == 1 {
			c.pos = t.pos
		}
	}
	if len(c.ops) == 0 {
		return first, nil
	}
	return c, nil
}

func (p *parser) parseBinary(ops []string, operand func() (node, error)) (node, error) {
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		matched := false
		for _, op := range ops {
			if t.is(tokOp, op) {
				matched = true
			}
		}
		if !matched {
			return l, nil
		}
		p.advance()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		l = &binaryNode{pos: t.pos, op: t.text, l: l, r: r}
	}
}

func (p *parser) parseMath1() (node, error) {
	return p.parseBinary([]string{"+", "-"}, p.parseConcat)
}

func (p *parser) parseConcat() (node, error) {
	return p.parseBinary([]string{"~"}, p.parseMath2)
}

func (p *parser) parseMath2() (node, error) {
	return p.parseBinary([]string{"*", "/", "//", "%"}, p.parsePow)
}

func (p *parser) parsePow() (node, error) {
	return p.parseBinary([]string{"**"}, func() (node, error) { return p.parseUnary(true) })
}

// parseUnary follows Jinja: a sign applies to the operand without its
// filters, and the filters then apply to the signed value (-x|abs == (-x)|abs).
func (p *parser) parseUnary(withFilter bool) (node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var n node
	var err error
	if t := p.peek(); t.is(tokOp, "-") || t.is(tokOp, "+") {
		p.advance()
		x, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		n = &unaryNode{pos: t.pos, op: t.text, x: x}
	} else if n, err = p.parsePrimary(); err != nil {
		return nil, err
	}
	if n, err = p.parsePostfix(n); err != nil {
		return nil, err
	}
	if withFilter {
		return p.parseFilterExpr(n)
	}
	return n, nil
}

func (p *parser) parsePrimary() (node, error) {
	t := p.advance()
	switch t.kind {
	case tokName:
		switch t.text {
		case "true", "True":
			return &litNode{pos: t.pos, val: true}, nil
		case "false", "False":
			return &litNode{pos: t.pos, val: false}, nil
		case "none", "None":
			return &litNode{pos: t.pos, val: nil}, nil
		}
		if reservedWords[t.text] {
			return nil, errAt(t.pos, "unexpected keyword '%s'", t.text)
		}
		return &nameNode{pos: t.pos, name: t.text}, nil
	case tokString:
		s := t.text
		for p.peek().kind == tokString { // 'a' 'b' is 'ab', as in Python
			s += p.advance().text
		}
		return &litNode{pos: t.pos, val: s}, nil
	case tokInt, tokFloat:
		return &litNode{pos: t.pos, val: t.num}, nil
	case tokOp:
		switch t.text {
		case "(":
			return p.parseParen(t.pos)
		case "[":
			items, err := p.parseItems("]")
			return &listNode{pos: t.pos, items: items}, err
		case "{":
			return p.parseDict(t.pos)
		}
	case tokEOF:
		return nil, errAt(t.pos, "unexpected end of expression, expected a value")
	}
	return nil, errAt(t.pos, "unexpected %s, expected a value", t.describe())
}

// reservedWords cannot be variable names.
var reservedWords = map[string]bool{"and": true, "or": true, "not": true, "in": true, "is": true,
	"if": true, "else": true}

// parseParen parses (x), a tuple (a, b) or the empty tuple (); tuples are lists.
func (p *parser) parseParen(pos int) (node, error) {
	if p.acceptOp(")") {
		return &listNode{pos: pos}, nil
	}
	first, err := p.parseCondExpr()
	if err != nil {
		return nil, err
	}
	if p.acceptOp(")") {
		return first, nil
	}
	if t := p.peek(); !p.acceptOp(",") {
		return nil, errAt(t.pos, "expected ')' but found %s", t.describe())
	}
	rest, err := p.parseItems(")")
	if err != nil {
		return nil, err
	}
	return &listNode{pos: pos, items: append([]node{first}, rest...)}, nil
}

// parseItems parses comma-separated expressions up to the closing bracket,
// allowing a trailing comma.
func (p *parser) parseItems(closing string) ([]node, error) {
	var items []node
	for !p.acceptOp(closing) {
		if len(items) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.acceptOp(closing) {
				break
			}
		}
		n, err := p.parseCondExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, n)
	}
	return items, nil
}

func (p *parser) parseDict(pos int) (node, error) {
	d := &dictNode{pos: pos}
	for !p.acceptOp("}") {
		if len(d.keys) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, err
			}
			if p.acceptOp("}") {
				break
			}
		}
		k, err := p.parseCondExpr()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(":"); err != nil {
			return nil, err
		}
		v, err := p.parseCondExpr()
		if err != nil {
			return nil, err
		}
		d.keys = append(d.keys, k)
		d.vals = append(d.vals, v)
	}
	return d, nil
}

func (p *parser) parsePostfix(n node) (node, error) {
	for {
		t := p.peek()
		var err error
		switch {
		case t.is(tokOp, "."):
			p.advance()
			n, err = p.parseDot(n)
		case t.is(tokOp, "["):
			p.advance()
			n, err = p.parseSubscript(n, t.pos)
		case t.is(tokOp, "("):
			p.advance()
			n, err = p.parseCall(n, t.pos)
		default:
			return n, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (p *parser) parseDot(obj node) (node, error) {
	t := p.advance()
	switch t.kind {
	case tokName:
		return &getNode{pos: t.pos, obj: obj, key: &litNode{pos: t.pos, val: t.text}, attr: true}, nil
	case tokInt:
		return &getNode{pos: t.pos, obj: obj, key: &litNode{pos: t.pos, val: t.num}, attr: true}, nil
	}
	return nil, errAt(t.pos, "expected an attribute name after '.', found %s", t.describe())
}

func (p *parser) parseSubscript(obj node, pos int) (node, error) {
	var parts [3]node
	colons := 0
	for {
		t := p.peek()
		switch {
		case t.is(tokOp, "]"):
			p.advance()
			if colons == 0 {
				if parts[0] == nil {
					return nil, errAt(t.pos, "empty subscript []")
				}
				return &getNode{pos: pos, obj: obj, key: parts[0]}, nil
			}
			return &sliceNode{pos: pos, obj: obj, lo: parts[0], hi: parts[1], step: parts[2]}, nil
		case t.is(tokOp, ":"):
			p.advance()
			colons++
			if colons > 2 {
				return nil, errAt(t.pos, "too many ':' in a slice")
			}
		default:
			if parts[colons] != nil {
				return nil, errAt(t.pos, "expected ']' but found %s", t.describe())
			}
			n, err := p.parseCondExpr()
			if err != nil {
				return nil, err
			}
			parts[colons] = n
		}
	}
}

func (p *parser) parseCall(callee node, pos int) (node, error) {
	args, kwargs, err := p.parseArgs()
	if err != nil {
		return nil, err
	}
	switch c := callee.(type) {
	case *nameNode:
		if _, ok := globalFuncs[c.name]; !ok && p.calls != nil {
			p.calls(c.name, "", c.pos)
			return &dynCallNode{pos: c.pos, callee: c, args: args, kwargs: kwargs}, nil
		}
		if _, ok := globalFuncs[c.name]; !ok {
			return nil, errAt(c.pos, "unknown function '%s' (supported: %s)", c.name, strings.Join(globalFuncNames(), ", "))
		}
		if err := checkLookupPlugin(c.name, args); err != nil {
			return nil, err
		}
		return &callNode{pos: c.pos, fn: c.name, args: args, kwargs: kwargs}, nil
	case *getNode:
		name, ok := c.key.(*litNode).val.(string)
		if !c.attr || !ok {
			break
		}
		if (!methods[name] || isSelf(c.obj)) && p.calls != nil { // a macro of an import, loop.cycle, self.block...
			if root, ok := c.obj.(*nameNode); ok {
				p.calls(root.name, name, c.pos)
			}
			return &dynCallNode{pos: c.pos, callee: c, args: args, kwargs: kwargs}, nil
		}
		if !methods[name] {
			return nil, unsupportedMethod(c.pos, name)
		}
		return &methodNode{pos: c.pos, obj: c.obj, name: name, args: args, kwargs: kwargs}, nil
	}
	if p.calls != nil {
		return &dynCallNode{pos: pos, callee: callee, args: args, kwargs: kwargs}, nil
	}
	return nil, errAt(pos, "this value cannot be called")
}

// isSelf reports whether n is Jinja's self, whose attributes are blocks
// even where a string method has the name (self.title()).
func isSelf(n node) bool {
	name, ok := n.(*nameNode)
	return ok && name.name == selfVar
}

func unsupportedMethod(pos int, name string) *posError {
	return errAt(pos, "unsupported method '%s()' (supported: %s)", name, strings.Join(slices.Sorted(maps.Keys(methods)), ", "))
}

// parseArgs parses call arguments after '(' up to ')': positional ones,
// then name=value ones.
func (p *parser) parseArgs() ([]node, []kwarg, error) {
	var args []node
	var kwargs []kwarg
	for !p.acceptOp(")") {
		if len(args)+len(kwargs) > 0 {
			if err := p.expectOp(","); err != nil {
				return nil, nil, err
			}
			if p.acceptOp(")") {
				break
			}
		}
		t := p.peek()
		if t.kind == tokName && p.toks[p.i+1].is(tokOp, "=") {
			p.i += 2
			v, err := p.parseCondExpr()
			if err != nil {
				return nil, nil, err
			}
			kwargs = append(kwargs, kwarg{name: t.text, val: v})
			continue
		}
		if len(kwargs) > 0 {
			return nil, nil, errAt(t.pos, "positional argument after a keyword argument")
		}
		v, err := p.parseCondExpr()
		if err != nil {
			return nil, nil, err
		}
		args = append(args, v)
	}
	return args, kwargs, nil
}

func (p *parser) parseFilterExpr(n node) (node, error) {
	for {
		t := p.peek()
		var err error
		switch {
		case t.is(tokOp, "|"):
			p.advance()
			n, err = p.parseFilter(n, t.pos)
		case t.is(tokName, "is"):
			p.advance()
			n, err = p.parseTest(n, t.pos)
		default:
			return n, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// dottedName reads name(.name)* as used for filters and tests, dropping the
// ansible.builtin. collection prefix that FQCN-style playbooks use.
func (p *parser) dottedName(what string) (string, int, error) {
	t := p.advance()
	if t.kind != tokName {
		return "", 0, errAt(t.pos, "expected a %s name, found %s", what, t.describe())
	}
	name := t.text
	for p.peek().is(tokOp, ".") && p.toks[p.i+1].kind == tokName {
		name += "." + p.toks[p.i+1].text
		p.i += 2
	}
	return strings.TrimPrefix(name, "ansible.builtin."), t.pos, nil
}

func (p *parser) parseFilter(target node, pipePos int) (node, error) {
	name, pos, err := p.dottedName("filter")
	if err != nil {
		return nil, err
	}
	canon, ok := filterAliases[name]
	if !ok {
		if _, ok = filters[name]; !ok {
			return nil, unknownName(pos, "filter", name)
		}
		canon = name
	}
	f := &filterNode{pos: pos, name: canon, target: target}
	if p.acceptOp("(") {
		if f.args, f.kwargs, err = p.parseArgs(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// testArgStarts are the tokens that begin a test's single unparenthesised
// argument (x is divisibleby 3), as in Jinja.
func (p *parser) startsTestArg() bool {
	t := p.peek()
	switch t.kind {
	case tokString, tokInt, tokFloat:
		return true
	case tokName:
		return !reservedWords[t.text] && t.text != "for"
	case tokOp:
		return t.text == "[" || t.text == "{"
	}
	return false
}

func (p *parser) parseTest(target node, isPos int) (node, error) {
	negated := p.acceptName("not")
	name, pos, err := p.dottedName("test")
	if err != nil {
		return nil, err
	}
	if canon, ok := testAliases[name]; ok {
		name = canon
	}
	if _, ok := tests[name]; !ok {
		return nil, unknownName(pos, "test", name)
	}
	tn := &testNode{pos: pos, name: name, target: target, negated: negated}
	switch {
	case p.acceptOp("("):
		if tn.args, tn.kwargs, err = p.parseArgs(); err != nil {
			return nil, err
		}
	case p.startsTestArg():
		arg, err := p.parseUnary(false)
		if err != nil {
			return nil, err
		}
		tn.args = []node{arg}
	}
	return tn, nil
}

// unknownName reports a filter or test that ferry does not have, marked so
// that callers can tell the user where a custom plugin defines it.
func unknownName(pos int, kind, name string) *posError {
	e := errAt(pos, "unknown %s '%s'%s", kind, name, unsupportedHint(name))
	e.unknown, e.nameUsed = kind, name
	return e
}
