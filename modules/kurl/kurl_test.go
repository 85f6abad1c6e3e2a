package kurl_test

import (
	"fmt"
	"github.com/ferry-sh/ferry/internal/modtest"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"

	"github.com/ferry-sh/ferry/internal/fakekurl"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

// kurlSite is a sandboxed kURL server reached over a real sshd: the paths a
// real one has under /etc and /var are inside one temporary directory.
type kurlSite struct {
	conn   modules.Conn
	root   string
	addr   string // the host's private address
	opts   fakekurl.Options
	bundle string
}

func newKurlSite(t *testing.T, kubeconfig []byte, opts ...func(*fakekurl.Options)) *kurlSite {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	c := modtest.SSHConnTo(t, srv)
	root := t.TempDir()
	s := &kurlSite{conn: c, root: root, addr: privateAddress(t)}
	s.opts = fakekurl.Options{
		Kubeconfig:     kubeconfig,
		KubeconfigPath: filepath.Join(root, "etc/kubernetes/admin.conf"),
		ManifestsDir:   filepath.Join(root, "etc/kubernetes/manifests"),
		KurlDir:        filepath.Join(root, "var/lib/kurl"),
		LogDir:         filepath.Join(root, "var/log/kurl"),
		BinDir:         filepath.Join(root, "usr/local/bin"),
		OSRelease:      fakekurl.WriteOSRelease(t, root),
	}
	for _, o := range opts {
		o(&s.opts)
	}
	s.bundle = fakekurl.Build(t, s.opts)
	return s
}

// privateAddress is this machine's first interface address that kURL would
// offer (not loopback, not a container bridge).
func privateAddress(t *testing.T) string {
	t.Helper()
	ifaces, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{"lo": true, "docker0": true, "cni0": true, "weave": true, "flannel.1": true, "kube-ipvs0": true, "antrea-gw0": true}
	for _, i := range ifaces {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !skip[i.Name] {
				return n.IP.String()
			}
		}
	}
	t.Fatal("this machine has no non-loopback IPv4 address for private-address")
	return ""
}

// freePort is a TCP port nothing listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// kurlRecorder collects a host's events and secrets.
type kurlRecorder struct {
	mu      sync.Mutex
	lines   []string
	secrets []string
}

func (s *kurlSite) host(rec *kurlRecorder, check bool) *modules.Host {
	return &modules.Host{Name: "node", Conn: modules.Seal(s.conn), Check: check, Cache: &sync.Map{},
		Events: func(e modules.Event) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if e.Kind == "output" {
				rec.lines = append(rec.lines, e.Line)
			}
		},
		Secret: func(v string) {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			rec.secrets = append(rec.secrets, v)
		}}
}

// args are the module's arguments for the site; ports the test controls
// stand for kURL's, so a port some other program holds on this machine
// cannot decide the outcome.
func (s *kurlSite) args(ports ...any) map[string]any {
	return map[string]any{
		"bundle": s.bundle, "workdir": filepath.Join(s.root, "opt/kurl"), "private_address": s.addr,
		"kubeconfig": s.opts.KubeconfigPath, "manifests_dir": s.opts.ManifestsDir,
		"kurl_dir": s.opts.KurlDir, "log_dir": s.opts.LogDir, "preflight_ports": ports, "os_release": s.opts.OSRelease,
	}
}

// TestKurlLifecycle: a partial install is refused, a fresh one installs and
// streams with the password masked, a second run and --check change
// nothing and do not run install.sh, and force runs it again.
func TestKurlLifecycle(t *testing.T) {
	cluster := kubetest.Start(t)
	s := newKurlSite(t, cluster.Kubeconfig())
	cs := cluster.Clientset()
	port := strconv.Itoa(freePort(t))

	// admin.conf without the rest: a kURL install that stopped half-way.
	if err := os.MkdirAll(filepath.Dir(s.opts.KubeconfigPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.opts.KubeconfigPath, cluster.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err := modtest.Run(t, s.host(&kurlRecorder{}, false), "kurl", s.args(port))
	if err == nil || !strings.Contains(err.Error(), "not complete") || !strings.Contains(err.Error(), "force: true") {
		t.Fatalf("a partial install gave %v, want a refusal that names force: true", err)
	}
	if err := os.Remove(s.opts.KubeconfigPath); err != nil {
		t.Fatal(err)
	}

	rec := &kurlRecorder{}
	h := s.host(rec, false)
	res, _, err := modtest.Run(t, h, "kurl", s.args(port))
	if err != nil || res.Failed {
		t.Fatalf("fresh install: %v %s\n%s", err, res.Msg, strings.Join(rec.lines, "\n"))
	}
	if got := h.Changes(); len(got) != 2 || !strings.HasPrefix(got[1], "install kURL (airgap, private-address="+s.addr+"): cd ") ||
		!strings.HasSuffix(got[1], "&& cat install.sh | bash -s airgap private-address="+s.addr+" yes") {
		t.Errorf("changes = %q", got)
	}
	password, _ := res.Data["kotsadm_password"].(string)
	if len(password) != 9 {
		t.Fatalf("kotsadm_password = %q, want the 9 characters kURL printed", password)
	}
	if !slices.Contains(rec.secrets, password) {
		t.Errorf("the password was not registered as a secret: %d secrets", len(rec.secrets))
	}
	assertKurlOutput(t, rec, password)
	assertNoPassword(t, res, password)
	want := map[string]any{
		"kubernetes_version": "v1.31.14", "kurl_version": fakekurl.DefaultKurlVersion,
		"installer_id": fakekurl.DefaultInstallerID, "private_address": s.addr,
		"kubeconfig_path": s.opts.KubeconfigPath, "kotsadm_url": "http://" + s.addr + ":8800",
	}
	for k, v := range want {
		if res.Data[k] != v {
			t.Errorf("result %s = %v, want %v", k, res.Data[k], v)
		}
	}
	if logPath, _ := res.Data["log_path"].(string); !strings.HasPrefix(logPath, s.opts.LogDir+"/install-") {
		t.Errorf("log_path = %q, want the installer's log in %s", logPath, s.opts.LogDir)
	}
	assertPreflight(t, res, "Port "+port+"/tcp", "pass")
	assertRuns(t, cs, 1)

	// Second run and --check: already installed, nothing changes, the
	// installer does not run again.
	for _, check := range []bool{false, true} {
		rec := &kurlRecorder{}
		h := s.host(rec, check)
		res, _, err := modtest.Run(t, h, "kurl", s.args(port))
		if err != nil || res.Failed {
			t.Fatalf("check=%v on an installed cluster: %v %s", check, err, res.Msg)
		}
		if res.Msg != "already installed (k8s v1.31.14, kurl "+fakekurl.DefaultKurlVersion+")" || len(h.Changes()) != 0 || len(rec.lines) != 0 {
			t.Errorf("check=%v: msg %q, changes %q, %d output lines", check, res.Msg, h.Changes(), len(rec.lines))
		}
		if res.Data["private_address"] != s.addr || res.Data["kotsadm_url"] != "http://"+s.addr+":8800" {
			t.Errorf("check=%v: result %v", check, res.Data)
		}
	}
	assertRuns(t, cs, 1)

	// force: the installer runs again; the password exists, so none is shown.
	args := s.args(port)
	args["force"] = true
	rec = &kurlRecorder{}
	h = s.host(rec, false)
	res, _, err = modtest.Run(t, h, "kurl", args)
	if err != nil || res.Failed {
		t.Fatalf("forced re-run: %v %s", err, res.Msg)
	}
	if len(h.Changes()) != 2 || !strings.HasPrefix(h.Changes()[1], "re-run the kURL installer (force: true") {
		t.Errorf("forced re-run changes = %q", h.Changes())
	}
	if _, ok := res.Data["kotsadm_password"]; ok {
		t.Errorf("a re-run reported a password; kURL shows it on the first install only")
	}
	assertRuns(t, cs, 2)
}

func assertKurlOutput(t *testing.T, rec *kurlRecorder, password string) {
	t.Helper()
	all := strings.Join(rec.lines, "\n")
	for _, want := range []string{"Installation", "Complete ✔", "Login with password (will not be shown again): ********"} {
		if !strings.Contains(all, want) {
			t.Errorf("streamed output lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "\x1b") {
		t.Errorf("streamed output keeps terminal escapes:\n%q", all)
	}
	if strings.Contains(all, password) {
		t.Errorf("the password is in the streamed output")
	}
}

// assertNoPassword: the password is only in its secret field.
func assertNoPassword(t *testing.T, res modules.Result, password string) {
	t.Helper()
	rest := map[string]any{}
	for k, v := range res.Data {
		if k != "kotsadm_password" {
			rest[k] = v
		}
	}
	if strings.Contains(fmt.Sprint(rest), password) || strings.Contains(res.Msg, password) {
		t.Errorf("the password shows outside kotsadm_password: %s %v", res.Msg, rest)
	}
}

func assertPreflight(t *testing.T, res modules.Result, name, status string) {
	t.Helper()
	checks, _ := res.Data["preflights"].([]any)
	for _, c := range checks {
		m := c.(map[string]any)
		if m["name"] == name {
			if m["status"] != status {
				t.Errorf("preflight %s is %v (%v), want %s", name, m["status"], m["message"], status)
			}
			return
		}
	}
	t.Errorf("no preflight %q in %v", name, checks)
}

// assertRuns counts install.sh's runs, as the fake records them in the cluster.
func assertRuns(t *testing.T, cs kubernetes.Interface, want int) {
	t.Helper()
	n, err := fakekurl.Runs(t.Context(), cs)
	if err != nil || n != want {
		t.Errorf("install.sh ran %d times (%v), want %d", n, err, want)
	}
}

// TestKurlCheckMode on a fresh host: the probes run and the plan lists the
// extraction and the install, and nothing is written.
func TestKurlCheckMode(t *testing.T) {
	s := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\n"))
	port := strconv.Itoa(freePort(t))
	for _, staged := range []bool{true, false} {
		args := s.args(port, port+"/udp")
		if !staged {
			args["bundle"] = filepath.Join(s.root, "not-staged.tar.gz")
		}
		rec := &kurlRecorder{}
		h := s.host(rec, true)
		res, _, err := modtest.Run(t, h, "kurl", args)
		if err != nil || res.Failed {
			t.Fatalf("staged=%v: %v %s %v", staged, err, res.Msg, res.Data["preflights"])
		}
		wantMsg := "would install kURL (airgap, private-address=" + s.addr + ")"
		if !staged {
			wantMsg += " (the bundle " + args["bundle"].(string) + " is not on the host yet)"
		}
		if res.Msg != wantMsg {
			t.Errorf("msg = %q, want %q", res.Msg, wantMsg)
		}
		plan := h.Changes()
		if len(plan) != 2 || plan[0] != "extract "+args["bundle"].(string)+" into "+args["workdir"].(string) ||
			!strings.Contains(plan[1], "cat install.sh | bash -s airgap private-address="+s.addr+" yes") {
			t.Errorf("plan = %q", plan)
		}
		for _, name := range []string{"Root user", "Architecture", "Number of CPUs", "Amount of Memory", "Disk space /var/lib/kubelet",
			"Disk space " + s.opts.KurlDir, "Swap", "SELinux", "firewalld", "Nameserver", "Network interfaces", "Private address", "Subnet overlap"} {
			assertPreflightPresent(t, res, name)
		}
		assertPreflight(t, res, "Root user", "pass")
		assertPreflight(t, res, "Port "+port+"/tcp", "pass")
		assertPreflight(t, res, "Private address", "pass")
		for _, p := range []string{args["workdir"].(string), s.opts.KubeconfigPath, s.opts.KurlDir} {
			if _, err := os.Stat(p); !os.IsNotExist(err) {
				t.Errorf("check mode created %s", p)
			}
		}
		if len(rec.lines) != 0 {
			t.Errorf("check mode ran the installer: %q", rec.lines)
		}
	}
}

func assertPreflightPresent(t *testing.T, res modules.Result, name string) {
	t.Helper()
	checks, _ := res.Data["preflights"].([]any)
	for _, c := range checks {
		m := c.(map[string]any)
		if m["name"] == name {
			if s := m["status"]; s != "pass" && s != "warn" && s != "fail" {
				t.Errorf("preflight %s has status %v", name, s)
			}
			if m["message"] == "" {
				t.Errorf("preflight %s has no message", name)
			}
			return
		}
	}
	t.Errorf("no preflight %q in %v", name, checks)
}

// TestKurlTakenPort: a port kURL needs is taken, so the install stops before
// anything is extracted or run, in check mode and for real, with a message
// that names the port and what listens on it.
func TestKurlTakenPort(t *testing.T) {
	s := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\n"))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	free := strconv.Itoa(freePort(t))
	for _, check := range []bool{true, false} {
		h := s.host(&kurlRecorder{}, check)
		res, _, err := modtest.Run(t, h, "kurl", s.args(free, taken))
		if err != nil {
			t.Fatalf("check=%v: %v", check, err)
		}
		want := "Port " + taken + "/tcp: port " + taken + "/tcp is in use (listening on 127.0.0.1:" + taken + ")"
		if !res.Failed || !strings.Contains(res.Msg, want) || !strings.Contains(res.Msg, "nothing was changed") {
			t.Errorf("check=%v: failed=%v msg %q, want it to contain %q", check, res.Failed, res.Msg, want)
		}
		if strings.Contains(res.Msg, "Port "+free+"/tcp") {
			t.Errorf("check=%v: the free port %s is reported as blocking: %s", check, free, res.Msg)
		}
		assertPreflight(t, res, "Port "+taken+"/tcp", "fail")
		if len(h.Changes()) != 0 {
			t.Errorf("check=%v: changes %q despite the failed preflight", check, h.Changes())
		}
		if _, err := os.Stat(filepath.Join(s.root, "opt/kurl")); !os.IsNotExist(err) {
			t.Errorf("check=%v: the bundle was extracted despite the failed preflight", check)
		}
	}
	// host-preflight-ignore lets the user go on, as kURL does.
	args := s.args(taken)
	args["flags"] = map[string]any{"host-preflight-ignore": true}
	h := s.host(&kurlRecorder{}, true)
	res, _, err := modtest.Run(t, h, "kurl", args)
	if err != nil || res.Failed || !strings.Contains(h.Changes()[1], "yes host-preflight-ignore") {
		t.Errorf("with host-preflight-ignore: %v %v %q %q", err, res.Failed, res.Msg, h.Changes())
	}
}

// TestKurlArgumentErrors: flags kURL would reject, and bad arguments, stop
// the task before the host is touched.
func TestKurlArgumentErrors(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{"bundle": "/nonexistent/kurl.tar.gz", "workdir": "/nonexistent/kurl"}
	}
	tests := []struct {
		name  string
		set   map[string]any
		wants []string
	}{
		{"typo", map[string]any{"flags": map[string]any{"host-preflight-ignor": true}},
			[]string{`kURL has no flag "host-preflight-ignor"`, `Error: unknown parameter "host-preflight-ignor"`, "did you mean `host-preflight-ignore`?"}},
		{"underscores", map[string]any{"flags": map[string]any{"public_address": "1.2.3.4"}},
			[]string{`kURL has no flag "public_address"`, "did you mean `public-address`?"}},
		{"unknown, nothing close", map[string]any{"flags": map[string]any{"turbo": true}},
			[]string{`kURL has no flag "turbo"`}},
		{"private-address in flags", map[string]any{"flags": map[string]any{"private-address": "10.0.0.1"}},
			[]string{"private-address is not allowed: set the private_address argument instead"}},
		{"airgap in flags", map[string]any{"flags": map[string]any{"airgap": true}},
			[]string{"airgap is not allowed: ferry always passes airgap"}},
		{"bare flag with a value", map[string]any{"flags": map[string]any{"ha": "maybe"}},
			[]string{"flags: ha takes no value; set it to true or false"}},
		{"value flag without one", map[string]any{"flags": map[string]any{"public-address": true}},
			[]string{"flags: public-address needs a value (public-address=VALUE)"}},
		{"empty value", map[string]any{"flags": map[string]any{"labels": " "}},
			[]string{"flags: labels needs a value"}},
		{"relative workdir", map[string]any{"workdir": "kurl"}, []string{`workdir "kurl" must be an absolute path on the host`}},
		{"bad private address", map[string]any{"private_address": "10.0.0"}, []string{`private_address "10.0.0" is not an IPv4 address`}},
		{"bad port", map[string]any{"preflight_ports": []any{"6443/sctp", "70000"}},
			[]string{`preflight_ports entry "6443/sctp"`, `preflight_ports entry "70000"`}},
		{"bad cidr", map[string]any{"service_cidr": "10.96.0.0"}, []string{`service_cidr "10.96.0.0" is not an IPv4 CIDR`}},
		{"zero timeout", map[string]any{"timeout": 0}, []string{"timeout is 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := base()
			for k, v := range tt.set {
				raw[k] = v
			}
			h := modtest.NewHost(t)
			_, _, err := modtest.Run(t, h, "kurl", raw)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if len(h.Changes()) != 0 {
				t.Errorf("changes %q", h.Changes())
			}
		})
	}
}

// TestKurlInstallerFailures: an installer that fails or outlives the
// timeout fails the task with its last output line, masked and uncoloured.
func TestKurlInstallerFailures(t *testing.T) {
	// The fake's admin.conf points nowhere, so registering the cluster fails
	// after kubeadm init, as a real install fails mid-way.
	s := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\nclusters: []\n"))
	port := strconv.Itoa(freePort(t))
	rec := &kurlRecorder{}
	res, _, err := modtest.Run(t, s.host(rec, false), "kurl", s.args(port))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed || !strings.HasPrefix(res.Msg, "the kURL installer exited with status 1: kurl-register: ") ||
		!strings.Contains(res.Msg, "full log on the host: "+s.opts.LogDir+"/install-") || res.Data["rc"] != 1 {
		t.Errorf("failed install: failed=%v msg %q rc %v", res.Failed, res.Msg, res.Data["rc"])
	}

	// The failed install left admin.conf: a partial cluster, which only
	// force runs the installer on again.
	if _, _, err := modtest.Run(t, s.host(&kurlRecorder{}, false), "kurl", s.args(port)); err == nil || !strings.Contains(err.Error(), "set force: true") {
		t.Errorf("after a failed install: %v, want a refusal without force", err)
	}

	// A bundle whose installer never ends stands for a stuck install.
	dir := t.TempDir()
	script := "#!/bin/bash\nINSTALLER_YAML=\"apiVersion: cluster.kurl.sh/v1beta1\nkind: Installer\nspec:\n  registry:\n    version: 3.1.x\n\"\n" +
		"printf '\\033[0;94m⚙  Loading images\\033[0m\\n'\nsleep 300\n"
	if err := os.WriteFile(filepath.Join(dir, "install.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	stuck := filepath.Join(t.TempDir(), "stuck.tar.gz")
	if out, err := exec.Command("tar", "czf", stuck, "-C", dir, "install.sh").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	args := s.args(port)
	args["bundle"], args["timeout"], args["force"] = stuck, 1, true
	res, _, err = modtest.Run(t, s.host(&kurlRecorder{}, false), "kurl", args)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed || res.Msg != "the kURL installer did not finish within 1s and was stopped (raise timeout); last output: ⚙  Loading images" {
		t.Errorf("stuck install: failed=%v msg %q", res.Failed, res.Msg)
	}
}

// TestKurlRefusesAWorkdirOthersCanWrite: the bundle is extracted and its
// install.sh run as root from workdir, so a workdir another user could
// write to (or a link) is refused before anything is extracted.
func TestKurlRefusesAWorkdirOthersCanWrite(t *testing.T) {
	s := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\n"))
	args := s.args(strconv.Itoa(freePort(t)))
	workdir := args["workdir"].(string)
	if err := os.MkdirAll(workdir, 0o777); err != nil {
		t.Fatal(err)
	}
	os.Chmod(workdir, 0o777)
	me, _ := user.Current()
	_, _, err := modtest.Run(t, s.host(&kurlRecorder{}, false), "kurl", args)
	if err == nil || !strings.Contains(err.Error(), workdir+" must be a directory of "+me.Username+"'s that others cannot write to") {
		t.Fatalf("err = %v, want the writable workdir refused", err)
	}
	if _, err := os.Stat(filepath.Join(workdir, "install.sh")); err == nil {
		t.Error("the bundle was extracted into it")
	}
	os.Chmod(workdir, 0o755)
	if _, _, err := modtest.Run(t, s.host(&kurlRecorder{}, false), "kurl", args); err != nil && strings.Contains(err.Error(), "others cannot write") {
		t.Errorf("a private workdir was refused: %v", err)
	}
}

// TestKurlInstallerSpecAndOS: what the bundle's installer spec and the
// host's distribution decide, before install.sh runs: an installer without
// the registry add-on and a distribution kURL refuses stop the install with
// kURL's reason; Prometheus's port 9100 is checked only when the spec has
// Prometheus.
func TestKurlInstallerSpecAndOS(t *testing.T) {
	noRegistry := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\n"), func(o *fakekurl.Options) {
		o.Addons = map[string]string{"kubernetes": "1.31.x", "containerd": "1.7.x", "flannel": "0.26.x", "kotsadm": "1.124.x"}
	})
	port := strconv.Itoa(freePort(t))
	for _, check := range []bool{true, false} {
		h := noRegistry.host(&kurlRecorder{}, check)
		res, _, err := modtest.Run(t, h, "kurl", noRegistry.args(port))
		want := "Installer add-ons: the kURL installer has no registry add-on (it has containerd, flannel, kotsadm, kubernetes)"
		if err != nil || !res.Failed || !strings.Contains(res.Msg, want) {
			t.Errorf("check=%v: %v failed=%v msg %q, want %q", check, err, res.Failed, res.Msg, want)
		}
		if len(h.Changes()) != 0 {
			t.Errorf("check=%v: changes %q despite the missing registry", check, h.Changes())
		}
		assertPreflightAbsent(t, res, "Port 9100/tcp")
		assertPreflight(t, res, "Port 8472/udp", "pass")
	}

	s := newKurlSite(t, []byte("apiVersion: v1\nkind: Config\n"), func(o *fakekurl.Options) {
		o.Addons = map[string]string{"kubernetes": "1.31.x", "registry": "3.1.x", "prometheus": "0.87.x"}
	})
	res, _, err := modtest.Run(t, s.host(&kurlRecorder{}, true), "kurl", s.args(port))
	if err != nil {
		t.Fatal(err)
	}
	assertPreflightPresent(t, res, "Port 9100/tcp")
	assertPreflight(t, res, "Installer add-ons", "pass")
	assertPreflight(t, res, "Operating system", "pass")

	if err := os.WriteFile(s.opts.OSRelease, []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := s.args(port)
	args["flags"] = map[string]any{"host-preflight-ignore": true}
	rec := &kurlRecorder{}
	res, _, err = modtest.Run(t, s.host(rec, false), "kurl", args)
	want := "Operating system: kURL stops with: Kubernetes install is not supported on debian 12"
	if err != nil || !res.Failed || !strings.Contains(res.Msg, want) {
		t.Errorf("debian 12: %v failed=%v msg %q, want %q", err, res.Failed, res.Msg, want)
	}
	if len(rec.lines) != 0 {
		t.Errorf("the installer ran on an unsupported distribution: %q", rec.lines)
	}
}

func assertPreflightAbsent(t *testing.T, res modules.Result, name string) {
	t.Helper()
	checks, _ := res.Data["preflights"].([]any)
	for _, c := range checks {
		if c.(map[string]any)["name"] == name {
			t.Errorf("preflight %q is there: %v", name, c)
		}
	}
}
