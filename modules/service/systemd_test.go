package service_test

import (
	"os"
	"path/filepath"
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
