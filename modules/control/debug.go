package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(debugModule{}) }

// notDefined is Ansible's text for an undefined variable in debug var=.
const notDefined = "VARIABLE IS NOT DEFINED!"

// debugModule prints a message or a variable (Ansible's debug).
type debugModule struct{}

type debugOptions struct {
	Msg       any    `opt:"msg" default:"Hello world!" doc:"The message: text, or any value (printed as it is)."`
	Var       string `opt:"var,raw" doc:"A variable name or expression to print, without {{ }}; the result is registered under that name."`
	Verbosity int    `opt:"verbosity" default:"0" doc:"Print only when ferry runs with at least this many -v; otherwise the task is skipped."`
}

func (debugModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "debug",
		Summary:    "Print a message or the value of a variable",
		Args:       modules.OptionsOf[debugOptions](),
		Exclusive:  [][]string{{"msg", "var"}},
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (debugModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[debugOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if h.Verbosity < o.Verbosity {
		msg := "Verbosity threshold not met."
		return modules.Result{Skipped: true, Msg: msg, Data: map[string]any{"skipped_reason": msg}}, nil
	}
	if o.Var != "" {
		return debugVar(h, o.Var)
	}
	msg := o.Msg
	return modules.Result{Msg: displayValue(msg), Data: map[string]any{"msg": msg}, Show: true}, nil
}

// debugVar is debug's var= as 2.14's action/debug.py runs it: the argument
// is templated first (as every task argument is), then templated with
// convert_bare ("x" is "{{x}}"), and once more when that gave the text
// back. Templating reads a list, dict or bool literal back as its value
// (a string "[1, 2]" shows as a list); an argument that templated to a list
// or dict shows under its Python type, as not defined.
func debugVar(h *modules.Host, raw string) (modules.Result, error) {
	if h.Vars == nil {
		return modules.Result{}, fmt.Errorf("debug var=%s: no variables available", raw)
	}
	arg, err := h.Vars.Template(raw)
	if err != nil {
		return modules.Result{}, fmt.Errorf("debug var=%s: %w", raw, err)
	}
	val, err := varValue(h.Vars, arg)
	if errors.Is(err, modules.ErrUndefined) {
		val, err = notDefined, nil
	}
	if err != nil {
		return modules.Result{}, fmt.Errorf("debug var=%s: %w", raw, err)
	}
	return modules.Result{Data: map[string]any{varKey(arg): val}, Show: true}, nil // no msg: Ansible shows the variable alone
}

func varValue(vars modules.Vars, arg any) (any, error) {
	text, ok := arg.(string)
	if !ok {
		return nil, modules.ErrUndefined // templating a list gives the list: no variable's value
	}
	bare := text
	if !strings.Contains(text, "{{") {
		bare = "{{" + text + "}}"
	}
	val, err := vars.Template(bare)
	if s, isText := val.(string); err == nil && isText && s == text {
		val, err = vars.Template("{{" + text + "}}")
	}
	return val, err
}

// varKey is the name the value is shown and registered under.
func varKey(arg any) string {
	switch x := arg.(type) {
	case string:
		return x
	case []any:
		return "<class 'list'>"
	case map[string]any:
		return "<class 'dict'>"
	case nil:
		return "null" // json.dumps of a None key
	}
	return fmt.Sprint(arg)
}

// displayValue prints a value for humans: text as is, anything else as JSON.
func displayValue(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.MarshalIndent(v, "", "    ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
