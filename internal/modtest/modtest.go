// Package modtest runs a module the way the runner does (arguments bound
// through its Spec, secrets registered first) against a real host: an
// OpenSSH sshd on loopback (internal/sshtest). Module packages' tests use it
// instead of each opening their own connection.
package modtest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// SSHHost starts a test sshd and returns a host reached over it as the
// user running the tests.
func SSHHost(t *testing.T) *modules.Host {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{})
	pool := conn.NewPool(conn.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	cfg, err := conn.SSHConfigFromVars("node", srv.Vars(0), filepath.Join(t.TempDir(), "no-ssh-config"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &modules.Host{Name: "node", Conn: modules.Seal(c), Cache: &sync.Map{}}
}

// Run binds raw arguments as the runner does and runs the module; it
// returns the result and the changes (plan lines) this run made.
func Run(t testing.TB, h *modules.Host, module string, raw map[string]any) (modules.Result, []string, error) {
	t.Helper()
	m, ok := modules.Lookup(module)
	if !ok {
		t.Fatalf("no module %s", module)
	}
	for _, s := range m.Spec().SecretArgs(raw) {
		h.AddSecret(s)
	}
	args, err := m.Spec().Bind(raw)
	if err != nil {
		return modules.Result{}, nil, err
	}
	before := len(h.Changes())
	res, err := m.Run(context.Background(), h, args)
	return res, h.Changes()[before:], err
}

// MustRun runs a module that must succeed.
func MustRun(t testing.TB, h *modules.Host, module string, raw map[string]any) (modules.Result, []string) {
	t.Helper()
	res, changes, err := Run(t, h, module, raw)
	if err != nil {
		t.Fatalf("%s %v: %v", module, raw, err)
	}
	if res.Failed {
		t.Fatalf("%s %v failed: %s %v", module, raw, res.Msg, res.Data)
	}
	return res, changes
}

// Checked returns a copy of h for a dry run (--check, --diff).
func Checked(h *modules.Host) *modules.Host {
	return &modules.Host{Name: h.Name, Conn: h.Conn, Check: true, Diff: true, Become: h.Become, Cache: h.Cache}
}
