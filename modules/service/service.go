package service

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(serviceModule{}) }

// serviceModule is Ansible's service action: on a host booted with systemd
// it runs the systemd module with the task's name, state and enabled.
// Other init systems (sysvinit, OpenRC, upstart) are not supported: the
// task fails saying so, before changing anything.
type serviceModule struct{}

type serviceOptions struct {
	Name      string  `opt:"name" doc:"The service (not needed to only reload systemd)."`
	State     string  `opt:"state" choices:"reloaded,restarted,started,stopped" doc:"As systemd's state."`
	Enabled   *bool   `opt:"enabled" doc:"Start at boot."`
	Use       string  `opt:"use" default:"auto" doc:"The service manager module: auto (the service_mgr fact, else what the host runs) or systemd."`
	Sleep     int     `opt:"sleep" doc:"Accepted for compatibility (init scripts only); systemd waits itself."`
	Pattern   *string `opt:"pattern" doc:"Not supported by ferry (init scripts without status): fails when given."`
	Arguments *string `opt:"arguments" aliases:"args" doc:"Not supported by ferry (init scripts): fails when given."`
	Runlevel  *string `opt:"runlevel" doc:"Not supported by ferry (OpenRC): fails when given."`
	// Ansible's service action hands systemd the task's arguments as they
	// are, so roles write `service: {daemon_reload: true}` without a name.
	DaemonReload bool `opt:"daemon_reload" default:"false" aliases:"daemon-reload" doc:"On systemd: systemctl daemon-reload first (not in check mode), as systemd's."`
	DaemonReexec bool `opt:"daemon_reexec" default:"false" aliases:"daemon-reexec" doc:"On systemd: systemctl daemon-reexec first (not in check mode), as systemd's."`
}

func (serviceModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "service",
		Returns: []string{"name", "changed", "status", "enabled", "state"}, // the order of Ansible's result
		Summary: "Start, stop, restart, reload, enable or disable a service (hosts booted with systemd)",
		Args:    modules.OptionsOf[serviceOptions](),
		Check:   modules.CheckSupported,
	}
}

func (serviceModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[serviceOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	for _, unsupported := range []struct {
		name  string
		given *string
	}{{"pattern", o.Pattern}, {"arguments", o.Arguments}, {"runlevel", o.Runlevel}} {
		if unsupported.given != nil {
			return failed(unsupported.name+" is for init scripts, which ferry's service does not run: use command with the script", nil), nil
		}
	}
	mgr := o.Use
	if mgr == "auto" {
		if mgr, err = serviceMgr(ctx, h); err != nil {
			return modules.Result{}, err
		}
	}
	if mgr != "systemd" {
		return failed("ferry's service runs only on hosts booted with systemd; this one's service manager is "+mgr+
			" (use command: service NAME start, update-rc.d NAME enable)", nil), nil
	}
	return runSystemd(ctx, h, systemdOptions{Name: o.Name, State: o.State, Enabled: o.Enabled, Scope: "system",
		DaemonReload: o.DaemonReload, DaemonReexec: o.DaemonReexec})
}

// serviceMgr is the service_mgr fact when facts were gathered, else systemd
// when the host was booted with it (sd_booted: /run/systemd/system exists).
func serviceMgr(ctx context.Context, h *modules.Host) (string, error) {
	if h.Vars != nil { // an error here is facts not gathered: ask the host
		if v, err := h.Vars.Eval("ansible_facts.service_mgr"); err == nil {
			if s, ok := v.(string); ok && s != "" {
				return s, nil
			}
		}
	}
	out, err := hostcmd.Query(ctx, h, "test -d /run/systemd/system && echo systemd || cat /proc/1/comm")
	return strings.TrimSpace(out.Stdout), err
}
