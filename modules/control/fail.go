package control

import (
	"context"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(failModule{}) }

// failModule fails the task with a message (Ansible's fail).
type failModule struct{}

type failOptions struct {
	Msg any `opt:"msg" default:"Failed as requested from task" doc:"The failure message."`
}

func (failModule) Spec() modules.Spec {
	return modules.Spec{
		Name:       "fail",
		Returns:    []string{"failed", "msg"}, // the order of Ansible's result
		Summary:    "Fail the task with a message",
		Args:       modules.OptionsOf[failOptions](),
		Check:      modules.CheckSupported,
		Controller: true,
	}
}

func (failModule) Run(_ context.Context, _ *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[failOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	msg := displayValue(o.Msg)
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}, nil
}
