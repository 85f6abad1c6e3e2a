package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(serviceModule{}) }

// serviceModule is Ansible's service action: on a host whose service
// manager is systemd it runs the systemd module with the task's name, state
// and enabled; elsewhere the service module's LinuxService, which drives
// the service's init script (sysv.go). Upstart and OpenRC are not
// supported: the task fails saying so, before changing anything.
type serviceModule struct{}

type serviceOptions struct {
	Name      string  `opt:"name" doc:"The service (not needed to only reload systemd)."`
	State     string  `opt:"state" choices:"reloaded,restarted,started,stopped" doc:"As systemd's state."`
	Enabled   *bool   `opt:"enabled" doc:"Start at boot."`
	Use       string  `opt:"use" default:"auto" doc:"The service manager module: auto (the service_mgr fact, else what the host runs) or systemd."`
	Sleep     *int    `opt:"sleep" doc:"Init scripts: seconds between restarted's stop and start (ignored on systemd, with a warning)."`
	Pattern   *string `opt:"pattern" doc:"Init scripts: running when a line of ps auxww holds it, instead of asking the script's status (ignored on systemd)."`
	Arguments *string `opt:"arguments" aliases:"args" doc:"Init scripts: more arguments to each action, split as shlex (ignored on systemd)."`
	Runlevel  *string `opt:"runlevel" doc:"OpenRC's runlevel, which ferry does not drive (ignored elsewhere, as Ansible)."`
	// Ansible's service action hands systemd the task's arguments as they
	// are, so roles write `service: {daemon_reload: true}` without a name.
	DaemonReload bool `opt:"daemon_reload" default:"false" aliases:"daemon-reload" doc:"On systemd: systemctl daemon-reload first (not in check mode), as systemd's."`
	DaemonReexec bool `opt:"daemon_reexec" default:"false" aliases:"daemon-reexec" doc:"On systemd: systemctl daemon-reexec first (not in check mode), as systemd's."`
}

func (serviceModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "service",
		Returns: []string{"name", "changed", "status", "enabled", "state"}, // the order of Ansible's result
		Summary: "Start, stop, restart, reload, enable or disable a service (systemd, or an init script)",
		Args:    modules.OptionsOf[serviceOptions](),
		Check:   modules.CheckSupported,
	}
}

func (serviceModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[serviceOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	mgr := strings.ToLower(o.Use)
	if mgr == "auto" {
		if mgr, err = serviceMgr(ctx, h); err != nil {
			return modules.Result{}, err
		}
	}
	if mgr == "sysvinit" {
		return asSysvinit(ctx, h, o)
	}
	if mgr != "systemd" {
		if o.Name == "" {
			return failed("missing required arguments: name", nil), nil
		}
		if o.State == "" && o.Enabled == nil {
			return failed("one of the following is required: state, enabled", nil), nil
		}
		tools, err := serviceTools(ctx, h, o.Name)
		if err != nil {
			return modules.Result{}, err
		}
		if tools["booted"] == "" {
			return runInitScript(ctx, h, o, tools)
		}
		// use: service on a host booted with systemd: service.py drives
		// systemctl there; ferry hands the task to systemd's module.
	}
	res, err := runSystemd(ctx, h, systemdOptions{Name: o.Name, State: o.State, Enabled: o.Enabled, Scope: "system",
		DaemonReload: o.DaemonReload, DaemonReexec: o.DaemonReexec})
	if err == nil && mgr == "systemd" {
		res = ignoredForSystemd(res, o)
	}
	return res, err
}

// asSysvinit hands the task to the sysvinit module, as the service action
// does where the service_mgr fact is sysvinit: with the task's arguments as
// they are (sleep defaults to sysvinit's 1), so that service's own runlevel
// and systemd's daemon_reload are arguments sysvinit refuses.
func asSysvinit(ctx context.Context, h *modules.Host, o serviceOptions) (modules.Result, error) {
	var unsupported []string
	for _, arg := range []struct {
		name  string
		given bool
	}{{"daemon_reexec", o.DaemonReexec}, {"daemon_reload", o.DaemonReload}, {"runlevel", o.Runlevel != nil}} {
		if arg.given {
			unsupported = append(unsupported, arg.name)
		}
	}
	if len(unsupported) > 0 {
		return failed("Unsupported parameters for (ansible.legacy.sysvinit) module: "+strings.Join(unsupported, ", ")+
			". Supported parameters include: arguments, daemonize, enabled, name, pattern, runlevels, sleep, state (args, service).", nil), nil
	}
	if o.Name == "" {
		return failed("missing required arguments: name", nil), nil
	}
	sleep := 1
	if o.Sleep != nil {
		sleep = *o.Sleep
	}
	return runSysvinit(ctx, h, sysvinitOptions{Name: o.Name, State: o.State, Enabled: o.Enabled, Sleep: sleep,
		Pattern: o.Pattern, Arguments: o.Arguments})
}

// ignoredForSystemd warns of the init scripts' arguments given to a task
// that systemd runs, as the service action drops them (UNUSED_PARAMS).
func ignoredForSystemd(res modules.Result, o serviceOptions) modules.Result {
	var warnings []any
	for _, unused := range []struct {
		name  string
		given bool
	}{{"pattern", o.Pattern != nil}, {"runlevel", o.Runlevel != nil}, {"sleep", o.Sleep != nil}, {"arguments", o.Arguments != nil}} {
		if unused.given {
			warnings = append(warnings, fmt.Sprintf("Ignoring %q as it is not used in \"systemd\"", unused.name))
		}
	}
	if len(warnings) > 0 {
		if res.Data == nil {
			res.Data = map[string]any{}
		}
		res.Data["warnings"] = warnings
	}
	return res
}

// serviceMgrScript is the service_mgr fact as ansible-core 2.14's collector
// finds it: PID 1's name (init and shells cannot be trusted), else the
// first init system whose traces the host has.
const serviceMgrScript = `p=$(cat /proc/1/comm 2>/dev/null)
case "$p" in
procd) echo openwrt_init;; runit-init) echo runit;; svscan) echo svc;; openrc-init) echo openrc;;
init|*sh|"")
  if command -v systemctl >/dev/null && { test -e /run/systemd/system/ || test -e /dev/.run/systemd/ || test -e /dev/.systemd/; }; then echo systemd
  elif command -v initctl >/dev/null && test -e /etc/init/; then echo upstart
  elif test -e /sbin/openrc; then echo openrc
  elif command -v systemctl >/dev/null && readlink /sbin/init | grep -q 'systemd$'; then echo systemd
  elif test -e /etc/init.d/; then echo sysvinit
  else echo service; fi;;
*) echo "$p";;
esac`

// serviceMgr is the service_mgr fact when facts were gathered, else what
// the fact would be (the service action runs setup for it).
func serviceMgr(ctx context.Context, h *modules.Host) (string, error) {
	if h.Vars != nil { // an error here is facts not gathered: ask the host
		if v, err := h.Vars.Eval("ansible_facts.service_mgr"); err == nil {
			if s, ok := v.(string); ok && s != "" {
				return s, nil
			}
		}
	}
	out, err := hostcmd.Query(ctx, h, serviceMgrScript)
	return strings.TrimSpace(out.Stdout), err
}
