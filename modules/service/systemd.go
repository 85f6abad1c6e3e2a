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
	"errors"
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

// systemdOptions: state, enabled and masked are nil when not given (only
// what is given is converged).
type systemdOptions struct {
	Name         string `opt:"name" aliases:"service,unit" doc:"The unit (cron, cron.service, foo@bar)."`
	State        string `opt:"state" choices:"reloaded,restarted,started,stopped" doc:"started/stopped: only when it is not already; restarted/reloaded: always (a stopped unit is started). Needs a running systemd."`
	Enabled      *bool  `opt:"enabled" doc:"Start at boot (systemctl enable/disable); works without a running systemd."`
	Force        bool   `opt:"force" doc:"systemctl --force (replace conflicting links)."`
	Masked       *bool  `opt:"masked" doc:"Mask (or unmask) the unit; works without a running systemd."`
	DaemonReload bool   `opt:"daemon_reload" default:"false" aliases:"daemon-reload" doc:"systemctl daemon-reload first (not in check mode)."`
	DaemonReexec bool   `opt:"daemon_reexec" default:"false" aliases:"daemon-reexec" doc:"systemctl daemon-reexec first (not in check mode)."`
	Scope        string `opt:"scope" default:"system" choices:"system,user,global" doc:"The systemd manager: system, the become user's, or global."`
	NoBlock      bool   `opt:"no_block" default:"false" doc:"Do not wait for the start or stop to finish (--no-block)."`
}

func (s systemd) Spec() modules.Spec {
	return modules.Spec{
		Name:    s.name,
		Returns: []string{"name", "changed", "status", "enabled", "state"}, // the order of Ansible's result
		Summary: "Start, stop, restart, reload, enable, disable, mask systemd units; daemon-reload",
		Args:    modules.OptionsOf[systemdOptions](),
		Check:   modules.CheckSupported,
	}
}

type unitTask struct {
	ctx       context.Context
	h         *modules.Host
	o         systemdOptions
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
	o, err := modules.Decode[systemdOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	return runSystemd(ctx, h, o)
}

func runSystemd(ctx context.Context, h *modules.Host, o systemdOptions) (modules.Result, error) {
	u := &unitTask{ctx: ctx, h: h, o: o, unit: o.Name, systemctl: "systemctl"}
	if msg := u.invalid(); msg != "" {
		return failed(msg, nil), nil
	}
	if scope := o.Scope; scope != "system" {
		u.systemctl += " --" + scope
	}
	if o.NoBlock {
		u.systemctl += " --no-block"
	}
	if o.Force {
		u.systemctl += " --force"
	}
	result := map[string]any{"name": nilIfEmpty(u.unit), "status": map[string]any{}}
	for _, op := range []struct {
		given bool
		verb  string
	}{{o.DaemonReload, "daemon-reload"}, {o.DaemonReexec, "daemon-reexec"}} {
		if !op.given {
			continue
		}
		if err := u.daemon(op.verb); err != nil {
			return modules.Result{}, err
		}
	}
	if u.unit == "" {
		return modules.Result{Data: result}, nil
	}
	return u.converge(result)
}

// daemon runs systemctl daemon-reload or daemon-reexec through Act, the
// gate for an effect Ansible does not count as a change. Act refuses it in
// check mode, where Ansible skips it too.
func (u *unitTask) daemon(verb string) error {
	out, err := hostcmd.Act(u.ctx, u.h, u.systemctl+" "+verb)
	switch {
	case errors.Is(err, modules.ErrCheckMode):
		return nil
	case err != nil:
		return err
	case out.RC != 0:
		// An error, not a failed result: the runner then reports no
		// change, as Ansible's fail_json does here.
		return fmt.Errorf("failure %d during %s: %s", out.RC, verb, out.Stderr)
	}
	return nil
}

// invalid checks what Ansible's argument spec requires of the arguments.
func (u *unitTask) invalid() string {
	o := u.o
	if o.State == "" && o.Enabled == nil && o.Masked == nil && !o.DaemonReload && !o.DaemonReexec {
		return "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"
	}
	for _, given := range []struct {
		name string
		ok   bool
	}{{"state", o.State != ""}, {"enabled", o.Enabled != nil}, {"masked", o.Masked != nil}} {
		if given.ok && u.unit == "" {
			return fmt.Sprintf("missing parameter(s) required by '%s': name", given.name)
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
