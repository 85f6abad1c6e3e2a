package remote_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// standInShutdown replaces the root's shutdown: it logs its arguments and,
// once the command has returned, gives the root a new boot id and kills its
// sshd processes (only the root's: its PID namespace is its own), so that
// every connection to it drops, as a reboot does; new connections find the
// new boot id. ansible-playbook runs it on a terminal, which hangs up when
// the command returns: the SIGHUP reaches the background job if it has not
// yet left the terminal's session (setsid), so it ignores SIGHUP from the
// start (an ignored signal stays ignored across fork and exec).
const standInShutdown = `rm -f /usr/sbin/shutdown; cat > /usr/sbin/shutdown <<'EOF'
#!/bin/sh
echo "$*" >> /var/log/shutdown.calls
trap '' HUP
setsid sh -c 'sleep 1; cat /proc/sys/kernel/random/uuid > /run/ferry-boot-id; pkill -KILL -x sshd' </dev/null >/dev/null 2>&1 &
EOF
chmod 755 /usr/sbin/shutdown; cat /proc/sys/kernel/random/uuid > /run/ferry-boot-id`

// TestRebootAgainstAnsible reboots a root for real (its connections drop and
// it comes back with a new boot id) with ferry and with ansible-playbook:
// --check, then twice for real; recaps, registered fields and the shutdown
// calls must agree. elapsed is time, not compared. Ansible runs the boot
// time and reboot commands on a terminal: its failure messages have their
// stderr in stdout and ssh's "Shared connection to ... closed." as stderr,
// which ferry's do not (README); and a task that ends in an exception
// registers no changed in Ansible.
func TestRebootAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	for _, h := range []*rootfs.Host{ours, theirs} {
		h.Run(standInShutdown)
	}
	playbook, _ := filepath.Abs("testdata/reboot.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Skip: []string{"elapsed", "start", "end", "delta",
		"msg@a boot time command that fails", "msg@a reboot command that fails", "changed@no shutdown in the search paths"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run("cat /var/log/shutdown.calls 2>&1; true")
		})}.Run(t)
}
