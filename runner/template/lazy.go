package template

// Variables are read lazily: a program reads a variable when evaluation
// reaches it, not before, so that `a if c else b` or `x | default(y)` never
// evaluates (and never fails on) a variable of the branch not taken, as in
// Jinja. Each name is looked up at most once per run.

// runScope is one run's access to the caller's variables.
type runScope struct {
	s    Scope
	seen map[string]any
}

// hVar reads variable name (p[1]) through the run's scope (p[0]); a missing
// one is an undefined value that guards may still accept.
func hVar(p ...any) (any, error) {
	rs, name := p[0].(*runScope), p[1].(string)
	if v, ok := rs.seen[name]; ok {
		return v, nil
	}
	v, ok, err := rs.s.Lookup(name)
	if err != nil {
		return nil, &varError{err}
	}
	if !ok {
		v = undefinedVar(name)
	}
	if rs.seen == nil {
		rs.seen = make(map[string]any, 4)
	}
	rs.seen[name] = v
	return v, nil
}

// varError carries a variable's own failure through the program unchanged:
// wrapping it in the reading template's source would only repeat it.
type varError struct{ err error }

func (e *varError) Error() string { return e.err.Error() }
func (e *varError) Unwrap() error { return e.err }

// scopeOf returns the caller's scope from a run's scope argument.
func scopeOf(v any) Scope {
	if rs, ok := v.(*runScope); ok && rs.s != nil {
		return rs.s
	}
	return emptyScope{}
}
