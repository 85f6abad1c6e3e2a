package sysconf_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/rootfs"
)

// compare runs playbook with --check, then twice for real, with ferry and
// ansible-playbook on a fresh root each: recaps, effects (what state prints
// in the root) and every registered field must agree.
func compare(t *testing.T, playbook string, state func(*rootfs.Host) string) {
	t.Helper()
	ours, theirs := rootfs.Start(t), rootfs.Start(t)
	playbook, _ = filepath.Abs(playbook)
	ansiblecmp.Converge{Playbook: playbook, Ours: ours.Inventory(t), Theirs: theirs.Inventory(t), Diff: true, Skip: []string{"diff"},
		State: ansiblecmp.StateOf(ours, theirs, state)}.Run(t)
}

func TestHostnameAgainstAnsible(t *testing.T) {
	compare(t, "testdata/hostname.yml", func(h *rootfs.Host) string {
		return h.Run("cat /etc/hostname; hostname")
	})
}

func TestCronAgainstAnsible(t *testing.T) {
	compare(t, "testdata/cron.yml", func(h *rootfs.Host) string {
		return h.Run("crontab -l 2>&1; crontab -u nobody -l 2>&1; cd /etc/cron.d && for f in ferry-*; do echo \"== $f\"; stat -c %a $f; cat $f; done; true")
	})
}
