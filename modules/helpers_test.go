package modules_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// testVars evaluates expressions with expr-lang over a fixed set of
// variables, and renders {{ name }} placeholders: enough for the modules that
// evaluate or render (assert, debug var=, template).
type testVars map[string]any

var undefinedName = regexp.MustCompile(`unknown name (\w+)`)

func (v testVars) Eval(expression string) (any, error) {
	env := map[string]any(v)
	program, err := expr.Compile(expression, expr.Env(env))
	if err != nil && undefinedName.MatchString(err.Error()) {
		return nil, fmt.Errorf("%w: %v", modules.ErrUndefined, err)
	}
	if err != nil {
		return nil, err
	}
	return expr.Run(program, env)
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func (v testVars) Render(text string) (string, error) {
	var missing error
	out := placeholder.ReplaceAllStringFunc(text, func(m string) string {
		name := placeholder.FindStringSubmatch(m)[1]
		val, ok := v[name]
		if !ok {
			missing = errors.Join(missing, fmt.Errorf("%s is undefined", name))
		}
		return fmt.Sprint(val)
	})
	return out, missing
}

// newHost is a host on the local connection.
func newHost(t testing.TB) *modules.Host {
	t.Helper()
	return &modules.Host{Name: "local", Conn: modules.Seal(conn.NewLocal()), Vars: testVars{}, Cache: &sync.Map{}}
}

// run binds raw arguments as the runner would and runs the module.
func run(t testing.TB, h *modules.Host, module string, raw map[string]any) (modules.Result, error) {
	t.Helper()
	res, _, err := modtest.Run(t, h, module, raw)
	return res, err
}

// mustRun runs a module that must succeed and returns the result and the
// changes it made.
func mustRun(t testing.TB, h *modules.Host, module string, raw map[string]any) (modules.Result, []string) {
	t.Helper()
	before := len(h.Changes())
	res, err := run(t, h, module, raw)
	if err != nil {
		t.Fatalf("%s %v: %v", module, raw, err)
	}
	if res.Failed {
		t.Fatalf("%s %v failed: %s %v", module, raw, res.Msg, res.Data)
	}
	return res, h.Changes()[before:]
}

func sshConnTo(t *testing.T, srv *sshtest.Server) *conn.SSH {
	t.Helper()
	return sshConnWith(t, srv.Vars(0))
}

// sshConnWith connects with the connection variables vars (srv.UserVars
// logs in as another user).
func sshConnWith(t *testing.T, vars map[string]any) *conn.SSH {
	t.Helper()
	pool := conn.NewPool(conn.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	cfg, err := conn.SSHConfigFromVars("node", vars, filepath.Join(t.TempDir(), "no-ssh-config"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeKubeconfig writes the test cluster's admin kubeconfig to a file, as
// kURL leaves /etc/kubernetes/admin.conf on a server.
func writeKubeconfig(t *testing.T, cluster *kubetest.Cluster) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(path, cluster.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// withArgs applies a test's changes to base arguments: a nil value removes
// the argument.
func withArgs(base, change map[string]any) map[string]any {
	for k, v := range change {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return base
}
