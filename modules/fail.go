package modules

import "context"

func init() { Register(failModule{}) }

// failModule fails the task with a message (Ansible's fail).
type failModule struct{}

type failOptions struct {
	Msg any `opt:"msg" default:"Failed as requested from task" doc:"The failure message."`
}

func (failModule) Spec() Spec {
	return Spec{
		Name:       "fail",
		Summary:    "Fail the task with a message",
		Args:       OptionsOf[failOptions](),
		Check:      CheckSupported,
		Controller: true,
	}
}

func (failModule) Run(_ context.Context, _ *Host, args Args) (Result, error) {
	o, err := Decode[failOptions](args)
	if err != nil {
		return Result{}, err
	}
	msg := displayValue(o.Msg)
	return Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg}}, nil
}
