package sysconf_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// seConfig is the configuration both roots start with, and a second policy
// (default) installed beside targeted.
const seConfig = `mkdir -p /etc/selinux/default/policy && cat > /etc/selinux/config <<'EOF'
# This file controls the state of SELinux on the system.
SELINUX=disabled
SELINUXTYPE=targeted
EOF
chmod 0640 /etc/selinux/config`

// selinux is ansible.posix's: compared live where the collection is
// installed (tools/collections/install.sh), else with the recording.
func TestSelinuxAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	ours.Run(seConfig)
	theirs.Run(seConfig)
	playbook, _ := filepath.Abs("testdata/selinux.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		Collections: []string{"ansible.posix"},
		State: ansiblecmp.StateOf(ours, theirs, func(h *rootfs.Host) string {
			return h.Run("cat /etc/selinux/config; stat -c %a /etc/selinux/config")
		})}.Run(t)
}
