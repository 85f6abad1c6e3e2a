package playbooks_test

import (
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ferry-sh/ferry/internal/fakekeycloak"
	"github.com/ferry-sh/ferry/internal/testsite"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner"
	"github.com/ferry-sh/ferry/runner/conn"
)

// The gate test: every dry run of the Dash Enterprise playbooks in these
// tests (ferryRun with check) goes through a recording connection, and then
// must have changed nothing at all:
//
//   - every command that reached the host came from a probe (Host.Query),
//     none from around the verbs, and from a Writer only the reads of the
//     playbook's check_mode: false tasks (checkModeFalseReads); anything
//     else is refused, not run;
//   - nothing under the site's directory (the simulated server, the
//     operator's files, the inventory) changed;
//   - the kube-apiserver received no create, update, patch or delete (its
//     audit log), and the Keycloak fake no request but reads and logins.

// recordingConnector opens the run's connections through the default
// connector and records every request that did not come from a probe.
type recordingConnector struct {
	runner.Connector
	mu      sync.Mutex
	probes  int
	outside []string
}

func (r *recordingConnector) Open(ctx context.Context, host string, vars map[string]any) (modules.Conn, error) {
	c, err := r.Connector.Open(ctx, host, vars)
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, rec: r}, nil
}

func (r *recordingConnector) refuse(format string, args ...any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outside = append(r.outside, fmt.Sprintf(format, args...))
	return fmt.Errorf("gate test: refused "+format, args...)
}

type recordingConn struct {
	modules.Conn
	rec *recordingConnector
}

// checkModeFalseReads are the programs of the playbook's check_mode: false
// tasks (tasks/preflight.yml): reads that run in a dry run too, as in
// Ansible, so they come from a Writer. A new check_mode: false task fails
// the gate test until its program is added here, once reviewed to only read.
var checkModeFalseReads = []string{"ss", "getent", "curl", "df"}

func (c *recordingConn) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	o := modules.OriginOf(ctx)
	declared := o == modules.OriginWrite && len(cmd.Argv) > 0 && slices.Contains(checkModeFalseReads, cmd.Argv[0])
	if o != modules.OriginProbe && !declared {
		return modules.Output{}, c.rec.refuse("a command from %q, not a probe: %s", o, describe(cmd))
	}
	c.rec.mu.Lock()
	c.rec.probes++
	c.rec.mu.Unlock()
	return c.Conn.Run(ctx, cmd)
}

func (c *recordingConn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d, ok := c.Conn.(modules.Dialer)
	if !ok {
		return nil, fmt.Errorf("the connection cannot dial")
	}
	return d.DialContext(ctx, network, addr)
}

func describe(cmd modules.Command) string {
	if cmd.Shell != "" {
		line, _, _ := strings.Cut(cmd.Shell, "\n")
		return line
	}
	return conn.JoinArgv(cmd.Argv)
}

// dryRunState is what a dry run must leave as it was.
type dryRunState struct {
	files    map[string]string // path under the site's directory: size, mode, mtime
	kube     []string          // the apiserver's audited writes
	keycloak int               // requests the Keycloak fake received
}

func snapshot(t *testing.T, s *testsite.Site) dryRunState {
	t.Helper()
	st := dryRunState{files: map[string]string{}, keycloak: len(s.Keycloak.Requests())}
	err := filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		st.files[path] = fmt.Sprintf("%d %v %d", fi.Size(), fi.Mode(), fi.ModTime().UnixNano())
		return nil
	})
	must(t, err)
	st.kube, err = s.Cluster.Writes()
	must(t, err)
	return st
}

// assertUnchanged fails the test on anything the dry run changed or tried
// to change.
func assertUnchanged(t *testing.T, s *testsite.Site, rec *recordingConnector, before dryRunState) {
	t.Helper()
	for _, o := range rec.outside {
		t.Errorf("the dry run went around the gate: %s", o)
	}
	if rec.probes == 0 {
		t.Errorf("the recording connection saw no probe: it is not the run's connection")
	}
	after := snapshot(t, s)
	for path, was := range before.files {
		if now, ok := after.files[path]; !ok || now != was {
			t.Errorf("the dry run changed %s (%s -> %s)", path, was, now)
		}
	}
	for path := range after.files {
		if _, ok := before.files[path]; !ok {
			t.Errorf("the dry run created %s", path)
		}
	}
	if added := after.kube[len(before.kube):]; len(added) > 0 {
		t.Errorf("the dry run changed the cluster: %q", added)
	}
	for _, r := range s.Keycloak.Requests()[before.keycloak:] {
		if r.Method != "GET" && r.Op != fakekeycloak.OpToken {
			t.Errorf("the dry run sent Keycloak a mutating request: %s %s (%s)", r.Method, r.Path, r.Op)
		}
	}
}

// dryRun is ferryRun with --check through the recording connection, and the
// gate's assertions after it.
func dryRun(t *testing.T, s *testsite.Site, playbook string, extra ...string) run {
	t.Helper()
	rec := &recordingConnector{Connector: runner.NewConnections(conn.PoolOptions{})}
	before := snapshot(t, s)
	r := ferryRunWith(t, s, playbook, true, rec, extra...)
	assertUnchanged(t, s, rec, before)
	return r
}

// TestGateRefusesWhatIsNotAProbe: the recording connection does refuse a
// command from the Writer, so that a dry run that went around the gate
// cannot pass unnoticed.
func TestGateRefusesWhatIsNotAProbe(t *testing.T) {
	rec := &recordingConnector{Connector: runner.NewConnections(conn.PoolOptions{})}
	c, err := rec.Open(context.Background(), "localhost", map[string]any{"ansible_connection": "local"})
	must(t, err)
	marker := filepath.Join(t.TempDir(), "written")
	h := &modules.Host{Name: "localhost", Conn: modules.Seal(c)}
	err = h.Change("touch", func(w modules.Writer) error {
		_, err := w.Run(context.Background(), modules.Command{Argv: []string{"touch", marker}})
		return err
	})
	if err == nil || len(rec.outside) != 1 {
		t.Errorf("a Writer's command passed: %v %v", err, rec.outside)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("the refused command changed the host")
	}
	if !slices.ContainsFunc(rec.outside, func(o string) bool { return strings.Contains(o, `"write"`) }) {
		t.Errorf("the record does not say the command came from the Writer: %v", rec.outside)
	}
}
