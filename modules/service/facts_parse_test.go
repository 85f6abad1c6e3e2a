package service

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
)

// The outputs of a host booted with systemd (the throw-away roots are not):
// systemd 252's columns, a failed, a not-found and a masked unit, a template
// and a unit file list-units does not show (its ActiveState asked).
const listUnitsOut = `  UNIT                               LOAD      ACTIVE   SUB     DESCRIPTION
  cron.service                       loaded    active   running Regular background program processing daemon
  dbus.service                       loaded    active   running D-Bus System Message Bus
● ferry-bad.service                  loaded    failed   failed  ferry failing unit
● nosuch.service                     not-found inactive dead    nosuch.service
  masked-one.service                 masked    inactive dead    masked-one.service
  ssh.service                        loaded    inactive dead    OpenBSD Secure Shell server
  oneshot.service                    loaded    active   exited  a oneshot

LOAD   = Reflects whether the unit definition was properly loaded.
ACTIVE = The high-level unit activation state, i.e. generalization of SUB.
SUB    = The low-level unit activation state, values depend on unit type.
7 loaded units listed.
To show all installed unit files use 'systemctl list-unit-files'.
`

const listUnitFilesOut = `UNIT FILE                 STATE           VENDOR PRESET
cron.service              enabled         enabled
dbus.service              static          -
ferry-bad.service         enabled         enabled
getty@.service            enabled         enabled
masked-one.service        masked          enabled
rsync.service             disabled        enabled
ssh.service               enabled         enabled
systemd-timesyncd.service enabled         enabled
broken.service            bad             enabled

9 unit files listed.
`

// showOut is systemctl show UNIT --property=ActiveState: rc and stdout.
var showOut = map[string][2]string{
	"getty@.service":            {"1", ""},
	"rsync.service":             {"0", "ActiveState=inactive\n"},
	"masked-one.service":        {"0", "ActiveState=inactive\n"},
	"systemd-timesyncd.service": {"0", "ActiveState=active\n"},
	"broken.service":            {"0", ""},
}

const statusAllOut = ` [ - ]  cron
 [ + ]  ferry-demo
 [ ? ]  hwclock.sh
 [ + ]  ssh
`

// ansibleServices runs ansible-core's own service_facts.py classes on the
// canned outputs (a stand-in AnsibleModule answers run_command), with PID 1
// systemd and service but no chkconfig.
const ansibleServices = `
import json, sys
from ansible.modules import service_facts as sf
canned = json.load(sys.stdin)
class M:
    def __init__(self): self.warnings = []
    def get_bin_path(self, name, opt_dirs=None, required=False):
        return {"service": "/usr/sbin/service", "systemctl": "/usr/bin/systemctl"}.get(name)
    def run_command(self, cmd, use_unsafe_shell=False):
        if "--status-all" in cmd: return 0, canned["statusall"], ""
        if "list-unit-files" in cmd: return 0, canned["files"], ""
        if "list-units" in cmd: return 0, canned["units"], ""
        unit = cmd.split()[2]
        rc, out = canned["show"][unit]
        return int(rc), out, ""
    def warn(self, msg): self.warnings.append(msg)
    def fail_json(self, **kw): raise SystemExit(json.dumps(kw))
m = M()
services = {}
services.update(sf.ServiceScanService(m).gather_services())
s = sf.SystemctlScanService(m)
s.systemd_enabled = lambda: True
services.update(s.gather_services())
print(json.dumps(services))
`

// cannedHost answers the gatherer's scripts with the outputs above.
func cannedHost(script string) (modules.Output, error) {
	switch {
	case strings.Contains(script, "command -v"):
		return modules.Output{Stdout: "service=/usr/sbin/service\nchkconfig=\ninitctl=\nrc-status=\nsystemctl=/usr/bin/systemctl\npid1=systemd\ninitd=yes\n"}, nil
	case strings.Contains(script, "--status-all"):
		return modules.Output{Stdout: statusAllOut}, nil
	case strings.Contains(script, "list-unit-files"):
		return modules.Output{Stdout: listUnitFilesOut}, nil
	case strings.Contains(script, "list-units"):
		return modules.Output{Stdout: listUnitsOut}, nil
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(script), "\n") {
		for unit, answer := range showOut {
			if strings.Contains(line, " show "+unit+" ") || strings.Contains(line, " show '"+unit+"' ") {
				out.WriteString(answer[0] + " " + strings.TrimRight(answer[1], "\n") + "\n")
			}
		}
	}
	return modules.Output{Stdout: out.String()}, nil
}

// TestServiceFactsParseAsAnsible: on the outputs of a host booted with
// systemd, ferry's service_facts finds the services that ansible-core
// 2.14's service_facts.py finds from the same outputs, with the same
// fields (the bad states, the masked unit's shifted columns, unit files
// only listed, show's rc and empty answers).
func TestServiceFactsParseAsAnsible(t *testing.T) {
	python := "/usr/bin/python3" // ansible-core's interpreter
	if _, err := os.Stat(python); err != nil && os.Getenv("CI") == "" {
		t.Skip("no ansible-core interpreter")
	}
	canned, _ := json.Marshal(map[string]any{"statusall": statusAllOut, "units": listUnitsOut, "files": listUnitFilesOut, "show": showOut})
	cmd := exec.Command(python, "-c", ansibleServices)
	cmd.Stdin = strings.NewReader(string(canned))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("service_facts.py: %v\n%s", err, out)
	}
	var theirs map[string]any
	if err := json.Unmarshal(out, &theirs); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	g := &gatherer{query: cannedHost}
	ours, err := g.gather()
	if err != nil || g.failure != "" || len(g.warnings) > 0 {
		t.Fatalf("gather: %v %q %v", err, g.failure, g.warnings)
	}
	oursJSON, _ := json.Marshal(ours)
	theirsJSON, _ := json.Marshal(theirs)
	if string(oursJSON) != string(theirsJSON) {
		t.Errorf("services differ\nferry:   %s\nansible: %s", oursJSON, theirsJSON)
	}
	if len(ours) < 10 {
		t.Errorf("only %d services: %s", len(ours), oursJSON)
	}
}
