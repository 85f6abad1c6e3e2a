package runner_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareDelegatedConnectionVars: a delegated task connects with the
// delegated host's inventory variables under the play's, the block's and
// the task's vars (ansible_user, ansible_port, ansible_become...), as
// ansible-playbook 2.14 does, and not with the task's own host's: who each
// task ran as, and the recap, must be the same.
func TestCompareDelegatedConnectionVars(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	a, b := sshtest.AddUser(t, sshtest.SudoNoPassword), sshtest.AddUser(t, sshtest.SudoNoPassword)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "delegate-vars", "site.yml"))
	// ansible-playbook's module files, in a directory every user may
	// write, readable by the unprivileged user a task becomes
	tmp := map[string]any{"ansible_remote_tmp": sharedRemoteTmp(t), "ansible_shell_allow_world_readable_temp": true}
	r := ansiblecmp.Run{Playbook: playbook, Server: srv,
		Hosts: map[string]int{"origin": 0, "target": 1, "closed": 1},
		HostVars: map[string]map[string]any{
			// the origin's become must not reach the delegated task
			"origin": with(tmp, map[string]any{"ansible_become": true, "ansible_become_user": a.Name}),
			"target": with(tmp, map[string]any{"ansible_user": a.Name}),
			"closed": with(tmp, map[string]any{"ansible_user": a.Name, "ansible_port": 1}), // nothing listens on port 1
		},
		ExtraVars: map[string]string{"user_b": b.Name, "sshd_port": fmt.Sprint(srv.Port)}}
	f, an, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	for _, task := range []string{"the delegated host's own user", "task vars reach the delegated connection",
		"block vars reach the delegated connection", "task vars give the delegated host its port",
		"task vars become on the delegated host",
		"task vars become another user on the delegated host", "a loop's delegation takes the task vars",
		"the task's host's inventory does not reach the delegated one", "the task's own host with task vars",
		"play vars reach the delegated connection"} {
		ansiblecmp.SameFields(t, f, an, task, "origin", "stdout", "results.0.stdout", "failed", "unreachable")
		t.Logf("%s: %v", task, an.Result(t, task, "origin")["stdout"])
	}
}

func with(common, own map[string]any) map[string]any {
	out := maps.Clone(own)
	maps.Copy(out, common)
	return out
}

// sharedRemoteTmp is a directory every user may write, for
// ansible-playbook's temporary files when it becomes another user.
func sharedRemoteTmp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "remote-tmp")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o1777); err != nil {
		t.Fatal(err)
	}
	return dir
}
