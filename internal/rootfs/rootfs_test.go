package rootfs_test

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/internal/rootfs"
)

// TestRootIsAnotherSystem logs in with OpenSSH's client, checking the host
// key, and finds a Debian root of its own: its own hostname, its own PID 1,
// and a file written there that this machine does not have.
func TestRootIsAnotherSystem(t *testing.T) {
	h := rootfs.Start(t)
	out, err := exec.Command("ssh", "-F", "/dev/null", "-i", h.ClientKey, "-p", strconv.Itoa(h.Port),
		"-o", "UserKnownHostsFile="+h.KnownHosts, "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
		"root@"+h.Addr, "hostname; cat /proc/1/comm; . /etc/os-release; echo $VERSION_CODENAME; touch /etc/ferry-was-here; id -u").CombinedOutput()
	if err != nil {
		t.Fatalf("ssh: %v\n%s", err, out)
	}
	if got, want := strings.Fields(string(out)), []string{"rootfs-test", "sleep", "bookworm", "0"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got %q, want %q", got, want)
	}
	if h.Run("test -e /etc/ferry-was-here && echo yes") != "yes\n" {
		t.Fatal("the file written over SSH is not in the root")
	}
	if _, err := exec.Command("test", "-e", "/etc/ferry-was-here").CombinedOutput(); err == nil {
		t.Fatal("the file reached this machine's /etc")
	}
	if out, err := h.Try("sysctl -w vm.swappiness=7"); err == nil {
		t.Fatalf("a kernel-wide sysctl could be written from the root: %s", out)
	}
	h.Run("sysctl -w net.ipv4.ip_forward=1")
}

// TestEachStartIsFresh: a second root does not see the first one's changes.
func TestEachStartIsFresh(t *testing.T) {
	a := rootfs.Start(t)
	a.Run("echo a > /etc/mark")
	b := rootfs.Start(t)
	if out, err := b.Try("cat /etc/mark"); err == nil {
		t.Fatalf("the second root sees the first one's file: %s", out)
	}
}

// TestPathIsInsideTheRoot: a file written through Path right after Start
// lands in the root, never on this machine (the placeholder process must
// have entered the root before Start returns).
func TestPathIsInsideTheRoot(t *testing.T) {
	for range 5 {
		h := rootfs.Start(t)
		p := h.Path("/etc/ferry-path-test")
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat("/etc/ferry-path-test"); err == nil {
			os.Remove("/etc/ferry-path-test")
			t.Fatal("a file written through Path reached this machine's /etc")
		}
		if h.Run("cat /etc/ferry-path-test") != "x" {
			t.Fatal("the file is not in the root")
		}
	}
}
