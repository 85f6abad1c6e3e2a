package service

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(serviceFacts{}) }

// serviceFacts is ansible-core 2.14's service_facts: the host's services,
// keyed by name, from the init scripts (service --status-all) and from a
// running systemd (list-units, then list-unit-files), the latter winning.
// The chkconfig, upstart and OpenRC listings are not read (README).
type serviceFacts struct{}

type serviceFactsOptions struct{}

func (serviceFacts) Spec() modules.Spec {
	return modules.Spec{
		Name:    "service_facts",
		Summary: "Return the host's services (systemd units and init scripts) as the fact services",
		Args:    modules.OptionsOf[serviceFactsOptions](),
		Check:   modules.CheckSupported,
	}
}

// noServices is service_facts.py's message when nothing was found.
const noServices = "Failed to find any services. This can be due to privileges or some other configuration issue."

func (serviceFacts) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	if _, err := modules.Decode[serviceFactsOptions](args); err != nil {
		return modules.Result{}, err
	}
	g := &gatherer{query: func(script string) (modules.Output, error) { return hostcmd.Query(ctx, h, script) }}
	services, err := g.gather()
	if err != nil {
		return modules.Result{}, err
	}
	if g.failure != "" {
		return failed(g.failure, nil), nil
	}
	var res modules.Result
	if len(services) == 0 {
		res = modules.Result{Skipped: true, Msg: noServices, Data: map[string]any{"skipped": true, "msg": noServices}}
	} else {
		res = modules.FactsResult(h, map[string]any{"services": services})
	}
	if len(g.warnings) > 0 {
		res.Data["warnings"] = g.warnings
	}
	return res, nil
}

// gatherer reads the services through query, a read-only shell script on
// the host (a stand-in in the parser's tests).
type gatherer struct {
	query    func(script string) (modules.Output, error)
	warnings []any
	failure  string
}

// cLocale runs a command under the C locale, as service_facts.py's
// get_best_parsable_locale does, so that its output parses.
const cLocale = "LANG=C LC_ALL=C "

// toolsScript finds the tools service_facts.py looks for, as get_bin_path
// does (PATH and the sbin directories), and whether PID 1 is systemd.
const toolsScript = `PATH="$PATH:/sbin:/usr/sbin:/usr/local/sbin:/usr/bin:/usr/local/bin"
for b in service chkconfig initctl rc-status systemctl; do printf '%s=%s\n' "$b" "$(command -v "$b")"; done
grep -q systemd /proc/1/comm 2>/dev/null && echo pid1=systemd
test -e /etc/init.d && echo initd=yes
true`

func (g *gatherer) gather() (map[string]any, error) {
	out, err := g.query(toolsScript)
	if err != nil {
		return nil, err
	}
	tools := hostcmd.Found(out.Stdout)
	services := map[string]any{}
	if tools["service"] != "" && tools["chkconfig"] == "" && tools["rc-status"] == "" {
		if err := g.sysv(tools, services); err != nil {
			return nil, err
		}
	}
	if other := otherListings(tools); other != "" && tools["pid1"] != "systemd" {
		g.warn("ferry does not read " + other + ": the services only it knows are missing")
	}
	if tools["pid1"] == "systemd" && tools["systemctl"] != "" {
		if err := g.systemd(tools["systemctl"], services); err != nil {
			return nil, err
		}
	}
	return services, nil
}

// otherListings names the listings of service_facts.py that ferry does not
// read (chkconfig's, upstart's initctl, OpenRC's rc-status), when the host
// has their tool.
func otherListings(tools map[string]string) string {
	var names []string
	for _, t := range []string{"chkconfig", "initctl", "rc-status"} {
		if tools[t] != "" {
			names = append(names, t)
		}
	}
	return strings.Join(names, ", ")
}

func (g *gatherer) warn(msg string) { g.warnings = append(g.warnings, msg) }

var statusAllLine = regexp.MustCompile(`(?m)^\s*\[ (\+|-) \]\s+(.+)$`)

// sysv is _list_sysvinit: service --status-all's [ + ] and [ - ] lines.
func (g *gatherer) sysv(tools map[string]string, services map[string]any) error {
	out, err := g.query(cLocale + hostcmd.Quote(tools["service"]) + " --status-all")
	if err != nil {
		return err
	}
	if out.RC == 4 && tools["initd"] == "" {
		return nil
	}
	if out.RC != 0 {
		g.warn(fmt.Sprintf("Unable to query 'service' tool (%d): %s", out.RC, out.Stderr))
	}
	for _, m := range statusAllLine.FindAllStringSubmatch(out.Stdout, -1) {
		state := "stopped"
		if m[1] == "+" {
			state = "running"
		}
		services[m[2]] = modules.Ordered(map[string]any{"name": m[2], "state": state, "source": "sysv"}, "name", "state", "source")
	}
	return nil
}

// badStates are the states list-units shows in place of active/inactive,
// after a leading bullet.
var badStates = []string{"not-found", "masked", "failed"}

// systemd is SystemctlScanService: list-units, then list-unit-files for the
// units not loaded (their ActiveState asked one by one) and the status of
// the others.
func (g *gatherer) systemd(systemctl string, services map[string]any) error {
	units, err := g.query(cLocale + hostcmd.Quote(systemctl) + " list-units --no-pager --type service --all")
	if err != nil {
		return err
	}
	if units.RC != 0 {
		g.warn("Could not list units from systemd: " + units.Stderr)
	} else {
		listUnits(units.Stdout, services)
	}
	files, err := g.query(cLocale + hostcmd.Quote(systemctl) + " list-unit-files --no-pager --type service --all")
	if err != nil {
		return err
	}
	if files.RC != 0 {
		g.warn("Could not get unit files data from systemd: " + files.Stderr)
		return nil
	}
	return g.listUnitFiles(systemctl, files.Stdout, services)
}

func listUnits(stdout string, services map[string]any) {
	for _, line := range serviceLines(stdout) {
		fields := strings.Fields(line)
		status := ""
		for _, bad := range badStates {
			if slices.Contains(fields, bad) {
				status, fields = bad, fields[1:]
				break
			}
		}
		if len(fields) < 4 {
			continue // not a unit's line (Python would stop on it)
		}
		if status == "" {
			status = fields[2]
		}
		state := "stopped"
		if fields[3] == "running" {
			state = "running"
		}
		services[fields[0]] = systemdService(fields[0], state, status)
	}
}

func systemdService(name, state, status string) map[string]any {
	return modules.Ordered(map[string]any{"name": name, "state": state, "status": status, "source": "systemd"},
		"name", "state", "status", "source")
}

// serviceLines are the lines that mention a .service, as the module
// filters list-units' and list-unit-files' output.
func serviceLines(stdout string) []string {
	var lines []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, ".service") {
			lines = append(lines, line)
		}
	}
	return lines
}

// listUnitFiles adds the unit files list-units did not show, with their
// ActiveState (asked in one script, one systemctl show each, as the module
// runs them), and sets the status of the others unless it is a bad state.
func (g *gatherer) listUnitFiles(systemctl, stdout string, services map[string]any) error {
	type file struct{ name, status string }
	var unknown []file
	for _, line := range serviceLines(stdout) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			g.failure = "Malformed output discovered from systemd list-unit-files: " + line
			return nil
		}
		name, status := fields[0], fields[1]
		known, ok := services[name].(map[string]any)
		switch {
		case !ok:
			unknown = append(unknown, file{name, status})
		case !slices.Contains(badStates, known["status"].(string)):
			known["status"] = status
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	var script strings.Builder
	for _, f := range unknown {
		fmt.Fprintf(&script, "s=$(%s%s show %s --property=ActiveState); echo \"$? $s\"\n", cLocale, hostcmd.Quote(systemctl), hostcmd.Quote(f.name))
	}
	out, err := g.query(script.String())
	if err != nil {
		return err
	}
	answers := strings.Split(out.Stdout, "\n")
	for i, f := range unknown {
		state := "unknown"
		if i < len(answers) {
			if rc, active, _ := strings.Cut(answers[i], " "); rc == "0" && active != "" {
				state = strings.TrimRight(strings.Replace(active, "ActiveState=", "", -1), " \t\r")
			}
		}
		services[f.name] = systemdService(f.name, state, f.status)
	}
	return nil
}
