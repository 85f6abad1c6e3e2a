package sshtest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Sudo is the sudo rule a test user gets.
type Sudo int

const (
	// NoSudo: the user may not use sudo.
	NoSudo Sudo = iota
	// SudoNoPassword: sudo to any user without a password.
	SudoNoPassword
	// SudoPassword: sudo to any user with the user's own password.
	SudoPassword
)

// User is a local account created for one test.
type User struct {
	Name     string
	Password string
}

// AddUser creates a local user with a random name and password, shell
// /bin/sh and the given sudo rule, and removes it at t.Cleanup. It needs
// root: otherwise the test is skipped with that reason.
func AddUser(t testing.TB, sudo Sudo) User {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip(ErrNotRoot.Error())
	}
	u := User{Name: "ferry" + randomHex(t, 4), Password: "pw-" + randomHex(t, 8)}
	run(t, nil, "useradd", "--create-home", "--shell", "/bin/sh", u.Name)
	t.Cleanup(func() { _ = exec.Command("userdel", "--remove", u.Name).Run() })
	// sshd refuses even key logins to accounts whose password is locked
	// ("!" in /etc/shadow), so every test user gets one.
	run(t, strings.NewReader(u.Name+":"+u.Password+"\n"), "chpasswd")
	if sudo == NoSudo {
		return u
	}
	rule := u.Name + " ALL=(ALL:ALL) ALL\n"
	if sudo == SudoNoPassword {
		rule = u.Name + " ALL=(ALL:ALL) NOPASSWD: ALL\n"
	}
	// sudo ignores files in sudoers.d whose names contain a dot.
	path := filepath.Join("/etc/sudoers.d", "ferrytest-"+u.Name)
	if err := os.WriteFile(path, []byte(rule), 0o440); err != nil {
		t.Fatalf("sshtest: sudo rule: %v", err)
	}
	t.Cleanup(func() { _ = os.Remove(path) })
	return u
}

func run(t testing.TB, stdin *strings.Reader, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sshtest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func randomHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return hex.EncodeToString(b)
}

// UserVars are Vars(i) with the login user replaced.
func (s *Server) UserVars(i int, u User) map[string]any {
	v := s.Vars(i)
	v["ansible_user"] = u.Name
	return v
}
