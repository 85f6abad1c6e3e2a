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

func (serviceModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "service",
		Summary: "Start, stop, restart, reload, enable or disable a service (hosts booted with systemd)",
		Args: []modules.Arg{
			{Name: "name", Type: modules.String, Required: true, Doc: "The service."},
			{Name: "state", Type: modules.String, Choices: []string{"reloaded", "restarted", "started", "stopped"}, Doc: "As systemd's state."},
			{Name: "enabled", Type: modules.Bool, Doc: "Start at boot."},
			{Name: "use", Type: modules.String, Default: "auto", Doc: "The service manager module: auto (the service_mgr fact, else what the host runs) or systemd."},
			{Name: "sleep", Type: modules.Int, Doc: "Accepted for compatibility (init scripts only); systemd waits itself."},
			{Name: "pattern", Type: modules.String, Doc: "Not supported by ferry (init scripts without status): fails when given."},
			{Name: "arguments", Type: modules.String, Aliases: []string{"args"}, Doc: "Not supported by ferry (init scripts): fails when given."},
			{Name: "runlevel", Type: modules.String, Doc: "Not supported by ferry (OpenRC): fails when given."},
		},
		Check: modules.CheckSupported,
	}
}

func (serviceModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	for _, arg := range []string{"pattern", "arguments", "runlevel"} {
		if args.Has(arg) {
			return failed(arg+" is for init scripts, which ferry's service does not run: use command with the script", nil), nil
		}
	}
	if !args.Has("state") && !args.Has("enabled") {
		return failed("one of the following is required: state, enabled", nil), nil
	}
	mgr := args.String("use")
	if mgr == "auto" {
		var err error
		if mgr, err = serviceMgr(ctx, h); err != nil {
			return modules.Result{}, err
		}
	}
	if mgr != "systemd" {
		return failed("ferry's service runs only on hosts booted with systemd; this one's service manager is "+mgr+
			" (use command: service NAME start, update-rc.d NAME enable)", nil), nil
	}
	sys := modules.Args{"name": args.String("name"), "daemon_reload": false, "daemon_reexec": false, "scope": "system", "no_block": false}
	for _, arg := range []string{"state", "enabled"} {
		if args.Has(arg) {
			sys[arg] = args[arg]
		}
	}
	return runSystemd(ctx, h, sys)
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
