package template

import "strings"

// The statements of Jinja that structure a template beyond if/for/set:
// inheritance (extends, block), inclusion (include, import, from), macros
// (macro, call), and the block forms of filter, set and with. Loop controls
// (break, continue) and do are Jinja extensions that ansible-core 2.14 does
// not enable: Jinja reports them as unknown tags, and so does ferry.
type (
	blockNode struct {
		name             string
		scoped, required bool
		body             []tnode
		off              int
	}
	extendsNode struct {
		name node
		off  int
	}
	includeNode struct {
		names         node // a name or a list of names, the first found is used
		ignoreMissing bool
		withContext   bool
		off           int
	}
	// importNode is {% import x as alias %} (alias set) or
	// {% from x import a, b as c %} (names set).
	importNode struct {
		name        node
		alias       string
		names       []importName
		withContext bool
		off         int
	}
	importName struct{ name, as string }
	// macroNode is {% macro name(params) %}; a {% call %} block's caller
	// is one too, named "caller".
	macroNode struct {
		name     string
		params   []string
		defaults []node // nil where a parameter has none
		body     []tnode
	}
	callBlockNode struct {
		call   node // the macro call, given caller= by the block
		caller *macroNode
	}
	// filterBlockNode applies filter (whose subject is bodyVar) to the
	// rendered body.
	filterBlockNode struct {
		filter node
		body   []tnode
	}
	setBlockNode struct {
		name   string
		filter node // nil, or applied to the body as in filterBlockNode
		body   []tnode
	}
	withNode struct {
		names []string
		vals  []node
		body  []tnode
	}
)

// bodyVar holds the rendered body a filter block's filters apply to; the
// space keeps it apart from any name a template can write.
const bodyVar = " body"

// callerVar holds a {% call %} block's body while its macro call runs.
const callerVar = " caller"

// openStatement handles the tags of this file; handled is false for a tag
// it does not know.
func (p *templateParser) openStatement(kw token, sp *parser, start int) (handled bool, err error) {
	switch kw.text {
	case "block":
		err = p.openBlock(sp, start)
	case "extends":
		err = p.extends(sp, start)
	case "include":
		err = p.include(sp, start)
	case "import":
		err = p.importAs(sp, start)
	case "from":
		err = p.fromImport(sp, start)
	case "macro":
		err = p.openMacro(sp, start)
	case "call":
		err = p.openCall(sp, start)
	case "filter":
		err = p.openFilter(sp, start)
	case "with":
		err = p.openWith(sp, start)
	default:
		return false, nil
	}
	return true, err
}

// push opens a block tag whose body nodes go to body until end<tag>.
func (p *templateParser) push(n tnode, body *[]tnode, tag string, start int) {
	p.add(n)
	p.stack = append(p.stack, &blockFrame{node: n, body: body, off: start, tag: tag})
}

func (p *templateParser) name(sp *parser, what string) (string, error) {
	t := sp.advance()
	if t.kind != tokName || reservedWords[t.text] {
		return "", errAt(t.pos, "expected %s, found %s", what, t.describe())
	}
	return t.text, nil
}

func (p *templateParser) openBlock(sp *parser, start int) error {
	name, err := p.name(sp, "a block name after block")
	if err != nil {
		return err
	}
	n := &blockNode{name: name, off: start}
	n.scoped = sp.acceptName("scoped")
	n.required = sp.acceptName("required") // Jinja 3.1: a child template must fill it
	if p.blocks[name] {
		return errAt(0, "block '%s' defined twice", name)
	}
	p.blocks[name] = true
	p.push(n, &n.body, "block", start)
	return nil
}

// endBlock checks the optional name of {% endblock name %}, and that a
// required block holds nothing but whitespace and comments, as Jinja's
// parser does.
func (p *templateParser) endBlock(f *blockFrame, sp *parser) error {
	n := f.node.(*blockNode)
	if n.required {
		for _, c := range n.body {
			if text, ok := c.(*textNode); !ok || strings.TrimSpace(text.s) != "" {
				return errAt(f.off, "Required blocks can only contain comments or whitespace")
			}
		}
	}
	t := sp.peek()
	if t.kind != tokName {
		return nil
	}
	sp.advance()
	if want := n.name; t.text != want {
		return errAt(t.pos, "{%% endblock %s %%} closes {%% block %s %%}", t.text, want)
	}
	return nil
}

func (p *templateParser) extends(sp *parser, start int) error {
	name, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	p.add(&extendsNode{name: name, off: start})
	p.extended = true
	return nil
}

// context parses an optional "with context" or "without context".
func (p *templateParser) context(sp *parser, dflt bool) (bool, error) {
	switch {
	case sp.acceptName("with"):
		dflt = true
	case sp.acceptName("without"):
		dflt = false
	default:
		return dflt, nil
	}
	if t := sp.peek(); !sp.acceptName("context") {
		return false, errAt(t.pos, "expected 'context', found %s", t.describe())
	}
	return dflt, nil
}

func (p *templateParser) include(sp *parser, start int) error {
	names, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	n := &includeNode{names: names, off: start}
	if sp.acceptName("ignore") {
		if t := sp.peek(); !sp.acceptName("missing") {
			return errAt(t.pos, "expected 'missing' after 'ignore', found %s", t.describe())
		}
		n.ignoreMissing = true
	}
	if n.withContext, err = p.context(sp, true); err != nil {
		return err
	}
	p.add(n)
	return nil
}

func (p *templateParser) importAs(sp *parser, start int) error {
	name, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	if t := sp.peek(); !sp.acceptName("as") {
		return errAt(t.pos, "expected 'as' in {%% import %%}, found %s", t.describe())
	}
	n := &importNode{name: name, off: start}
	if n.alias, err = p.name(sp, "a name after 'as'"); err != nil {
		return err
	}
	if n.withContext, err = p.context(sp, false); err != nil {
		return err
	}
	p.add(n)
	p.declare(n.alias)
	return nil
}

func (p *templateParser) fromImport(sp *parser, start int) error {
	name, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	if t := sp.peek(); !sp.acceptName("import") {
		return errAt(t.pos, "expected 'import' in {%% from %%}, found %s", t.describe())
	}
	n := &importNode{name: name, off: start}
	for {
		if t := sp.peek(); t.is(tokName, "with") || t.is(tokName, "without") || (t.kind == tokEOF && len(n.names) > 0) {
			break
		}
		imp, err := p.name(sp, "a name to import")
		if err != nil {
			return err
		}
		as := imp
		if sp.acceptName("as") {
			if as, err = p.name(sp, "a name after 'as'"); err != nil {
				return err
			}
		}
		n.names = append(n.names, importName{name: imp, as: as})
		p.declare(as)
		if !sp.acceptOp(",") {
			break
		}
	}
	if n.withContext, err = p.context(sp, false); err != nil {
		return err
	}
	p.add(n)
	return nil
}

// params parses a macro's or a caller's (a, b=default, ...) up to ')'.
func (p *templateParser) params(sp *parser, m *macroNode) error {
	for !sp.acceptOp(")") {
		if len(m.params) > 0 {
			if err := sp.expectOp(","); err != nil {
				return err
			}
			if sp.acceptOp(")") {
				break
			}
		}
		t := sp.peek()
		name, err := p.name(sp, "a parameter name")
		if err != nil {
			return err
		}
		var dflt node
		if sp.acceptOp("=") {
			if dflt, err = sp.parseCondExpr(); err != nil {
				return err
			}
		} else if len(m.defaults) > 0 && m.defaults[len(m.defaults)-1] != nil {
			return errAt(t.pos, "non-default argument follows default argument")
		}
		m.params, m.defaults = append(m.params, name), append(m.defaults, dflt)
	}
	return nil
}

func (p *templateParser) openMacro(sp *parser, start int) error {
	m := &macroNode{}
	var err error
	if m.name, err = p.name(sp, "a macro name"); err != nil {
		return err
	}
	if err := sp.expectOp("("); err != nil {
		return err
	}
	if err := p.params(sp, m); err != nil {
		return err
	}
	p.declare(m.name)
	p.push(m, &m.body, "macro", start)
	return nil
}

func (p *templateParser) openCall(sp *parser, start int) error {
	caller := &macroNode{name: "caller"}
	if sp.acceptOp("(") {
		if err := p.params(sp, caller); err != nil {
			return err
		}
	}
	t := sp.peek()
	call, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	dc, ok := call.(*dynCallNode)
	if !ok {
		return errAt(t.pos, "{%% call %%} needs a macro call, as in {%% call list_users(users) %%}")
	}
	dc.kwargs = append(dc.kwargs, kwarg{name: "caller", val: &nameNode{pos: dc.pos, name: callerVar}})
	n := &callBlockNode{call: dc, caller: caller}
	p.push(n, &caller.body, "call", start)
	return nil
}

// filterChain parses "name(args) | name ..." applied to subject.
func filterChain(sp *parser, subject node) (node, error) {
	n, err := sp.parseFilter(subject, sp.peek().pos)
	for err == nil && sp.peek().is(tokOp, "|") {
		sp.advance()
		n, err = sp.parseFilter(n, sp.peek().pos)
	}
	return n, err
}

func (p *templateParser) openFilter(sp *parser, start int) error {
	f, err := filterChain(sp, &nameNode{pos: 0, name: bodyVar})
	if err != nil {
		return err
	}
	n := &filterBlockNode{filter: f}
	p.push(n, &n.body, "filter", start)
	return nil
}

// openSetBlock is {% set name %} or {% set name | filter %}, whose body
// up to {% endset %} is the value.
func (p *templateParser) openSetBlock(name string, sp *parser, start int) error {
	n := &setBlockNode{name: name}
	if sp.acceptOp("|") {
		var err error
		if n.filter, err = filterChain(sp, &nameNode{pos: 0, name: bodyVar}); err != nil {
			return err
		}
	}
	p.push(n, &n.body, "set", start)
	return nil
}

func (p *templateParser) openWith(sp *parser, start int) error {
	n := &withNode{}
	for sp.peek().kind != tokEOF {
		if len(n.names) > 0 {
			if err := sp.expectOp(","); err != nil {
				return err
			}
		}
		name, err := p.name(sp, "a variable name in {% with %}")
		if err != nil {
			return err
		}
		if err := sp.expectOp("="); err != nil {
			return err
		}
		val, err := sp.parseCondExpr()
		if err != nil {
			return err
		}
		n.names, n.vals = append(n.names, name), append(n.vals, val)
	}
	p.push(n, &n.body, "with", start)
	return nil
}

// declare notes a name the template binds to something callable (a macro,
// an import), which calls by that name may use.
func (p *templateParser) declare(name string) { p.callables[name] = true }

// implicitCallables are the names Jinja binds to callables inside the
// constructs that use them.
var implicitCallables = map[string]bool{"caller": true, "super": true, "loop": true, selfVar: true}

// checkCalls reports, before anything runs, a call of a name that is
// neither a global function nor declared by the template, and a method
// that strings and dicts lack called on anything but an import or loop. A
// template that extends another may call its parent's macros: it is left
// to run time.
func (p *templateParser) checkCalls() error {
	if p.extended {
		return nil
	}
	for _, c := range p.called {
		switch {
		case p.callables[c.name] || implicitCallables[c.name]:
		case c.method != "":
			return unsupportedMethod(c.pos, c.method)
		default:
			return errAt(c.pos, "unknown function '%s' (supported: %s, and the macros the template defines or imports)",
				c.name, strings.Join(globalFuncNames(), ", "))
		}
	}
	return nil
}
