// Package rootfs runs a throw-away Debian system for the tests of the modules
// that change a whole system (packages, services, users, sysctl, hostname):
// nothing they do may touch the machine running the tests.
//
// The system is a debootstrap'd bookworm root (build.sh, made once by
// .ci/deps.sh into a cache outside the clone, named by the hash of
// packages.txt and packages-apt.txt). Each Start mounts a fresh overlay of it (the cached root is
// the read-only lower layer, so a test costs a mount, not a copy) inside new
// mount, UTS, IPC, network and PID namespaces, chroots into it, and serves
// SSH on a loopback port of this machine: every connection is handed to a
// real OpenSSH `sshd -i` entered into those namespaces, with a host key the
// test trusts through its own known_hosts file. ferry and ansible-playbook
// reach it as a real host, logging in as root.
//
// What is not there: a running systemd (PID 1 is a sleeping placeholder), so
// systemctl works only offline (enable, disable, mask, daemon-reload is a
// no-op); the kernel is this machine's, so /proc/sys is read-only except for
// net.* (the root has its own network namespace) and modules cannot load.
//
// Without root, or without the cached root, the tests skip; under CI (the CI
// variable set) they fail instead: .ci/deps.sh must have built it.
package rootfs

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// The two lists build.sh installs; the root's name is the hash of both.
//
//go:embed packages.txt
var packageList []byte

//go:embed packages-apt.txt
var aptPackageList []byte

// Dir is where build.sh keeps the root for the current package list.
func Dir() string {
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	sum := sha256.Sum256(append(slices.Clip(packageList), aptPackageList...))
	return filepath.Join(cache, "ferry-test", "rootfs-"+hex.EncodeToString(sum[:])[:16])
}

// Require returns the cached root, or skips the test (fails it under CI)
// when this machine cannot run one.
func Require(t testing.TB) string {
	t.Helper()
	why := ""
	switch {
	case os.Geteuid() != 0:
		why = "needs root (mount and namespaces)"
	case !exists(filepath.Join(Dir(), ".ferry-complete")):
		why = "no Debian root at " + Dir() + ": run .ci/deps.sh (as root) to build it"
	}
	for _, tool := range []string{"unshare", "nsenter", "chroot"} {
		if _, err := exec.LookPath(tool); err != nil && why == "" {
			why = tool + " is missing (util-linux, coreutils)"
		}
	}
	if why == "" {
		return Dir()
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("rootfs: %s", why)
	}
	t.Skipf("rootfs: %s", why)
	return ""
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// Host is one running throw-away system.
type Host struct {
	Addr       string // 127.0.0.1
	Port       int
	KnownHosts string // known_hosts with the host's key at Addr:Port
	ClientKey  string // private key authorised for root
	User       string // root

	t      testing.TB
	dir    string
	holder *exec.Cmd
	pid    int // the namespaces' first process, as this machine numbers it
	ln     net.Listener
	wg     sync.WaitGroup
}

// Start boots a fresh system and stops it at t.Cleanup.
func Start(t testing.TB) *Host {
	t.Helper()
	lower := Require(t)
	dir, err := os.MkdirTemp("", "rootfs-")
	if err != nil {
		t.Fatal(err)
	}
	h := &Host{t: t, dir: dir, User: "root", Addr: "127.0.0.1"}
	t.Cleanup(h.stop)
	for _, d := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h.writeKeys()
	h.boot(lower)
	h.serve()
	return h
}

// writeKeys puts a new host key, root's authorized_keys and sshd's
// configuration into the overlay's upper layer, and the client's key and
// known_hosts beside it.
func (h *Host) writeKeys() {
	up := filepath.Join(h.dir, "upper")
	// The upper layer's directories hide the lower ones' modes: make them
	// as the root has them.
	for _, d := range []struct {
		path string
		mode os.FileMode
	}{{"etc", 0o755}, {"etc/ssh", 0o755}, {"etc/ssh/sshd_config.d", 0o755}, {"root", 0o700}, {"root/.ssh", 0o700}} {
		if err := os.Mkdir(filepath.Join(up, d.path), d.mode); err != nil {
			h.t.Fatal(err)
		}
	}
	hostPub := writeKey(h.t, filepath.Join(up, "etc/ssh/ssh_host_ed25519_key"))
	h.ClientKey = filepath.Join(h.dir, "client_ed25519")
	clientPub := writeKey(h.t, h.ClientKey)
	writeFile(h.t, filepath.Join(up, "root/.ssh/authorized_keys"), string(ssh.MarshalAuthorizedKey(clientPub)), 0o600)
	writeFile(h.t, filepath.Join(up, "etc/ssh/sshd_config.d/ferry-test.conf"), sshdConfig, 0o644)
	writeFile(h.t, filepath.Join(up, marker), "", 0o644)
	h.ln = listen(h.t, h.Addr)
	h.Port = h.ln.Addr().(*net.TCPAddr).Port
	h.KnownHosts = filepath.Join(h.dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(net.JoinHostPort(h.Addr, strconv.Itoa(h.Port)))}, hostPub)
	writeFile(h.t, h.KnownHosts, line+"\n", 0o600)
}

const sshdConfig = `HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
LogLevel ERROR
`

// setupScript runs inside the new namespaces before the chroot: the overlay,
// the kernel file systems (/proc/sys read-only but for the root's own net.*),
// loopback up, a hostname of its own; then it chroots, and only from inside
// the root reports ready (Path reaches the root through this process, which
// must have entered it by then) and becomes a placeholder PID 1.
const setupScript = `set -e
m="$1/merged"
mount -t overlay overlay -o "lowerdir=$2,upperdir=$1/upper,workdir=$1/work" "$m"
mount -t proc proc "$m/proc"
mount --bind "$m/proc/sys" "$m/proc/sys"
mount -o remount,bind,ro "$m/proc/sys"
mount --bind /proc/sys/net "$m/proc/sys/net"
mount -t sysfs -o ro sysfs "$m/sys"
mount --rbind /dev "$m/dev"
mount -t tmpfs -o mode=0755 tmpfs "$m/run"
mkdir -p "$m/run/sshd" "$m/run/lock"
mount -t tmpfs -o mode=1777 tmpfs "$m/tmp"
ip link set lo up
hostname rootfs-test
exec chroot "$m" /bin/sh -c 'echo ready; exec sleep infinity'
`

func (h *Host) boot(lower string) {
	cmd := exec.Command("unshare", "--mount", "--uts", "--ipc", "--net", "--pid", "--fork", "--kill-child",
		"--propagation", "private", "/bin/sh", "-c", setupScript, "setup", h.dir, lower)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		h.t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("rootfs: %v", err)
	}
	h.holder = cmd
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		cmd.Wait()
		h.t.Fatalf("rootfs: setting up the root failed: %s", stderr.String())
	}
	children, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", cmd.Process.Pid, cmd.Process.Pid))
	if err != nil {
		h.t.Fatalf("rootfs: %v", err)
	}
	h.pid, err = strconv.Atoi(strings.TrimSpace(string(children)))
	if err != nil {
		h.t.Fatalf("rootfs: the namespaces' first process: %q", children)
	}
}

// enter is the command line that runs argv inside the root, as root.
func (h *Host) enter(argv ...string) *exec.Cmd {
	p := strconv.Itoa(h.pid)
	return exec.Command("nsenter", append([]string{"-t", p, "-m", "-u", "-i", "-n", "-p", "-r", "-w", "--"}, argv...)...)
}

// serve hands every connection to the loopback port to a real sshd -i
// inside the root.
func (h *Host) serve() {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		for {
			c, err := h.ln.Accept()
			if err != nil {
				return
			}
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				h.sshd(c)
			}()
		}
	}()
}

func (h *Host) sshd(c net.Conn) {
	defer c.Close()
	f, err := c.(*net.TCPConn).File()
	if err != nil {
		return
	}
	defer f.Close()
	cmd := h.enter("/usr/sbin/sshd", "-i", "-e")
	cmd.Stdin, cmd.Stdout = f, f
	cmd.Stderr = io.Discard
	cmd.Run()
}

// Vars are the inventory variables that reach the root, for ferry
// (ansible_ssh_known_hosts_file) and for ansible-playbook's ssh client
// (UserKnownHostsFile); both check the host key strictly.
func (h *Host) Vars() map[string]any {
	return map[string]any{
		"ansible_host":                 h.Addr,
		"ansible_port":                 h.Port,
		"ansible_user":                 h.User,
		"ansible_ssh_private_key_file": h.ClientKey,
		"ansible_ssh_known_hosts_file": h.KnownHosts,
		"ansible_ssh_common_args":      "-o UserKnownHostsFile=" + h.KnownHosts + " -o StrictHostKeyChecking=yes",
		"ansible_python_interpreter":   "/usr/bin/python3",
	}
}

// InventoryLine is an INI inventory line for the root under name.
func (h *Host) InventoryLine(name string) string {
	return fmt.Sprintf("%s ansible_host=%s ansible_port=%d ansible_user=%s ansible_ssh_private_key_file=%s "+
		"ansible_ssh_known_hosts_file=%s ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes' "+
		"ansible_python_interpreter=/usr/bin/python3",
		name, h.Addr, h.Port, h.User, h.ClientKey, h.KnownHosts, h.KnownHosts)
}

// Run runs a shell script inside the root (to set a test up or look at its
// effects) and returns its output; a failure fails the test.
func (h *Host) Run(script string) string {
	h.t.Helper()
	out, err := h.Try(script)
	if err != nil {
		h.t.Fatalf("rootfs: `%s`: %v\n%s", script, err, out)
	}
	return out
}

// Try is Run that returns the error instead.
func (h *Host) Try(script string) (string, error) {
	out, err := h.enter("/bin/sh", "-c", script).CombinedOutput()
	return string(out), err
}

// marker is a file only a test root has at its top.
const marker = ".ferry-rootfs"

// Path is where a path of the root is seen from this machine (through the
// placeholder process's root), to set a test up or read its effects. It
// fails the test rather than hand out a path of this machine.
func (h *Host) Path(p string) string {
	h.t.Helper()
	top := fmt.Sprintf("/proc/%d/root", h.pid)
	if !exists(filepath.Join(top, marker)) {
		h.t.Fatalf("rootfs: %s is not the test root", top)
	}
	return filepath.Join(top, p)
}

func (h *Host) stop() {
	if h.ln != nil {
		h.ln.Close()
	}
	if h.holder != nil && h.holder.Process != nil {
		// The namespaces' first process dies with unshare (--kill-child), and
		// every process inside with it; the mounts go with the namespace.
		h.holder.Process.Kill()
		h.holder.Wait()
	}
	h.wg.Wait()
	os.RemoveAll(h.dir)
}

func listen(t testing.TB, addr string) net.Listener {
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("rootfs: %v", err)
	}
	return ln
}

func writeKey(t testing.TB, path string) ssh.PublicKey {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "ferry-test")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, string(pem.EncodeToMemory(block)), 0o600)
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}
