package modules

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/suggest"
)

// Spec declares a module: its name, what it does, and its arguments. The one
// declaration drives validation, `ferry doc` and secret masking.
type Spec struct {
	Name    string
	Summary string
	Args    []Arg
	// FreeForm names the argument that takes the `module: text` short form
	// (command and shell: cmd).
	FreeForm string
	// OneOf lists groups of arguments of which exactly one must be given.
	OneOf [][]string
	// Exclusive lists groups of arguments of which at most one may be given.
	Exclusive [][]string
	// Rules are checks across arguments (spec_rules.go).
	Rules []Rule
	// Check is how the module behaves under --check; the runner enforces it.
	Check CheckMode
	// Deciders are the arguments that let a CheckIfDecided module predict
	// its effect in check mode (command: creates, removes).
	Deciders []string
	// CheckSkipData, when set, is what a task that check mode skips
	// registers besides changed and skipped, as Ansible's module does
	// (command: msg "Command would have run if not in check mode" and rc 0;
	// raw: nothing). Unset: Ansible's generic msg.
	CheckSkipData map[string]any
	// Returns are the keys of the module's result in the order Ansible's
	// module builds its dict (the action plugin's additions, stdout_lines,
	// after), changed and failed where the module sets them: the runner
	// registers the result in this order, which a Python dict keeps and a
	// user sees (to_json, keys(), a dict in text). Keys it does not name
	// come after, in the order the module recorded (keyorder) or sorted.
	Returns []string
	// Controller marks modules that run in ferry itself and never touch the
	// host (debug, set_fact, assert, fail, pause).
	Controller bool
	// Once marks modules that run once for all the hosts of the task, on
	// the first (Ansible's BYPASS_HOST_LOOP: pause); the others report
	// nothing and register nothing.
	Once bool
	// Dynamic marks modules whose argument names are not fixed (set_fact).
	Dynamic bool
	// Collection is the Ansible collection the module comes from when it
	// is not ansible-core's ("community.general"): a task may then name it
	// community.general.ini_file (Canonical).
	Collection string
	// nested marks the Spec of a nested mapping's fields (Arg.Fields): its
	// Name is the argument's, and its messages say so.
	nested bool
}

// Type is the type of an argument's value.
type Type int

const (
	String Type = iota
	Int
	Bool
	List
	Map
	Any
)

func (t Type) String() string {
	return [...]string{"string", "int", "bool", "list", "map", "any"}[t]
}

// Arg declares one argument.
type Arg struct {
	Name     string
	Type     Type
	Required bool
	Default  any
	Choices  []string
	Aliases  []string
	// Secret values are masked in every output (passwords, keys, tokens).
	Secret bool
	// SecretKeys marks a mapping (HTTP headers) whose values are secret
	// under the keys that name credentials (Authorization, Cookie, a
	// token...): the other values stay visible.
	SecretKeys bool
	// Raw arguments are expressions the module evaluates itself (assert's
	// `that`); the runner does not render their templates.
	Raw bool
	Doc string
	// Kind is what the value means (an absolute path, an IPv4 address...);
	// for a list, what each item means. It is checked before the module runs.
	Kind Kind
	// Check is a module's own rule for the value, once it has its type and
	// kind ("a whole number or auto"). Its message names the argument and
	// says what to give instead.
	Check func(v any) error
	// Fields are the options of a nested mapping (a Map argument), or of
	// each mapping of a List argument, checked as the module's own.
	Fields []Arg
}

// ArgError is a problem with one argument, for the runner to place at the
// argument's file:line.
type ArgError struct {
	Arg string
	// At is where inside a nested argument the problem is (".cpu",
	// "[1].name"), "" for the argument itself: the runner places it at the
	// nested value's own line.
	At   string
	Msg  string
	Hint string
}

func (e *ArgError) Error() string {
	if e.Hint != "" {
		return e.Msg + "; " + e.Hint
	}
	return e.Msg
}

// Arg returns the declaration of the argument called name (or aliased so).
func (s Spec) Arg(name string) (Arg, bool) {
	for _, a := range s.Args {
		if a.Name == name {
			return a, true
		}
		for _, al := range a.Aliases {
			if al == name {
				return a, true
			}
		}
	}
	return Arg{}, false
}

func (s Spec) argNames() []string {
	var names []string
	for _, a := range s.Args {
		names = append(names, a.Name)
		names = append(names, a.Aliases...)
	}
	return names
}

// Validate checks raw arguments before anything runs: unknown names, missing
// required ones, and the type and choices of literal values. A value that is a
// template ("{{ x }}") is checked later, by Bind, once it is rendered.
func (s Spec) Validate(raw map[string]any) []error {
	_, errs := s.bind(raw, true)
	return errs
}

// Bind validates rendered arguments and returns them typed, with defaults
// filled in and aliases resolved to the declared name.
func (s Spec) Bind(rendered map[string]any) (Args, error) {
	args, errs := s.bind(rendered, false)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return args, nil
}

func (s Spec) bind(raw map[string]any, static bool) (Args, []error) {
	var errs []error
	args := Args{}
	for _, name := range s.declarationOrder(raw) {
		val := raw[name]
		a, ok := s.Arg(name)
		if !ok {
			if s.Dynamic {
				args[name] = val
				continue
			}
			errs = append(errs, &ArgError{Arg: name,
				Msg:  fmt.Sprintf("%s has no argument %q", s.subject(), name),
				Hint: suggest.Hint(name, s.argNames())})
			continue
		}
		if static && hasTemplate(val) && !checksInside(a, val) {
			args[a.Name] = val
			continue
		}
		v, err := coerce(a, val, static)
		if err != nil {
			errs = append(errs, &ArgError{Arg: name, At: nestedAt(err), Msg: err.Error()})
			args[a.Name] = val // given, though refused: not also "missing"
			continue
		}
		args[a.Name] = v
	}
	for _, a := range s.Args {
		if _, given := args[a.Name]; given {
			continue
		}
		if a.Required {
			errs = append(errs, &ArgError{Arg: a.Name, Msg: fmt.Sprintf("%s needs argument %q", s.subject(), a.Name)})
		} else if a.Default != nil {
			args[a.Name] = copyDefault(a.Default)
		}
	}
	if len(errs) == 0 {
		// Group rules only make sense once every name is known.
		given := s.given(raw)
		errs = append(s.checkGroups(given, static), s.checkRules(given, args, static)...)
	}
	return args, errs
}

// declarationOrder lists the names in raw in the order the spec declares
// them, so that several problems are reported in the order of `ferry doc`;
// undeclared names come last, sorted.
func (s Spec) declarationOrder(raw map[string]any) []string {
	index := func(name string) int {
		for i, a := range s.Args {
			if a.Name == name || slices.Contains(a.Aliases, name) {
				return i
			}
		}
		return len(s.Args)
	}
	names := slices.Sorted(maps.Keys(raw))
	slices.SortStableFunc(names, func(a, b string) int { return index(a) - index(b) })
	return names
}

func (s Spec) checkGroups(given givenArgs, static bool) []error {
	var errs []error
	// Before the run, a templated value may still turn out to be omit:
	// it counts as given for OneOf, but not against Exclusive.
	count := func(group []string, templated bool) (n int) {
		for _, name := range group {
			if v, ok := given.values[name]; ok && (templated || !static || !hasTemplate(v)) {
				n++
			}
		}
		return n
	}
	for _, g := range s.OneOf {
		if count(g, true) != 1 {
			errs = append(errs, &ArgError{Arg: given.nameOf(g[0]), Msg: fmt.Sprintf("%s needs exactly one of %s", s.subject(), strings.Join(g, ", "))})
		}
	}
	for _, g := range s.Exclusive {
		if count(g, false) > 1 {
			errs = append(errs, &ArgError{Arg: given.nameOf(g[0]), Msg: fmt.Sprintf("%s takes only one of %s", s.subject(), strings.Join(g, ", "))})
		}
	}
	return errs
}

// hasTemplate reports whether v, or anything inside it, is a template that
// only the run can render.
func hasTemplate(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.Contains(x, "{{") || strings.Contains(x, "{%")
	case []any:
		return slices.ContainsFunc(x, hasTemplate)
	case map[string]any:
		for _, e := range x {
			if hasTemplate(e) {
				return true
			}
		}
	}
	return false
}

// coerce converts a value to the argument's type the way Ansible does for
// module arguments ("yes" is a bool for a bool argument, 8 is "8" for a
// string), then checks its kind, its fields and the module's own rule.
func coerce(a Arg, v any, static bool) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := coerceType(a, v)
	if err != nil {
		return nil, fmt.Errorf("argument %s: %w", a.Name, err)
	}
	if a.Kind != Plain && !(out == "" && !a.Required) { // "" leaves an optional argument unset
		items := []any{out}
		if a.Type == List {
			items, _ = out.([]any)
		}
		for _, item := range items {
			if err := a.Kind.check(a.Name, item); err != nil {
				return nil, err
			}
		}
	}
	if len(a.Fields) > 0 {
		if out, err = bindFields(a, out, static); err != nil {
			return nil, err
		}
	}
	if a.Check != nil && !(static && hasTemplate(out)) {
		if err := a.Check(out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func coerceType(a Arg, v any) (any, error) {
	var out any
	switch a.Type {
	case String:
		switch x := v.(type) {
		case string:
			out = x
		case int, int64, float64, bool:
			out = fmt.Sprint(x)
		default:
			return nil, fmt.Errorf("want a string, got %s", TypeName(v))
		}
	case Int:
		n, err := ToInt(v)
		if err != nil {
			return nil, err
		}
		out = n
	case Bool:
		b, err := ToBool(v)
		if err != nil {
			return nil, err
		}
		out = b
	case List:
		switch x := v.(type) {
		case []any:
			out = x
		case string:
			out = splitList(x)
		case int, int64, float64:
			out = []any{fmt.Sprint(x)} // check_type_list's [str(value)] (uri's status_code: 200)
		default:
			return nil, fmt.Errorf("want a list, got %s", TypeName(v))
		}
	case Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("want a mapping, got %s", TypeName(v))
		}
		out = m
	default:
		out = v
	}
	if len(a.Choices) > 0 {
		s := fmt.Sprint(out)
		for _, c := range a.Choices {
			if c == s {
				return out, nil
			}
		}
		if c, ok := boolChoice(v, a.Choices); ok {
			return c, nil
		}
		return nil, fmt.Errorf("%q is not one of %s", s, strings.Join(a.Choices, ", "))
	}
	return out, nil
}

func ToInt(v any) (int, error) {
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case float64:
		if x == float64(int(x)) {
			return int(x), nil
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(x)); err == nil {
			return n, nil
		}
		return 0, fmt.Errorf("want a whole number, got %q", x)
	}
	return 0, fmt.Errorf("want a whole number, got %s", TypeName(v))
}

// ToBool reads a bool the way Ansible does: yes/no, true/false, on/off, 1/0.
func ToBool(v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		if x == 0 || x == 1 {
			return x == 1, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "yes", "y", "true", "t", "on", "1":
			return true, nil
		case "no", "n", "false", "f", "off", "0", "":
			return false, nil
		}
		return false, fmt.Errorf("want a boolean (yes/no, true/false), got %q", x)
	}
	return false, fmt.Errorf("want a boolean, got %s", TypeName(v))
}

func splitList(s string) []any {
	var out []any
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func TypeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int, int64:
		return "a number"
	case float64:
		return "a decimal number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// SecretArgs returns the values of the arguments declared secret, for masking.
func (s Spec) SecretArgs(args map[string]any) []string {
	var out []string
	for _, a := range s.Args {
		if !a.Secret && !a.SecretKeys && len(a.Fields) == 0 {
			continue
		}
		for _, name := range append([]string{a.Name}, a.Aliases...) {
			v, ok := args[name]
			switch {
			case !ok || v == nil:
			case a.Secret:
				out = append(out, fmt.Sprint(v))
			case a.SecretKeys:
				out = append(out, credentialValues(v)...)
			default:
				out = append(out, nestedSecrets(a, v)...)
			}
		}
	}
	return out
}

// Args are a task's bound arguments, typed as the Spec declares them.
type Args map[string]any

// Has reports whether the argument was given (or has a default).
func (a Args) Has(name string) bool { _, ok := a[name]; return ok && a[name] != nil }

// String returns a string argument, "" when absent.
func (a Args) String(name string) string {
	s, _ := a[name].(string)
	return s
}

// Int returns an int argument, 0 when absent.
func (a Args) Int(name string) int {
	n, _ := a[name].(int)
	return n
}

// Bool returns a bool argument, false when absent.
func (a Args) Bool(name string) bool {
	b, _ := a[name].(bool)
	return b
}

// List returns a list argument.
func (a Args) List(name string) []any {
	l, _ := a[name].([]any)
	return l
}

// Strings returns a list argument as strings.
func (a Args) Strings(name string) []string {
	return ToStrings(a.List(name))
}

// Map returns a mapping argument.
func (a Args) Map(name string) map[string]any {
	m, _ := a[name].(map[string]any)
	return m
}

// boolChoice is AnsibleModule's way back from a YAML boolean to a choice:
// True is the one choice among y, yes, on, 1, true, t when there is exactly
// one (apt's upgrade: true is yes); False likewise. A string argument
// keeps the text written (`true`), so YAML 1.1's spellings of a boolean
// count as one.
func boolChoice(v any, choices []string) (string, bool) {
	word := fmt.Sprint(v)
	var spelled []string
	switch word {
	case "true", "True", "TRUE":
		spelled = []string{"y", "yes", "on", "1", "true", "t"}
	case "false", "False", "FALSE":
		spelled = []string{"n", "no", "off", "0", "false", "f"}
	default:
		return "", false
	}
	var found []string
	for _, c := range choices {
		if slices.Contains(spelled, c) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return "", false
	}
	return found[0], true
}
