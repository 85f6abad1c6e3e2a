package sysconf

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(timezone{}) }

// timezone is community.general.timezone (6.6.9) on Linux: timedatectl on a
// host where it works (systemd running), else the Debian family's files
// (/etc/timezone, the /etc/localtime link, dpkg-reconfigure tzdata;
// /etc/default/rcS and hwclock --systohc for the hardware clock).
type timezone struct{}

// timezoneOptions are the collection's arguments.
type timezoneOptions struct {
	Hwclock *string `opt:"hwclock" choices:"local,UTC" aliases:"rtc" doc:"Whether the hardware clock keeps local time or UTC."`
	Name    *string `opt:"name" doc:"The time zone, as under /usr/share/zoneinfo (Europe/Paris)."`
}

func (timezone) Spec() modules.Spec {
	return modules.Spec{
		Name:       "timezone",
		Summary:    "Set the system's time zone and hardware clock mode (community.general.timezone)",
		Collection: "community.general",
		Args:       modules.OptionsOf[timezoneOptions](),
		Check:      modules.CheckSupported,
	}
}

// tzKey is one setting the task manages: hwclock or name.
type tzKey struct {
	key, planned, before, after string
}

// tzStrategy reads and sets the settings on one kind of host.
type tzStrategy interface {
	get(ctx context.Context, key, planned string, after bool) (string, error)
	set(ctx context.Context, key, value string) error
	messages() []string
}

func (timezone) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[timezoneOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	var keys []*tzKey // the collection's order: hwclock, then name
	if o.Hwclock != nil {
		keys = append(keys, &tzKey{key: "hwclock", planned: *o.Hwclock})
	}
	if o.Name != nil {
		keys = append(keys, &tzKey{key: "name", planned: *o.Name})
	}
	if len(keys) == 0 {
		return failedResult("one of the following is required: hwclock, name"), nil
	}
	s, err := pickTimezone(ctx, h, o.Name)
	if err != nil {
		return modules.Result{}, err
	}
	for _, k := range keys {
		if k.before, err = s.get(ctx, k.key, k.planned, false); err != nil {
			return modules.Result{}, err
		}
	}
	if err := converge(ctx, h, s, keys); err != nil {
		return modules.Result{}, err
	}
	return timezoneResult(h, s, keys)
}

// converge sets what differs through the gate, then reads every key back:
// the collection fails when the host is still not as planned. A dry run's
// host does not show the changes: its after is the planned state, as the
// collection's check mode reports it.
func converge(ctx context.Context, h *modules.Host, s tzStrategy, keys []*tzKey) error {
	for _, k := range keys {
		if k.before != k.planned {
			if err := s.set(ctx, k.key, k.planned); err != nil {
				return err
			}
		}
	}
	if h.Pending() {
		for _, k := range keys {
			k.after = k.planned
		}
		return nil
	}
	after, planned := map[string]string{}, map[string]string{}
	for _, k := range keys {
		var err error
		if k.after, err = s.get(ctx, k.key, k.planned, true); err != nil {
			return err
		}
		after[k.key], planned[k.key] = k.after, k.planned
	}
	if fmt.Sprint(after) != fmt.Sprint(planned) {
		return tzAbort(s, fmt.Sprintf("still not desired state, though changes have made - planned: %s, after: %s", pyDict(planned), pyDict(after)))
	}
	return nil
}

// timezoneResult registers the collection's diff (before and after, or
// planned under --check) and its log; the task changed when they differ.
func timezoneResult(h *modules.Host, s tzStrategy, keys []*tzKey) (modules.Result, error) {
	before, after := map[string]any{}, map[string]any{}
	changed := false
	for _, k := range keys {
		before[k.key], after[k.key] = k.before, k.after
		changed = changed || k.before != k.after
	}
	data := map[string]any{"diff": map[string]any{"before": before, "after": after}}
	// The log says what ran: nothing did in a dry run.
	if msgs := s.messages(); len(msgs) > 0 && !h.Pending() {
		data["msg"] = strings.Join(msgs, "\n")
	}
	res := modules.Result{Data: data}
	if !changed {
		return res, nil
	}
	res.Diffs = []modules.Diff{{Before: jsonText(before), After: jsonText(after)}}
	// The commands ran already (or, in a dry run, were planned): the
	// change is the one the collection reports.
	h.Report("time zone settings")
	return res, nil
}

// jsonText is a mapping as Ansible's callback shows a dict in a diff.
func jsonText(m map[string]any) string {
	b, _ := json.MarshalIndent(m, "", "    ")
	return string(b) + "\n"
}

// pyDict prints a mapping as Python's str() of a dict does.
func pyDict(m map[string]string) string {
	var parts []string
	for _, k := range []string{"hwclock", "name"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("'%s': '%s'", k, v))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// tzAbort is the collection's abort: the message, then the log so far.
func tzAbort(s tzStrategy, msg string) error {
	lines := []string{"Error message:", msg}
	if msgs := s.messages(); len(msgs) > 0 {
		lines = append(append(lines, "Other message(s):"), msgs...)
	}
	return errString(strings.Join(lines, "\n"))
}

// tzTools are the commands' paths as Ansible's get_bin_path finds them (the
// PATH, then the sbin directories), "" when missing; timedatectlWorks is
// whether `timedatectl` exits 0 (it needs a running systemd).
type tzTools struct {
	timedatectl, hwclock, dpkgReconfigure, ln string
	timedatectlWorks                          bool
}

func findTimezoneTools(ctx context.Context, h *modules.Host) (tzTools, error) {
	out, err := hostcmd.Query(ctx, h, `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin"
for c in timedatectl hwclock dpkg-reconfigure ln; do echo "$(command -v $c)"; done
t=$(command -v timedatectl) && "$t" >/dev/null 2>&1 && echo works || echo`)
	if err != nil {
		return tzTools{}, err
	}
	f := strings.Split(out.Stdout, "\n")
	for len(f) < 5 {
		f = append(f, "")
	}
	return tzTools{timedatectl: f[0], hwclock: f[1], dpkgReconfigure: f[2], ln: f[3], timedatectlWorks: f[4] == "works"}, nil
}

// pickTimezone is the collection's choice of strategy for a Linux host;
// ferry has the Debian family's file strategy only.
func pickTimezone(ctx context.Context, h *modules.Host, name *string) (tzStrategy, error) {
	tools, err := findTimezoneTools(ctx, h)
	if err != nil {
		return nil, err
	}
	var s tzStrategy
	switch {
	case tools.timedatectlWorks:
		s = &systemdTZ{h: h, bin: tools.timedatectl, status: map[bool]string{}}
	case tools.hwclock == "":
		return nil, errString(`Failed to find required executable "hwclock"`)
	case tools.dpkgReconfigure != "":
		s = &debianTZ{h: h, tools: tools}
	default:
		return nil, errString("ferry's timezone sets hosts with a running systemd (timedatectl) or Debian's dpkg-reconfigure only; use command or copy elsewhere")
	}
	if name != nil {
		if err := verifyZone(ctx, h, s, *name); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// verifyZone fails unless the zone has a file under /usr/share/zoneinfo.
func verifyZone(ctx context.Context, h *modules.Host, s tzStrategy, name string) error {
	info, err := modules.StatPath(ctx, h, zoneFile(name), true)
	if err != nil {
		return err
	}
	if !info.Exists || info.Type != "file" {
		return tzAbort(s, fmt.Sprintf("given timezone %q is not available", name))
	}
	return nil
}

func zoneFile(name string) string { return "/usr/share/zoneinfo/" + name }

// tzRun runs a command of the collection's (check_rc: a failure fails the
// task with its stderr) through the gate.
func tzRun(ctx context.Context, h *modules.Host, line string) error {
	out, err := hostcmd.Change(ctx, h, line, line)
	if err != nil {
		return err
	}
	if out.RC != 0 {
		return errString(strings.TrimRight(out.Stderr, " \t\r\n"))
	}
	return nil
}

// systemdTZ reads `timedatectl status` (once before the changes, once
// after) and sets with timedatectl.
type systemdTZ struct {
	h      *modules.Host
	bin    string
	status map[bool]string
	log    []string
}

var (
	systemdRTC  = regexp.MustCompile(`(?m)^\s*RTC in local TZ\s*:\s*(\S+)`)
	systemdZone = regexp.MustCompile(`(?m)^\s*Time ?zone\s*:\s*(\S+)`)
)

func (s *systemdTZ) get(ctx context.Context, key, _ string, after bool) (string, error) {
	if _, ok := s.status[after]; !ok {
		out, err := hostcmd.Query(ctx, s.h, s.bin+" status")
		if err != nil {
			return "", err
		}
		if out.RC != 0 {
			return "", errString(strings.TrimRight(out.Stderr, " \t\r\n"))
		}
		s.status[after] = out.Stdout
	}
	re := systemdZone
	if key == "hwclock" {
		re = systemdRTC
	}
	m := re.FindStringSubmatch(s.status[after])
	if m == nil {
		return "", errString("timedatectl status does not show the " + key)
	}
	if key == "hwclock" {
		if isTrue(m[1]) {
			return "local", nil
		}
		return "UTC", nil
	}
	return m[1], nil
}

func (s *systemdTZ) set(ctx context.Context, key, value string) error {
	sub := "set-timezone"
	if key == "hwclock" {
		local := value == "local"
		sub, value = "set-local-rtc", "no"
		if local {
			value = "yes"
		}
	}
	line := s.bin + " " + sub + " " + value
	if err := tzRun(ctx, s.h, line); err != nil {
		return err
	}
	s.log = append(s.log, "executed `"+line+"`")
	return nil
}

func (s *systemdTZ) messages() []string { return s.log }

// isTrue is Ansible's boolean() of a string that is true.
func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "y", "yes", "on", "1", "true", "t":
		return true
	}
	return false
}
