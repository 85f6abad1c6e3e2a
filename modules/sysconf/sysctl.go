package sysconf

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(sysctl{}) }

// sysctl is ansible.posix.sysctl (1.5.4) on Linux: a key's line in a
// sysctl.conf file, the kernel's value set with sysctl -w (sysctl_set), and
// sysctl -p on the file when anything changed (reload).
type sysctl struct{}

// sysctlOptions are the collection's arguments.
type sysctlOptions struct {
	Name         string  `opt:"name,required" aliases:"key" doc:"The dot-separated key (net.ipv4.ip_forward)."`
	Value        *string `opt:"value" aliases:"val" doc:"The value; yes/no and true/false are written 1 and 0. Required with state present."`
	State        string  `opt:"state" default:"present" choices:"present,absent" doc:"Whether the key's line is in sysctl_file."`
	Reload       bool    `opt:"reload" default:"yes" doc:"Run sysctl -p sysctl_file when the task changed something."`
	SysctlSet    bool    `opt:"sysctl_set" doc:"Also set the running kernel's value with sysctl -w when it differs."`
	IgnoreErrors bool    `opt:"ignoreerrors" doc:"Ignore unknown keys (sysctl -e)."`
	SysctlFile   string  `opt:"sysctl_file" default:"/etc/sysctl.conf" kind:"abspath" doc:"The file the key's line is in."`
}

func (sysctl) Spec() modules.Spec {
	return modules.Spec{
		Name:       "sysctl",
		Summary:    "Set a kernel parameter in a sysctl.conf file and, optionally, in the running kernel (ansible.posix.sysctl)",
		Collection: "ansible.posix",
		Args:       modules.OptionsOf[sysctlOptions](),
		Check:      modules.CheckSupported,
	}
}

// sysctlTask is one task's arguments, as the collection normalizes them.
type sysctlTask struct {
	name, value, file         string
	present, reload, set, ign bool
}

func (sysctl) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[sysctlOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := sysctlTask{name: strings.TrimSpace(o.Name), file: o.SysctlFile,
		present: o.State == "present", reload: o.Reload, set: o.SysctlSet, ign: o.IgnoreErrors}
	value := ""
	if o.Value != nil {
		value = *o.Value
	}
	if msg := t.argsProblem(o.Value != nil, value); msg != "" {
		return failedResult(msg), nil
	}
	t.value = sysctlValue(value)
	kernel, err := t.kernelValue(ctx, h)
	if err != nil {
		return modules.Result{}, err
	}
	lines, err := readLines(ctx, h, t.file)
	if err != nil {
		return modules.Result{}, err
	}
	plan := t.decide(kernel, fileValues(lines))
	return t.apply(ctx, h, plan, fixLines(lines, t))
}

// argsProblem is the collection's own checks of its arguments, failures of
// the task as there.
func (t sysctlTask) argsProblem(hasValue bool, value string) string {
	switch {
	case t.present && !hasValue:
		return "state is present but all of the following are missing: value"
	case t.name == "":
		return "name cannot be blank"
	case t.present && value == "":
		return "value cannot be blank"
	}
	return ""
}

// sysctlValue is the collection's _parse_value: Ansible's booleans become
// 1 and 0, anything else is trimmed.
func sysctlValue(v string) string {
	switch strings.ToLower(v) {
	case "y", "yes", "on", "1", "true", "t", "1.0":
		return "1"
	case "n", "no", "off", "0", "false", "f", "0.0":
		return "0"
	}
	return strings.TrimSpace(v)
}

// kernelValue is `sysctl -e -n name`, or nil when it fails.
func (t sysctlTask) kernelValue(ctx context.Context, h *modules.Host) (*string, error) {
	out, err := hostcmd.Query(ctx, h, "LANG=C LC_ALL=C LC_MESSAGES=C sysctl -e -n "+hostcmd.Quote(t.name))
	if err != nil || out.RC != 0 {
		return nil, err
	}
	return &out.Stdout, nil
}

// readLines is the file's lines, trimmed; none when it is not a file.
func readLines(ctx context.Context, h *modules.Host, path string) ([]string, error) {
	info, err := modules.StatPath(ctx, h, path, true)
	if err != nil || !info.Exists || info.Type != "file" {
		return nil, err
	}
	lines, err := fileLines(ctx, h, path)
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return lines, err
}

// assignment splits a key=value line; ok is false for blanks, comments and
// lines without =.
func assignment(line string) (k, v string, ok bool) {
	if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
		return "", "", false
	}
	k, v, ok = strings.Cut(line, "=")
	return strings.TrimSpace(k), strings.TrimSpace(v), ok
}

// fileValues is each key's value in the file; the last line wins.
func fileValues(lines []string) map[string]string {
	vals := map[string]string{}
	for _, l := range lines {
		if k, v, ok := assignment(l); ok {
			vals[k] = v
		}
	}
	return vals
}

// fixLines is the file as the task leaves it: every key once (its first
// line), the task's key set or dropped, comments kept.
func fixLines(lines []string, t sysctlTask) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		k, v, ok := assignment(l)
		switch {
		case !ok:
			out = append(out, l)
		case seen[k]:
		case k == t.name:
			seen[k] = true
			if t.present {
				out = append(out, k+"="+t.value)
			}
		default:
			seen[k] = true
			out = append(out, k+"="+v)
		}
	}
	if !seen[t.name] && t.present {
		out = append(out, t.name+"="+t.value)
	}
	return out
}

// sysctlPlan is what the task does.
type sysctlPlan struct{ changed, writeFile, setKernel bool }

// decide is the collection's process(): kernel is the running value (nil
// when sysctl could not read it).
func (t sysctlTask) decide(kernel *string, file map[string]string) sysctlPlan {
	var p sysctlPlan
	inFile, has := file[t.name]
	kernelDiffers := kernel == nil || !sameWords(*kernel, t.value)
	switch {
	case !has:
		p.changed, p.writeFile = t.present, t.present
	case inFile != "" && !t.present:
		p.changed, p.writeFile = true, true
	case inFile != t.value:
		p.changed, p.writeFile = true, true
	case t.reload:
		p.changed = kernelDiffers
	}
	if t.set && t.present && kernelDiffers {
		p.changed = true
		p.setKernel = kernel != nil
	}
	return p
}

// sameWords compares two values word by word, as the collection does.
func sameWords(a, b string) bool {
	return strings.Join(strings.Fields(a), " ") == strings.Join(strings.Fields(b), " ")
}

// apply makes the plan's changes through the gate, in the collection's
// order: the kernel, the file, then sysctl -p.
func (t sysctlTask) apply(ctx context.Context, h *modules.Host, p sysctlPlan, lines []string) (modules.Result, error) {
	res := modules.Result{Data: map[string]any{}}
	if !p.changed {
		return res, nil
	}
	quiet := ""
	if t.ign {
		quiet = "-e "
	}
	if p.setKernel {
		// The collection quotes the value and run_command splits the line
		// as a shell would: one word, name=value.
		word := t.name + "=" + t.value
		if err := sysctlRun(ctx, h, "set "+t.name+" in the running kernel", "sysctl "+quiet+"-w "+hostcmd.Quote(word), "setting "+t.name+" failed: "); err != nil {
			return modules.Result{}, err
		}
	}
	if p.writeFile {
		content := strings.Join(lines, "\n")
		if len(lines) > 0 {
			content += "\n"
		}
		if _, _, err := modules.WriteContent(ctx, h, modules.ContentWrite{Path: t.file, Content: []byte(content)}); err != nil {
			return modules.Result{}, err
		}
	}
	if !t.reload {
		if !p.setKernel && !p.writeFile {
			// Ansible reports the change it found (the kernel could not be read) without making one.
			h.Report("sysctl " + t.name + " (nothing to apply)")
			return res, nil
		}
		return res, nil
	}
	return res, sysctlRun(ctx, h, "reload "+t.file, "sysctl "+quiet+"-p "+hostcmd.Quote(t.file), "Failed to reload sysctl: ")
}

// sysctlRun runs a sysctl command through the gate. When it fails or
// prints one of the errors sysctl exits 0 with, the task fails with prefix
// and the command's output, and reports no change, as the collection's
// fail_json does (an error, not a failed Result, for the runner).
func sysctlRun(ctx context.Context, h *modules.Host, what, line, prefix string) error {
	out, err := hostcmd.Change(ctx, h, what, "LANG=C LC_ALL=C LC_MESSAGES=C "+line)
	if err != nil {
		return err
	}
	if out.RC != 0 || sysctlStderrFailed(out.Stderr) {
		return errString(prefix + out.Stdout + out.Stderr)
	}
	return nil
}

// sysctlStderrFailed is the collection's _stderr_failed: errors sysctl
// reports without failing.
func sysctlStderrFailed(stderr string) bool {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, `sysctl: setting key "`) &&
			(strings.HasSuffix(l, `": Invalid argument`) || strings.HasSuffix(l, `": Read-only file system`)) {
			return true
		}
	}
	return false
}
