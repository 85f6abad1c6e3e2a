package debconf_test

import (
	"path/filepath"
	"strings"
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

// TestDebconfPasswordIsMasked: a password answer reaches debconf's
// password store, and no output of the run shows it (Ansible prints it in
// the result's current, previous and diff).
func TestDebconfPasswordIsMasked(t *testing.T) {
	h := rootfs.Start(t)
	playbook, _ := filepath.Abs("testdata/debconf-password.yml")
	out := ansiblecmp.Ferry(t, ansiblecmp.Run{Playbook: playbook, Inventory: h.Inventory(t), Diff: true})
	if out.Exit != 0 {
		t.Fatalf("ferry exited %d:\n%s", out.Exit, out.Output)
	}
	if strings.Contains(out.Output, "s3cret-answer-42") {
		t.Errorf("the password answer is in the output:\n%s", out.Output)
	}
	if got := h.Run("grep -A3 '^Name: ferry-test/password' /var/cache/debconf/passwords.dat"); !strings.Contains(got, "Value: s3cret-answer-42") {
		t.Errorf("debconf's password store does not hold the answer:\n%s", got)
	}
}
