package service

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(sysvinit{}) }

// sysvinit is ansible-core 2.14's sysvinit module, which the service action
// runs where the service_mgr fact is sysvinit (a host whose PID 1 is init
// or a shell, with /etc/init.d): the init script run directly, its status
// asked through the service command, enabled through update-rc.d's
// defaults and disable, and each step's rc and output in status.
type sysvinit struct{}

type sysvinitOptions struct {
	Name      string   `opt:"name,required" aliases:"service" doc:"The service: a script in /etc/init.d, or the script's absolute path."`
	State     string   `opt:"state" choices:"started,stopped,restarted,reloaded" doc:"started/stopped: only when its status says otherwise; restarted: stop then start; reloaded: reload unless it runs... as sysvinit.py decides."`
	Enabled   *bool    `opt:"enabled" doc:"Start at boot: start links in some runlevel (update-rc.d defaults; disable)."`
	Sleep     int      `opt:"sleep" default:"1" doc:"Seconds to wait after each step of restarted."`
	Pattern   *string  `opt:"pattern" doc:"Running when a line of ps auxww holds it, instead of asking the status."`
	Arguments *string  `opt:"arguments" aliases:"args" doc:"More arguments to the script's action, split as shlex."`
	Runlevels []string `opt:"runlevels" doc:"The runlevels to enable or disable it in (update-rc.d enable/disable LEVELS)."`
	Daemonize bool     `opt:"daemonize" default:"false" doc:"Run the action in a session of its own, detached."`
}

func (sysvinit) Spec() modules.Spec {
	return modules.Spec{
		Name:    "sysvinit",
		Returns: []string{"name", "changed", "status"}, // the order of Ansible's result
		Summary: "Start, stop, restart, reload, enable or disable a SysV init script",
		Args:    modules.OptionsOf[sysvinitOptions](),
		Check:   modules.CheckSupported,
	}
}

func (sysvinit) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[sysvinitOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	return runSysvinit(ctx, h, o)
}

// sysvTask is one sysvinit run: the script, the tools found and the
// output of the last command run (rc, out, err in sysvinit.py, which each
// step's status takes).
type sysvTask struct {
	ctx    context.Context
	h      *modules.Host
	o      sysvinitOptions
	script string
	tools  map[string]string
	last   modules.Output
	warns  []any
}

// probe finds the script, the tools (get_bin_path with sysvinit.py's
// paths) and the start links (sysv_is_enabled, per runlevel when given:
// under /etc/init.d where there is no /etc/rc0.d).
func (t *sysvTask) probe() error {
	name := hostcmd.Quote(t.o.Name)
	var levels strings.Builder
	for i, rl := range t.o.Runlevels {
		fmt.Fprintf(&levels, "ls $base/rc%s.d/S??%s >/dev/null 2>&1 && echo rl%d=yes\n", hostcmd.Quote(rl), name, i)
	}
	out, err := hostcmd.Query(t.ctx, t.h, `PATH="$PATH:/sbin:/usr/sbin:/bin:/usr/bin:/usr/local/sbin"
for b in chkconfig update-rc.d service; do printf '%s=%s\n' "$b" "$(command -v "$b")"; done
test -e `+hostcmd.Quote(t.script)+` && echo exists=yes
base=/etc; test -d /etc/rc0.d/ || base=/etc/init.d
ls $base/rc?.d/S??`+name+` >/dev/null 2>&1 && echo enabled=yes
`+levels.String()+`true`)
	t.tools = hostcmd.Found(out.Stdout)
	return err
}

func runSysvinit(ctx context.Context, h *modules.Host, o sysvinitOptions) (modules.Result, error) {
	if o.State == "" && o.Enabled == nil {
		return failed("one of the following is required: state, enabled", nil), nil
	}
	t := &sysvTask{ctx: ctx, h: h, o: o, script: o.Name}
	if !strings.HasPrefix(o.Name, "/") {
		t.script = "/etc/init.d/" + o.Name
	}
	if err := t.probe(); err != nil {
		return modules.Result{}, err
	}
	if t.tools["exists"] == "" {
		return failed("Could not find the requested service "+o.Name+": ", nil), nil
	}
	started, err := t.started()
	if err != nil {
		return modules.Result{}, err
	}
	status := map[string]any{}
	enabled, changed, res, err := t.enable()
	if err != nil || res.Failed {
		return res, err
	}
	status["enabled"] = enabled
	stateKey := o.State
	if stateKey == "" {
		stateKey = "null" // status.setdefault(state): None, which JSON writes null
	}
	state, stateChanged, res, err := t.state(started)
	if err != nil || res.Failed {
		return res, err
	}
	status[stateKey] = state
	data := map[string]any{"name": o.Name, "changed": changed || stateChanged, "status": status}
	if len(t.warns) > 0 {
		data["warnings"] = t.warns
	}
	return modules.Result{Data: data}, nil
}

// step is a status entry: whether the step changed anything and, once it
// ran, the rc and output of its command.
func step(changed bool, out *modules.Output) map[string]any {
	s := map[string]any{"changed": changed, "rc": nil, "stdout": nil, "stderr": nil}
	if out != nil {
		s["rc"], s["stdout"], s["stderr"] = out.RC, out.Stdout, out.Stderr
	}
	return modules.Ordered(s, "changed", "rc", "stdout", "stderr")
}

var (
	sysvStopped = []string{"stop", "is dead ", "dead but ", "could not access pid file", "inactive"}
	sysvStarted = []string{"run", "start", "active"}
)

// started is sysvinit.py's status: the pattern in ps, else the status
// action's one-line answer, its LSB exit code, then 0, then the name in ps.
func (t *sysvTask) started() (bool, error) {
	if t.o.Pattern != nil {
		return t.inPS(*t.o.Pattern)
	}
	command := hostcmd.Quote(t.script, "status")
	if svc := t.tools["service"]; svc != "" {
		command = hostcmd.Quote(svc, t.o.Name, "status")
	}
	out, err := hostcmd.Query(t.ctx, t.h, captured(command, false, 0))
	if err != nil {
		return false, err
	}
	t.last = out
	if t.o.Name == "iptables" && strings.Contains(out.Stdout, "ACCEPT") {
		return true, nil
	}
	if strings.Count(out.Stdout, "\n") <= 1 {
		clean := strings.ReplaceAll(strings.ToLower(out.Stdout), strings.ToLower(t.o.Name), "")
		for _, w := range sysvStopped {
			if strings.Contains(clean, w) {
				return false, nil
			}
		}
		for _, w := range sysvStarted {
			if strings.Contains(clean, w) && !strings.Contains(clean, "not ") {
				return true, nil
			}
		}
	}
	switch out.RC {
	case 1, 2, 3, 4, 69:
		return false, nil
	case 0:
		return true, nil
	}
	if found, err := t.inPS(t.o.Name); err != nil || found {
		if found {
			t.warns = append(t.warns, "Used ps output to match service name and determine it is up, this is very unreliable")
		}
		return found, err
	}
	t.warns = append(t.warns, "Unable to determine if service is up, assuming it is down")
	return false, nil
}

// inPS is get_ps: a line of ps auxww holds pattern.
func (t *sysvTask) inPS(pattern string) (bool, error) {
	out, err := hostcmd.Query(t.ctx, t.h, "ps auxww")
	if err != nil || out.RC != 0 {
		return false, err
	}
	return strings.Contains(out.Stdout, pattern), nil
}

// enable is sysvinit.py's Enable/Disable part: changed when enabled differs
// from the links (in each runlevel given); update-rc.d defaults or disable
// (enable/disable LEVELS with runlevels), chkconfig on or off.
func (t *sysvTask) enable() (map[string]any, bool, modules.Result, error) {
	changed := false
	if len(t.o.Runlevels) > 0 {
		for i := range t.o.Runlevels {
			if t.o.Enabled == nil || *t.o.Enabled != (t.tools["rl"+strconv.Itoa(i)] != "") {
				changed = true
			}
		}
	} else if t.o.Enabled != nil && *t.o.Enabled != (t.tools["enabled"] != "") {
		changed = true
	}
	var ran *modules.Output
	if changed {
		command := t.enableCommand()
		if command == "" {
			return nil, false, failed("ferry's sysvinit enables scripts with update-rc.d or chkconfig; this host has neither", nil), nil
		}
		out, err := hostcmd.Change(t.ctx, t.h, command, command)
		if err != nil {
			return nil, false, modules.Result{}, err
		}
		if !t.h.Check {
			ran = &out
		}
	}
	s := step(changed, ran)
	if len(t.o.Runlevels) > 0 {
		s["runlevels"] = anyList(t.o.Runlevels)
	}
	if ran != nil && strings.Contains(ran.Stderr, "illegal runlevel specified") {
		msg := "Illegal runlevel specified for enable operation on service " + t.o.Name
		return nil, false, failed(msg, map[string]any{"name": t.o.Name, "changed": true, "status": map[string]any{"enabled": s}}), nil
	}
	return s, changed, modules.Result{}, nil
}

// enableCommand is the command sysvinit.py runs to enable or disable.
func (t *sysvTask) enableCommand() string {
	on := t.o.Enabled != nil && *t.o.Enabled
	name := hostcmd.Quote(t.o.Name)
	levels := hostcmd.Quote(t.o.Runlevels...)
	switch updateRC, chkconfig := t.tools["update-rc.d"], t.tools["chkconfig"]; {
	case updateRC != "" && len(t.o.Runlevels) > 0:
		return hostcmd.Quote(updateRC) + " " + name + " " + map[bool]string{true: "enable", false: "disable"}[on] + " " + levels
	case updateRC != "":
		return hostcmd.Quote(updateRC) + " " + name + " " + map[bool]string{true: "defaults", false: "disable"}[on]
	case chkconfig != "" && len(t.o.Runlevels) > 0:
		return hostcmd.Quote(chkconfig) + " --level " + hostcmd.Quote(strings.Join(t.o.Runlevels, "")) + " " + name + " " + map[bool]string{true: "on", false: "off"}[on]
	case chkconfig != "":
		return hostcmd.Quote(chkconfig) + " " + name + " " + map[bool]string{true: "on", false: "off"}[on]
	}
	return ""
}

func anyList(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

var edSuffix = regexp.MustCompile(`p?ed$`)

// state is sysvinit.py's state part: restarted always stops then starts;
// otherwise the action runs when started disagrees with it (so reloaded
// reloads a running service and, as the module decides, a stopped one too).
func (t *sysvTask) state(started bool) (map[string]any, bool, modules.Result, error) {
	if t.o.State == "" {
		return step(false, nil), false, modules.Result{}, nil
	}
	action := edSuffix.ReplaceAllString(strings.ToLower(t.o.State), "")
	var steps []string
	switch {
	case action == "restart":
		steps = []string{"stop", "start"}
	case started != (action == "start"), started == (action == "stop"):
		steps = []string{action}
	default:
		return step(false, nil), false, modules.Result{}, nil
	}
	var last modules.Output
	for _, doit := range steps {
		out, res, err := t.runme(action, doit)
		if err != nil || res.Failed {
			return nil, false, res, err
		}
		last = out
	}
	if t.h.Check {
		return step(true, nil), true, modules.Result{}, nil
	}
	return step(true, &last), true, modules.Result{}, nil
}

// runme runs the script's action doit through the gate; a failure is
// sysvinit.py's message with the command's rc and output.
func (t *sysvTask) runme(action, doit string) (modules.Output, modules.Result, error) {
	words := []string{t.script, doit}
	if t.o.Arguments != nil {
		args, err := shellquote.Split(*t.o.Arguments)
		if err != nil {
			return modules.Output{}, modules.Result{}, fmt.Errorf("arguments %q: %w", *t.o.Arguments, err)
		}
		words = append(words, args...)
	}
	command := hostcmd.Quote(words...)
	pause := 0
	if action == "restart" {
		pause = t.o.Sleep
	}
	out, err := hostcmd.Change(t.ctx, t.h, command, captured(command, t.o.Daemonize, pause))
	if err != nil || out.RC == 0 {
		return out, modules.Result{}, err
	}
	return out, failed(fmt.Sprintf("Failed to %s service: %s", action, t.o.Name),
		map[string]any{"rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr}), nil
}

// captured runs command with its output kept in files, so that a daemon it
// starts holds no pipe of the connection's; detach runs it in a session of
// its own; pause is seconds to wait after it (restarted's sleep).
func captured(command string, detach bool, pause int) string {
	if detach {
		command = "setsid -w " + command
	}
	wait := ""
	if pause > 0 {
		wait = "sleep " + strconv.Itoa(pause) + "; "
	}
	return `d=$(mktemp -d) || exit 1
` + command + ` >"$d/o" 2>"$d/e" </dev/null
rc=$?; cat "$d/o"; cat "$d/e" >&2; rm -rf "$d"; ` + wait + `exit $rc`
}
