package control

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(assertModule{}) }

// assertModule checks that expressions hold (Ansible's assert).
type assertModule struct{}

type assertOptions struct {
	That       any  `opt:"that,required,raw" doc:"An expression, or a list of them, without {{ }}; each must be true. Evaluated in order; the first false one fails the task."`
	FailMsg    any  `opt:"fail_msg" aliases:"msg" doc:"The message when an assertion fails (default: Assertion failed)."`
	SuccessMsg any  `opt:"success_msg" default:"All assertions passed" doc:"The message when all pass."`
	Quiet      bool `opt:"quiet" default:"false" doc:"Leave the success message out of the task's output (it is still registered as msg)."`
}

func (assertModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "assert",
		Returns:    []string{"changed", "msg"}, // the order of Ansible's result
		Summary:    "Fail unless every given expression is true",
		Args:       modules.OptionsOf[assertOptions](),
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (assertModule) Run(_ context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[assertOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	exprs, err := assertions(o.That)
	if err != nil {
		return modules.Result{}, err
	}
	if h.Vars == nil {
		return modules.Result{}, fmt.Errorf("assert: no variables to evaluate with")
	}
	for _, expr := range exprs {
		val, err := h.Vars.Eval(expr)
		if err != nil {
			return modules.Result{}, fmt.Errorf("assert: evaluating %q: %w", expr, err)
		}
		if !Truthy(val) {
			msg := "Assertion failed"
			if o.FailMsg != nil {
				msg = displayValue(o.FailMsg)
			}
			return modules.Result{Failed: true, Msg: msg, Data: map[string]any{
				"msg": msg, "assertion": expr, "evaluated_to": false}}, nil
		}
	}
	msg := displayValue(o.SuccessMsg)
	res := modules.Result{Msg: msg, Data: map[string]any{"msg": msg}, Show: !o.Quiet}
	if o.Quiet {
		res.Msg = "" // still registered as msg
	}
	return res, nil
}

// assertions reads that: one expression or a list of them.
func assertions(that any) ([]string, error) {
	switch v := that.(type) {
	case string:
		if strings.TrimSpace(v) == "" {
			return nil, fmt.Errorf("assert: that is empty")
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("assert: that[%d] must be an expression (text), got %v", i, e)
			}
			out = append(out, s)
		}
		return out, nil
	case bool: // YAML read `that: true` as a boolean
		return []string{fmt.Sprint(v)}, nil
	}
	return nil, fmt.Errorf("assert: that must be an expression or a list of expressions, got %v", that)
}

// Truthy is Jinja's (and so Ansible's) truth of a value: false, none, zero
// and empty text, lists and mappings are false; everything else is true.
func Truthy(v any) bool {
	if v == nil {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x != ""
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() != 0
	case reflect.Float32, reflect.Float64:
		return rv.Float() != 0
	case reflect.Slice, reflect.Map, reflect.Array:
		return rv.Len() > 0
	case reflect.Pointer, reflect.Interface:
		return !rv.IsNil()
	}
	return true
}
