package probe_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, l.Addr().(*net.TCPAddr).Port
}

// closedPort returns a port nothing listens on.
func closedPort(t *testing.T) int {
	l, port := listen(t)
	l.Close()
	return port
}

func TestWaitForPort(t *testing.T) {
	l, port := listen(t)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.6 ready\n"))
			c.Close()
		}
	}()
	res, changes := modtest.MustRun(t, modtest.NewHost(t), "wait_for", map[string]any{"port": port, "timeout": 30})
	if res.Data["port"] != port || len(changes) != 0 {
		t.Errorf("data %v changes %q", res.Data, changes)
	}
	res, _ = modtest.MustRun(t, modtest.NewHost(t), "wait_for", map[string]any{"port": port, "search_regex": `OpenSSH_(?P<version>[\d.]+)`, "timeout": 30})
	if !reflect.DeepEqual(res.Data["match_groups"], []any{"9.6"}) || !reflect.DeepEqual(res.Data["match_groupdict"], map[string]any{"version": "9.6"}) {
		t.Errorf("match data = %v", res.Data)
	}
	modtest.MustRun(t, modtest.NewHost(t), "wait_for", map[string]any{"port": closedPort(t), "state": "stopped", "timeout": 30})
}

func TestWaitForTimeouts(t *testing.T) {
	_, open := listen(t)
	dir := t.TempDir()
	present := filepath.Join(dir, "present")
	os.WriteFile(present, []byte("starting\n"), 0o644)
	tests := []struct {
		args map[string]any
		msg  string
	}{
		{map[string]any{"port": closedPort(t)}, "Timeout when waiting for 127.0.0.1:"},
		{map[string]any{"port": open, "state": "stopped"}, "to stop."},
		{map[string]any{"path": filepath.Join(dir, "never")}, "Timeout when waiting for file " + filepath.Join(dir, "never")},
		{map[string]any{"path": present, "state": "absent"}, "Timeout when waiting for " + present + " to be absent."},
		{map[string]any{"path": present, "search_regex": "ready"}, "Timeout when waiting for search string ready in " + present},
		{map[string]any{"path": present, "msg": "app never came up"}, ""},
		{map[string]any{"path": filepath.Join(dir, "never"), "msg": "app never came up"}, "app never came up"},
	}
	for _, tt := range tests {
		tt.args["timeout"] = 0
		res, _, err := modtest.Run(t, modtest.NewHost(t), "wait_for", tt.args)
		if err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if res.Failed != (tt.msg != "") || !strings.Contains(res.Msg, tt.msg) {
			t.Errorf("%v: failed %v msg %q, want %q", tt.args, res.Failed, res.Msg, tt.msg)
		}
	}
}

// statHook is the local connection with a hook before each Stat, so a test
// can change the file between wait_for's probes.
type statHook struct {
	*conn.Local
	calls  int
	before func(call int)
}

func (s *statHook) Stat(ctx context.Context, path string) (modules.FileInfo, error) {
	s.calls++
	s.before(s.calls)
	return s.Local.Stat(ctx, path)
}

// The file appears after the first probe and shows the awaited line only
// after the second, so wait_for must keep polling through both.
func TestWaitForPathAppears(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.log")
	hook := &statHook{Local: conn.NewLocal(), before: func(call int) {
		switch call {
		case 2:
			os.WriteFile(p, []byte("booting\n"), 0o644)
		case 3:
			os.WriteFile(p, []byte("booting\nlistening on :8050\n"), 0o644)
		}
	}}
	h := modtest.NewHost(t)
	h.Conn = modules.Seal(hook)
	res, _ := modtest.MustRun(t, h, "wait_for", map[string]any{"path": p, "search_regex": `listening on :(\d+)`, "timeout": 60, "sleep": 0})
	if !reflect.DeepEqual(res.Data["match_groups"], []any{"8050"}) || res.Data["path"] != p || hook.calls != 3 {
		t.Errorf("data = %v after %d probes", res.Data, hook.calls)
	}
	hook.before = func(call int) {
		if call == 5 {
			os.Remove(p)
		}
	}
	modtest.MustRun(t, h, "wait_for", map[string]any{"path": p, "state": "absent", "timeout": 60, "sleep": 0})
	if hook.calls != 5 {
		t.Errorf("absent after %d probes, want 5", hook.calls)
	}
}

func TestWaitForBadArgs(t *testing.T) {
	for _, args := range []map[string]any{
		{"port": 70000},
		{"path": "/x", "search_regex": "("},
	} {
		if _, _, err := modtest.Run(t, modtest.NewHost(t), "wait_for", args); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}
