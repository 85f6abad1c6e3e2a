// Package argspec is the validate_argument_spec module: it checks values
// against an Ansible argument spec, as the implicit first task of a role
// with meta/argument_specs.yml does (the runner inserts that task).
package argspec

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strings"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(validateModule{}) }

type validateModule struct{}

type validateOptions struct {
	ArgumentSpec      map[string]any `opt:"argument_spec,required" doc:"The options to check, as a role's meta/argument_specs.yml gives them: name -> type, required, default, choices, aliases, elements, options."`
	ProvidedArguments map[string]any `opt:"provided_arguments" doc:"The values to check; the variables named in argument_spec are checked too, these win."`
	Context           map[string]any `opt:"validate_args_context" doc:"What is validated (the role and its entry point), returned as given."`
}

func (validateModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "validate_argument_spec",
		Summary:    "Check variables and given values against an argument spec (a role's meta/argument_specs.yml)",
		Args:       modules.OptionsOf[validateOptions](),
		Check:      modules.CheckSupported,
		Controller: true,
		// plugins/action/validate_argument_spec.py's result.
		Returns: []string{"validate_args_context", "failed", "msg", "argument_spec_data", "argument_errors", "changed"},
	}
}

// Run follows plugins/action/validate_argument_spec.py: the task's
// variables named in the spec, under the provided arguments, are checked;
// nothing is set (defaults are not applied to the variables).
func (validateModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[validateOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	ctx := o.Context
	if ctx == nil {
		ctx = map[string]any{}
	}
	params, err := fromVars(h, o.ArgumentSpec)
	if err != nil {
		return modules.Result{}, err
	}
	for _, k := range keyorder.Keys(o.ProvidedArguments) {
		keyorder.Put(params, k, o.ProvidedArguments[k])
	}
	if problems := Validate(o.ArgumentSpec, params); len(problems) > 0 {
		msg := "Validation of arguments failed:\n" + strings.Join(problems, "\n")
		return modules.Result{Failed: true, Msg: msg, Data: map[string]any{
			"validate_args_context": ctx, "msg": msg, "argument_spec_data": o.ArgumentSpec,
			"argument_errors": anylist.Of(problems)}}, nil
	}
	msg := "The arg spec validation passed"
	return modules.Result{Msg: msg, Data: map[string]any{"validate_args_context": ctx, "msg": msg}}, nil
}

// fromVars reads the variables that the spec names (get_args_from_task_vars).
func fromVars(h *modules.Host, spec map[string]any) (map[string]any, error) {
	out := keyorder.NewBuilder(len(spec))
	if h.Vars == nil {
		return out.Map(), nil
	}
	for _, name := range keyorder.Keys(spec) {
		v, err := h.Vars.Eval(name)
		if errors.Is(err, modules.ErrUndefined) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", name, err)
		}
		out.Put(name, v)
	}
	return out.Map(), nil
}
