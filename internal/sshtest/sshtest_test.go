package sshtest

import (
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// The harness is checked with OpenSSH's own client: a key login on every
// address (two daemons for 18 addresses), verified against KnownHosts.
func TestStartServesEveryAddress(t *testing.T) {
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("no ssh client to check the harness with")
	}
	s := Start(t, Options{Hosts: 18})
	for _, i := range []int{0, 15, 16, 17} {
		out, err := exec.Command("ssh", "-F", "/dev/null", "-i", s.ClientKey,
			"-o", "UserKnownHostsFile="+s.KnownHosts, "-o", "StrictHostKeyChecking=yes",
			"-o", "BatchMode=yes", "-p", strconv.Itoa(s.Port),
			s.User+"@"+s.Addrs[i], "echo", "ok").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("ssh to %s: %v\n%s\nsshd log:\n%s", s.Addrs[i], err, out, s.Log())
		}
		if got := s.Connections(s.Addrs[i]); got != 1 {
			t.Errorf("Connections(%s) = %d, want 1", s.Addrs[i], got)
		}
	}
	s.Kill()
	if err := exec.Command("ssh", "-F", "/dev/null", "-i", s.ClientKey, "-o", "UserKnownHostsFile="+s.KnownHosts,
		"-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-p", strconv.Itoa(s.Port), s.User+"@"+s.Addrs[0], "true").Run(); err == nil {
		t.Fatal("ssh still works after Kill")
	}
	s.Restart()
	if out, err := exec.Command("ssh", "-F", "/dev/null", "-i", s.ClientKey, "-o", "UserKnownHostsFile="+s.KnownHosts,
		"-o", "BatchMode=yes", "-p", strconv.Itoa(s.Port), s.User+"@"+s.Addrs[0], "true").CombinedOutput(); err != nil {
		t.Fatalf("ssh after Restart: %v\n%s", err, out)
	}
}

// A port taken on one of the addresses between choosing it and sshd binding
// it (another package's server, started at the same time) must be noticed,
// not answered by the other server's readiness, so that Start picks another.
func TestStartNoticesATakenPort(t *testing.T) {
	other, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	s := &Server{Dir: publicTempDir(t), t: t, Addrs: []string{"127.0.0.2", "127.0.0.3"}, probes: map[string]int{}}
	s.writeKeys(t)
	t.Cleanup(s.Kill)
	s.Port = other.Addr().(*net.TCPAddr).Port
	s.writeKnownHosts(t)
	s.writeConfigs(t, Options{})
	if err := s.start(); !errors.Is(err, errPortTaken) {
		t.Fatalf("start on a port another listener holds on 127.0.0.3: %v, want errPortTaken", err)
	}
}
