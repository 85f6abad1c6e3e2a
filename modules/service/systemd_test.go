package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

const demoUnit = "[Unit]\nDescription=ferry test unit\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n"

func unitRoot(t *testing.T) *rootfs.Host {
	h := rootfs.Start(t)
	for _, name := range []string{"ferry-demo.service", "ferry-masked.service"} {
		if err := os.WriteFile(h.Path("/etc/systemd/system/"+name), []byte(demoUnit), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// links lists the unit links systemctl made.
func links(h *rootfs.Host) string {
	return h.Run("cd /etc/systemd/system && find . -name '*.service' -printf '%p -> %l\\n' | sort")
}

// TestSystemdAgainstAnsible runs testdata/systemd.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, the unit links on disk and every registered field must agree.
func TestSystemdAgainstAnsible(t *testing.T) {
	ours, theirs := unitRoot(t), unitRoot(t)
	playbook, _ := filepath.Abs("testdata/systemd.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, links)}.Run(t)
}

// daemonStandIn is a systemctl, first on the PATH, that logs daemon-reload
// and daemon-reexec (which need a running systemd) and hands every other
// command to the real one.
const daemonStandIn = `cat > /usr/local/sbin/systemctl <<'EOF'
#!/bin/sh
case "$*" in *daemon-re*) echo "$*" >> /var/log/ferry-systemctl.log; exit 0;; esac
exec /usr/bin/systemctl "$@"
EOF
chmod 755 /usr/local/sbin/systemctl`

// TestSystemdDaemonAgainstAnsible: daemon_reload and daemon_reexec run in a
// real run without counting as a change (so a rerun reports none) and not
// at all under --check, in ferry as in ansible-playbook.
func TestSystemdDaemonAgainstAnsible(t *testing.T) {
	ours, theirs := unitRoot(t), unitRoot(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(daemonStandIn)
	}
	playbook, _ := filepath.Abs("testdata/systemd-daemon.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return links(h) + h.Run("cat /var/log/ferry-systemctl.log 2>&1; true")
		})}.Run(t)
}

// TestServiceNeedsSystemd: in a root whose PID 1 is no systemd, service
// fails before changing anything, naming what to use instead (Ansible would
// drive the init scripts, which ferry does not).
func TestServiceNeedsSystemd(t *testing.T) {
	h := unitRoot(t)
	before := links(h)
	playbook := filepath.Join(t.TempDir(), "service.yml")
	if err := os.WriteFile(playbook, []byte("- hosts: targets\n  gather_facts: false\n  tasks:\n    - service: {name: cron, enabled: false}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t)})
	if f.Exit != 2 || !strings.Contains(f.Output, "runs only on hosts booted with systemd; this one's service manager is sleep") {
		t.Fatalf("exit %d\n%s", f.Exit, f.Output)
	}
	if links(h) != before {
		t.Fatal("service changed the unit links")
	}
}
