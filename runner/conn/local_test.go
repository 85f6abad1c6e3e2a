package conn

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/transport"
)

func TestLocalRun(t *testing.T) {
	l := NewLocal()
	ctx := context.Background()
	tests := []struct {
		name       string
		cmd        transport.Command
		rc         int
		stdout     string
		stderrPart string
	}{
		{"argv", transport.Command{Argv: []string{"echo", "a b"}}, 0, "a b\n", ""},
		{"shell", transport.Command{Shell: "echo $((1+2)); exit 3"}, 3, "3\n", ""},
		{"stdin", transport.Command{Argv: []string{"cat"}, Stdin: strings.NewReader("in")}, 0, "in", ""},
		{"env", transport.Command{Shell: "echo $FOO", Env: map[string]string{"FOO": "bar"}}, 0, "bar\n", ""},
		{"dir", transport.Command{Argv: []string{"pwd"}, Dir: "/"}, 0, "/\n", ""},
		{"missing program", transport.Command{Argv: []string{"/nonexistent/prog"}}, 127, "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := l.Run(ctx, tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if out.RC != tt.rc || out.Stdout != tt.stdout || !strings.Contains(out.Stderr, tt.stderrPart) {
				t.Errorf("got rc=%d stdout=%q stderr=%q", out.RC, out.Stdout, out.Stderr)
			}
		})
	}
}

// A cancelled command ends its whole process group, children included.
func TestLocalRunCancelKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			if _, err := os.Stat(pidFile); err == nil {
				cancel()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	_, err := NewLocal().Run(ctx, transport.Command{Shell: "sleep 300 & echo $! > " + pidFile + "; wait"})
	if err == nil {
		t.Fatal("want an error from a cancelled command")
	}
	data, _ := os.ReadFile(pidFile)
	// The orphaned sleep must be gone (or a zombie about to be reaped by init).
	waitGone(t, strings.TrimSpace(string(data)))
}

func TestLocalStat(t *testing.T) {
	l := NewLocal()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, []byte("hello world"), 0o600); err != nil {
		t.Fatal(err)
	}
	fi, err := l.Stat(ctx, path)
	if err != nil || !fi.Exists || fi.Size != 11 || fi.Mode.Perm() != 0o600 {
		t.Errorf("stat = %+v, %v", fi, err)
	}
	if fi, err := l.Stat(ctx, path+".missing"); err != nil || fi.Exists {
		t.Errorf("missing stat = %+v, %v", fi, err)
	}
}

func TestCommandLineBecome(t *testing.T) {
	argv, stdin := commandLine(transport.Command{Argv: []string{"id"}, Become: &transport.Become{Password: "s3cret"}}, false)
	if strings.Join(argv, " ") != "sudo -H -u root -S -p  -- id" {
		t.Errorf("argv = %q", argv)
	}
	for _, a := range argv {
		if strings.Contains(a, "s3cret") {
			t.Fatal("password in argv")
		}
	}
	buf := new(strings.Builder)
	_, _ = io.Copy(buf, stdin)
	if buf.String() != "s3cret\n" {
		t.Errorf("stdin = %q", buf.String())
	}
	argv, _ = commandLine(transport.Command{Shell: "x", Become: &transport.Become{User: "app"}}, true)
	if strings.Join(argv, " ") != "sudo -H -u app -n -- /bin/sh -c x" {
		t.Errorf("argv = %q", argv)
	}
	argv, _ = commandLine(transport.Command{Shell: "x", Become: &transport.Become{}}, true)
	if strings.Join(argv, " ") != "/bin/sh -c x" {
		t.Errorf("root need not sudo to root: %q", argv)
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"abc": "abc", "a b": "'a b'", "it's": `'it'\''s'`, "": "''", "/x/y.z": "/x/y.z", "$HOME": "'$HOME'"} {
		if got := ShellQuote(in); got != want {
			t.Errorf("ShellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// become_exe, become_flags and become_method su shape the command as
// Ansible's become plugins do; a password drops sudo's -n.
func TestCommandLineBecomeMethods(t *testing.T) {
	for _, c := range []struct {
		b    transport.Become
		want string
	}{
		{transport.Become{User: "app", Exe: "/opt/sudo", Flags: []string{"-E", "-n"}}, "/opt/sudo -E -n -u app -- id"},
		{transport.Become{User: "app", Flags: []string{"-n", "-E"}, Password: "pw"}, "sudo -E -u app -S -p  -- id"},
		{transport.Become{User: "app", Flags: []string{}}, "sudo -u app -- id"},
		{transport.Become{User: "app", Method: "su", Flags: []string{"-l"}}, "su -l app -c id"},
		{transport.Become{Method: "su", Exe: "/bin/su"}, "/bin/su root -c id"},
	} {
		argv, _ := commandLine(transport.Command{Argv: []string{"id"}, Become: &c.b}, false)
		if got := strings.Join(argv, " "); got != c.want {
			t.Errorf("%+v: argv %q, want %q", c.b, got, c.want)
		}
	}
}
