// Package firewall holds the host firewall modules: ufw (community.general
// 6.6.9) and firewalld (ansible.posix 1.5.4), each driving the firewall's
// own command line as the collection's module does.
package firewall

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(ufw{}) }

// ufw is community.general's ufw module. Whether a task changes anything is
// decided before it changes it, by ufw itself: `ufw status verbose` for the
// state, logging and default policies, `ufw --dry-run RULE` for a rule (the
// rules it would write, compared with the rules files' tuples). So --check
// predicts what the real run does, and a rule that is already there is not
// added again.
type ufw struct{}

func (ufw) Spec() modules.Spec {
	return modules.Spec{
		Name:      "ufw",
		Summary:   "Manage the ufw firewall: its state, default policies, logging and rules",
		Args:      modules.OptionsOf[ufwOptions](),
		Exclusive: [][]string{{"name", "proto", "logging"}, {"direction", "interface_in"}, {"direction", "interface_out"}},
		Check:     modules.CheckSupported,
	}
}

type ufwOptions struct {
	State            string `opt:"state" choices:"enabled,disabled,reloaded,reset" doc:"enabled and disabled change ufw only when it is not so already; reloaded and reset always run (and report changed)."`
	Default          string `opt:"default" aliases:"policy" choices:"allow,deny,reject" doc:"The default policy of direction (incoming when direction is not given)."`
	Logging          string `opt:"logging" choices:"full,high,low,medium,off,on" doc:"ufw's logging level."`
	Direction        string `opt:"direction" choices:"in,incoming,out,outgoing,routed" doc:"With default: incoming, outgoing or routed. With rule: in or out."`
	Delete           bool   `opt:"delete" default:"false" doc:"Delete the rule instead of adding it."`
	Route            bool   `opt:"route" default:"false" doc:"A routed (forwarding) rule."`
	Insert           *int   `opt:"insert" doc:"Insert the rule at this position (relative to insert_relative_to)."`
	InsertRelativeTo string `opt:"insert_relative_to" default:"zero" choices:"zero,first-ipv4,last-ipv4,first-ipv6,last-ipv6" doc:"What insert counts from."`
	Rule             string `opt:"rule" choices:"allow,deny,limit,reject" doc:"Add (or, with delete, remove) a rule of this kind."`
	Interface        string `opt:"interface" aliases:"if" doc:"The interface of the rule (needs direction)."`
	InterfaceIn      string `opt:"interface_in" aliases:"if_in" doc:"The incoming interface (routed rules)."`
	InterfaceOut     string `opt:"interface_out" aliases:"if_out" doc:"The outgoing interface (routed rules)."`
	Log              bool   `opt:"log" default:"false" doc:"Log new connections matched by the rule."`
	FromIP           string `opt:"from_ip" default:"any" aliases:"from,src" doc:"Source address or network."`
	FromPort         string `opt:"from_port" doc:"Source port or range."`
	ToIP             string `opt:"to_ip" default:"any" aliases:"dest,to" doc:"Destination address or network."`
	ToPort           string `opt:"to_port" aliases:"port" doc:"Destination port or range (22, 60000:61000)."`
	Proto            string `opt:"proto" aliases:"protocol" choices:"ah,any,esp,ipv6,tcp,udp,gre,igmp" doc:"The protocol."`
	Name             string `opt:"name" aliases:"app" doc:"An application profile (ufw app list)."`
	Comment          string `opt:"comment" doc:"A comment kept with the rule (ufw 0.35 and later)."`
}

// commands are the module's commands given, in the order it runs them,
// with their values.
func (o ufwOptions) commands() [][2]string {
	var out [][2]string
	for _, c := range [][2]string{{"state", o.State}, {"default", o.Default}, {"rule", o.Rule}, {"logging", o.Logging}} {
		if c[1] != "" {
			out = append(out, c)
		}
	}
	return out
}

// ufwCommands are the module's commands, in the order it runs them.
var ufwCommands = []string{"state", "default", "rule", "logging"}

// ufwStates maps state to ufw's verb.
var ufwStates = map[string]string{"enabled": "enable", "disabled": "disable", "reloaded": "reload", "reset": "reset"}

// ufwRun is one task: what it ran (Ansible's commands result) and the
// state ufw was in before.
type ufwRun struct {
	ctx       context.Context
	h         *modules.Host
	o         ufwOptions
	ufw, grep string
	cmds      []string
	preState  string
	preRules  string
	// flagged is Ansible's changed flag before the final status: set by
	// reloaded, reset and a logging change, it spares the rules' re-read
	// (which then is not in commands).
	flagged bool
}

func (ufw) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[ufwOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if msg := ufwArgProblem(o); msg != "" {
		return failed(msg, nil), nil
	}
	u := &ufwRun{ctx: ctx, h: h, o: o}
	res, err := u.run()
	if err != nil || res.Failed {
		return res, err
	}
	if h.Check {
		// Only the result's wording: Ansible's check mode returns before
		// it reads the final status (no msg, not in commands).
		return modules.Result{Data: map[string]any{"commands": u.cmds}}, nil
	}
	post, res, err := u.execute(u.ufw+" status verbose", false)
	if err != nil || res.Failed {
		return res, err
	}
	if !u.flagged {
		// Ansible reads the rules again to see whether they changed.
		if _, res, err := u.execute(u.rulesGrep(ufwRulesFiles), true); err != nil || res.Failed {
			return res, err
		}
	}
	return modules.Result{Data: map[string]any{"commands": u.cmds, "msg": strings.TrimRight(post, " \t\r\n")}}, nil
}

// ufwArgProblem is what Ansible's argument spec refuses beyond the
// declarations: one command at least, interface only with direction.
func ufwArgProblem(o ufwOptions) string {
	switch {
	case len(o.commands()) == 0:
		return "one of the following is required: " + strings.Join(ufwCommands, ", ")
	case o.Interface != "" && o.Direction == "":
		return "missing parameter(s) required by 'interface': direction"
	}
	return ""
}

func (u *ufwRun) run() (modules.Result, error) {
	var err error
	if u.ufw, u.grep, err = u.bins(); err != nil {
		return failed(err.Error(), nil), nil
	}
	res, err := u.readState()
	if err != nil || res.Failed {
		return res, err
	}
	for _, c := range u.o.commands() {
		if res, err := u.command(c[0], c[1]); err != nil || res.Failed {
			return res, err
		}
	}
	return modules.Result{}, nil
}

// bins finds ufw and grep as Ansible's get_bin_path does: the PATH, then
// the sbin directories.
func (u *ufwRun) bins() (string, string, error) {
	out, err := hostcmd.Query(u.ctx, u.h, `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"; command -v ufw || echo; command -v grep || echo`)
	if err != nil {
		return "", "", err
	}
	lines := strings.Split(out.Stdout, "\n")
	for len(lines) < 2 {
		lines = append(lines, "")
	}
	for i, name := range []string{"ufw", "grep"} {
		if lines[i] == "" {
			return "", "", fmt.Errorf("Failed to find required executable %q in paths: %s", name, "$PATH:/sbin:/usr/sbin:/usr/local/sbin")
		}
	}
	return lines[0], lines[1], nil
}

// ufwRulesFiles are where ufw keeps the user's rules, by version.
var ufwRulesFiles = []string{"/lib/ufw/user.rules", "/lib/ufw/user6.rules", "/etc/ufw/user.rules", "/etc/ufw/user6.rules", "/var/lib/ufw/user.rules", "/var/lib/ufw/user6.rules"}

func (u *ufwRun) readState() (modules.Result, error) {
	var res modules.Result
	var err error
	if u.preState, res, err = u.execute(u.ufw+" status verbose", false); err != nil || res.Failed {
		return res, err
	}
	u.preRules, res, err = u.execute(u.rulesGrep(ufwRulesFiles), true)
	return res, err
}

// rulesGrep is the command that lists the rules' tuples in files.
func (u *ufwRun) rulesGrep(files []string) string {
	return u.grep + " -h '^### tuple' " + strings.Join(files, " ")
}

// execute runs a command that only reads, recorded in commands as Ansible
// records it; a failure (unless ignored) fails the task.
func (u *ufwRun) execute(line string, ignoreError bool) (string, modules.Result, error) {
	u.cmds = append(u.cmds, line)
	out, err := u.query(line)
	if err != nil {
		return "", modules.Result{}, err
	}
	if out.RC != 0 && !ignoreError {
		return out.Stdout, u.failedCommand(out), nil
	}
	return out.Stdout, modules.Result{}, nil
}

func (u *ufwRun) query(line string) (modules.Output, error) {
	script, err := ufwScript(line)
	if err != nil {
		return modules.Output{}, err
	}
	return hostcmd.Query(u.ctx, u.h, script)
}

// ufwScript is line as Ansible's run_command runs it (split as Python's
// shlex does), for the host's shell, in the C locale.
func ufwScript(line string) (string, error) {
	argv, err := shellquote.Split(line)
	if err != nil {
		return "", err
	}
	return "LANG=C " + shellquote.Join(argv), nil
}

func (u *ufwRun) failedCommand(out modules.Output) modules.Result {
	msg := out.Stderr
	if msg == "" {
		msg = out.Stdout
	}
	return failed(msg, map[string]any{"commands": u.cmds})
}

// change runs a ufw command through the gate (in check mode, a plan line);
// commands lists it when it runs, as Ansible's does.
func (u *ufwRun) change(line string) (modules.Result, error) {
	script, err := ufwScript(line)
	if err != nil {
		return modules.Result{}, err
	}
	var out modules.Output
	err = u.h.Change(strings.TrimPrefix(line, u.ufw+" "), func(w modules.Writer) error {
		u.cmds = append(u.cmds, line)
		var err error
		out, err = hostcmd.Write(u.ctx, w, u.h, script, nil)
		return err
	})
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		// As Ansible's fail_json: an error, so that the task reports no change.
		res := u.failedCommand(out)
		return res, errors.New(res.Msg)
	}
	return modules.Result{}, nil
}

// listAs lists line in commands when Ansible's does: in check mode
// (inCheck) or in a real run. Only the result's wording: Ansible's commands
// names what it ran, and it runs other commands in check mode (a rule's dry
// run, none of the changes); ferry's probes and gate are the same in both.
func (u *ufwRun) listAs(inCheck bool, line string) {
	if u.h.Check == inCheck {
		u.cmds = append(u.cmds, line)
	}
}

func (u *ufwRun) command(name, value string) (modules.Result, error) {
	switch name {
	case "state":
		return u.state(value)
	case "logging":
		return u.logging(value)
	case "default":
		return u.defaultPolicy(value)
	}
	return u.rule(value)
}

// apply runs line when it changes ufw, else only lists it.
func (u *ufwRun) apply(line string, changes bool) (modules.Result, error) {
	if changes {
		return u.change(line)
	}
	// Ansible runs it; ferry does not, as ufw's state shows it would change
	// nothing, but lists it all the same.
	u.listAs(false, line)
	return modules.Result{}, nil
}

func (u *ufwRun) state(value string) (modules.Result, error) {
	// "active" would also match "inactive", hence the space (Ansible's test).
	active := strings.Contains(u.preState, " active")
	u.flagged = u.flagged || value == "reloaded" || value == "reset"
	changes := value == "reloaded" || value == "reset" || value == "enabled" && !active || value == "disabled" && active
	return u.apply(u.ufw+" -f "+ufwStates[value], changes)
}

// ufwSettings are the default policies and the log level as ufw keeps
// them, lower case: policy_input, policy_output, policy_forward
// (accept, drop, reject) and loglevel (off, low...). ufw's status shows
// them only while it is active, so the files are the truth.
func (u *ufwRun) settings() (map[string]string, error) {
	out, err := hostcmd.Query(u.ctx, u.h, "cat /etc/default/ufw /etc/ufw/ufw.conf")
	if err != nil {
		return nil, err
	}
	set := map[string]string{}
	for _, l := range strings.Split(out.Stdout, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
		if !ok || strings.HasPrefix(k, "#") {
			continue
		}
		v = strings.ToLower(strings.Trim(v, `"'`))
		switch k {
		case "DEFAULT_INPUT_POLICY", "DEFAULT_OUTPUT_POLICY", "DEFAULT_FORWARD_POLICY":
			set["policy_"+strings.ToLower(strings.Split(k, "_")[1])] = v
		case "LOGLEVEL":
			set["loglevel"] = v
		}
	}
	return set, nil
}

// logging sets the log level when it differs ("on" keeps a level that is
// on, and means low when logging is off).
func (u *ufwRun) logging(value string) (modules.Result, error) {
	set, err := u.settings()
	if err != nil {
		return modules.Result{}, err
	}
	u.flagged = u.flagged || loggingFlag(u.preState, value)
	cur := set["loglevel"]
	changes := value != cur && !(value == "on" && cur != "off" && cur != "")
	return u.apply(u.ufw+" logging "+value, changes)
}

var ufwLogging = regexp.MustCompile(`Logging: (on|off)(?: \(([a-z]+)\))?`)

// loggingFlag is Ansible's guess from ufw's status that `ufw logging
// value` changes the level: always when the status shows none (ufw
// inactive). It decides only what commands lists.
func loggingFlag(status, value string) bool {
	m := ufwLogging.FindStringSubmatch(status)
	switch {
	case m == nil:
		return true
	case value == "off":
		return m[1] != "off"
	case m[1] == "off":
		return true
	}
	return value != "on" && value != m[2]
}

// ufwPolicy is ufw's word for a policy in its defaults file.
var ufwPolicy = map[string]string{"accept": "allow", "reject": "reject"}

func (u *ufwRun) defaultPolicy(value string) (modules.Result, error) {
	direction := u.o.Direction
	chain := map[string]string{"": "input", "incoming": "input", "outgoing": "output", "routed": "forward"}[direction]
	if chain == "" {
		return failed(`For default, direction must be one of "outgoing", "incoming" and "routed", or direction must not be specified.`, nil), nil
	}
	line := u.ufw + " default " + value
	if direction != "" {
		line += " " + direction
	}
	set, err := u.settings()
	if err != nil {
		return modules.Result{}, err
	}
	cur, ok := ufwPolicy[set["policy_"+chain]]
	if !ok {
		cur = "deny"
	}
	return u.apply(line, cur != value)
}

// failed is a failed task's result with msg.
func failed(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}

// rule adds or deletes a rule. ufw's dry run prints, for each address
// family the rule touches, either that it skips it (already there) or the
// rules file it would write: the rule changes ufw when one of those files'
// tuples differs from the family's file on the host.
func (u *ufwRun) rule(value string) (modules.Result, error) {
	switch u.o.Direction {
	case "", "in", "out":
	default:
		return failed(`For rules, direction must be one of "in" and "out", or direction must not be specified.`, nil), nil
	}
	if !u.o.Route && u.o.InterfaceIn != "" && u.o.InterfaceOut != "" {
		return failed("Only route rules can combine interface_in and interface_out", nil), nil
	}
	words, err := u.ruleWords(value)
	if err != nil {
		return modules.Result{}, err
	}
	version, res, err := u.execute(u.ufw+" --version", false)
	if err != nil || res.Failed {
		return res, err
	}
	if major, minor, ok := ufwVersion(version); !ok {
		return failed("Failed to get ufw version.", map[string]any{"rc": 0, "out": version}), nil
	} else if (major > 0 || minor >= 35) && u.o.Comment != "" {
		words = append(words, "comment '"+u.o.Comment+"'")
	}
	line := u.ufw + " " + strings.Join(words, " ")
	dry := u.ufw + " --dry-run " + strings.Join(words, " ")
	u.listAs(true, dry) // Ansible's check mode runs the dry run
	out, err := u.query(dry)
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		u.listAs(false, line) // the real run fails the same way
		return u.failedCommand(out), nil
	}
	changes, err := u.ruleChanges(out.Stdout)
	if err != nil {
		return modules.Result{}, err
	}
	return u.apply(line, changes)
}

// ruleWords is the rule's part of the command line, as Ansible builds it.
func (u *ufwRun) ruleWords(value string) ([]string, error) {
	o := u.o
	var words []string
	add := func(cond bool, w string) {
		if cond {
			words = append(words, w)
		}
	}
	add(o.Route, "route")
	add(o.Delete, "delete")
	if o.Insert != nil && !o.Delete {
		at, ok, err := u.insertAt(*o.Insert)
		if err != nil {
			return nil, err
		}
		add(ok, "insert "+strconv.Itoa(at))
	}
	words = append(words, value)
	for _, p := range [][2]string{
		{o.Direction, "%s"}, {o.Interface, "on %s"}, {o.InterfaceIn, "in on %s"}, {o.InterfaceOut, "out on %s"},
	} {
		add(p[0] != "", fmt.Sprintf(p[1], p[0]))
	}
	add(o.Log, "log")
	for _, p := range [][2]string{
		{o.FromIP, "from %s"}, {o.FromPort, "port %s"}, {o.ToIP, "to %s"}, {o.ToPort, "port %s"}, {o.Proto, "proto %s"}, {o.Name, "app '%s'"},
	} {
		add(p[0] != "", fmt.Sprintf(p[1], p[0]))
	}
	return words, nil
}

var numberedRule = regexp.MustCompile(`^\[ *([0-9]+)\] `)

// insertAt is the position insert means, counted as Ansible counts it from
// `ufw status numbered`; not ok means append (a position past the last
// rule, which ufw refuses).
func (u *ufwRun) insertAt(insert int) (at int, ok bool, err error) {
	relative := u.o.InsertRelativeTo
	if relative == "zero" {
		return insert, true, nil
	}
	out, err := u.query(u.ufw + " status numbered")
	if err != nil {
		return 0, false, err
	}
	last, lastV4, hasV4, hasV6 := 0, 0, false, false
	for _, l := range strings.Split(out.Stdout, "\n") {
		m := numberedRule.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		last = max(last, n)
		if strings.Contains(l, "(v6)") {
			hasV6 = true
		} else {
			hasV4, lastV4 = true, max(lastV4, n)
		}
	}
	base := 1
	switch {
	case relative == "last-ipv4" && hasV4:
		base = lastV4
	case relative == "first-ipv6" && hasV4:
		base = lastV4 + 1
	case relative == "last-ipv6" && hasV6:
		base = last
	case relative == "last-ipv6":
		base = last + 1
	}
	at = insert + base
	return at, at <= last, nil
}

var ufwVersionLine = regexp.MustCompile(`^ufw.+(\d+)\.(\d+)(?:\.(\d+))?.*$`)

func ufwVersion(out string) (major, minor int, ok bool) {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		m := ufwVersionLine.FindStringSubmatch(l)
		if m == nil {
			return 0, 0, false
		}
		major, _ = strconv.Atoi(m[1])
		minor, _ = strconv.Atoi(m[2])
		return major, minor, true
	}
	return 0, 0, false
}

// ruleChanges compares the rules files of a dry run's output with the
// host's, family by family (ufw6 chains name the IPv6 file).
func (u *ufwRun) ruleChanges(dry string) (bool, error) {
	for _, section := range strings.Split(dry, "*filter\n")[1:] {
		files := []string{ufwRulesFiles[0], ufwRulesFiles[2], ufwRulesFiles[4]}
		if strings.Contains(section, ":ufw6-") {
			files = []string{ufwRulesFiles[1], ufwRulesFiles[3], ufwRulesFiles[5]}
		}
		out, err := u.query(u.rulesGrep(files))
		if err != nil {
			return false, err
		}
		if tuples(section) != tuples(out.Stdout) {
			return true, nil
		}
	}
	return false, nil
}

// tuples are the lines that describe ufw's rules in a rules file.
func tuples(text string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(l, "### tuple") {
			b.WriteString(strings.TrimRight(l, "\n") + "\n")
		}
	}
	return b.String()
}
