package runner_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareConnectionKeywords runs remote_user, port, connection,
// become_method, become_exe and become_flags on plays, blocks and tasks
// through ferry and ansible-playbook over a real sshd, with two users, and
// the inventory's ansible_become and ansible_become_user, which beat the
// become keywords (except on a delegated task): who each task ran as, and
// the recap, must be the same.
func TestCompareConnectionKeywords(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 3})
	a, b := sshtest.AddUser(t, sshtest.SudoNoPassword), sshtest.AddUser(t, sshtest.SudoNoPassword)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "connkw", "site.yml"))
	// ansible-playbook's temporary files, in a directory every user may write
	remoteTmp, err := os.MkdirTemp("", "connkw-remote-tmp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(remoteTmp) })
	if err := os.Chmod(remoteTmp, 0o1777); err != nil {
		t.Fatal(err)
	}
	common := fmt.Sprintf("ansible_remote_tmp=%s ansible_ssh_private_key_file=%s ansible_ssh_known_hosts_file=%s ansible_python_interpreter=/usr/bin/python3 "+
		"ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'", remoteTmp, srv.ClientKey, srv.KnownHosts, srv.KnownHosts)
	inv := fmt.Sprintf("[targets]\n"+
		"withuser ansible_host=%s ansible_port=%d ansible_user=%s %s\n"+
		"nouser ansible_host=%s ansible_port=%d %s\n"+
		"noport ansible_host=%s ansible_user=%s %s\n"+
		"becomer ansible_host=%s ansible_port=%d ansible_user=%s ansible_become=true ansible_become_user=%s %s\n",
		srv.Addrs[0], srv.Port, srv.User, common, srv.Addrs[1], srv.Port, common, srv.Addrs[2], srv.User, common,
		srv.Addrs[0], srv.Port, srv.User, a.Name, common)
	invPath := filepath.Join(t.TempDir(), "hosts.ini")
	if err := os.WriteFile(invPath, []byte(inv), 0o600); err != nil {
		t.Fatal(err)
	}
	r := ansiblecmp.Run{Playbook: playbook, Inventory: invPath,
		ExtraVars: map[string]string{"user_a": a.Name, "user_b": b.Name, "sshd_port": fmt.Sprint(srv.Port)},
		Setup: func(t testing.TB, dir string) {
			// a become_exe that leaves a mark and hands over to sudo
			script := "#!/bin/sh\ntouch \"$(dirname \"$0\")/mysudo-ran\"\nexec sudo \"$@\"\n"
			if err := os.WriteFile(filepath.Join(dir, "mysudo"), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}}
	f, an, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	tasks := []string{"play user", "task user", "task vars beat the keyword", "block user", "the task's user beats the block's",
		"task port", "back to the play's user", "local connection", "su to user_b", "sudo through become_exe with become_flags",
		"the inventory's become beats the keywords", "a delegated task takes its own become keyword",
		"a delegated task gets the task's keywords", "a delegated task gets the play's keywords"}
	for _, task := range tasks {
		for _, host := range []string{"withuser", "nouser", "noport", "becomer"} {
			ansiblecmp.SameFields(t, f, an, task, host, "stdout", "skipped", "failed", "unreachable")
			t.Logf("%s on %s: %v", task, host, an.Result(t, task, host)["stdout"])
		}
	}
	for _, o := range []ansiblecmp.Outcome{f, an} {
		if _, err := os.Stat(filepath.Join(o.Workdir, "mysudo-ran")); err != nil {
			t.Errorf("become_exe did not run: %v\n%s", err, o.Output)
		}
	}
}

// TestCompareResetSharedEndpoint: meta: reset_connection on one of two
// inventory hosts that share an endpoint does not cut the other's running
// command, with ferry as with ansible-playbook; the resetting host's next
// command comes over a new connection.
func TestCompareResetSharedEndpoint(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	playbook, _ := filepath.Abs(filepath.Join("testdata", "reset-shared", "site.yml"))
	r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"a": 0, "b": 0}}
	before := srv.Connections(srv.Addrs[0])
	f := ansiblecmp.Ferry(t, r)
	if n := srv.Connections(srv.Addrs[0]) - before; n != 2 {
		t.Errorf("ferry opened %d connections, want 2 (the shared one, then a's after its reset)", n)
	}
	an, ran := ansiblecmp.Ansible(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	// Under free, ansible-playbook's JSON callback files a late result under
	// the task started last: the effects tell what ran.
	for _, o := range []ansiblecmp.Outcome{f, an} {
		for _, name := range []string{"b-survived", "a-reset", "went-on-a", "went-on-b"} {
			if _, err := os.Stat(filepath.Join(o.Workdir, name)); err != nil {
				t.Errorf("%v\n%s", err, o.Output)
			}
		}
	}
}
