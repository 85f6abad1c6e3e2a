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

// checkRules runs the spec's rules on bound arguments (raw as given, to
// leave out a rule that reads a template before the run).
func (s Spec) checkRules(raw map[string]any, args Args, static bool) []error {
	var errs []error
	for _, r := range s.Rules {
		if static && r.readsTemplate(raw) {
			continue
		}
		if err := r.Check(args); err != nil {
			errs = append(errs, &ArgError{Arg: r.Args[0], Msg: err.Error()})
		}
	}
	return errs
}

func (r Rule) readsTemplate(raw map[string]any) bool {
	for _, name := range r.Args {
		if hasTemplate(raw[name]) {
			return true
		}
	}
	return false
}
