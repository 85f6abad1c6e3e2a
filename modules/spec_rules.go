package modules

// Rule is a check across arguments ("password_probe only applies with
// update_password: always"), which no one argument's Check can make. It
// runs once every argument is bound, defaults filled in; before the run
// only when the arguments it reads are all literal, so that `ferry validate`
// reports it at the first argument's file:line.
type Rule struct {
	// Args are the arguments the rule reads; its error is placed at the
	// first.
	Args []string
	// Check says what is wrong and what to give instead.
	Check func(Args) error
}

// checkRules runs the spec's rules on bound arguments (given as written, to
// leave out a rule that reads a template before the run).
func (s Spec) checkRules(given givenArgs, args Args, static bool) []error {
	var errs []error
	for _, r := range s.Rules {
		if static && r.readsTemplate(given) {
			continue
		}
		if err := r.Check(args); err != nil {
			errs = append(errs, &ArgError{Arg: given.nameOf(r.Args[0]), Msg: err.Error()})
		}
	}
	return errs
}

func (r Rule) readsTemplate(given givenArgs) bool {
	for _, name := range r.Args {
		if hasTemplate(given.values[name]) {
			return true
		}
	}
	return false
}

// givenArgs are the arguments as written, by declared name: a value given
// through an alias (dest for path) is the argument's, so that rules and
// groups, which name declared arguments, see it.
type givenArgs struct {
	values map[string]any    // declared name -> value as written
	names  map[string]string // declared name -> the name written (an alias or itself)
}

func (s Spec) given(raw map[string]any) givenArgs {
	g := givenArgs{values: map[string]any{}, names: map[string]string{}}
	for _, name := range s.declarationOrder(raw) {
		declared, v := name, raw[name]
		if a, ok := s.Arg(name); ok {
			declared = a.Name
		}
		g.values[declared], g.names[declared] = v, name
	}
	return g
}

// nameOf is the name the task wrote for a declared argument, where an
// error about it is placed (the declared name when it was not given).
func (g givenArgs) nameOf(declared string) string {
	if name, ok := g.names[declared]; ok {
		return name
	}
	return declared
}
