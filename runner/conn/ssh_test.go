package conn

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/transport"
	"golang.org/x/crypto/ssh"
)

// isolate gives the test an empty home (no ~/.ssh), no agent, and returns
// a pool closed at cleanup.
func isolate(t *testing.T, opts PoolOptions) *Pool {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("SSH_AUTH_SOCK", "")
	p := NewPool(opts)
	t.Cleanup(func() { p.Close() })
	return p
}

func configFor(t *testing.T, name string, vars map[string]any) SSHConfig {
	t.Helper()
	cfg, err := SSHConfigFromVars(name, vars, filepath.Join(t.TempDir(), "no-ssh-config"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func connect(t *testing.T, p *Pool, srv *sshtest.Server, i int) *SSH {
	t.Helper()
	c, err := p.Get(context.Background(), configFor(t, fmt.Sprintf("host%d", i), srv.Vars(i)))
	if err != nil {
		t.Fatalf("connect: %v\nsshd log:\n%s", err, srv.Log())
	}
	return c
}

func TestSSHRun(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	c := connect(t, isolate(t, PoolOptions{}), srv, 0)
	tests := []struct {
		name       string
		cmd        transport.Command
		rc         int
		stdout     string
		stderrPart string
	}{
		{"argv", transport.Command{Argv: []string{"echo", "a b", "it's"}}, 0, "a b it's\n", ""},
		{"shell", transport.Command{Shell: "echo $((1+2)); echo err >&2; exit 3"}, 3, "3\n", "err"},
		{"stdin", transport.Command{Argv: []string{"cat"}, Stdin: strings.NewReader("in")}, 0, "in", ""},
		{"env", transport.Command{Shell: `echo "$FOO"`, Env: map[string]string{"FOO": "b a'r"}}, 0, "b a'r\n", ""},
		{"dir", transport.Command{Argv: []string{"pwd"}, Dir: "/usr"}, 0, "/usr\n", ""},
		{"missing dir", transport.Command{Argv: []string{"pwd"}, Dir: "/nonexistent"}, 1, "", "nonexistent"},
		{"missing program", transport.Command{Argv: []string{"/nonexistent/prog"}}, 127, "", "/nonexistent/prog"},
		{"signal", transport.Command{Shell: "kill -s KILL $$"}, 128 + 9, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var streamed bytes.Buffer
			tt.cmd.Stdout = &streamed
			out, err := c.Run(context.Background(), tt.cmd)
			if err != nil {
				t.Fatal(err)
			}
			if out.RC != tt.rc || out.Stdout != tt.stdout || !strings.Contains(out.Stderr, tt.stderrPart) {
				t.Errorf("got rc=%d stdout=%q stderr=%q", out.RC, out.Stdout, out.Stderr)
			}
			if strings.Contains(out.Stderr, c.marker) {
				t.Errorf("the process group marker leaked into stderr: %q", out.Stderr)
			}
			if streamed.String() != out.Stdout {
				t.Errorf("streamed stdout %q, want %q", streamed.String(), out.Stdout)
			}
		})
	}
}

// Many commands on many hosts at once: one TCP connection per host, counted
// by sshd itself.
func TestSSHPoolOneConnectionPerHost(t *testing.T) {
	const hosts, perHost = 6, 12
	srv := sshtest.Start(t, sshtest.Options{Hosts: hosts})
	p := isolate(t, PoolOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, hosts*perHost)
	for h := 0; h < hosts; h++ {
		cfg := configFor(t, fmt.Sprintf("host%d", h), srv.Vars(h))
		for j := 0; j < perHost; j++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := p.Get(context.Background(), cfg)
				if err != nil {
					errs <- err
					return
				}
				out, err := c.Run(context.Background(), transport.Command{Shell: "echo " + strconv.Itoa(h*100+j)})
				if err != nil || out.Stdout != strconv.Itoa(h*100+j)+"\n" {
					errs <- fmt.Errorf("host %d run %d: %q %v", h, j, out.Stdout, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for h := 0; h < hosts; h++ {
		if n := srv.Connections(srv.Addrs[h]); n != 1 {
			t.Errorf("%s: %d TCP connections, want 1", srv.Addrs[h], n)
		}
	}
}

// MaxSessions caps the commands running at once on one host.
func TestSSHMaxSessions(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	vars := srv.Vars(0)
	vars["ferry_ssh_max_sessions"] = 2
	c, err := p.Get(context.Background(), configFor(t, "h", vars))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// Each command registers itself, counts the registered ones, waits a
	// little and leaves: the largest count seen is the concurrency reached.
	script := `touch "$D/$$"; ls "$D" | wc -l; sleep 0.2; rm "$D/$$"`
	var wg sync.WaitGroup
	var mu sync.Mutex
	most := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := c.Run(context.Background(), transport.Command{Shell: script, Env: map[string]string{"D": dir}})
			n, _ := strconv.Atoi(strings.TrimSpace(out.Stdout))
			if err != nil || n == 0 {
				t.Errorf("run: %v %q", err, out.Stdout)
			}
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if most > 2 {
		t.Errorf("%d commands ran at once, want at most 2", most)
	}
}

func TestSSHHostKeyChangedIsRefused(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	other, _ := ed25519Key(t)
	known := filepath.Join(t.TempDir(), "known_hosts")
	lines := "# comment\n" + strings.Replace(srv.KnownHostsLine(srv.Addrs[0]), marshalKey(srv.HostKey), marshalKey(other), 1) + "\n"
	if err := os.WriteFile(known, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := srv.Vars(0)
	vars["ansible_ssh_known_hosts_file"] = known
	vars["ferry_host_key_checking"] = "accept-new" // a changed key is refused all the same
	_, err := p.Get(context.Background(), configFor(t, "h", vars))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("want an unreachable error, got %v", err)
	}
	for _, want := range []string{"HOST KEY CHANGED", ssh.FingerprintSHA256(srv.HostKey), known + ":2",
		"ssh-keygen -f " + known + " -R '[127.0.0.2]:" + strconv.Itoa(srv.Port) + "'"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// A pool parses known_hosts once for all its hosts, and again when the file
// grew meanwhile (an accept-new append, or the user adding a host).
func TestSSHKnownHostsReadAgainWhenChanged(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 2})
	p := isolate(t, PoolOptions{})
	known := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(known, []byte(srv.KnownHostsLine(srv.Addrs[0])+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func(i int) SSHConfig {
		vars := srv.Vars(i)
		vars["ansible_ssh_known_hosts_file"] = known
		return configFor(t, fmt.Sprintf("host%d", i), vars)
	}
	if _, err := p.Get(context.Background(), cfg(0)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Get(context.Background(), cfg(1)); err == nil || !strings.Contains(err.Error(), "unknown host") {
		t.Fatalf("host1 is not in known_hosts yet, got %v", err)
	}
	f, err := os.OpenFile(known, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, srv.KnownHostsLine(srv.Addrs[1]))
	f.Close()
	if _, err := p.Get(context.Background(), cfg(1)); err != nil {
		t.Fatalf("host1 was added to known_hosts, but: %v", err)
	}
}

func TestSSHUnknownHostIsRefusedByDefault(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	vars := srv.Vars(0)
	delete(vars, "ansible_ssh_known_hosts_file")
	_, err := p.Get(context.Background(), configFor(t, "h", vars))
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("want an unreachable error, got %v", err)
	}
	for _, want := range []string{"unknown host [127.0.0.2]:", ssh.FingerprintSHA256(srv.HostKey), "accept-new", expandHome("~/.ssh/known_hosts")} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	if _, statErr := os.Stat(expandHome("~/.ssh/known_hosts")); statErr == nil {
		t.Error("strict checking wrote known_hosts")
	}
}

func TestSSHAcceptNewRecordsTheKey(t *testing.T) {
	for _, hashed := range []bool{false, true} {
		t.Run(fmt.Sprintf("hashed=%v", hashed), func(t *testing.T) {
			srv := sshtest.Start(t, sshtest.Options{})
			isolate(t, PoolOptions{})
			sshConfig := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(sshConfig, fmt.Appendf(nil, "Host *\n  HashKnownHosts %v\n", map[bool]string{true: "yes", false: "no"}[hashed]), 0o600); err != nil {
				t.Fatal(err)
			}
			vars := srv.Vars(0)
			delete(vars, "ansible_ssh_known_hosts_file")
			vars["ferry_host_key_checking"] = "accept-new"
			cfg, err := SSHConfigFromVars("h", vars, sshConfig)
			if err != nil {
				t.Fatal(err)
			}
			p := NewPool(PoolOptions{})
			defer p.Close()
			if _, err := p.Get(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(expandHome("~/.ssh/known_hosts"))
			if err != nil {
				t.Fatal(err)
			}
			plain := srv.KnownHostsLine(srv.Addrs[0]) + "\n"
			if got := string(data); (got == plain) == hashed || !strings.HasSuffix(got, marshalKey(srv.HostKey)+"\n") {
				t.Fatalf("known_hosts is %q (plain form %q)", got, plain)
			}
			// The recorded key now passes strict checking in a new run.
			delete(vars, "ferry_host_key_checking")
			p2 := NewPool(PoolOptions{})
			defer p2.Close()
			c, err := p2.Get(context.Background(), configFor(t, "h", vars))
			if err != nil {
				t.Fatal(err)
			}
			if out, err := c.Run(context.Background(), transport.Command{Argv: []string{"true"}}); err != nil || out.RC != 0 {
				t.Fatal(out, err)
			}
		})
	}
}

// ProxyJump through one and two bastions, each hop's key verified; the
// bastion connection is pooled and shared by the hosts behind it.
func TestSSHProxyJump(t *testing.T) {
	target := sshtest.Start(t, sshtest.Options{Hosts: 2})
	bastion1 := sshtest.Start(t, sshtest.Options{})
	bastion2 := sshtest.Start(t, sshtest.Options{})
	bastion1.Authorize(target.ClientKey)
	bastion2.Authorize(target.ClientKey)
	known := filepath.Join(t.TempDir(), "known_hosts")
	all := target.KnownHostsLine(target.Addrs[0]) + "\n" + target.KnownHostsLine(target.Addrs[1]) + "\n" +
		bastion1.KnownHostsLine(bastion1.Addrs[0]) + "\n" + bastion2.KnownHostsLine(bastion2.Addrs[0]) + "\n"
	if err := os.WriteFile(known, []byte(all), 0o600); err != nil {
		t.Fatal(err)
	}
	hop := func(b *sshtest.Server) string { return b.User + "@" + b.Endpoint(0) }
	tests := []struct {
		name string
		jump string
		via  []*sshtest.Server
	}{
		{"one bastion", hop(bastion1), []*sshtest.Server{bastion1}},
		{"two bastions", hop(bastion1) + "," + hop(bastion2), []*sshtest.Server{bastion1, bastion2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := isolate(t, PoolOptions{})
			before := map[*sshtest.Server]int{}
			for _, b := range tt.via {
				before[b] = b.Connections(b.Addrs[0])
			}
			for i := range target.Addrs {
				vars := target.Vars(i)
				vars["ansible_ssh_known_hosts_file"] = known
				vars["ferry_proxy_jump"] = tt.jump
				c, err := p.Get(context.Background(), configFor(t, "h", vars))
				if err != nil {
					t.Fatal(err)
				}
				// The target sees the connection coming from the last bastion's side.
				out, err := c.Run(context.Background(), transport.Command{Shell: `echo "${SSH_CONNECTION%% *}"`})
				if err != nil || out.RC != 0 {
					t.Fatal(out, err)
				}
			}
			for _, b := range tt.via {
				if n := b.Connections(b.Addrs[0]) - before[b]; n != 1 {
					t.Errorf("bastion %s got %d connections for 2 hosts, want 1 (shared)", b.Endpoint(0), n)
				}
			}
		})
	}
	t.Run("wrong bastion key", func(t *testing.T) {
		p := isolate(t, PoolOptions{})
		other, _ := ed25519Key(t)
		wrong := filepath.Join(t.TempDir(), "known_hosts")
		lines := target.KnownHostsLine(target.Addrs[0]) + "\n" +
			strings.Replace(bastion1.KnownHostsLine(bastion1.Addrs[0]), marshalKey(bastion1.HostKey), marshalKey(other), 1) + "\n"
		if err := os.WriteFile(wrong, []byte(lines), 0o600); err != nil {
			t.Fatal(err)
		}
		vars := target.Vars(0)
		vars["ansible_ssh_known_hosts_file"] = wrong
		vars["ferry_proxy_jump"] = hop(bastion1)
		_, err := p.Get(context.Background(), configFor(t, "h", vars))
		if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "HOST KEY CHANGED for [127.0.0.2]:"+strconv.Itoa(bastion1.Port)) ||
			!strings.Contains(err.Error(), wrong+":2") {
			t.Fatalf("want the bastion's key refused, got %v", err)
		}
	})
}

// Become through sudo, with and without a password; the password never
// appears in any process's argv or environment, nor in the output.
func TestSSHBecome(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	nopw := sshtest.AddUser(t, sshtest.SudoNoPassword)
	withpw := sshtest.AddUser(t, sshtest.SudoPassword)
	tests := []struct {
		name   string
		user   sshtest.User
		become *transport.Become
		rc     int
		stdout string
	}{
		{"passwordless", nopw, &transport.Become{}, 0, "root\n"},
		{"password", withpw, &transport.Become{Password: withpw.Password}, 0, "root\n"},
		{"to another user", withpw, &transport.Become{User: nopw.Name, Password: withpw.Password}, 0, nopw.Name + "\n"},
		{"password needed but none given", withpw, &transport.Become{}, 1, ""},
		{"no become", withpw, nil, 0, withpw.Name + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.Get(context.Background(), configFor(t, "h", srv.UserVars(0, tt.user)))
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Run(context.Background(), transport.Command{Argv: []string{"id", "-un"}, Become: tt.become})
			if err != nil || out.RC != tt.rc || out.Stdout != tt.stdout {
				t.Fatalf("got %+v, %v", out, err)
			}
		})
	}
	t.Run("password not visible", func(t *testing.T) {
		c, err := p.Get(context.Background(), configFor(t, "h", srv.UserVars(0, withpw)))
		if err != nil {
			t.Fatal(err)
		}
		ready := filepath.Join(t.TempDir(), "ready")
		seen := make(chan string, 1)
		go func() {
			for {
				if _, err := os.Stat(ready); err == nil {
					seen <- processesMentioning(withpw.Password)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		out, err := c.Run(context.Background(), transport.Command{
			Shell:  "touch " + ready + "; sleep 0.5; id -un",
			Become: &transport.Become{Password: withpw.Password},
		})
		if err != nil || out.Stdout != "root\n" {
			t.Fatalf("got %+v, %v", out, err)
		}
		if where := <-seen; where != "" {
			t.Errorf("the become password is visible in %s", where)
		}
		if strings.Contains(out.Stdout+out.Stderr, withpw.Password) {
			t.Error("the become password is in the output")
		}
	})
}

// processesMentioning names the /proc files (cmdline, environ) containing s.
func processesMentioning(s string) string {
	entries, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		for _, f := range []string{"cmdline", "environ"} {
			data, err := os.ReadFile(filepath.Join("/proc", e.Name(), f))
			if err == nil && bytes.Contains(data, []byte(s)) {
				found = append(found, filepath.Join("/proc", e.Name(), f))
			}
		}
	}
	return strings.Join(found, ", ")
}

// A cancelled command ends its whole remote process group, children
// included, also when they run as root through sudo.
func TestSSHCancelKillsProcessGroup(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	tests := []struct {
		name   string
		vars   func() map[string]any
		become *transport.Become
	}{
		{"login user", func() map[string]any { return srv.Vars(0) }, nil},
		{"sudo to root", func() map[string]any { return srv.UserVars(0, sshtest.AddUser(t, sshtest.SudoNoPassword)) }, &transport.Become{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := p.Get(context.Background(), configFor(t, "h", tt.vars()))
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			os.Chmod(dir, 0o777)
			pidFile := filepath.Join(dir, "child.pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for ctx.Err() == nil {
					if data, err := os.ReadFile(pidFile); err == nil && bytes.HasSuffix(data, []byte("\n")) {
						cancel()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			_, err = c.Run(ctx, transport.Command{Shell: "sleep 300 & echo $! > " + pidFile + "; wait", Become: tt.become})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("want context.Canceled, got %v", err)
			}
			data, _ := os.ReadFile(pidFile)
			waitGone(t, strings.TrimSpace(string(data)))
			// The connection still serves commands.
			if out, err := c.Run(context.Background(), transport.Command{Argv: []string{"true"}}); err != nil || out.RC != 0 {
				t.Fatal(out, err)
			}
		})
	}
}

func waitGone(t *testing.T, pid string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("child %s of the cancelled command still runs", pid)
}

// A host whose sshd dies is unreachable, during a command and after; it is
// reachable again once sshd is back.
func TestSSHServerKilledIsUnreachable(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{})
	cfg := configFor(t, "h", srv.Vars(0))
	c, err := p.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	started := filepath.Join(t.TempDir(), "started")
	result := make(chan error, 1)
	go func() {
		_, err := c.Run(context.Background(), transport.Command{Shell: "touch " + started + "; sleep 60"})
		result <- err
	}()
	for {
		if _, err := os.Stat(started); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	srv.Kill()
	if err := <-result; !errors.Is(err, ErrUnreachable) {
		t.Fatalf("running command: want unreachable, got %v", err)
	}
	if _, err := c.Run(context.Background(), transport.Command{Argv: []string{"true"}}); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "lost") {
		t.Fatalf("next command: want unreachable (connection lost), got %v", err)
	}
	if _, err := p.Get(context.Background(), cfg); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("reconnect while down: want unreachable, got %v", err)
	}
	var u *UnreachableError
	if _, err := c.Stat(context.Background(), "/"); !errors.As(err, &u) || u.Host != "h" {
		t.Fatalf("stat: want *UnreachableError for h, got %v", err)
	}
	srv.Restart()
	c2, err := p.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c2.Run(context.Background(), transport.Command{Argv: []string{"true"}}); err != nil || out.RC != 0 {
		t.Fatal(out, err)
	}
}

// A link that stops answering is found dead by the keep-alive and the
// waiting command fails as unreachable instead of hanging.
func TestSSHKeepAliveDetectsDeadLink(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	p := isolate(t, PoolOptions{KeepAlive: 100 * time.Millisecond})
	c := connect(t, p, srv, 0)
	srv.Freeze()
	defer srv.Thaw()
	_, err := c.Run(context.Background(), transport.Command{Argv: []string{"true"}})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "keep-alive") {
		t.Fatalf("want unreachable (keep-alive), got %v", err)
	}
}

func TestSSHStatOpen(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	c := connect(t, isolate(t, PoolOptions{}), srv, 0)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	if err := os.WriteFile(path, []byte("content"), 0o604); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		want transport.FileInfo
	}{
		{filepath.Join(dir, "missing"), transport.FileInfo{}},
		{path, transport.FileInfo{Exists: true, Size: 7, Mode: 0o604}},
		{dir, transport.FileInfo{Exists: true, IsDir: true}},
	}
	for _, tt := range tests {
		fi, err := c.Stat(ctx, tt.path)
		if err != nil || fi.Exists != tt.want.Exists || fi.IsDir != tt.want.IsDir ||
			(!tt.want.IsDir && (fi.Size != tt.want.Size || fi.Mode.Perm() != tt.want.Mode)) {
			t.Errorf("Stat(%s) = %+v, %v; want %+v", tt.path, fi, err, tt.want)
		}
	}
	r, err := c.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := io.Copy(&got, r); err != nil || got.String() != "content" {
		t.Fatalf("read %q, %v", got.String(), err)
	}
	r.Close()
	if _, err := c.Open(ctx, filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) || errors.Is(err, ErrUnreachable) {
		t.Errorf("Open(missing) = %v, want a not-exist error", err)
	}
}

func TestSSHPasswordLogin(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Password: true})
	p := isolate(t, PoolOptions{})
	u := sshtest.AddUser(t, sshtest.NoSudo)
	vars := srv.UserVars(0, u)
	delete(vars, "ansible_ssh_private_key_file")
	vars["ansible_password"] = u.Password
	c, err := p.Get(context.Background(), configFor(t, "h", vars))
	if err != nil {
		t.Fatal(err)
	}
	if out, err := c.Run(context.Background(), transport.Command{Argv: []string{"id", "-un"}}); err != nil || out.Stdout != u.Name+"\n" {
		t.Fatal(out, err)
	}
	vars["ansible_password"] = "wrong"
	_, err = NewPool(PoolOptions{}).Get(context.Background(), configFor(t, "h", vars))
	want := fmt.Sprintf("ssh: cannot log in to %s@%s: tried: password; server accepts: publickey, password", u.Name, srv.Endpoint(0))
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
}

// A refused login says who, where, what was tried (agent keys, key files)
// and what the server accepts.
func TestSSHAuthFailureNamesMethods(t *testing.T) {
	if _, err := exec.LookPath("ssh-agent"); err != nil {
		t.Skip("no ssh-agent")
	}
	srv := sshtest.Start(t, sshtest.Options{})
	isolate(t, PoolOptions{})
	sock := startAgent(t)
	for i := 0; i < 2; i++ {
		_, key := ed25519Key(t)
		if out, err := exec.Command("ssh-add", key).CombinedOutput(); err != nil {
			t.Fatalf("ssh-add: %v %s", err, out)
		}
	}
	_, unauthorised := ed25519Key(t)
	vars := srv.Vars(0)
	vars["ansible_ssh_private_key_file"] = unauthorised
	_, err := NewPool(PoolOptions{}).Get(context.Background(), configFor(t, "h", vars))
	want := fmt.Sprintf("ssh: cannot log in to %s@%s: tried: agent (2 keys), key %s; server accepts: publickey", srv.User, srv.Endpoint(0), unauthorised)
	if !errors.Is(err, ErrUnreachable) || err.Error() != want {
		t.Fatalf("got  %v\nwant %s", err, want)
	}
	// The same agent holding the right key logs in.
	if out, err := exec.Command("ssh-add", srv.ClientKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	if _, err := NewPool(PoolOptions{}).Get(context.Background(), configFor(t, "h", vars)); err != nil {
		t.Fatalf("login with the agent (%s): %v", sock, err)
	}
}

func startAgent(t *testing.T) string {
	sock := filepath.Join(t.TempDir(), "agent.sock")
	cmd := exec.Command("ssh-agent", "-D", "-a", sock)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 200; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	return sock
}

func TestSSHEncryptedKey(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{Hosts: 3})
	isolate(t, PoolOptions{})
	key := srv.AddClientKey("s3cret phrase")
	base := srv.Vars(0)
	base["ansible_ssh_private_key_file"] = key
	t.Setenv("FERRY_TEST_KEY_PASS", "s3cret phrase")
	t.Setenv("FERRY_TEST_WRONG_PASS", "nope")
	noTerminal := func(string) (string, error) { return "", errNoTerminal }
	tests := []struct {
		name    string
		env     string
		ask     func(string) (string, error)
		wantErr string
	}{
		{"passphrase from the environment", "FERRY_TEST_KEY_PASS", noTerminal, ""},
		{"asked", "", func(string) (string, error) { return "s3cret phrase", nil }, ""},
		{"no terminal", "", noTerminal, "ferry_ssh_key_passphrase_env"},
		{"variable not set", "FERRY_TEST_UNSET", noTerminal, "names FERRY_TEST_UNSET, which is not set"},
		{"wrong passphrase", "FERRY_TEST_WRONG_PASS", noTerminal, "cannot decrypt with the passphrase from $FERRY_TEST_WRONG_PASS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := map[string]any{}
			for k, v := range base {
				vars[k] = v
			}
			if tt.env != "" {
				vars["ferry_ssh_key_passphrase_env"] = tt.env
			}
			p := NewPool(PoolOptions{AskPassphrase: tt.ask})
			defer p.Close()
			_, err := p.Get(context.Background(), configFor(t, "h", vars))
			if tt.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("want an error with %q, got %v", tt.wantErr, err)
			}
		})
	}
	t.Run("asked once for all hosts", func(t *testing.T) {
		var mu sync.Mutex
		asked := 0
		p := NewPool(PoolOptions{AskPassphrase: func(string) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			asked++
			return "s3cret phrase", nil
		}})
		defer p.Close()
		var wg sync.WaitGroup
		for i := range srv.Addrs {
			vars := srv.Vars(i)
			vars["ansible_ssh_private_key_file"] = key
			cfg := configFor(t, "h", vars)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p.Get(context.Background(), cfg); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if asked != 1 {
			t.Errorf("asked %d times for %d hosts, want once", asked, len(srv.Addrs))
		}
	})
	t.Run("default asks the terminal only when there is one", func(t *testing.T) {
		devnull, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer devnull.Close()
		stdin := os.Stdin
		os.Stdin = devnull
		defer func() { os.Stdin = stdin }()
		if _, err := askOnTerminal(key); !errors.Is(err, errNoTerminal) {
			t.Fatalf("want errNoTerminal, got %v", err)
		}
	})
}

func TestSSHDialContext(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	c := connect(t, isolate(t, PoolOptions{}), srv, 0)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		s, err := l.Accept()
		if err == nil {
			io.Copy(s, s)
			s.Close()
		}
	}()
	nc, err := c.DialContext(context.Background(), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprint(nc, "ping")
	buf := make([]byte, 4)
	if _, err := io.ReadFull(nc, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("echo through the host: %q %v", buf, err)
	}
	if _, err := c.DialContext(context.Background(), "tcp", "127.0.0.1:1"); err == nil || errors.Is(err, ErrUnreachable) {
		t.Fatalf("a closed port on the host's side: want a plain error, got %v", err)
	}
}

func ed25519Key(t *testing.T) (ssh.PublicKey, string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "id_test")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		t.Fatal(err)
	}
	return pub, path
}

func marshalKey(k ssh.PublicKey) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k)))
}
