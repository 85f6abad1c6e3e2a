package remote

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(waitForConnection{}) }

// waitForConnection waits until the host answers over its connection again
// (after a reboot, or a machine still booting), as Ansible's action plugin:
// each try opens the connection anew when the old one is broken and runs a
// command that only reads.
type waitForConnection struct{}

type waitForConnectionOptions struct {
	ConnectTimeout int `opt:"connect_timeout" default:"5" kind:"seconds" doc:"Seconds one try may take."`
	Delay          int `opt:"delay" default:"0" doc:"Seconds to wait before the first try."`
	Sleep          int `opt:"sleep" default:"1" kind:"seconds" doc:"Seconds between tries."`
	Timeout        int `opt:"timeout" default:"600" kind:"seconds" doc:"Seconds to keep trying before failing."`
}

func (waitForConnection) Spec() modules.Spec {
	return modules.Spec{
		Name:    "wait_for_connection",
		Summary: "Wait until the host is reachable over its connection and runs commands (after a reboot, say)",
		Args:    modules.OptionsOf[waitForConnectionOptions](),
		// The runner does not open the connection before Run: the module
		// reaches the host itself, through Host.Reconnect.
		Controller: true,
		// The runner skips it in check mode, with Ansible's result: the
		// action returns skipped alone (action/wait_for_connection.py).
		Check:         modules.CheckSkip,
		CheckSkipData: map[string]any{},
	}
}

func (waitForConnection) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[waitForConnectionOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if h.Reconnect == nil {
		return modules.Result{}, errors.New("this run cannot reconnect to the host")
	}
	start := time.Now()
	if !pause(ctx, time.Duration(o.Delay)*time.Second) {
		return modules.Result{}, ctx.Err()
	}
	deadline := time.Now().Add(time.Duration(o.Timeout) * time.Second)
	var last error
	for time.Now().Before(deadline) {
		try, cancel := context.WithTimeout(ctx, time.Duration(o.ConnectTimeout)*time.Second)
		last = h.Reconnect(try)
		cancel()
		if last == nil {
			return modules.Result{Data: map[string]any{"elapsed": int(time.Since(start).Seconds())}}, nil
		}
		if !pause(ctx, time.Duration(o.Sleep)*time.Second) {
			return modules.Result{}, ctx.Err()
		}
	}
	msg := fmt.Sprintf("timed out waiting for ping module test: %v", last)
	return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg, "elapsed": int(time.Since(start).Seconds())}}, nil
}

// pause waits d unless ctx ends first.
func pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
