package firewall_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// compare runs playbook with --check, then twice for real, with ferry and
// ansible-playbook with the collection on a fresh root each (live where
// the collection is installed, else as recorded in testdata): recaps,
// effects (what state prints in the root) and every registered field must
// agree.
func compare(t *testing.T, playbook, collection string, state func(*rootfs.Host) string, setup ...string) (ours *rootfs.Host) {
	t.Helper()
	// Each test has roots of its own, and ufw and firewalld's commands are
	// slow Python programs: the three tests run side by side.
	t.Parallel()
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, script := range setup {
		ours.Run(script)
		theirs.Run(script)
	}
	playbook, _ = filepath.Abs(playbook)
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{collection}, State: ansiblecmp.StateOf(ours, theirs, state)}.Run(t)
	return ours
}

func TestUfwAgainstAnsible(t *testing.T) {
	compare(t, "testdata/ufw.yml", "community.general", func(h *rootfs.Host) string {
		return h.Run("ufw status verbose; grep -h '^### tuple' /etc/ufw/user.rules /etc/ufw/user6.rules; grep -E '^(LOGLEVEL|ENABLED)' /etc/ufw/ufw.conf; grep -E '^DEFAULT_(INPUT|OUTPUT|FORWARD)' /etc/default/ufw")
	})
}

// Ansible's offline firewalld rewrites a zone through firewalld's old
// settings tuple, which has no forward element: the zone loses its
// <forward/> (intra-zone forwarding, on in Debian's zones). ferry goes
// through firewall-offline-cmd, which keeps it: the effects are compared
// without that line, and ferry's must still have it.
func TestFirewalldOfflineAgainstAnsible(t *testing.T) {
	ours := compare(t, "testdata/firewalld.yml", "ansible.posix", func(h *rootfs.Host) string {
		return h.Run("cd /etc/firewalld && ls zones; for f in zones/*.xml; do echo \"== $f\"; grep -v '<forward/>' $f; done; true")
	})
	if got := ours.Run("grep -c '<forward/>' /etc/firewalld/zones/public.xml /etc/firewalld/zones/trusted.xml"); got != "/etc/firewalld/zones/public.xml:1\n/etc/firewalld/zones/trusted.xml:1\n" {
		t.Errorf("ferry's zones lost their forward setting:\n%s", got)
	}
}

// startFirewalld runs a D-Bus system bus and firewalld inside the root and
// waits until firewall-cmd reaches it.
const startFirewalld = `mkdir -p /run/dbus && dbus-daemon --system --fork && firewalld
for i in $(seq 300); do firewall-cmd --state >/dev/null 2>&1 && exit 0; sleep 0.1; done
echo "firewalld did not start"; firewall-cmd --state; exit 1`

func TestFirewalldRunningAgainstAnsible(t *testing.T) {
	compare(t, "testdata/firewalld_online.yml", "ansible.posix", func(h *rootfs.Host) string {
		return h.Run(`for z in public internal; do echo "== running $z"; firewall-cmd --zone=$z --list-all; echo "== permanent $z"; firewall-cmd --permanent --zone=$z --list-all; done`)
	}, startFirewalld)
}
