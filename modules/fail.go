package modules

import "context"

func init() { Register(failModule{}) }

// failModule fails the task with a message (Ansible's fail).
type failModule struct{}

func (failModule) Spec() Spec {
	return Spec{
		Name:    "fail",
		Summary: "Fail the task with a message",
		Args: []Arg{
			{Name: "msg", Type: Any, Default: "Failed as requested from task", Doc: "The failure message."},
		},
		Check:      CheckSupported,
		Controller: true,
	}
}

func (failModule) Run(_ context.Context, _ *Host, args Args) (Result, error) {
	msg := displayValue(args["msg"])
	return Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}, nil
}
