// Package sshtest starts a real OpenSSH sshd for tests and benchmarks: its
// own config, host key, client key and known_hosts file in a temporary
// directory, listening on one port on several loopback addresses (127.0.0.2,
// 127.0.0.3, ...) so that each address stands for one host. It is stopped by
// pid at t.Cleanup.
//
// A missing /usr/sbin/sshd fails the test (install openssh-server) unless
// FERRY_SKIP_SSHD=1 is set: CI must never skip these tests silently.
package sshtest

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// TB is the part of testing.TB a Server uses. Tests pass their *testing.T
// or *testing.B; a program (the wall-clock benchmark in bench/) passes its
// own, which stops the program on Fatalf and runs the cleanups at its end.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Cleanup(func())
}

// SSHD is the daemon the tests run.
const SSHD = "/usr/sbin/sshd"

// maxListenAddrs is sshd's limit of ListenAddress lines per daemon.
const maxListenAddrs = 16

// Options shape a test server.
type Options struct {
	// Hosts is how many loopback addresses to listen on (default 1).
	Hosts int
	// Password enables PasswordAuthentication.
	Password bool
}

// Server is a running set of sshd processes sharing one port, host key and
// configuration.
type Server struct {
	Addrs []string // 127.0.0.2, 127.0.0.3, ...
	Port  int
	// KnownHosts is a known_hosts file with a line for every address.
	KnownHosts string
	// ClientKey is an unencrypted private key file authorised for every user.
	ClientKey string
	// User is the login user for ClientKey: the user running the tests.
	User string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// Dir holds the configuration, keys and logs.
	Dir string

	t              TB
	authorizedKeys string
	configs        []string
	logs           []string

	mu     sync.Mutex
	procs  []*exec.Cmd
	probes map[string]int // readiness-probe connections per address
}

// Start starts sshd and registers its stop with t.Cleanup.
func Start(t TB, opts Options) *Server {
	t.Helper()
	RequireSSHD(t)
	if opts.Hosts <= 0 {
		opts.Hosts = 1
	}
	if opts.Hosts > 250 {
		t.Fatalf("sshtest: at most 250 hosts, asked for %d", opts.Hosts)
	}
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Geteuid() == 0 {
		t.Fatalf("sshtest: privilege separation directory: %v", err)
	}
	s := &Server{Dir: publicTempDir(t), t: t}
	for i := 0; i < opts.Hosts; i++ {
		s.Addrs = append(s.Addrs, fmt.Sprintf("127.0.0.%d", i+2))
	}
	me, err := user.Current()
	if err != nil {
		t.Fatalf("sshtest: current user: %v", err)
	}
	s.User = me.Username
	s.writeKeys(t)
	t.Cleanup(s.Kill)
	// A port free when chosen can be taken before sshd binds it (other test
	// packages start servers at the same time): then start again elsewhere.
	for attempt := 1; ; attempt++ {
		s.Port = freePort(t, s.Addrs)
		s.writeKnownHosts(t)
		s.writeConfigs(t, opts)
		s.probes = map[string]int{}
		err := s.start()
		if err == nil {
			return s
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			t.Fatalf("sshtest: %v\nsshd log:\n%s", err, s.Log())
		}
		s.Kill()
	}
}

// RequireSSHD fails the test when sshd is not installed, or skips it when
// FERRY_SKIP_SSHD=1 says so explicitly.
func RequireSSHD(t TB) {
	t.Helper()
	if _, err := os.Stat(SSHD); err == nil {
		return
	}
	if os.Getenv("FERRY_SKIP_SSHD") == "1" {
		t.Skipf("%s is missing and FERRY_SKIP_SSHD=1", SSHD)
	}
	t.Fatalf("%s is missing: install openssh-server (apt-get install -y openssh-server sudo), or set FERRY_SKIP_SSHD=1 to skip the SSH tests", SSHD)
}

// publicTempDir is a directory every test user can read: sshd reads
// AuthorizedKeysFile as the user logging in, and t.TempDir() is private to
// the user running the tests.
func publicTempDir(t TB) string {
	dir, err := os.MkdirTemp("", "sshtest-")
	if err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
	return dir
}

// freePort returns a port free on every address: another server may hold a
// port on 127.0.0.2 that is free on 127.0.0.1.
func freePort(t TB, addrs []string) int {
	for range 100 {
		if port, ok := portFreeOnAll(addrs); ok {
			return port
		}
	}
	t.Fatalf("sshtest: no port is free on all of %s", strings.Join(addrs, ", "))
	return 0
}

func portFreeOnAll(addrs []string) (int, bool) {
	first, err := net.Listen("tcp", net.JoinHostPort(addrs[0], "0"))
	if err != nil {
		return 0, false
	}
	held := []net.Listener{first}
	defer func() {
		for _, l := range held {
			l.Close()
		}
	}()
	port := first.Addr().(*net.TCPAddr).Port
	for _, a := range addrs[1:] {
		l, err := net.Listen("tcp", net.JoinHostPort(a, strconv.Itoa(port)))
		if err != nil {
			return 0, false
		}
		held = append(held, l)
	}
	return port, true
}

// writeKeys creates the host key, the client key and authorized_keys.
func (s *Server) writeKeys(t TB) {
	hostPub, err := writeKey(filepath.Join(s.Dir, "host_ed25519"))
	if err != nil {
		t.Fatalf("sshtest: host key: %v", err)
	}
	s.HostKey = hostPub
	s.ClientKey = filepath.Join(s.Dir, "client_ed25519")
	clientPub, err := writeKey(s.ClientKey)
	if err != nil {
		t.Fatalf("sshtest: client key: %v", err)
	}
	s.authorizedKeys = filepath.Join(s.Dir, "authorized_keys")
	writeFile(t, s.authorizedKeys, string(ssh.MarshalAuthorizedKey(clientPub)), 0o644)
}

// writeKnownHosts writes a known_hosts line for every address at s.Port.
func (s *Server) writeKnownHosts(t TB) {
	s.KnownHosts = filepath.Join(s.Dir, "known_hosts")
	var lines strings.Builder
	for _, a := range s.Addrs {
		lines.WriteString(s.KnownHostsLine(a) + "\n")
	}
	writeFile(t, s.KnownHosts, lines.String(), 0o600)
}

// KnownHostsLine is the known_hosts line for addr, in OpenSSH's plain form.
func (s *Server) KnownHostsLine(addr string) string {
	return knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(addr, strconv.Itoa(s.Port)))}, s.HostKey)
}

// writeKey writes a new unencrypted ed25519 private key and returns its
// public half.
func writeKey(path string) (ssh.PublicKey, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "ferry-test")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, err
	}
	return ssh.NewPublicKey(pub)
}

// Authorize lets the unencrypted private key in keyFile log in (e.g. another
// server's ClientKey, for a bastion that accepts the same key).
func (s *Server) Authorize(keyFile string) {
	s.t.Helper()
	data, err := os.ReadFile(keyFile)
	if err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	if err != nil {
		s.t.Fatalf("sshtest: %s: %v", keyFile, err)
	}
	s.appendAuthorized(signer.PublicKey())
}

func (s *Server) appendAuthorized(pub ssh.PublicKey) {
	keys, err := os.OpenFile(s.authorizedKeys, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	defer keys.Close()
	if _, err := keys.Write(ssh.MarshalAuthorizedKey(pub)); err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
}

// AddClientKey creates another authorised client key, encrypted with
// passphrase when it is not empty, and returns its file. Encrypted keys use
// one KDF round (ssh-keygen -a 1) so that tests do not spend seconds on it.
func (s *Server) AddClientKey(passphrase string) string {
	s.t.Helper()
	dir, err := os.MkdirTemp(s.Dir, "client_key_")
	if err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	path := filepath.Join(dir, "id_ed25519")
	out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-a", "1", "-N", passphrase, "-C", "ferry-test", "-f", path).CombinedOutput()
	if err != nil {
		s.t.Fatalf("sshtest: ssh-keygen: %v\n%s", err, out)
	}
	data, err := os.ReadFile(path + ".pub")
	if err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	pub, _, _, _, err := ssh.ParseAuthorizedKey(data)
	if err != nil {
		s.t.Fatalf("sshtest: %v", err)
	}
	s.appendAuthorized(pub)
	return path
}

func writeFile(t TB, path, content string, perm os.FileMode) {
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatalf("sshtest: %v", err)
	}
}

// writeConfigs writes one sshd_config per 16 addresses, for s.Port, and
// starts their logs afresh.
func (s *Server) writeConfigs(t TB, opts Options) {
	s.configs, s.logs = nil, nil
	for start := 0; start < len(s.Addrs); start += maxListenAddrs {
		end := min(start+maxListenAddrs, len(s.Addrs))
		n := len(s.configs)
		cfg := filepath.Join(s.Dir, fmt.Sprintf("sshd_config.%d", n))
		log := filepath.Join(s.Dir, fmt.Sprintf("sshd.%d.log", n))
		writeFile(t, log, "", 0o600)
		writeFile(t, cfg, s.config(s.Addrs[start:end], opts, filepath.Join(s.Dir, fmt.Sprintf("sshd.%d.pid", n))), 0o600)
		s.configs = append(s.configs, cfg)
		s.logs = append(s.logs, log)
	}
}

func (s *Server) config(addrs []string, opts Options, pidFile string) string {
	var b strings.Builder
	for _, a := range addrs {
		fmt.Fprintf(&b, "ListenAddress %s:%d\n", a, s.Port)
	}
	password := "no"
	if opts.Password {
		password = "yes"
	}
	fmt.Fprintf(&b, `HostKey %s
PidFile %s
AuthorizedKeysFile %s
PasswordAuthentication %s
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
MaxSessions 100
MaxStartups 200:30:400
AllowTcpForwarding yes
Subsystem sftp internal-sftp
SetEnv SHLVL=1
LogLevel VERBOSE
`, filepath.Join(s.Dir, "host_ed25519"), pidFile, s.authorizedKeys, password)
	return b.String()
}

// Restart starts the daemons (again, after Kill) with the same port, keys
// and configuration, and waits until every address accepts connections.
func (s *Server) Restart() {
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatalf("sshtest: %v\nsshd log:\n%s", err, s.Log())
	}
}

// errPortTaken: sshd could not bind s.Port on some address.
var errPortTaken = errors.New("the port is taken")

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.procs) > 0 {
		return errors.New("Restart of a running server: call Kill first")
	}
	for i, cfg := range s.configs {
		cmd := exec.Command(SSHD, "-D", "-f", cfg, "-E", s.logs[i])
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("starting %s: %v", SSHD, err)
		}
		s.procs = append(s.procs, cmd)
	}
	if err := s.waitListening(10 * time.Second); err != nil {
		return err
	}
	return s.waitProbesLogged(10 * time.Second)
}

// portTaken tells whether a daemon logged that it could not bind s.Port: a
// readiness probe may then have reached another server on that address.
func (s *Server) portTaken() bool {
	return strings.Contains(s.Log(), fmt.Sprintf("Bind to port %d on ", s.Port))
}

func (s *Server) waitListening(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, a := range s.Addrs {
		for {
			c, err := net.DialTimeout("tcp", net.JoinHostPort(a, strconv.Itoa(s.Port)), time.Second)
			if err == nil {
				c.Close()
				s.probes[a]++
				break
			}
			if s.portTaken() {
				return fmt.Errorf("sshd on %s:%d: %w", a, s.Port, errPortTaken)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sshd does not listen on %s:%d after %s: %v", a, s.Port, limit, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// waitProbesLogged waits until sshd has logged the readiness probes, which it
// does asynchronously in the connection's process: otherwise a probe logged
// late would count as a client's connection.
func (s *Server) waitProbesLogged(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, a := range s.Addrs {
		for s.loggedConnections(a) < s.probes[a] {
			if s.portTaken() {
				return fmt.Errorf("sshd on %s:%d: %w", a, s.Port, errPortTaken)
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("sshd did not log the connections to %s:%d within %s", a, s.Port, limit)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	return nil
}

// Kill ends the daemons and every process they started (connection
// handlers, sessions), like a host that dies: clients see their connections
// drop.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cmd := range s.procs {
		s.signalTree(cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}
	s.procs = nil
}

// Freeze stops (SIGSTOP) the daemons and their connection handlers: the TCP
// connections stay open but nothing answers, like a link that went dead.
// Thaw resumes them.
func (s *Server) Freeze() { s.signalAll(syscall.SIGSTOP) }

// Thaw resumes a frozen server.
func (s *Server) Thaw() { s.signalAll(syscall.SIGCONT) }

func (s *Server) signalAll(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, cmd := range s.procs {
		s.signalTree(cmd.Process.Pid, sig)
	}
}

// signalTree signals pid and all its descendants. sshd's connection handlers
// call setsid, so a process-group signal would miss them.
func (s *Server) signalTree(pid int, sig syscall.Signal) {
	for _, p := range descendants(pid) {
		_ = syscall.Kill(p, sig)
	}
	_ = syscall.Kill(pid, sig)
}

// descendants lists the processes below pid, read from /proc.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			children[pp] = append(children[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		out = append(out, children[p]...)
		queue = append(queue, children[p]...)
	}
	return out
}

func parentOf(pid int) (int, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name in parentheses may contain spaces: parse after it.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(fields[1])
	return pp, err == nil
}

// Log returns the daemons' logs.
func (s *Server) Log() string {
	var b strings.Builder
	for _, l := range s.logs {
		data, _ := os.ReadFile(l)
		b.Write(data)
	}
	return b.String()
}

// Connections counts the TCP connections clients opened to addr so far
// (LogLevel VERBOSE logs each one), not counting the harness's own
// readiness probes.
func (s *Server) Connections(addr string) int {
	s.mu.Lock()
	probes := s.probes[addr]
	s.mu.Unlock()
	return s.loggedConnections(addr) - probes
}

func (s *Server) loggedConnections(addr string) int {
	needle := fmt.Sprintf(" on %s port %d", addr, s.Port)
	n := 0
	sc := bufio.NewScanner(strings.NewReader(s.Log()))
	for sc.Scan() {
		if strings.Contains(sc.Text(), "Connection from ") && strings.Contains(sc.Text(), needle) {
			n++
		}
	}
	return n
}

// Vars are the inventory variables to reach the host at Addrs[i] as User
// with ClientKey, verifying its key against KnownHosts.
func (s *Server) Vars(i int) map[string]any {
	return map[string]any{
		"ansible_host":                 s.Addrs[i],
		"ansible_port":                 s.Port,
		"ansible_user":                 s.User,
		"ansible_ssh_private_key_file": s.ClientKey,
		"ansible_ssh_known_hosts_file": s.KnownHosts,
	}
}

// Endpoint is "addr:port" for Addrs[i].
func (s *Server) Endpoint(i int) string {
	return net.JoinHostPort(s.Addrs[i], strconv.Itoa(s.Port))
}

// ErrNotRoot explains why user-creating helpers skip.
var ErrNotRoot = errors.New("sshtest: creating test users needs root")
