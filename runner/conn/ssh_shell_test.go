package conn

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/transport"
)

// foreignShell is a login shell that, like fish or csh, cannot run the line
// ferry sends a POSIX login shell directly (it refuses "$$"), but runs
// /bin/sh command lines as any shell does.
const foreignShell = `#!/bin/sh
case "$2" in *'"$$"'*) echo "foreignsh: unsupported syntax" >&2; exit 127;; esac
exec /bin/sh "$@"
`

// Commands run directly by a POSIX login shell; a login shell that cannot
// run that line gets the /bin/sh wrapper instead, and every command still
// runs exactly once, with its stdin.
func TestSSHLoginShellKinds(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	shared := publicDir(t)
	shell := filepath.Join(shared, "foreignsh")
	if err := os.WriteFile(shell, []byte(foreignShell), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		shell string // "" keeps the user's /bin/sh
		want  int32
	}{
		{"POSIX login shell", "", shellPOSIX},
		{"foreign login shell", shell, shellForeign},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := sshtest.AddUser(t, sshtest.NoSudo)
			if tt.shell != "" {
				if out, err := exec.Command("usermod", "--shell", tt.shell, u.Name).CombinedOutput(); err != nil {
					t.Fatalf("usermod: %v\n%s", err, out)
				}
			}
			c, err := p.Get(context.Background(), configFor(t, "h-"+u.Name, srv.UserVars(0, u)))
			if err != nil {
				t.Fatal(err)
			}
			log := filepath.Join(shared, "runs-"+u.Name)
			for i := 0; i < 2; i++ {
				out, err := c.Run(context.Background(), transport.Command{Shell: "echo ran >> " + log + "; echo $((1+1))"})
				if err != nil || out.RC != 0 || out.Stdout != "2\n" || out.Stderr != "" {
					t.Fatalf("run %d: rc=%d stdout=%q stderr=%q err=%v", i+1, out.RC, out.Stdout, out.Stderr, err)
				}
			}
			out, err := c.Run(context.Background(), transport.Command{Argv: []string{"cat"}, Stdin: strings.NewReader("input")})
			if err != nil || out.Stdout != "input" {
				t.Fatalf("stdin: stdout=%q stderr=%q err=%v", out.Stdout, out.Stderr, err)
			}
			if data, _ := os.ReadFile(log); string(data) != "ran\nran\n" {
				t.Errorf("the commands ran %d times, want 2 (log %q)", strings.Count(string(data), "ran"), data)
			}
			if got := c.shell.Load(); got != tt.want {
				t.Errorf("login shell kind %d, want %d", got, tt.want)
			}
		})
	}
}

// publicDir is a directory every test user can read and write (t.TempDir's
// parent is private to the user running the tests).
func publicDir(t *testing.T) string {
	dir, err := os.MkdirTemp("", "ferry-shell-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}
