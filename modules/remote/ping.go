// Package remote holds the modules about the link to the host itself: ping
// (is the host there and can it run a command) and wait_for_connection.
package remote

import (
	"context"
	"errors"
	"fmt"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(ping{}) }

// ping checks that the host is reachable and runs commands (Ansible's ping,
// which also proves a Python there; ferry needs none).
type ping struct{}

type pingOptions struct {
	Data string "opt:\"data\" default:\"pong\" doc:\"What to return as ping; `crash` makes the task fail (to test error handling), as in Ansible.\""
}

func (ping) Spec() modules.Spec {
	return modules.Spec{
		Name:    "ping",
		Summary: "Check that the host is reachable and runs commands; returns ping: pong",
		Args:    modules.OptionsOf[pingOptions](),
	}
}

func (ping) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[pingOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if err := roundTrip(ctx, h); err != nil {
		return modules.Result{}, err
	}
	data := o.Data
	if data == "crash" {
		return modules.Result{}, errors.New("boom")
	}
	return modules.Result{Data: map[string]any{"ping": data}}, nil
}

// roundTrip runs a command that only reads (`true`), proving that the host
// answers and can start a process, as the login user and the become user.
func roundTrip(ctx context.Context, h *modules.Host) error {
	out, err := h.Query(ctx, modules.Command{Argv: []string{"true"}, Become: h.Become})
	if err != nil {
		return err
	}
	if out.RC != 0 {
		return fmt.Errorf("the host answers but cannot run a command (rc %d): %s", out.RC, out.Stderr)
	}
	return nil
}
