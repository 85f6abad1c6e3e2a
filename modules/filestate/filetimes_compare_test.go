package filestate_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareFileTimes runs testdata/filetimes.yml through ferry and
// ansible-playbook against the same sshd host, for real and under --check:
// same recap, and the same changed and failed of every task (and mode for
// real: under --check a touched file's mode is ferry's prediction, which
// Ansible's result lacks).
func TestCompareFileTimes(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "filetimes.yml"))
	for _, check := range []bool{false, true} {
		f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: check})
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		fields := []string{"changed", "failed", "mode"}
		if check {
			fields = fields[:2]
		}
		for _, task := range []string{"touch preserve creates", "touch preserve again", "touch default", "access time now", "a directory with setype", "the directory again"} {
			ansiblecmp.SameFields(t, f, a, task, "node", fields...)
		}
	}
}
