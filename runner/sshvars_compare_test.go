package runner_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareSSHVariables: the ssh plugin's other names (ansible_ssh_host,
// ansible_ssh_port, ansible_ssh_user win over ansible_host, ansible_port,
// ansible_user, as in 2.14), and the variables that only tune OpenSSH's
// client (pipelining, retries, ssh_args with ControlMaster, extra args
// with ServerAliveInterval, host key checking left on) reach the same
// hosts as the same users with ferry as with ansible-playbook.
func TestCompareSSHVariables(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	a := sshtest.AddUser(t, sshtest.NoSudo)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "ssh-vars", "site.yml"))
	r := ansiblecmp.Run{Playbook: playbook, Server: srv,
		Hosts: map[string]int{"aliases": 0, "tuned": 1},
		HostVars: map[string]map[string]any{
			"aliases": {"ansible_host": "127.0.0.250", "ansible_ssh_host": srv.Addrs[0],
				"ansible_port": 1, "ansible_ssh_port": srv.Port, // nothing listens on port 1
				"ansible_user": srv.User, "ansible_ssh_user": a.Name, "ansible_remote_tmp": sharedRemoteTmp(t)},
			"tuned": {"ansible_ssh_pipelining": true, "ansible_pipelining": true, "ansible_ssh_retries": 2,
				"ansible_ssh_timeout": 30, "ansible_host_key_checking": true,
				"ansible_ssh_args":       "'-C -o ControlMaster=auto -o ControlPersist=60s'",
				"ansible_ssh_extra_args": "'-o ServerAliveInterval=30 -o ServerAliveCountMax=3'"},
		}}
	f, an, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	for _, host := range []string{"aliases", "tuned"} {
		ansiblecmp.SameFields(t, f, an, "who", host, "stdout", "unreachable", "failed")
	}
	if got := fmt.Sprint(an.Result(t, "who", "aliases")["stdout"]); got != a.Name {
		t.Errorf("ansible-playbook logged in as %q, want %s (ansible_ssh_user)", got, a.Name)
	}
}
