// Package service holds the service modules: systemd (also registered as
// systemd_service) and service, as ansible-core 2.14's, on systemctl.
//
// What needs a running systemd (state, daemon_reload, daemon_reexec, the
// status properties) fails as Ansible's does on a host without one
// ("Service is in unknown state"); enabled and masked work offline, since
// systemctl edits the unit links itself.
package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() {
	modules.Register(systemd{name: "systemd"})
	modules.Register(systemd{name: "systemd_service"})
}

// systemd is Ansible's systemd module under one of its names.
type systemd struct{ name string }

func (s systemd) Spec() modules.Spec {
	return modules.Spec{
		Name:    s.name,
		Summary: "Start, stop, restart, reload, enable, disable, mask systemd units; daemon-reload",
		Args: []modules.Arg{
			{Name: "name", Type: modules.String, Aliases: []string{"service", "unit"}, Doc: "The unit (cron, cron.service, foo@bar)."},
			{Name: "state", Type: modules.String, Choices: []string{"reloaded", "restarted", "started", "stopped"},
				Doc: "started/stopped: only when it is not already; restarted/reloaded: always (a stopped unit is started). Needs a running systemd."},
			{Name: "enabled", Type: modules.Bool, Doc: "Start at boot (systemctl enable/disable); works without a running systemd."},
			{Name: "force", Type: modules.Bool, Doc: "systemctl --force (replace conflicting links)."},
			{Name: "masked", Type: modules.Bool, Doc: "Mask (or unmask) the unit; works without a running systemd."},
			{Name: "daemon_reload", Type: modules.Bool, Default: false, Aliases: []string{"daemon-reload"}, Doc: "systemctl daemon-reload first (not in check mode)."},
			{Name: "daemon_reexec", Type: modules.Bool, Default: false, Aliases: []string{"daemon-reexec"}, Doc: "systemctl daemon-reexec first (not in check mode)."},
			{Name: "scope", Type: modules.String, Default: "system", Choices: []string{"system", "user", "global"}, Doc: "The systemd manager: system, the become user's, or global."},
			{Name: "no_block", Type: modules.Bool, Default: false, Doc: "Do not wait for the start or stop to finish (--no-block)."},
		},
		Check: modules.CheckSupported,
	}
}

type unitTask struct {
	ctx       context.Context
	h         *modules.Host
	args      modules.Args
	unit      string
	systemctl string
}

// run runs systemctl with words (quoted) and returns its output; only a
// transport failure is an error.
func (u *unitTask) query(words ...string) (modules.Output, error) {
	return hostcmd.Query(u.ctx, u.h, strings.TrimSpace(u.systemctl+" "+hostcmd.Quote(words...)))
}

// change runs systemctl with words through the gate.
func (u *unitTask) change(words ...string) (modules.Output, error) {
	line := u.systemctl + " " + hostcmd.Quote(words...)
	return hostcmd.Change(u.ctx, u.h, line, line)
}

func (s systemd) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	return runSystemd(ctx, h, args)
}

func runSystemd(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	u := &unitTask{ctx: ctx, h: h, args: args, unit: args.String("name"), systemctl: "systemctl"}
	if msg := u.invalid(); msg != "" {
		return failed(msg, nil), nil
	}
	if scope := args.String("scope"); scope != "system" {
		u.systemctl += " --" + scope
	}
	if args.Bool("no_block") {
		u.systemctl += " --no-block"
	}
	if args.Bool("force") {
		u.systemctl += " --force"
	}
	result := map[string]any{"name": nilIfEmpty(u.unit), "status": map[string]any{}}
	for _, op := range []string{"daemon_reload", "daemon_reexec"} {
		if !args.Bool(op) || h.Check { // Ansible skips them in check mode
			continue
		}
		verb := strings.ReplaceAll(op, "_", "-")
		out, err := u.change(verb)
		if err != nil {
			return modules.Result{}, err
		}
		if out.RC != 0 {
			// An error, not a failed result: the runner then reports no
			// change, as Ansible's fail_json does here.
			return modules.Result{}, fmt.Errorf("failure %d during %s: %s", out.RC, verb, out.Stderr)
		}
	}
	if u.unit == "" {
		return modules.Result{Data: result}, nil
	}
	return u.converge(result)
}

// invalid checks what Ansible's argument spec requires of the arguments.
func (u *unitTask) invalid() string {
	a := u.args
	if !a.Has("state") && !a.Has("enabled") && !a.Has("masked") && !a.Bool("daemon_reload") && !a.Bool("daemon_reexec") {
		return "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"
	}
	for _, arg := range []string{"state", "enabled", "masked"} {
		if a.Has(arg) && u.unit == "" {
			return fmt.Sprintf("missing parameter(s) required by '%s': name", arg)
		}
	}
	if strings.ContainsAny(u.unit, "*?[") {
		return "This module does not currently support using glob patterns, found in service name: " + u.unit
	}
	return ""
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// failed is a failed result with Ansible's fields.
func failed(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}
