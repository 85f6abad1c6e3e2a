package filestate_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareFollow runs testdata/follow.yml through ferry and
// ansible-playbook against the same sshd host: same recap, the same
// changed and failed of every task, and the modes the links' targets end
// with.
func TestCompareFollow(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "follow.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	for _, task := range []string{"directory through a link", "directory through a link again", "directory link not followed",
		"file through a link", "file link not followed"} {
		ansiblecmp.SameFields(t, f, a, task, "node", "changed", "failed")
	}
	ansiblecmp.SameFields(t, f, a, "stat dir", "node", "stat.mode")
	ansiblecmp.SameFields(t, f, a, "stat file", "node", "stat.mode")
}
