package remote_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestWaitForConnectionCompareWithAnsible starts each run while the host's
// sshd is down and brings it back a moment later: wait_for_connection must
// wait for it, and the tasks after it must run, in ferry as in
// ansible-playbook (same recap and results). Under --check it is skipped.
func TestWaitForConnectionCompareWithAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "wait.yml"))
	r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0},
		Setup: func(t testing.TB, _ string) {
			srv.Kill()
			restarted := make(chan struct{})
			t.Cleanup(func() { <-restarted })
			go func() {
				defer close(restarted)
				time.Sleep(2 * time.Second) // the run starts against a host that is down
				srv.Restart()
			}()
		}}
	f, a, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.SameFields(t, f, a, "wait", "node", "changed", "failed")
	ansiblecmp.SameFields(t, f, a, "runs after", "node", "stdout")
	ansiblecmp.SameFields(t, f, a, "ping", "node", "ping")
}

// TestWaitForConnectionCheckModeCompareWithAnsible: under --check the task
// is skipped with Ansible's result (skipped alone, no message), even with
// the host down.
func TestWaitForConnectionCheckModeCompareWithAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	srv.Kill()
	playbook, _ := filepath.Abs(filepath.Join("testdata", "wait-check.yml"))
	f, a, ran := ansiblecmp.Both(t, ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, Check: true})
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	ansiblecmp.AllFields(t, f, a)
}
