package template

import (
	"fmt"
	"regexp"
	"strings"
)

// Template syntax tree, as parsed from text. Offsets are byte offsets in
// the template.
type (
	tnode    interface{}
	textNode struct{ s string }
	outNode  struct {
		expr node
		off  int    // where the expression starts in the template
		src  string // the expression's own text
	}
	ifNode struct {
		conds  []node
		bodies [][]tnode
		els    []tnode
	}
	forNode struct {
		targets   []string
		iter      node
		cond      node // for x in xs if cond (may be nil)
		recursive bool
		body, els []tnode
	}
	// setNode is set name = val, set name.attr = val (a namespace's
	// attribute) or set name, more... = val (unpacking val).
	setNode struct {
		name string
		attr string
		more []string
		val  node
	}
)

// blockFrame is an open block tag ({% if %}, {% for %}, {% macro %}...)
// while parsing.
type blockFrame struct {
	node    tnode
	body    *[]tnode // where nodes go now
	off     int
	sawElse bool
	tag     string // the tag that opened it: "if", "for", "block"...
}

// templateParser scans text into nodes. Whitespace control follows Jinja
// with Ansible's trim_blocks: the newline after a block tag or comment is
// dropped, {%- / -%} (and {{- -}}, {#- -#}) strip all whitespace on that side.
type templateParser struct {
	src       string
	pos       int
	root      []tnode
	stack     []*blockFrame
	stripNext bool            // the previous tag ended with '-': strip leading whitespace
	trimNL    bool            // the previous tag was a block or comment: drop one newline
	keepNL    bool            // the tag just read ended with '+': trim_blocks is off for it
	blocks    map[string]bool // {% block %} names seen
	callables map[string]bool // names the template binds to macros and imports
	called    []calledName    // names called as functions, checked at the end
	extended  bool            // the template has an {% extends %}
	env       envSettings     // trim_blocks and lstrip_blocks, as a #jinja2: header sets them
}

func parseTemplate(src string) ([]tnode, error) { return parseTemplateWith(src, ansibleEnv) }

// parseTemplateWith parses src with the settings base, which its #jinja2:
// line may change.
func parseTemplateWith(src string, base envSettings) ([]tnode, error) {
	p := &templateParser{src: src, blocks: map[string]bool{}, callables: map[string]bool{}}
	var err error
	if p.env, err = parseHeader(src, base); err != nil {
		return nil, err
	}
	p.pos = p.env.bodyStart
	if err := p.parse(); err != nil {
		return nil, err
	}
	if err := p.checkCalls(); err != nil {
		return nil, err
	}
	return p.root, nil
}

// expressionParser parses the expression of a tag whose content starts at
// offset base; calls of names it finds are noted for checkCalls.
func (p *templateParser) expressionParser(toks []token, base int) *parser {
	return &parser{toks: toks, calls: func(name, method string, pos int) {
		p.called = append(p.called, calledName{name: name, method: method, pos: base + pos})
	}}
}

func (p *templateParser) target() *[]tnode {
	if len(p.stack) == 0 {
		return &p.root
	}
	return p.stack[len(p.stack)-1].body
}

func (p *templateParser) add(n tnode) { *p.target() = append(*p.target(), n) }

// nextTag finds the next "{{", "{%" or "{#" at or after from.
func (p *templateParser) nextTag(from int) int {
	for i := from; i+1 < len(p.src); {
		j := strings.IndexByte(p.src[i:], '{')
		if j < 0 || i+j+1 >= len(p.src) {
			return -1
		}
		i += j
		if c := p.src[i+1]; c == '{' || c == '%' || c == '#' {
			return i
		}
		i++
	}
	return -1
}

// addText adds src[p.pos:end], applying the pending whitespace control and
// stripping its end when the next tag opens with '-'.
func (p *templateParser) addText(end int, stripEnd bool) {
	text := p.src[p.pos:end]
	if p.stripNext {
		text = strings.TrimLeft(text, " \t\r\n")
	} else if p.trimNL {
		text = strings.TrimPrefix(strings.TrimPrefix(text, "\r"), "\n")
	}
	if stripEnd {
		text = strings.TrimRight(text, " \t\r\n")
	}
	p.stripNext, p.trimNL = false, false
	if text != "" {
		p.add(&textNode{s: text})
	}
}

func (p *templateParser) parse() error {
	for {
		start := p.nextTag(p.pos)
		if start < 0 {
			p.addText(len(p.src), false)
			break
		}
		kind := p.src[start+1]
		contentStart := start + 2
		stripBefore := contentStart < len(p.src) && p.src[contentStart] == '-'
		plus := kind != '{' && contentStart < len(p.src) && p.src[contentStart] == '+'
		if stripBefore || plus {
			contentStart++ // {%+ keeps the whitespace before it, even with lstrip_blocks
		}
		textEnd := start
		if p.env.lstripBlocks && kind != '{' && !plus && !stripBefore {
			textEnd = p.lstripEnd(start)
		}
		p.addText(textEnd, stripBefore)
		var err error
		switch kind {
		case '#':
			err = p.comment(start, contentStart)
		case '{':
			err = p.output(start, contentStart)
		default:
			err = p.statement(start, contentStart)
		}
		if err != nil {
			return err
		}
	}
	if len(p.stack) > 0 {
		f := p.stack[len(p.stack)-1]
		return errAt(f.off, "{%% %s %%} is never closed: add {%% end%s %%}", f.tag, f.tag)
	}
	return nil
}

func (p *templateParser) comment(start, contentStart int) error {
	end := strings.Index(p.src[contentStart:], "#}")
	if end < 0 {
		return errAt(start, "comment {# is never closed with #}")
	}
	end += contentStart
	p.stripNext = end > contentStart && p.src[end-1] == '-'
	p.trimNL = p.env.trimBlocks && !(end > contentStart && p.src[end-1] == '+')
	p.pos = end + 2
	return nil
}

// tagEnd finds the closing "}}" or "%}" of a tag by lexing its content, so
// that one inside a string or a dict literal does not end it.
func (p *templateParser) tagEnd(start, contentStart int, closer byte) (contentEnd int, err error) {
	l := &lexer{src: p.src, pos: contentStart}
	depth := 0
	for {
		l.skipSpace()
		rest := p.src[l.pos:]
		if depth == 0 && strings.HasPrefix(rest, "-"+string(closer)+"}") {
			p.stripNext = true
			p.pos = l.pos + 3
			return l.pos, nil
		}
		if depth == 0 && closer == '%' && strings.HasPrefix(rest, "+%}") { // +%}: no trim_blocks here
			p.keepNL = true
			p.pos = l.pos + 3
			return l.pos, nil
		}
		if depth == 0 && strings.HasPrefix(rest, string(closer)+"}") {
			p.pos = l.pos + 2
			return l.pos, nil
		}
		t, err := l.next()
		if err != nil {
			return 0, err
		}
		switch {
		case t.kind == tokEOF:
			return 0, errAt(start, "'{%c' is never closed with '%c}'", p.src[start+1], closer)
		case t.kind != tokOp:
		case t.text == "(" || t.text == "[" || t.text == "{":
			depth++
		case t.text == ")" || t.text == "]" || t.text == "}":
			depth = max(depth-1, 0)
		}
	}
}

func (p *templateParser) output(start, contentStart int) error {
	end, err := p.tagEnd(start, contentStart, '}')
	if err != nil {
		return err
	}
	src := p.src[contentStart:end]
	if strings.TrimSpace(src) == "" {
		return errAt(start, "empty expression {{ }}")
	}
	toks, err := tokenize(src)
	if err != nil {
		return shift(err, contentStart)
	}
	n, err := p.expressionParser(toks, contentStart).parseWhole()
	if err != nil {
		return shift(err, contentStart)
	}
	p.add(&outNode{expr: n, off: contentStart, src: strings.TrimSpace(src)})
	return nil
}

// shift moves a position error from expression to template offsets.
func shift(err error, by int) error {
	if pe, ok := err.(*posError); ok {
		shifted := *pe
		shifted.pos += by
		return &shifted
	}
	return err
}

var endRaw = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)

func (p *templateParser) statement(start, contentStart int) error {
	end, err := p.tagEnd(start, contentStart, '%')
	if err != nil {
		return err
	}
	p.trimNL = !p.stripNext && !p.keepNL && p.env.trimBlocks
	p.keepNL = false
	toks, err := tokenize(p.src[contentStart:end])
	if err != nil {
		return shift(err, contentStart)
	}
	sp := p.expressionParser(toks, contentStart)
	kw := sp.advance()
	if kw.kind != tokName {
		return errAt(start, "expected a tag name after {%%")
	}
	if kw.text == "raw" {
		return p.raw(start)
	}
	if err := p.tag(kw, sp, start); err != nil {
		return shift(err, contentStart)
	}
	return nil
}

// raw copies everything up to {% endraw %} as text.
func (p *templateParser) raw(start int) error {
	loc := endRaw.FindStringIndex(p.src[p.pos:])
	if loc == nil {
		return errAt(start, "{%% raw %%} is never closed with {%% endraw %%}")
	}
	body := p.src[p.pos : p.pos+loc[0]]
	if p.trimNL {
		body = strings.TrimPrefix(body, "\n")
	}
	if p.stripNext {
		body = strings.TrimLeft(body, " \t\r\n")
	}
	closing := p.src[p.pos+loc[0] : p.pos+loc[1]]
	if strings.HasPrefix(closing, "{%-") {
		body = strings.TrimRight(body, " \t\r\n")
	}
	if body != "" {
		p.add(&textNode{s: body})
	}
	p.pos += loc[1]
	p.stripNext = strings.HasSuffix(closing, "-%}")
	p.trimNL = !p.stripNext && p.env.trimBlocks
	return nil
}

var unsupportedTags = "supported tags: if/elif/else/endif, for/else/endfor, set, raw/endraw, block, extends, " +
	"include, import, from, macro, call, filter, with; ansible-core does not enable break, continue or do"

// tag handles one {% ... %} statement; positions in errors are relative to
// the tag's content.
func (p *templateParser) tag(kw token, sp *parser, start int) error {
	var err error
	switch kw.text {
	case "if":
		err = p.openIf(sp, start)
	case "elif", "else", "endif", "endfor":
		err = p.continueBlock(kw, sp)
	case "for":
		err = p.openFor(sp, start)
	case "set":
		err = p.set(sp, start)
	default:
		if strings.HasPrefix(kw.text, "end") {
			err = p.continueBlock(kw, sp)
			break
		}
		handled, serr := p.openStatement(kw, sp, start)
		if !handled {
			return errAt(kw.pos, "unsupported tag {%% %s %%} (%s)", kw.text, unsupportedTags)
		}
		err = serr
	}
	if err != nil {
		return err
	}
	if t := sp.peek(); t.kind != tokEOF {
		return errAt(t.pos, "unexpected %s at the end of {%% %s %%}", t.describe(), kw.text)
	}
	return nil
}

func (p *templateParser) openIf(sp *parser, start int) error {
	cond, err := sp.parseCondExpr()
	if err != nil {
		return err
	}
	n := &ifNode{conds: []node{cond}, bodies: [][]tnode{nil}}
	p.push(n, &n.bodies[0], "if", start)
	return nil
}

func (p *templateParser) openFor(sp *parser, start int) error {
	n := &forNode{}
	for {
		t := sp.advance()
		if t.kind != tokName || reservedWords[t.text] {
			return errAt(t.pos, "expected a loop variable name, found %s", t.describe())
		}
		n.targets = append(n.targets, t.text)
		if !sp.acceptOp(",") {
			break
		}
	}
	if t := sp.peek(); !sp.acceptName("in") {
		return errAt(t.pos, "expected 'in' in {%% for %%}, found %s", t.describe())
	}
	var err error
	if n.iter, err = sp.parseOr(); err != nil {
		return err
	}
	if sp.acceptName("if") {
		if n.cond, err = sp.parseCondExpr(); err != nil {
			return err
		}
	}
	n.recursive = sp.acceptName("recursive")
	p.push(n, &n.body, "for", start)
	return nil
}

func (p *templateParser) continueBlock(kw token, sp *parser) error {
	if len(p.stack) == 0 {
		return errAt(kw.pos, "{%% %s %%} without an open block", kw.text)
	}
	f := p.stack[len(p.stack)-1]
	ifn, isIf := f.node.(*ifNode)
	forn, isFor := f.node.(*forNode)
	switch {
	case kw.text == "end"+f.tag:
		if f.tag == "block" {
			if err := p.endBlock(f, sp); err != nil {
				return err
			}
		}
		p.stack = p.stack[:len(p.stack)-1]
	case kw.text == "elif" && isIf && !f.sawElse:
		cond, err := sp.parseCondExpr()
		if err != nil {
			return err
		}
		ifn.conds = append(ifn.conds, cond)
		ifn.bodies = append(ifn.bodies, nil)
		f.body = &ifn.bodies[len(ifn.bodies)-1]
	case kw.text == "else" && !f.sawElse && isIf:
		f.sawElse, f.body = true, &ifn.els
	case kw.text == "else" && !f.sawElse && isFor:
		f.sawElse, f.body = true, &forn.els
	default:
		return errAt(kw.pos, "unexpected {%% %s %%} inside {%% %s %%}", kw.text, f.tag)
	}
	return nil
}

func (p *templateParser) set(sp *parser, start int) error {
	t := sp.advance()
	if t.kind != tokName || reservedWords[t.text] {
		return errAt(t.pos, "expected a variable name after set, found %s", t.describe())
	}
	if next := sp.peek(); next.kind == tokEOF || next.is(tokOp, "|") {
		return p.openSetBlock(t.text, sp, start)
	}
	n := &setNode{name: t.text}
	if err := setTargets(sp, n); err != nil {
		return err
	}
	if err := sp.expectOp("="); err != nil {
		return err
	}
	val, err := tupleExpr(sp)
	if err != nil {
		return err
	}
	n.val = val
	p.add(n)
	return nil
}

// singleOutput returns the one {{ }} of a template that has nothing else
// but whitespace around it.
func singleOutput(nodes []tnode) *outNode {
	var out *outNode
	for _, n := range nodes {
		switch n := n.(type) {
		case *outNode:
			if out != nil {
				return nil
			}
			out = n
		case *textNode:
			if strings.TrimSpace(n.s) != "" {
				return nil
			}
		default:
			return nil
		}
	}
	return out
}

// Compiled template: runs of text and {{ }} become one program each.
type (
	cnode  interface{}
	cText  string
	cChunk struct{ p *program }
	cIf    struct {
		conds  []*program
		bodies [][]cnode
		els    []cnode
	}
	cFor struct {
		targets   []string
		iter      *program
		cond      *program
		recursive bool
		body, els []cnode
	}
	cSet struct {
		name, attr string
		more       []string
		val        *program
	}
)

type compiledTemplate struct {
	single   *program // the template is one {{ expr }}: render its value
	shape    singleShape
	body     []cnode
	blocks   map[string]*cBlock // its {% block %}s by name
	newlines int                // trailing newlines of the source, which Ansible keeps
}

func (e *Engine) compileTemplate(src string, env envSettings) (*compiledTemplate, error) {
	nodes, err := parseTemplateWith(jinjaSource(src), env)
	if err != nil {
		return nil, syntaxError(src, 0, err)
	}
	if out := singleOutput(nodes); out != nil {
		em := newEmitter(out.off)
		em.emit(out.expr)
		p, err := e.compile(em, out.src, src)
		return &compiledTemplate{single: p, shape: shapeOf(src, nodes, out), newlines: trailingNewlines(src)}, err
	}
	return e.compileNodes(src, nodes)
}

// compileBody compiles a template that renders as text, never as the value
// of a lone {{ }}: one that another template extends, includes or imports.
func (e *Engine) compileBody(src string, env envSettings) (*compiledTemplate, error) {
	nodes, err := parseTemplateWith(jinjaSource(src), env)
	if err != nil {
		return nil, syntaxError(src, 0, err)
	}
	return e.compileNodes(src, nodes)
}

func (e *Engine) compileNodes(src string, nodes []tnode) (*compiledTemplate, error) {
	tc := &templateCompiler{e: e, src: src, blocks: map[string]*cBlock{}}
	body, err := tc.body(nodes)
	if err != nil {
		return nil, err
	}
	return &compiledTemplate{body: body, blocks: tc.blocks, newlines: trailingNewlines(src)}, nil
}

// jinjaSource is the source Jinja renders: without its one trailing
// newline (keep_trailing_newline=False); the render adds back as many as
// the source had.
func jinjaSource(src string) string {
	if env, err := parseHeader(src, ansibleEnv); err == nil && env.keepTrailingNewline {
		return src
	}
	if s, ok := strings.CutSuffix(src, "\r\n"); ok {
		return s
	}
	return strings.TrimSuffix(src, "\n")
}

func trailingNewlines(s string) int { return len(s) - len(strings.TrimRight(s, "\n")) }

// convert is the value Ansible gives the template's output (convert.go).
func (t *compiledTemplate) convert(v any) any {
	if t.single != nil {
		return convertSingle(t.shape, v, t.newlines)
	}
	return convertText(v.(string), t.newlines)
}

type templateCompiler struct {
	e      *Engine
	src    string
	blocks map[string]*cBlock
}

func (tc *templateCompiler) expr(n node, src string) (*program, error) {
	em := newEmitter(-1)
	em.emit(n)
	return tc.e.compile(em, src, tc.src)
}

func (tc *templateCompiler) cond(n node, src string) (*program, error) {
	em := newEmitter(-1)
	em.boolExpr(n)
	return tc.e.compile(em, src, tc.src)
}

// maxChunkOutputs bounds how many {{ }} share one program.
const maxChunkOutputs = 64

func (tc *templateCompiler) body(nodes []tnode) ([]cnode, error) {
	var out []cnode
	var run []tnode
	flush := func() error {
		if len(run) > 0 {
			c, err := tc.chunk(run)
			if err != nil {
				return err
			}
			out = append(out, c)
			run = nil
		}
		return nil
	}
	for _, n := range nodes {
		switch n := n.(type) {
		case *textNode, *outNode:
			run = append(run, n)
			if len(run) >= 2*maxChunkOutputs {
				if err := flush(); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		c, err := tc.block(n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, flush()
}

// chunk compiles a run of text and outputs into one h_concat program.
func (tc *templateCompiler) chunk(run []tnode) (cnode, error) {
	em := newEmitter(-1)
	em.w("h_output(")
	var text strings.Builder
	var srcs []string
	hasOutput := false
	for i, n := range run {
		if i > 0 {
			em.w(", ")
		}
		switch n := n.(type) {
		case *textNode:
			em.literal(n.s)
			text.WriteString(n.s)
		case *outNode:
			em.base = n.off
			em.emit(n.expr)
			srcs = append(srcs, "{{ "+n.src+" }}")
			hasOutput = true
		}
	}
	em.w(")")
	if !hasOutput {
		return cText(text.String()), nil
	}
	p, err := tc.e.compile(em, strings.Join(srcs, " "), tc.src)
	return &cChunk{p: p}, err
}

func (tc *templateCompiler) block(n tnode) (cnode, error) {
	switch n := n.(type) {
	case *ifNode:
		c := &cIf{}
		for i, cond := range n.conds {
			p, err := tc.cond(cond, "{% if "+describe(cond)+" %}")
			if err != nil {
				return nil, err
			}
			body, err := tc.body(n.bodies[i])
			if err != nil {
				return nil, err
			}
			c.conds, c.bodies = append(c.conds, p), append(c.bodies, body)
		}
		var err error
		c.els, err = tc.body(n.els)
		return c, err
	case *forNode:
		return tc.forLoop(n)
	case *setNode:
		p, err := tc.expr(n.val, "{% set "+n.name+" %}")
		return &cSet{name: n.name, attr: n.attr, more: n.more, val: p}, err
	}
	return tc.statement(n)
}

func (tc *templateCompiler) forLoop(n *forNode) (cnode, error) {
	c := &cFor{targets: n.targets, recursive: n.recursive}
	what := "{% for " + strings.Join(n.targets, ", ") + " in " + describe(n.iter) + " %}"
	var err error
	if c.iter, err = tc.expr(n.iter, what); err != nil {
		return nil, err
	}
	if n.cond != nil {
		if c.cond, err = tc.cond(n.cond, what); err != nil {
			return nil, err
		}
	}
	if c.body, err = tc.body(n.body); err != nil {
		return nil, err
	}
	c.els, err = tc.body(n.els)
	return c, err
}

// layer is a scope of template-local variables (loop variables, set) over
// the caller's scope.
type layer struct {
	vars   map[string]any
	parent Scope
}

func (l *layer) Lookup(name string) (any, bool, error) {
	if v, ok := l.vars[name]; ok {
		return v, true, nil
	}
	return l.parent.Lookup(name)
}

// renderCtx is what every part of one render shares.
type renderCtx struct {
	e     *Engine
	dirs  []string    // where extends, include and import find templates
	env   envSettings // the settings the templates they name are parsed with
	iters int         // loop iterations so far
	depth int         // nesting of includes, imports and macro calls
	// entries counts the templates, macros and blocks entered (maxEntries)
	entries int
}

// renderState renders one template (or a macro's or block's body) into b.
type renderState struct {
	b      strings.Builder
	ctx    *renderCtx
	blocks map[string][]*cBlock // each block's definitions, the most derived first
	root   *layer               // the template's top-level scope
	parent *compiledTemplate    // set by {% extends %}: the rest of the output is the parent's
	own    renderCtx            // the ctx of a render's first state
}

// render renders t over s; dirs are where the templates it names are found,
// parsed with env.
func (t *compiledTemplate) render(s Scope, e *Engine, dirs []string, env envSettings) (any, error) {
	if s == nil {
		s = emptyScope{}
	}
	if t.single != nil {
		v, err := t.single.run(s)
		if err != nil {
			return nil, err
		}
		if err := defined(v); err != nil {
			return nil, t.single.runtimeError(err)
		}
		return v, nil
	}
	st := &renderState{own: renderCtx{e: e, dirs: dirs, env: env}}
	st.ctx = &st.own
	if err := st.renderTemplate(t, &layer{vars: map[string]any{}, parent: s}); err != nil {
		return nil, err
	}
	out := st.b.String()
	// Like Ansible, keep the source's trailing newlines that trim_blocks ate.
	if have := len(out) - len(strings.TrimRight(out, "\n")); have < t.newlines {
		out += strings.Repeat("\n", t.newlines-have)
	}
	return out, nil
}

func (st *renderState) exec(nodes []cnode, l *layer) error {
	for _, n := range nodes {
		if err := st.execOne(n, l); err != nil {
			return err
		}
		if st.b.Len() > maxStringLen {
			return fmt.Errorf("template output larger than %d bytes", maxStringLen)
		}
	}
	return nil
}

func (st *renderState) execOne(n cnode, l *layer) error {
	switch n := n.(type) {
	case cText:
		if st.parent == nil {
			st.b.WriteString(string(n))
		}
	case *cChunk:
		if st.parent != nil { // after {% extends %}, only the parent's output counts
			return nil
		}
		v, err := n.p.run(l)
		if err != nil {
			return err
		}
		st.b.WriteString(v.(string))
	case *cIf:
		for i, cond := range n.conds {
			v, err := cond.run(l)
			if err != nil {
				return err
			}
			if v == true {
				return st.exec(n.bodies[i], l)
			}
		}
		return st.exec(n.els, l)
	case *cFor:
		return st.loop(n, l)
	case *cSet:
		v, err := n.val.run(l)
		if err != nil {
			return err
		}
		if err := defined(v); err != nil {
			return n.val.runtimeError(err)
		}
		if err := assign(l, n, v); err != nil {
			return &EvalError{Source: n.val.src, Err: err}
		}
	default:
		return st.execStatement(n, l)
	}
	return nil
}

func (st *renderState) loop(n *cFor, l *layer) error {
	v, err := n.iter.run(l)
	if err != nil {
		return err
	}
	return st.loopOver(n, v, l, 1)
}

// loopOver runs a loop's body over the items of v; a recursive loop's
// loop(items) runs it again over items, one level deeper.
func (st *renderState) loopOver(n *cFor, v any, l *layer, depth int) error {
	items, err := iterate(v)
	if err != nil {
		return &EvalError{Source: n.iter.src, Err: err}
	}
	kept := items
	if n.cond != nil {
		if kept, err = filterLoopItems(n, items, l); err != nil {
			return err
		}
	}
	if len(kept) == 0 {
		return st.exec(n.els, l)
	}
	ls := &loopState{items: kept, depth: depth}
	if n.recursive {
		ls.recurse = func(v any) (any, error) {
			sub := st.sub()
			err := st.nested(func() error { return sub.loopOver(n, v, l, depth+1) })
			return sub.b.String(), err
		}
	}
	inner := &layer{vars: map[string]any{}, parent: l}
	for i, item := range kept {
		st.ctx.iters++
		if st.ctx.iters > maxLoopIters {
			return fmt.Errorf("template loops ran more than %d iterations", maxLoopIters)
		}
		clear(inner.vars) // a {% set %} in the body lasts one iteration
		inner.vars["loop"] = &loopVar{loopState: ls, i: i}
		if err := bindTargets(inner, n.targets, item); err != nil {
			return &EvalError{Source: n.iter.src, Err: err}
		}
		if err := st.exec(n.body, inner); err != nil {
			return err
		}
	}
	return nil
}

// filterLoopItems keeps the items that pass a loop's `if` condition.
func filterLoopItems(n *cFor, items []any, l *layer) ([]any, error) {
	var kept []any
	inner := &layer{vars: map[string]any{}, parent: l}
	for _, item := range items {
		if err := bindTargets(inner, n.targets, item); err != nil {
			return nil, &EvalError{Source: n.iter.src, Err: err}
		}
		ok, err := n.cond.run(inner)
		if err != nil {
			return nil, err
		}
		if ok == true {
			kept = append(kept, item)
		}
	}
	return kept, nil
}

// bindTargets sets the loop variables: one takes the item, several unpack it.
func bindTargets(l *layer, targets []string, item any) error {
	if len(targets) == 1 {
		l.vars[targets[0]] = item
		return nil
	}
	parts, ok := asList(item)
	switch {
	case !ok:
		return fmt.Errorf("cannot unpack non-iterable %s object", typeName(item))
	case len(parts) < len(targets):
		return fmt.Errorf("not enough values to unpack (expected %d, got %d)", len(targets), len(parts))
	case len(parts) > len(targets):
		return fmt.Errorf("too many values to unpack (expected %d)", len(targets))
	}
	for i, t := range targets {
		l.vars[t] = parts[i]
	}
	return nil
}
