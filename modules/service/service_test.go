package service_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// TestServiceAgainstAnsible runs testdata/service.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, unit links and every registered field must agree.
func TestServiceAgainstAnsible(t *testing.T) {
	ours, theirs := unitRoot(t), unitRoot(t)
	playbook, _ := filepath.Abs("testdata/service.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, links)}.Run(t)
}

// initState is what the init scripts were told, their links and status.
func initState(h *rootfs.Host) string {
	return h.Run("cat /var/log/ferry-demo.log 2>&1; cd /etc && ls rc?.d/*ferry* 2>&1; for s in ferry-demo ferry-two; do /etc/init.d/$s status; done; true")
}

// TestServiceInitScriptsAgainstAnsible runs testdata/service-initd.yml
// with --check, then twice for real, with ferry and ansible-playbook on a
// fresh root each (no systemd runs there): recaps, every registered field,
// the actions the scripts were given, their links and status must agree.
func TestServiceInitScriptsAgainstAnsible(t *testing.T) {
	ours, theirs := initRoot(t), initRoot(t)
	playbook, _ := filepath.Abs("testdata/service-initd.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, initState)}.Run(t)
}

// TestSysvinitAgainstAnsible runs testdata/sysvinit.yml with --check, then
// twice for real, with ferry and ansible-playbook on a fresh root each:
// recaps, every registered field (each step's rc and output), the actions
// the scripts were given, their links and status must agree.
func TestSysvinitAgainstAnsible(t *testing.T) {
	ours, theirs := initRoot(t), initRoot(t)
	playbook, _ := filepath.Abs("testdata/sysvinit.yml")
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t),
		State: ansiblecmp.StateOf(ours, theirs, initState)}.Run(t)
}
