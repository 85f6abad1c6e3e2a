package service

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// initScript is ansible-core 2.14's service module (LinuxService) on a host
// whose service manager is not systemd: the service's /etc/init.d script,
// driven through the service command, enabled with update-rc.d. Its
// status is the script's status answer read as service.py reads it.
type initScript struct {
	ctx   context.Context
	h     *modules.Host
	o     serviceOptions
	tools map[string]string
	// running is nil while the status is not known.
	running *bool
}

// serviceTools finds what get_service_tools looks for: the tools (PATH and
// the sbin directories, as get_bin_path), the init script, whether the host
// was booted with systemd (sd_booted's canaries, or PID 1) and the
// service's start (S) and kill (K) links.
func serviceTools(ctx context.Context, h *modules.Host, name string) (map[string]string, error) {
	q := hostcmd.Quote(name)
	script := `PATH="$PATH:/sbin:/usr/sbin:/bin:/usr/bin:/usr/local/sbin"
for b in service chkconfig update-rc.d rc-service initctl systemctl insserv; do printf '%s=%s\n' "$b" "$(command -v "$b")"; done
test -f /etc/init.d/` + q + ` && echo initscript=/etc/init.d/` + name + `
if command -v systemctl >/dev/null; then
  { test -e /run/systemd/system/ || test -e /dev/.run/systemd/ || test -e /dev/.systemd/ || grep -q systemd /proc/1/comm 2>/dev/null; } && echo booted=systemd
fi
test -e /etc/init/` + q + `.conf && echo upstart=yes
ls /etc/rc?.d/S??` + q + ` >/dev/null 2>&1 && echo slinks=yes
ls /etc/rc?.d/K??` + q + ` >/dev/null 2>&1 && echo klinks=yes
true`
	out, err := hostcmd.Query(ctx, h, script)
	if err != nil {
		return nil, err
	}
	tools := hostcmd.Found(out.Stdout)
	return tools, nil
}

// runInitScript follows service.py's main for LinuxService: the tools,
// then enabled, then state.
func runInitScript(ctx context.Context, h *modules.Host, o serviceOptions, tools map[string]string) (modules.Result, error) {
	s := &initScript{ctx: ctx, h: h, o: o, tools: tools}
	switch {
	case tools["initctl"] != "" && tools["upstart"] != "":
		return failed("ferry's service does not drive upstart jobs (/etc/init/"+o.Name+".conf): use command with initctl", nil), nil
	case tools["rc-service"] != "":
		return failed("ferry's service does not drive OpenRC: use command with rc-service and rc-update", nil), nil
	case tools["initscript"] == "" || (tools["update-rc.d"] == "" && tools["insserv"] == "" && tools["chkconfig"] == ""):
		return missing(o.Name), nil // fail_if_missing(msg='host'): no tool to enable it
	}
	result := map[string]any{"name": o.Name}
	changed := false
	if o.Enabled != nil {
		res, did, err := s.enable()
		if err != nil || res.Failed {
			return res, err
		}
		changed = did
		result["enabled"] = *o.Enabled
	}
	result["changed"] = changed
	if o.State == "" {
		return modules.Result{Data: result}, nil
	}
	return s.state(result)
}

// enable is service_enable's update-rc.d branch: enabled means a start link
// in some runlevel; enabling a script without links runs defaults first.
func (s *initScript) enable() (modules.Result, bool, error) {
	if s.tools["update-rc.d"] == "" {
		return failed("ferry's service enables init scripts with update-rc.d only; this host has "+
			firstOf(s.tools["insserv"], s.tools["chkconfig"])+": use command", nil), false, nil
	}
	want := *s.o.Enabled
	if want == (s.tools["slinks"] != "") {
		return modules.Result{}, false, nil
	}
	updateRC := hostcmd.Quote(s.tools["update-rc.d"], s.o.Name)
	action := "disable"
	if want {
		action = "enable"
		if s.tools["klinks"] == "" {
			if res, err := s.run(updateRC + " defaults"); err != nil || res.Failed {
				return res, false, err
			}
		}
	}
	res, err := s.run(updateRC + " " + action)
	return res, err == nil && !res.Failed, err
}

// run runs an update-rc.d command through the gate under the C locale; a
// failure is its stderr, else its stdout, as service_enable reports it.
func (s *initScript) run(line string) (modules.Result, error) {
	out, err := hostcmd.Change(s.ctx, s.h, line, "LANG=C LC_ALL=C LC_MESSAGES=C "+line)
	if err != nil || out.RC == 0 {
		return modules.Result{}, err
	}
	return failed(firstOf(out.Stderr, out.Stdout), nil), nil
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// state reads the service's status, decides as check_service_changed and
// modify_service_state do, and runs the action.
func (s *initScript) state(result map[string]any) (modules.Result, error) {
	want := s.o.State
	result["state"] = want
	if err := s.status(); err != nil {
		return modules.Result{}, err
	}
	if s.running == nil {
		return failed("failed determining service state, possible typo of service name?", nil), nil
	}
	running := *s.running
	action := ""
	switch {
	case want == "started" && !running:
		action = "start"
	case want == "reloaded" && !running:
		action = "start"
	case want == "reloaded":
		action = "reload"
	case want == "stopped" && running:
		action = "stop"
	case want == "restarted":
		action = "restart"
	}
	if want == "stopped" {
		result["state"] = "stopped"
	} else {
		result["state"] = "started"
	}
	if action == "" {
		return modules.Result{Data: result}, nil
	}
	if s.h.Check {
		// check_service_changed exits here with this result alone.
		s.h.Report(action + " " + s.o.Name)
		return modules.Result{Data: map[string]any{"msg": "service state changed"}}, nil
	}
	out, err := s.control(action)
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 && !strings.Contains(out.Stderr, "Job is already running") {
		return failed(firstOf(out.Stderr, out.Stdout), nil), nil
	}
	result["changed"] = true
	return modules.Result{Data: result}, nil
}

// command is the service's control command with action: the service tool
// (service NAME ACTION ARGS), else the init script itself, with arguments
// split as shlex splits them.
func (s *initScript) command(action string) (string, error) {
	words := []string{s.tools["initscript"], action}
	if svc := s.tools["service"]; svc != "" {
		words = []string{svc, s.o.Name, action}
	}
	if s.o.Arguments != nil {
		args, err := shellquote.Split(*s.o.Arguments)
		if err != nil {
			return "", fmt.Errorf("arguments %q: %w", *s.o.Arguments, err)
		}
		words = append(words, args...)
	}
	return hostcmd.Quote(words...), nil
}

// detached runs command as service.py's daemonized execute_command does: in
// a session of its own, in an environment holding only the C locale.
func detached(command string) string {
	return captured("env -i LANG=C LC_ALL=C LC_MESSAGES=C setsid -w "+command, false, 0)
}

// control runs the action through the gate; restart is stop, the task's
// sleep, then start, their results merged as service_control merges them.
func (s *initScript) control(action string) (modules.Output, error) {
	steps := []string{action}
	if action == "restart" {
		steps = []string{"stop", "start"}
	}
	var outs []modules.Output
	for i, step := range steps {
		command, err := s.command(step)
		if err != nil {
			return modules.Output{}, err
		}
		script := detached(command)
		if i > 0 && s.o.Sleep != nil && *s.o.Sleep > 0 {
			script = "sleep " + strconv.Itoa(*s.o.Sleep) + "\n" + script
		}
		out, err := hostcmd.Change(s.ctx, s.h, command, script)
		if err != nil {
			return modules.Output{}, err
		}
		outs = append(outs, out)
	}
	if len(outs) == 1 {
		return outs[0], nil
	}
	stop, start := outs[0], outs[1]
	if stop.RC != 0 && start.RC == 0 {
		return start, nil
	}
	return modules.Output{RC: stop.RC + start.RC, Stdout: stop.Stdout + start.Stdout, Stderr: stop.Stderr + start.Stderr}, nil
}

// status is get_service_status without systemd: the pattern in ps's
// output, or the status action's exit code, else its one line of output.
func (s *initScript) status() error {
	if s.o.Pattern != nil {
		return s.checkPS(*s.o.Pattern)
	}
	command, err := s.command("status")
	if err != nil {
		return err
	}
	out, err := hostcmd.Query(s.ctx, s.h, detached(command))
	if err != nil {
		return err
	}
	s.running = runningFromStatus(s.o.Name, out)
	return nil
}

// checkPS is check_ps: running when a line of ps auxww holds the pattern.
func (s *initScript) checkPS(pattern string) error {
	out, err := hostcmd.Query(s.ctx, s.h, "LANG=C LC_ALL=C ps auxww")
	if err != nil || out.RC != 0 {
		return err
	}
	running := false
	for _, line := range strings.Split(out.Stdout, "\n") {
		if strings.Contains(line, pattern) && !strings.Contains(line, "pattern=") {
			running = true
			break
		}
	}
	s.running = &running
	return nil
}

// stoppedWords are the one-line status answers that mean stopped, after the
// ones that mention running or started (get_service_status's order).
var stoppedWords = []string{"could not access pid file", "is dead and pid file exists", "dead but subsys locked", "dead but pid file exists"}

// runningFromStatus reads a status answer as get_service_status does: LSB's
// exit codes for not running first, then the words of a one-line answer
// (with the service's name taken out), then exit code 0.
func runningFromStatus(name string, out modules.Output) *bool {
	yes, no := true, false
	switch out.RC {
	case 1, 2, 3, 4, 69:
		return &no
	}
	if strings.Count(out.Stdout, "\n") <= 1 {
		clean := strings.ReplaceAll(strings.ToLower(out.Stdout), strings.ToLower(name), "")
		switch {
		case strings.Contains(clean, "stop"):
			return &no
		case strings.Contains(clean, "run"):
			running := !strings.Contains(clean, "not ")
			return &running
		case strings.Contains(clean, "start") && !strings.Contains(clean, "not "):
			return &yes
		}
		for _, w := range stoppedWords {
			if strings.Contains(clean, w) {
				return &no
			}
		}
	}
	if out.RC == 0 || name == "iptables" && strings.Contains(out.Stdout, "ACCEPT") {
		return &yes
	}
	return nil
}
