package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

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

func debugVar(h *modules.Host, expr string) (modules.Result, error) {
	if h.Vars == nil {
		return modules.Result{}, fmt.Errorf("debug var=%s: no variables available", expr)
	}
	val, err := h.Vars.Eval(expr)
	if errors.Is(err, modules.ErrUndefined) {
		val, err = notDefined, nil
	}
	if err != nil {
		return modules.Result{}, fmt.Errorf("debug var=%s: %w", expr, err)
	}
	return modules.Result{Data: map[string]any{expr: val}, Show: true}, nil // no msg: Ansible shows the variable alone
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
