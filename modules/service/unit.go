package service

import (
	"fmt"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// The unit's side of the systemd module: find it, then masked, enabled and
// state in Ansible's order.

var validEnabledStates = []string{"enabled", "enabled-runtime", "linked", "linked-runtime", "masked", "masked-runtime",
	"static", "indirect", "disabled", "generated", "transient"}

func (u *unitTask) converge(result map[string]any) (modules.Result, error) {
	status, found, bad, err := u.find()
	if err != nil || bad != nil {
		return deref(bad), err
	}
	if status != nil {
		result["status"] = status
	}
	if u.o.Masked != nil {
		if res, err := u.mask(result, found); err != nil || res.Failed {
			return res, err
		}
	}
	if u.o.Enabled != nil {
		if res, err := u.enable(result, found); err != nil || res.Failed {
			return res, err
		}
	}
	if u.o.State != "" {
		if !found {
			return missing(u.unit), nil
		}
		return u.state(result, status)
	}
	return modules.Result{Data: result}, nil
}

func missing(unit string) modules.Result {
	return failed(fmt.Sprintf("Could not find the requested service %s: host", unit), nil)
}

// find asks systemctl show for the unit's properties; without a running
// systemd it falls back to is-enabled and list-unit-files, as Ansible does.
func (u *unitTask) find() (status map[string]any, found bool, bad *modules.Result, err error) {
	status, found, err = u.findUnit()
	if err != nil || found {
		return status, found, nil, err
	}
	// Nothing knows the unit: Ansible then runs a bare systemctl and fails
	// with its error when systemctl itself cannot work (no running systemd).
	path, err := hostcmd.Query(u.ctx, u.h, "command -v systemctl || true")
	if err != nil {
		return status, found, nil, err
	}
	out, err := u.query()
	if err != nil || out.RC == 0 {
		return status, found, nil, err
	}
	res := failed(strings.TrimRight(out.Stderr, "\n"), map[string]any{"cmd": strings.TrimSpace(path.Stdout), "rc": out.RC,
		"stdout": out.Stdout, "stderr": out.Stderr, "stdout_lines": anylist.Lines(out.Stdout), "stderr_lines": anylist.Lines(out.Stderr)})
	return status, found, &res, nil
}

func deref(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

func (u *unitTask) findUnit() (map[string]any, bool, error) {
	initd, err := hostcmd.Query(u.ctx, u.h, "test -x "+hostcmd.Quote("/etc/init.d/"+u.unit)+" && echo yes || true")
	if err != nil {
		return nil, false, err
	}
	isInitd := strings.TrimSpace(initd.Stdout) == "yes"
	show, err := u.query("show", u.unit)
	if err != nil {
		return nil, false, err
	}
	var status map[string]any
	isSystemd := false
	switch {
	case show.RC == 0 && !ignored(show.Stdout) && !ignored(show.Stderr):
		if show.Stdout != "" {
			status = parseShow(show.Stdout)
			load, _ := status["LoadState"].(string)
			isSystemd = load != "" && load != "not-found"
			if _, bad := status["LoadError"]; isSystemd && load != "masked" && bad {
				return nil, false, fmt.Errorf("Error loading unit file '%s': %v", u.unit, status["LoadError"])
			}
		}
	case show.RC == 1 && strings.Contains(show.Stderr, "Failed to parse bus message"):
		status = parseShow(show.Stdout)
		base, sep, _ := strings.Cut(u.unit, "@")
		files, err := u.query("list-unit-files", base+sep+"*")
		if err != nil {
			return nil, false, err
		}
		isSystemd = strings.Contains(files.Stdout, base+sep)
		active, err := u.query("is-active", u.unit)
		if err != nil {
			return nil, false, err
		}
		status["ActiveState"] = strings.TrimRight(active.Stdout, "\n")
	default:
		enabled, err := u.query("is-enabled", u.unit)
		if err != nil {
			return nil, false, err
		}
		isSystemd = contains(validEnabledStates, strings.TrimSpace(enabled.Stdout))
		if !isSystemd {
			files, err := u.query("list-unit-files", u.unit)
			if err != nil {
				return nil, false, err
			}
			isSystemd = files.RC == 0
		}
	}
	return status, isSystemd || isInitd, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ignored is systemctl's answer in a chroot: "Running in chroot, ignoring request".
func ignored(out string) bool {
	return !strings.Contains(out, "=") && (strings.Contains(out, "ignoring request") || strings.Contains(out, "ignoring command"))
}

// parseShow reads systemctl show's key=value lines; an Exec* value in
// braces may span lines.
func parseShow(out string) map[string]any {
	parsed := map[string]any{}
	var key string
	var multi []string
	for _, line := range strings.Split(out, "\n") {
		if key == "" {
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			if strings.HasPrefix(k, "Exec") && strings.HasPrefix(strings.TrimLeft(v, " "), "{") && !strings.HasSuffix(strings.TrimRight(v, " "), "}") {
				key, multi = k, []string{v}
				continue
			}
			parsed[k] = strings.TrimSpace(v)
			continue
		}
		multi = append(multi, line)
		if strings.HasSuffix(strings.TrimRight(line, " "), "}") {
			parsed[key] = strings.TrimSpace(strings.Join(multi, "\n"))
			key, multi = "", nil
		}
	}
	return parsed
}

func (u *unitTask) mask(result map[string]any, found bool) (modules.Result, error) {
	out, err := u.query("is-enabled", u.unit)
	if err != nil {
		return modules.Result{}, err
	}
	want := *u.o.Masked
	if (strings.TrimSpace(out.Stdout) == "masked") == want {
		return modules.Result{}, nil
	}
	verb := "unmask"
	if want {
		verb = "mask"
	}
	ran, err := u.change(verb, u.unit)
	if err != nil {
		return modules.Result{}, err
	}
	if ran.RC != 0 && !found {
		return missing(u.unit), nil
	}
	return modules.Result{}, nil
}

func (u *unitTask) enable(result map[string]any, found bool) (modules.Result, error) {
	if !found {
		return missing(u.unit), nil
	}
	out, err := u.query("is-enabled", u.unit, "-l")
	if err != nil {
		return modules.Result{}, err
	}
	enabled := false
	switch out.RC {
	case 0:
		lines := strings.Split(strings.TrimRight(out.Stdout, "\n"), "\n")
		enabled = !(len(lines) == 1 && (lines[0] == "indirect" || lines[0] == "alias"))
	case 1:
		if u.o.Scope == "system" && !strings.HasSuffix(strings.TrimSpace(out.Stdout), "disabled") {
			sysv, err := hostcmd.Query(u.ctx, u.h, "test -x "+hostcmd.Quote("/etc/init.d/"+u.unit)+" && ls /etc/rc?.d/S??"+hostcmd.Quote(u.unit)+" >/dev/null 2>&1 && echo yes || true")
			if err != nil {
				return modules.Result{}, err
			}
			enabled = strings.TrimSpace(sysv.Stdout) == "yes"
		}
	}
	result["enabled"] = enabled
	want := *u.o.Enabled
	if enabled == want {
		return modules.Result{}, nil
	}
	verb := "disable"
	if want {
		verb = "enable"
	}
	ran, err := u.change(verb, u.unit)
	if err != nil {
		return modules.Result{}, err
	}
	if ran.RC != 0 {
		return failed(fmt.Sprintf("Unable to %s service %s: %s", verb, u.unit, ran.Stdout+ran.Stderr), nil), nil
	}
	result["enabled"] = want
	return modules.Result{}, nil
}

func (u *unitTask) state(result map[string]any, status map[string]any) (modules.Result, error) {
	want := u.o.State
	result["state"] = want
	active, known := status["ActiveState"].(string)
	if !known {
		// No running systemd to ask: Ansible fails the same way (it only
		// warns inside a chroot, which a test root is not).
		return failed("Service is in unknown state", map[string]any{"status": result["status"]}), nil
	}
	running := active == "active" || active == "activating"
	verb := ""
	switch want {
	case "started":
		if !running {
			verb = "start"
		}
	case "stopped":
		if running || active == "deactivating" {
			verb = "stop"
		}
	default:
		verb = strings.TrimSuffix(want, "ed")
		if !running {
			verb = "start"
		}
		result["state"] = "started"
	}
	if verb != "" {
		ran, err := u.change(verb, u.unit)
		if err != nil {
			return modules.Result{}, err
		}
		if ran.RC != 0 {
			return failed(fmt.Sprintf("Unable to %s service %s: %s", verb, u.unit, ran.Stderr), nil), nil
		}
	}
	return modules.Result{Data: result}, nil
}
