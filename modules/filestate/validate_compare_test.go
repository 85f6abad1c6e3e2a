package filestate_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareValidate runs testdata/validate.yml through ferry and
// ansible-playbook against the same sshd host, for real and under --check:
// same recap, the same changed and failed of every task, and a refused
// file is never written (the stats compare).
func TestCompareValidate(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "validate.yml"))
	for _, check := range []bool{false, true} {
		f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		for _, task := range []string{"template validated", "template validated again", "template refused", "copy validated",
			"copy refused keeps dest", "copy on the host validated", "copy on the host refused"} {
			ansiblecmp.SameFields(t, f, a, task, "node", "changed", "failed")
		}
		ansiblecmp.SameFields(t, f, a, "stat refused", "node", "stat.exists")
		ansiblecmp.SameFields(t, f, a, "stat copy", "node", "stat.exists", "stat.checksum")
		ansiblecmp.SameFields(t, f, a, "stat copy3", "node", "stat.exists")
	}
}
