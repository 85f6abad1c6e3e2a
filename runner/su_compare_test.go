package runner_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// TestCompareSuWithPassword: become_method su with a become password, over
// a real sshd, between two real users: su's prompt is answered with the
// password (over stdin, never in argv or the environment), the command
// keeps its own input and output, a wrong password fails the task, and
// root's su, which asks for nothing, gets no password on its input; as
// ansible-playbook 2.14 does. The password never shows in ferry's output.
func TestCompareSuWithPassword(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	a, b := sshtest.AddUser(t, sshtest.NoSudo), sshtest.AddUser(t, sshtest.NoSudo)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "su-password", "site.yml"))
	tmp := map[string]any{"ansible_remote_tmp": sharedRemoteTmp(t), "ansible_shell_allow_world_readable_temp": true}
	r := ansiblecmp.Run{Playbook: playbook, Server: srv,
		Hosts:     map[string]int{"login_a": 0, "login_root": 0},
		HostVars:  map[string]map[string]any{"login_a": with(tmp, map[string]any{"ansible_user": a.Name}), "login_root": tmp},
		ExtraVars: map[string]string{"user_b": b.Name, "b_password": b.Password}}
	f, an, ran := ansiblecmp.Both(t, r)
	if strings.Contains(f.Output, b.Password) {
		t.Errorf("the su password shows in ferry's output:\n%s", f.Output)
	}
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, an)
	for task, fields := range map[string][]string{
		"su to user_b with its password":     {"stdout", "stderr", "rc", "failed"},
		"the command's own input and output": {"stdout", "stderr", "rc", "failed"},
		"a wrong password":                   {"failed", "unreachable", "msg", "rc"},
	} {
		ansiblecmp.SameFields(t, f, an, task, "login_a", fields...)
	}
	ansiblecmp.SameFields(t, f, an, "root's su asks for no password", "login_root", "stdout", "stderr", "rc", "failed")
}
