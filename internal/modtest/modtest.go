// Package modtest runs a module the way the runner does (arguments bound
// through its Spec, secrets registered first) against a real host: an
// OpenSSH sshd on loopback (internal/sshtest). Module packages' tests use it
// instead of each opening their own connection.
package modtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/expr-lang/expr"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// SSHHost starts a test sshd and returns a host reached over it as the
// user running the tests.
func SSHHost(t *testing.T) *modules.Host {
	t.Helper()
	c := SSHConnTo(t, sshtest.Start(t, sshtest.Options{}))
	return &modules.Host{Name: "node", Conn: modules.Seal(c), Cache: &sync.Map{}}
}

// Run binds raw arguments as the runner does and runs the module; it
// returns the result and the changes (plan lines) this run made.
func Run(t testing.TB, h *modules.Host, module string, raw map[string]any) (modules.Result, []string, error) {
	t.Helper()
	m := Lookup(t, module)
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

// Vars evaluates expressions with expr-lang over a fixed set of
// variables, and renders {{ name }} placeholders: enough for the modules that
// evaluate or render (assert, debug var=, template).
type Vars map[string]any

var undefinedName = regexp.MustCompile(`unknown name (\w+)`)

func (v Vars) Eval(expression string) (any, error) {
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

// Template evaluates a text that is one {{ expression }} alone to its
// value; any other text is rendered.
func (v Vars) Template(text string) (any, error) {
	inner, whole := strings.CutPrefix(text, "{{")
	inner, whole2 := strings.CutSuffix(inner, "}}")
	if whole && whole2 && !strings.Contains(inner, "{{") {
		return v.Eval(inner)
	}
	return v.Render(text)
}

var placeholder = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

func (v Vars) Render(text string) (string, error) {
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

// NewHost is a host on the local connection.
func NewHost(t testing.TB) *modules.Host {
	t.Helper()
	return &modules.Host{Name: "local", Conn: modules.Seal(conn.NewLocal()), Vars: Vars{}, Cache: &sync.Map{}}
}

func SSHConnTo(t *testing.T, srv *sshtest.Server) *conn.SSH {
	t.Helper()
	return SSHConnWith(t, srv.Vars(0))
}

// SSHConnWith connects with the connection variables vars (srv.UserVars
// logs in as another user).
func SSHConnWith(t *testing.T, vars map[string]any) *conn.SSH {
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

// WriteKubeconfig writes the test cluster's admin kubeconfig to a file, as
// kURL leaves /etc/kubernetes/admin.conf on a server.
func WriteKubeconfig(t *testing.T, cluster *kubetest.Cluster) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(path, cluster.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// WithArgs applies a test's changes to base arguments: a nil value removes
// the argument.
func WithArgs(base, change map[string]any) map[string]any {
	for k, v := range change {
		if v == nil {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	return base
}

func Lookup(t testing.TB, name string) modules.Module {
	m, ok := modules.Lookup(name)
	if !ok {
		t.Fatalf("no module %s", name)
	}
	return m
}

func ReadFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func FileMode(t testing.TB, p string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

var update = flag.Bool("update", false, "rewrite golden files")

// DocGolden compares `ferry doc NAME` with testdata/doc_NAME.golden of the
// test's package; -update rewrites the file (check the diff first).
func DocGolden(t *testing.T, name string) {
	t.Helper()
	got := modules.Doc(Lookup(t, name).Spec())
	golden := filepath.Join("testdata", "doc_"+name+".golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run Doc -update in that package to create it)", err)
	}
	if got != string(want) {
		t.Errorf("doc for %s differs from %s (rerun with -update after checking):\n%s", name, golden, got)
	}
}
