package debconf_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// selectionsState is what debconf and dpkg keep: the answers of the two
// packages the playbook sets, with their seen flags, and tzdata's selection.
func selectionsState(h *rootfs.Host) string {
	return h.Run(`debconf-show tzdata | sort; debconf-show ferry-test | sort; dpkg --get-selections tzdata ferry-no-such-package 2>&1
grep -A5 '^Name: ferry-test/' /var/cache/debconf/config.dat || true`)
}

// TestDebconfAgainstAnsible runs testdata/debconf.yml with --check --diff,
// then twice for real, through ferry and ansible-playbook on a fresh root
// each: recaps, registered results and the answers and selections must
// agree, and the second run changes only what Ansible's changes too.
func TestDebconfAgainstAnsible(t *testing.T) {
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/debconf.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true,
		State: ansiblecmp.StateOf(ours, theirs, selectionsState), Skip: []string{"_ansible_verbose_always"}}.Run(t)
}
