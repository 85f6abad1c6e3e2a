package template

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Scope resolves variables; the runner implements it over its lazy layers.
// A variable whose value is itself a template can fail to render (it refers
// to itself, or to an undefined name): that failure is the error, returned as
// a value through the whole evaluation.
type Scope interface {
	Lookup(name string) (val any, ok bool, err error)
}

// Options configure the functions that reach outside the expression.
type Options struct {
	BaseDir string                      // lookup('file', rel) reads BaseDir/rel
	Env     func(string) (string, bool) // lookup('env', NAME); nil means the process environment
	Secret  func(string)                // told every password a lookup returns, to mask it
	// Decrypt opens ansible-vault data a lookup reads (file, unvault,
	// csvfile, ini); nil when no vault password was given.
	Decrypt func(data []byte, name string) ([]byte, error)
	// Hosts are the inventory's hosts that a pattern matches
	// (inventory_hostnames), in inventory order.
	Hosts func(pattern string) ([]string, error)
	// Config is lookup('config', NAME): the setting's value, found false
	// for one ferry does not know; ConfigNames lists those it knows.
	Config      func(name string) (value any, found bool, err error)
	ConfigNames []string
	// Warn shows a warning of a lookup (config's on_missing=warn).
	Warn func(msg string)
}

// Engine compiles and caches programs by source text; it is safe for
// concurrent use.
type Engine struct {
	opts      Options
	exprOpts  []expr.Option
	exprs     sync.Map // expression source -> *exprEntry
	templates sync.Map // template source -> *tmplEntry
	cached    atomic.Int64
	// nativeTexts: the string filters' outputs that stay text (nativetext.go).
	nativeTexts sync.Map
	nativeCount atomic.Int64
	// passwordMu serializes lookup('password'), which may create a file.
	passwordMu sync.Mutex
}

type exprEntry struct {
	prog *program
	err  error
}

type tmplEntry struct {
	t   *compiledTemplate
	err error
}

// maxCachedPrograms bounds each engine's cache; sources beyond it are
// compiled on every use instead of growing memory without limit.
const maxCachedPrograms = 100_000

// New returns an engine whose lookup() functions use opts.
func New(opts Options) *Engine {
	e := &Engine{opts: opts}
	e.exprOpts = []expr.Option{
		expr.Env(map[string]any{}),
		expr.AllowUndefinedVariables(),
		expr.DisableAllBuiltins(),
		expr.MaxNodes(1 << 20),
	}
	add := func(fns map[string]fn) {
		for name, f := range fns {
			e.exprOpts = append(e.exprOpts, expr.Function(name, f))
		}
	}
	add(helpers())
	add(e.globals())
	for name, spec := range filters {
		e.exprOpts = append(e.exprOpts, expr.Function(filterFuncName(name), filterFn(name, spec)))
	}
	for name, spec := range tests {
		e.exprOpts = append(e.exprOpts, expr.Function("t_"+name, testFn(name, spec)))
	}
	return e
}

// callArgs checks the subject a filter or test is applied to (defined,
// unless the filter handles undefined itself, like default) and splits the
// rest into arguments.
func callArgs(kind, name string, lazy bool, p []any) (any, *fargs, error) {
	if len(p) == 0 {
		return nil, nil, fmt.Errorf("%s '%s' applied to nothing", kind, name)
	}
	if !lazy {
		if err := defined(p[0]); err != nil {
			return nil, nil, err
		}
	}
	a, err := splitArgs(p[1:])
	return p[0], a, err
}

func filterFn(name string, spec filterSpec) fn {
	return func(p ...any) (any, error) {
		subject, a, err := callArgs("filter", name, spec.lazy, p)
		if err != nil {
			return nil, err
		}
		out, err := spec.fn(subject, a)
		if err != nil {
			var ue *UndefinedError
			if errors.As(err, &ue) {
				return nil, err
			}
			return nil, fmt.Errorf("filter '%s': %w", name, err)
		}
		return out, nil
	}
}

func testFn(name string, spec testSpec) fn {
	return func(p ...any) (any, error) {
		subject, a, err := callArgs("test", name, spec.lazy, p)
		if err != nil {
			return nil, err
		}
		ok, err := spec.fn(subject, a)
		if err != nil {
			return nil, fmt.Errorf("test '%s': %w", name, err)
		}
		return ok, nil
	}
}

// program is one compiled expr program and the variables it reads.
type program struct {
	prog  *vm.Program
	src   string            // the Jinja source, for error messages
	where map[string]string // "line 2, column 5" of each variable's first read
}

// compile translates the emitter's output. A failure here is a bug in the
// translation, never the user's: the Jinja source was already parsed.
func (e *Engine) compile(em *emitter, src, whole string) (*program, error) {
	code := em.b.String()
	p, err := expr.Compile(code, e.exprOpts...)
	if err != nil {
		return nil, fmt.Errorf("internal error translating %s (please report): %v", quoteSrc(src), err)
	}
	where := map[string]string{}
	for name, off := range em.firstPos {
		if off >= 0 {
			where[name] = position(whole, off)
		}
	}
	return &program{prog: p, src: src, where: where}, nil
}

var (
	envPool = sync.Pool{New: func() any { return make(map[string]any, 8) }}
	vmPool  = sync.Pool{New: func() any { return new(vm.VM) }}
)

type emptyScope struct{}

func (emptyScope) Lookup(string) (any, bool, error) { return nil, false, nil }

// run executes p over the caller's scope.
func (p *program) run(s Scope) (any, error) {
	if s == nil {
		s = emptyScope{}
	}
	env := envPool.Get().(map[string]any)
	defer func() {
		clear(env)
		envPool.Put(env)
	}()
	env[scopeKey] = &runScope{s: s} // variables are read lazily, see lazy.go
	machine := vmPool.Get().(*vm.VM)
	out, err := machine.Run(p.prog, env)
	vmPool.Put(machine)
	if err != nil {
		return nil, p.runtimeError(err)
	}
	return out, nil
}

// runtimeError keeps the message of the helper that failed and drops expr's
// view of the translated code, which the user never wrote.
func (p *program) runtimeError(err error) error {
	var re runtime.Error
	if errors.As(err, &re) { // a Go panic inside a helper: a bug, never the user's
		return &EvalError{Source: p.src, Err: fmt.Errorf("internal error in the template engine (please report): %v", re)}
	}
	var ve *varError
	if errors.As(err, &ve) { // a variable's own failure, already placed in its own source
		return ve.err
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		if fe.Prev != nil {
			err = fe.Prev
		} else {
			err = errors.New(fe.Message)
		}
	}
	ev := &EvalError{Source: p.src, Err: err}
	var ue *UndefinedError
	if errors.As(err, &ue) {
		ev.Where = p.where[ue.Name]
	}
	return ev
}

// EvalError is a failure while evaluating an expression or template.
type EvalError struct {
	Source string
	Where  string // "column 5" or "line 2, column 5" when known
	Err    error
}

func (e *EvalError) Error() string {
	if e.Where != "" {
		return fmt.Sprintf("%s at %s: %v", quoteSrc(e.Source), e.Where, e.Err)
	}
	return fmt.Sprintf("%s: %v", quoteSrc(e.Source), e.Err)
}
func (e *EvalError) Unwrap() error { return e.Err }

// quoteSrc shows a source in messages, shortened when long.
func quoteSrc(src string) string {
	const limit = 120
	if len(src) > limit {
		cut := limit
		for cut > 0 && (src[cut]&0xC0) == 0x80 {
			cut--
		}
		src = src[:cut] + "..."
	}
	return fmt.Sprintf("%q", src)
}

// SyntaxError is a static error in an expression or template.
type SyntaxError struct {
	Source    string
	Line, Col int // 1-based
	Msg       string
	// Unknown is "filter" or "test" when the error is a name ferry does not
	// have (Name), which a playbook's Python plugin may define.
	Unknown, Name string
}

func (e *SyntaxError) Error() string {
	if !strings.Contains(e.Source, "\n") {
		return fmt.Sprintf("syntax error at column %d of %s: %s", e.Col, quoteSrc(e.Source), e.Msg)
	}
	return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Col, e.Msg)
}

// syntaxError places a parse error at its line and column in src; base is the
// offset of the expression the error's position is relative to.
func syntaxError(src string, base int, err error) error {
	var pe *posError
	if !errors.As(err, &pe) {
		return err
	}
	line, col := lineCol(src, base+pe.pos)
	return &SyntaxError{Source: src, Line: line, Col: col, Msg: pe.msg, Unknown: pe.unknown, Name: pe.nameUsed}
}

// lineCol converts a byte offset of src to a 1-based line and column.
func lineCol(src string, off int) (line, col int) {
	off = min(max(off, 0), len(src))
	line = 1 + strings.Count(src[:off], "\n")
	col = 1 + len([]rune(src[strings.LastIndexByte(src[:off], '\n')+1:off]))
	return line, col
}

// position describes an offset for messages: "column 5" in a one-line
// source, "line 2, column 5" otherwise.
func position(src string, off int) string {
	line, col := lineCol(src, off)
	if !strings.Contains(src, "\n") {
		return fmt.Sprintf("column %d", col)
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

// cacheStore remembers v under key unless the cache is full.
func (e *Engine) cacheStore(m *sync.Map, key string, v any) {
	if e.cached.Add(1) <= maxCachedPrograms {
		m.Store(key, v)
	}
}

// expression parses and compiles a bare expression, or one written as a
// single "{{ expr }}" (which Ansible also accepts in when:).
func (e *Engine) expression(src string) (*program, error) {
	if ent, ok := e.exprs.Load(src); ok {
		return ent.(*exprEntry).prog, ent.(*exprEntry).err
	}
	prog, err := e.compileExpression(src)
	e.cacheStore(&e.exprs, src, &exprEntry{prog: prog, err: err})
	return prog, err
}

func (e *Engine) compileExpression(src string) (*program, error) {
	n, base, err := parseEvalSource(src)
	if err != nil {
		return nil, syntaxError(src, base, err)
	}
	em := newEmitter(base)
	em.emit(n)
	return e.compile(em, src, src)
}

// parseEvalSource returns the expression of src and the offset it starts at.
func parseEvalSource(src string) (node, int, error) {
	if !strings.Contains(src, "{{") && !strings.Contains(src, "{%") {
		n, err := parseExpression(src)
		return n, 0, err
	}
	nodes, err := parseTemplate(src)
	if err != nil {
		return nil, 0, err
	}
	if out := singleOutput(nodes); out != nil {
		return out.expr, out.off, nil
	}
	return nil, 0, errAt(strings.Index(src, "{"), "an expression must not mix text with {{ }} or {%% %%}: write the bare expression, as in when: x == 1")
}

// Eval evaluates a bare Jinja expression (a when: condition, say).
func (e *Engine) Eval(src string, s Scope) (_ any, err error) {
	defer recoverInternal(&err)
	p, err := e.expression(src)
	if err != nil {
		return nil, err
	}
	v, err := p.run(s)
	if err != nil {
		return nil, err
	}
	if err := defined(v); err != nil {
		return nil, p.runtimeError(err)
	}
	return v, nil
}

// EvalBool evaluates a condition as ansible-core 2.14's Conditional does:
// the expression's Jinja truth, so a non-empty string is true even when it
// reads "false" (`when: flag` with -e flag=false runs the task). Only a
// templated condition (`when: "{{ flag }}"`, which Ansible warns about) has
// its rendered text evaluated again as an expression: there "false" is false.
func (e *Engine) EvalBool(src string, s Scope) (bool, error) {
	v, err := e.Eval(src, s)
	if err != nil {
		return false, err
	}
	text, rendered := v.(string)
	if !rendered || !strings.Contains(src, "{{") {
		return truthy(v), nil
	}
	if again, err := e.Eval(text, s); err == nil {
		return truthy(again), nil
	}
	return conditionTruth(v), nil
}

func conditionTruth(v any) bool {
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "", "false", "no", "off", "0", "n", "f":
			return false
		}
		return true
	}
	return truthy(v)
}

// Render renders text as Ansible 2.14 templates a value (convert.go): a
// text that is exactly {{ name }} of a bool, number or None yields that
// value; any other output is text, read back as a list, dict or bool when
// it is the literal of one. Text without template syntax is returned
// unchanged.
func (e *Engine) Render(text string, s Scope) (_ any, err error) {
	defer recoverInternal(&err)
	if !hasTemplateSyntax(text) {
		return text, nil
	}
	t, err := e.template(text, ansibleEnv)
	if err != nil {
		return nil, err
	}
	v, err := t.render(s, e, e.inlineDirs(), ansibleEnv)
	if err != nil {
		return nil, err
	}
	return e.convert(t, v), nil
}

// RenderString renders text to a string, as Ansible renders a template
// file (nothing read back as a literal; a lone None prints as nothing).
func (e *Engine) RenderString(text string, s Scope) (string, error) {
	if !hasTemplateSyntax(text) {
		return text, nil
	}
	return e.RenderFile(text, e.inlineDirs(), s)
}

func hasTemplateSyntax(text string) bool {
	return strings.Contains(text, "{{") || strings.Contains(text, "{%") || strings.Contains(text, "{#")
}

func (e *Engine) template(text string, env envSettings) (*compiledTemplate, error) {
	key := envKey(env, text)
	if ent, ok := e.templates.Load(key); ok {
		return ent.(*tmplEntry).t, ent.(*tmplEntry).err
	}
	t, err := e.compileTemplate(text, env)
	e.cacheStore(&e.templates, key, &tmplEntry{t: t, err: err})
	return t, err
}

// envKey is the cache key of text parsed with env: the text itself with
// Ansible's settings.
func envKey(env envSettings, text string) string {
	if env == ansibleEnv {
		return text
	}
	return fmt.Sprintf("\x00env %t %t\x00%s", env.trimBlocks, env.lstripBlocks, text)
}

func recoverInternal(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("internal error in the template engine (please report): %v", r)
	}
}

// checker compiles for Check and CheckExpr; its cache also serves later
// checks of the same sources.
var checker = New(Options{})

// Check reports syntax errors in a template string (anything that may hold
// {{ }}, {% %} or {# #}) without evaluating it.
func Check(text string) (err error) {
	defer recoverInternal(&err)
	if !hasTemplateSyntax(text) {
		return nil
	}
	_, err = checker.template(text, ansibleEnv)
	return err
}

// CheckExpr reports syntax errors in a bare expression (when:, until:,
// failed_when:, changed_when:) without evaluating it.
func CheckExpr(src string) (err error) {
	defer recoverInternal(&err)
	_, err = checker.expression(src)
	return err
}
