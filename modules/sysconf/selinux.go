package sysconf

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(selinux{}) }

// selinux is ansible.posix's selinux module: the policy and state in
// SELinux's configuration file, and the running state when the kernel runs
// SELinux (setenforce). It reads the host as libselinux does (selinuxfs for
// the running state, /etc/selinux/config for the policy type) and needs no
// Python binding on the host.
type selinux struct{}

func (selinux) Spec() modules.Spec {
	return modules.Spec{
		Name:       "selinux",
		Summary:    "Set SELinux's policy and state (enforcing, permissive, disabled) in its configuration and, where it runs, now",
		Collection: "ansible.posix",
		Args:       modules.OptionsOf[selinuxOptions](),
		Check:      modules.CheckSupported,
	}
}

type selinuxOptions struct {
	Policy            string `opt:"policy" doc:"The policy type (targeted, mls...): /etc/selinux/POLICY/policy must exist. Required unless state is disabled."`
	State             string `opt:"state,required" choices:"enforcing,permissive,disabled" doc:"The state; a change to or from disabled needs a reboot (reboot_required)."`
	ConfigFile        string `opt:"configfile" kind:"abspath" default:"/etc/selinux/config" aliases:"conf,file" doc:"SELinux's configuration file."`
	UpdateKernelParam bool   `opt:"update_kernel_param" default:"false" doc:"Also set selinux=0 on the kernel command line with grubby (Red Hat family): fails, as on a host without grubby."`
}

// seState is what the module reads before it changes anything.
type seState struct {
	runtimeEnabled bool
	runtimeState   string // enforcing, permissive or disabled
	runtimePolicy  string // libselinux's policy type
	configPolicy   string // "" when the file has no SELINUXTYPE line
	configState    string // "" when it has no SELINUX line
	configLines    []string
}

// seTask is one run: what it found, what it reports.
type seTask struct {
	ctx      context.Context
	h        *modules.Host
	o        selinuxOptions
	st       seState
	msgs     []string
	warnings []string
	changed  bool
}

func (selinux) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[selinuxOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := &seTask{ctx: ctx, h: h, o: o}
	res, err := t.read()
	if err != nil || res.Failed {
		return res, err
	}
	if o.UpdateKernelParam {
		// grubby exists on the Red Hat family only; ferry does not run it.
		return failed("'grubby' command not found on host", map[string]any{"details": "In order to update the kernel command line" +
			"enabled/disabled setting, the grubby package" + "needs to be present on the system."}), nil
	}
	return t.run()
}

func failed(msg string, data map[string]any) modules.Result {
	r := failedResult(msg)
	for k, v := range data {
		r.Data[k] = v
	}
	return r
}

// seProbe reads the running state from selinuxfs, libselinux's
// configuration (/etc/selinux/config) and the task's configuration file.
const seProbe = `if [ -r /sys/fs/selinux/enforce ]; then echo "enforce=$(cat /sys/fs/selinux/enforce)"; else echo enforce=; fi
if [ -r /etc/selinux/config ]; then sed -n 's/^[[:space:]]*[Ss][Ee][Ll][Ii][Nn][Uu][Xx][Tt][Yy][Pp][Ee]=/type=/p' /etc/selinux/config | head -1; fi
if [ -f "$1" ]; then echo file=yes; echo ---; cat "$1"; else echo file=no; fi`

func (t *seTask) read() (modules.Result, error) {
	path := t.o.ConfigFile
	out, err := hostcmd.Query(t.ctx, t.h, "sh -c "+hostcmd.Quote(seProbe)+" selinux "+hostcmd.Quote(path))
	if err != nil {
		return modules.Result{}, err
	}
	head, body, _ := strings.Cut(out.Stdout, "---\n")
	st := seState{runtimeState: "disabled", runtimePolicy: "targeted"}
	file := false
	for _, l := range strings.Split(head, "\n") {
		k, v, _ := strings.Cut(l, "=")
		switch k {
		case "enforce":
			st.runtimeEnabled = v != ""
			st.runtimeState = map[string]string{"": "disabled", "0": "permissive"}[v]
			if st.runtimeState == "" {
				st.runtimeState = "enforcing"
			}
		case "type":
			st.runtimePolicy = strings.TrimRightFunc(v, isSpace)
		case "file":
			file = v == "yes"
		}
	}
	if !file {
		return failed("Unable to find file "+path, map[string]any{"details": "Please install SELinux-policy package, if this package is not installed previously."}), nil
	}
	st.configLines = splitLines(body)
	st.configPolicy = configValue(st.configLines, seTypeLine)
	st.configState = configValue(st.configLines, seStateLine)
	t.st = st
	return modules.Result{}, nil
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

var (
	seStateLine = regexp.MustCompile(`^SELINUX=`)
	seTypeLine  = regexp.MustCompile(`^SELINUXTYPE=`)
)

// configValue is the value of the first line line matches, as Ansible
// reads it (between the first and the second '=', trimmed).
func configValue(lines []string, line *regexp.Regexp) string {
	for _, l := range lines {
		if line.MatchString(l) {
			return strings.TrimSpace(strings.Split(l, "=")[1])
		}
	}
	return ""
}

// pyStr is how Python prints a value that may be None.
func pyStr(s string) string {
	if s == "" {
		return "None"
	}
	return s
}

func (t *seTask) run() (modules.Result, error) {
	state, policy := t.o.State, t.o.Policy
	if state != "disabled" && policy == "" {
		return failed("Policy is required if state is not 'disabled'", nil), nil
	}
	if policy == "" {
		policy = t.st.configPolicy
	}
	if policy != t.st.runtimePolicy || policy != t.st.configPolicy {
		if res, done, err := t.setPolicy(policy); done || err != nil {
			return res, err
		}
	}
	rebootRequired, err := t.runtime(state)
	if err != nil {
		return modules.Result{}, err
	}
	if state != t.st.configState {
		if err := t.setConfig(seStateLine, "SELINUX="+state); err != nil {
			return modules.Result{}, err
		}
		t.msgs = append(t.msgs, fmt.Sprintf("Config SELinux state changed from '%s' to '%s'", pyStr(t.st.configState), state))
	}
	data := map[string]any{"msg": strings.Join(t.msgs, ", "), "configfile": t.o.ConfigFile,
		"policy": nilIfEmpty(policy), "state": state, "reboot_required": rebootRequired}
	if len(t.warnings) > 0 {
		data["warnings"] = t.warnings
	}
	return modules.Result{Data: data}, nil
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// setPolicy changes the configured policy. A policy that is not installed
// fails the real run; a dry run plans it, as Ansible's check mode does not
// look (an earlier task may install it). Ansible's check mode stops at the
// first policy difference and reports changed alone (done).
func (t *seTask) setPolicy(policy string) (modules.Result, bool, error) {
	if policy != t.st.configPolicy {
		what := "SELinux policy " + policy
		info, err := t.h.Stat(t.ctx, "/etc/selinux/"+policy+"/policy")
		if err != nil {
			return modules.Result{}, true, err
		}
		if !info.Exists {
			if err := t.h.Plan(what, errors.New("Policy "+policy+" does not exist in /etc/selinux/")); err != nil {
				return failed(err.Error(), nil), true, nil
			}
		} else if err := t.setConfig(seTypeLine, "SELINUXTYPE="+policy); err != nil {
			return modules.Result{}, true, err
		}
	}
	if policy != t.st.runtimePolicy {
		// The running policy cannot change: Ansible says so, and counts it.
		t.msgs = append(t.msgs, fmt.Sprintf("Running SELinux policy changed from '%s' to '%s'", t.st.runtimePolicy, pyStr(policy)))
		t.h.Report("SELinux running policy")
	}
	if t.h.Pending() {
		return modules.Result{}, true, nil
	}
	if policy != t.st.configPolicy {
		t.msgs = append(t.msgs, fmt.Sprintf("SELinux policy configuration in '%s' changed from '%s' to '%s'", t.o.ConfigFile, pyStr(t.st.configPolicy), policy))
	}
	return modules.Result{}, false, nil
}

// runtime changes the running state where SELinux runs, and says whether
// the state wanted needs a reboot.
func (t *seTask) runtime(state string) (bool, error) {
	cur := t.st.runtimeState
	switch {
	case state == cur:
		return false, nil
	case !t.st.runtimeEnabled:
		t.warnings = append(t.warnings, fmt.Sprintf("Reboot is required to set SELinux state to '%s'", state))
		return true, nil
	case state == "disabled" && cur == "permissive":
		t.warnings = append(t.warnings, "SELinux state change will take effect next reboot")
		return true, nil
	case state == "disabled":
		t.warnings = append(t.warnings, fmt.Sprintf("SELinux state temporarily changed from '%s' to 'permissive'. State change will take effect next reboot.", cur))
		return true, t.setenforce("0")
	}
	t.msgs = append(t.msgs, fmt.Sprintf("SELinux state changed from '%s' to '%s'", cur, state))
	return false, t.setenforce(map[string]string{"enforcing": "1", "permissive": "0"}[state])
}

func (t *seTask) setenforce(value string) error {
	line := "setenforce " + value
	_, err := hostcmd.Change(t.ctx, t.h, line, "echo "+value+" > /sys/fs/selinux/enforce")
	return err
}

// setConfig replaces the lines line matches with want (or appends it), as
// Ansible rewrites the file: every line ends with a newline.
func (t *seTask) setConfig(line *regexp.Regexp, want string) error {
	var b strings.Builder
	found := false
	for _, l := range t.st.configLines {
		if line.MatchString(l) {
			found = true
			l = want
		}
		b.WriteString(l + "\n")
	}
	if !found {
		b.WriteString(want + "\n")
	}
	_, _, err := modules.WriteContent(t.ctx, t.h, modules.ContentWrite{Path: t.o.ConfigFile, Content: []byte(b.String())})
	if err == nil {
		t.st.configLines = splitLines(b.String())
	}
	return err
}
