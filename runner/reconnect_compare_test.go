package runner_test

import (
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareReconnectSettings: wait_for_connection tries the task's own
// connection settings (remote_user, vars, delegate_to), not the host's
// connection that an earlier task opened, as ansible-playbook 2.14 does:
// a user who cannot log in and a closed port fail, in both, once the
// timeout has passed.
func TestCompareReconnectSettings(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	a := sshtest.AddUser(t, sshtest.NoSudo)
	tmp := sharedRemoteTmp(t) // for ansible-playbook's files as user_a
	playbook, _ := filepath.Abs(filepath.Join("testdata", "reconnect-settings", "site.yml"))
	r := ansiblecmp.Run{Playbook: playbook, Server: srv,
		Hosts: map[string]int{"node": 0, "other": 1, "closed": 1},
		HostVars: map[string]map[string]any{"node": {"ansible_remote_tmp": tmp}, "other": {"ansible_remote_tmp": tmp},
			"closed": {"ansible_port": 1}}, // nothing listens on port 1
		ExtraVars: map[string]string{"user_a": a.Name}}
	f, an, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	for _, task := range []string{"as another user", "then a command as that user", "as a user who cannot log in",
		"on a port where nothing listens", "delegated to a host that is down", "delegated to a host that answers"} {
		ansiblecmp.SameFields(t, f, an, task, "node", "stdout", "failed", "unreachable", "skipped")
	}
}
