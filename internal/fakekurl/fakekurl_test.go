package fakekurl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/ferry-sh/ferry/internal/fakekurl"
	"github.com/ferry-sh/ferry/internal/kubetest"
)

// site is a sandboxed "server": the paths a real one has under /etc, /var
// and /usr/local/bin, inside one temporary directory.
type site struct {
	root, workdir string
	opts          fakekurl.Options
}

func newSite(t *testing.T, kubeconfig []byte, kots string, opts ...func(*fakekurl.Options)) *site {
	t.Helper()
	root := t.TempDir()
	s := &site{root: root, workdir: filepath.Join(root, "bundle")}
	s.opts = fakekurl.Options{
		OSRelease:      fakekurl.WriteOSRelease(t, root),
		Kubeconfig:     kubeconfig,
		KubeconfigPath: filepath.Join(root, "etc/kubernetes/admin.conf"),
		ManifestsDir:   filepath.Join(root, "etc/kubernetes/manifests"),
		KurlDir:        filepath.Join(root, "var/lib/kurl"),
		LogDir:         filepath.Join(root, "var/log/kurl"),
		BinDir:         filepath.Join(root, "usr/local/bin"),
		KubectlKots:    kots,
	}
	for _, o := range opts {
		o(&s.opts)
	}
	bundle := fakekurl.Build(t, s.opts)
	if err := os.MkdirAll(s.workdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("tar", "xzf", bundle, "-C", s.workdir).CombinedOutput(); err != nil {
		t.Fatalf("extracting the bundle: %v\n%s", err, out)
	}
	return s
}

// install runs the extracted installer the way the docs say, in a new
// session so that it has no controlling terminal, as over SSH.
func (s *site) install(ctx context.Context, t *testing.T, cmd func(*exec.Cmd), flags ...string) (string, error) {
	t.Helper()
	c := exec.CommandContext(ctx, "bash", "-c", `cat install.sh | bash -s "$@"`, "install")
	c.Args = append(c.Args, flags...)
	c.Dir = s.workdir
	c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// The installer's pipeline (cat, bash, tee) is one process group:
	// end all of it, as ferry's connections do, not just the first bash.
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	c.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if cmd != nil {
		cmd(c)
	}
	err := c.Run()
	return out.String(), err
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
var passwordLine = regexp.MustCompile(`Login with password \(will not be shown again\): ([A-Za-z0-9]+)\n`)

func clientFor(t *testing.T, kubeconfig []byte) kubernetes.Interface {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestInstallRegistersCluster installs on a real API server, then installs
// again: the second run is not a no-op, as kURL's is not.
func TestInstallRegistersCluster(t *testing.T) {
	cluster := kubetest.Start(t)
	kots := filepath.Join(t.TempDir(), "kubectl-kots")
	if err := os.WriteFile(kots, []byte("#!/bin/sh\necho fake kots\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := newSite(t, cluster.Kubeconfig(), kots)
	ctx := t.Context()
	cs := clientFor(t, cluster.Kubeconfig())
	ip := kubetest.DefaultPrivateIP

	raw, err := s.install(ctx, t, nil, "airgap", "private-address="+ip, "yes")
	if err != nil {
		t.Fatalf("install: %v\n%s", err, raw)
	}
	out := ansi.ReplaceAllString(raw, "")
	for _, want := range []string{"Installation", "Complete ✔", "Kotsadm: http://" + ip + ":8800"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	m := passwordLine.FindStringSubmatch(out)
	if m == nil || len(m[1]) != 9 {
		t.Fatalf("no 9-character password line in:\n%s", out)
	}
	password := m[1]
	if !strings.Contains(raw, "\x1b[0;32m"+password+"\x1b[0m") {
		t.Errorf("the password is not printed in colour as kURL prints it")
	}

	written, err := os.ReadFile(s.opts.KubeconfigPath)
	if err != nil || !bytes.Equal(written, cluster.Kubeconfig()) {
		t.Errorf("admin.conf at %s is not the baked kubeconfig (err %v)", s.opts.KubeconfigPath, err)
	}
	manifest, err := os.ReadFile(filepath.Join(s.opts.ManifestsDir, "kube-apiserver.yaml"))
	if err != nil || !strings.Contains(string(manifest), " image: registry.k8s.io/kube-apiserver:v1.31.14\n") {
		t.Errorf("kube-apiserver manifest lacks the image line (err %v):\n%s", err, manifest)
	}
	if b, err := os.ReadFile(filepath.Join(s.opts.BinDir, "kubectl-kots")); err != nil || !strings.Contains(string(b), "fake kots") {
		t.Errorf("kubectl-kots not installed into BinDir: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.opts.KurlDir, "bin/kurl-register")); err != nil {
		t.Errorf("the bundle's kurl/ was not moved into the kURL directory: %v", err)
	}

	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "kurl-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data["airgap"] != "1" || cm.Data["installer_id"] != fakekurl.DefaultInstallerID ||
		cm.Data["kubernetes_api_address"] != ip+":6443" || !strings.HasPrefix(cm.Data["ca_hash"], "sha256:") {
		t.Errorf("kurl-config = %v", cm.Data)
	}
	current, err := cs.CoreV1().ConfigMaps("kurl").Get(ctx, "kurl-current-config", metav1.GetOptions{})
	if err != nil || current.Data["kurl-version"] != fakekurl.DefaultKurlVersion {
		t.Errorf("kurl-current-config: %v %v", current, err)
	}
	assertReadyNode(t, cs, ip)
	// The KOTS add-on deploys kotsadm into default, never into the app's
	// namespace: there, `kubectl kots install` deploys it.
	d, err := cs.AppsV1().Deployments(fakekurl.KotsadmNamespace).Get(ctx, "kotsadm", metav1.GetOptions{})
	if err != nil || d.Status.AvailableReplicas != 1 || d.Labels["app"] != "kotsadm" {
		t.Errorf("kotsadm Deployment not available in default: %v", err)
	}
	if _, err := cs.CoreV1().Namespaces().Get(ctx, "plotly-system", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("kURL created namespace plotly-system (%v): the real kURL never does", err)
	}
	svc, err := cs.CoreV1().Services(fakekurl.KotsadmNamespace).Get(ctx, "kotsadm", metav1.GetOptions{})
	if err != nil || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "http" || svc.Spec.Ports[0].Port != 3000 {
		t.Errorf("kotsadm Service: %v %v", svc, err)
	}
	secret, err := cs.CoreV1().Secrets(fakekurl.KotsadmNamespace).Get(ctx, "kotsadm-password", metav1.GetOptions{})
	if err != nil || bcrypt.CompareHashAndPassword(secret.Data["passwordBcrypt"], []byte(password)) != nil {
		t.Errorf("kotsadm-password Secret does not hold the printed password's bcrypt hash: %v", err)
	}
	assertLogHasNoPassword(t, s.opts.LogDir, password)
	if n, err := fakekurl.Runs(ctx, cs); err != nil || n != 1 {
		t.Errorf("Runs after one install = %d, %v", n, err)
	}

	// The second run: no password, kubeconfigs regenerated, certificate
	// moved away, the current config moved to the last.
	stale := filepath.Join(filepath.Dir(s.opts.KubeconfigPath), "scheduler.conf")
	if err := os.WriteFile(stale, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	raw, err = s.install(ctx, t, nil, "airgap", "private-address="+ip, "yes")
	if err != nil {
		t.Fatalf("second install: %v\n%s", err, raw)
	}
	out = ansi.ReplaceAllString(raw, "")
	if passwordLine.MatchString(out) || !strings.Contains(out, "You can log in with your existing password.") {
		t.Errorf("the second run shows a password or lacks the existing-password line:\n%s", out)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a re-run kept %s; kURL deletes every /etc/kubernetes/*.conf", stale)
	}
	// The certificate and key go to /tmp beside the sandbox's etc
	// (scripts/install.sh:226-231).
	tmp := filepath.Join(filepath.Dir(filepath.Dir(filepath.Dir(s.opts.KubeconfigPath))), "tmp")
	for _, moved := range []string{"apiserver.crt", "apiserver.key"} {
		if _, err := os.Stat(filepath.Join(tmp, moved)); err != nil {
			t.Errorf("a re-run did not move the API server's %s to %s: %v", moved, tmp, err)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps("kurl").Get(ctx, "kurl-last-config", metav1.GetOptions{}); err != nil {
		t.Errorf("a re-run did not write kurl-last-config: %v", err)
	}
	if n, err := fakekurl.Runs(ctx, cs); err != nil || n != 2 {
		t.Errorf("Runs after two installs = %d, %v", n, err)
	}
}

func assertReadyNode(t *testing.T, cs kubernetes.Interface, ip string) {
	t.Helper()
	nodes, err := cs.CoreV1().Nodes().List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes.Items {
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue && hasAddress(n, ip) {
				return
			}
		}
	}
	t.Errorf("no Ready node with InternalIP %s among %d nodes", ip, len(nodes.Items))
}

func hasAddress(n corev1.Node, ip string) bool {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && a.Address == ip {
			return true
		}
	}
	return false
}

func assertLogHasNoPassword(t *testing.T, dir, password string) {
	t.Helper()
	logs, _ := filepath.Glob(filepath.Join(dir, "install-*.log"))
	if len(logs) != 1 {
		t.Fatalf("want one install log in %s, found %v", dir, logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "Complete ✔") {
		t.Errorf("the log %s lacks the installer's output", logs[0])
	}
	if strings.Contains(string(b), password) {
		t.Errorf("the log %s shows the password; kURL deletes password lines", logs[0])
	}
}

// TestEveryKurlFlagIsAccepted runs one install with every flag of kURL's
// table at once: any the fake did not know would stop it with exit 1.
func TestEveryKurlFlagIsAccepted(t *testing.T) {
	cluster := kubetest.Start(t)
	s := newSite(t, cluster.Kubeconfig(), "")
	base := t.TempDir()
	spec := filepath.Join(base, "patch.yaml")
	if err := os.WriteFile(spec, []byte("apiVersion: cluster.kurl.sh/v1beta1\nkind: Installer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// kURL's get_patch_yaml (scripts/common/utilbinaries.sh:72-226), all 53.
	flags := []string{"airgap", "private-address=" + kubetest.DefaultPrivateIP, "yes",
		"public-address=203.0.113.7", "kurl-install-directory=" + base, "installer-spec-file=" + spec,
		"additional-no-proxy-addresses=10.0.0.0/8", "kurl-registry-ip=10.96.0.20", "cert-key=abc", "control-plane",
		"docker-registry-ip=10.96.0.20", "ekco-address=10.0.0.5:31880", "ekco-auth-token=t",
		"ekco-enable-internal-load-balancer", "ha", "kubernetes-cis-compliance", "kubernetes-cluster-name=dash",
		"aws-exclude-storage-class", "ignore-remote-load-images-prompt", "ignore-remote-upgrade-prompt",
		"container-log-max-size=10Mi", "container-log-max-files=3", "kubernetes-max-pods-per-node=200",
		"kubeadm-token=abc.def", "kubeadm-token-ca-hash=sha256:00", "kubernetes-load-balancer-use-first-primary",
		"kubernetes-master-address=10.0.0.5:6443", "kubernetes-version=1.31.14",
		"kubernetes-init-ignore-preflight-errors=all", "kubernetes-upgrade-ignore-preflight-errors=all",
		"labels=role=dash,zone=a", "load-balancer-address=10.0.0.5:6443", "storage-migration-ready-timeout=10m",
		"preflight-ignore", "host-preflight-ignore", "preflight-ignore-warnings", "host-preflight-enforce-warnings",
		"dismiss-host-packages-preflight", "preserve-docker-config", "preserve-firewalld-config",
		"preserve-iptables-config", "preserve-selinux-config", "auto-upgrades-enabled", "primary-host=10.0.0.5",
		"secondary-host=10.0.0.6", "force-reapply-addons", "skip-system-package-install", "exclude-builtin-preflights",
		"exclude-builtin-host-preflights", "app-version-label=5.7.0", "ipv6", "velero-restic-timeout=4h",
		"velero-server-flags=--log-level=debug"}
	raw, err := s.install(t.Context(), t, nil, flags...)
	if err != nil {
		t.Fatalf("install with every flag: %v\n%s", err, raw)
	}
	out := ansi.ReplaceAllString(raw, "")
	if !strings.Contains(out, "Kotsadm: http://203.0.113.7:8800") {
		t.Errorf("public-address is not the Admin Console's address:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(base, "kurl", "bin", "kurl-register")); err != nil {
		t.Errorf("kurl-install-directory=%s did not move the assets into %s/kurl: %v", base, base, err)
	}
}

// TestInstallerRefusals: what kURL refuses, the fake refuses, with kURL's
// message and exit status 1, before it writes anything.
func TestInstallerRefusals(t *testing.T) {
	s := newSite(t, []byte("apiVersion: v1\nkind: Config\n"), "")
	ip := "private-address=" + kubetest.DefaultPrivateIP
	nobody := func(c *exec.Cmd) {
		c.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
	}
	tests := []struct {
		name  string
		flags []string
		as    func(*exec.Cmd)
		want  string
	}{
		{"unknown flag", []string{"airgap", ip, "yes", "private-adress=10.0.0.1"}, nil, `Error: unknown parameter "private-adress"`},
		{"unknown bare flag", []string{"airgap", "--yes"}, nil, `Error: unknown parameter "--yes"`},
		{"unknown flag first", []string{"fast", "airgap"}, nil, `Error: unknown parameter "fast"`},
		{"missing install directory", []string{"airgap", ip, "yes", "kurl-install-directory=/nonexistent/dir"}, nil,
			"kURL installation directory /nonexistent/dir does not exist."},
		{"not root", []string{"airgap", ip, "yes"}, nobody, "Error: this installer needs to be run as root."},
	}
	if os.Geteuid() != 0 {
		t.Fatalf("these tests run the installer as root and as nobody: run them as root")
	}
	openUp(t, s)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := s.install(t.Context(), t, tt.as, tt.flags...)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit = %v, want status 1\n%s", err, raw)
			}
			if out := ansi.ReplaceAllString(raw, ""); !strings.Contains(out, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, out)
			}
			if _, err := os.Stat(s.opts.KubeconfigPath); !os.IsNotExist(err) {
				t.Errorf("a refused install wrote %s", s.opts.KubeconfigPath)
			}
		})
	}
}

// openUp lets the nobody user reach the site (t.TempDir is private to root)
// so that the root check, not a permission error, is what stops it.
func openUp(t *testing.T, s *site) {
	t.Helper()
	for dir := s.workdir; ; dir = filepath.Dir(dir) {
		if err := os.Chmod(dir, 0o777); err != nil {
			t.Fatal(err)
		}
		if dir == filepath.Dir(filepath.Dir(s.root)) {
			return
		}
	}
}

// TestNoPrivateAddressHangs is the trap of kURL's prompt: on a host with two
// interfaces and no terminal, an install without private-address never ends.
// The host's `ip` is replaced by one that reports two interfaces.
func TestNoPrivateAddressHangs(t *testing.T) {
	s := newSite(t, []byte("apiVersion: v1\nkind: Config\n"), "")
	bin := t.TempDir()
	ip := "#!/bin/sh\necho '1: lo    inet 127.0.0.1/8 scope host lo'\n" +
		"echo '2: eth0    inet 10.0.0.4/24 brd 10.0.0.255 scope global eth0'\n" +
		"echo '3: eth1    inet 172.16.0.4/24 brd 172.16.0.255 scope global eth1'\n"
	if err := os.WriteFile(filepath.Join(bin, "ip"), []byte(ip), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	env := func(c *exec.Cmd) { c.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH")) }
	raw, err := s.install(ctx, t, env, "airgap", "yes")
	if ctx.Err() == nil {
		t.Fatalf("the installer finished (%v) instead of waiting for an answer:\n%.2000s", err, raw)
	}
	out := ansi.ReplaceAllString(raw, "")
	for _, want := range []string{"Please choose one of the following network interfaces:", "[1] eth1 \t172.16.0.4", "Enter desired number (0-1): "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%.2000s", want, out)
		}
	}
	if _, err := os.Stat(s.opts.KubeconfigPath); !os.IsNotExist(err) {
		t.Errorf("the hung install wrote %s", s.opts.KubeconfigPath)
	}
}

// TestRegistryAddon: an installer with the registry add-on leaves the pull
// secret KOTS looks for (default/registry-creds, user kurl, the registry's
// cluster IP, labelled for snapshots); one without the registry and KOTS
// add-ons leaves neither that secret nor an Admin Console.
func TestRegistryAddon(t *testing.T) {
	cluster := kubetest.Start(t)
	cs := clientFor(t, cluster.Kubeconfig())
	ctx := t.Context()
	ip := kubetest.DefaultPrivateIP

	bare := newSite(t, cluster.Kubeconfig(), "", func(o *fakekurl.Options) {
		o.Addons = map[string]string{"kubernetes": "1.31.x", "containerd": "1.7.x", "flannel": "0.26.x"}
	})
	raw, err := bare.install(ctx, t, nil, "airgap", "private-address="+ip, "yes")
	if err != nil {
		t.Fatalf("install: %v\n%s", err, raw)
	}
	if out := ansi.ReplaceAllString(raw, ""); strings.Contains(out, "Kotsadm:") {
		t.Errorf("an installer without the KOTS add-on printed the Admin Console's address:\n%s", out)
	}
	if _, err := cs.CoreV1().Secrets("default").Get(ctx, "registry-creds", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("registry-creds without the registry add-on: %v", err)
	}
	if _, err := cs.AppsV1().Deployments("default").Get(ctx, "kotsadm", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("kotsadm deployed without the KOTS add-on: %v", err)
	}

	full := newSite(t, cluster.Kubeconfig(), "")
	raw, err = full.install(ctx, t, nil, "airgap", "private-address="+ip, "yes", "force-reapply-addons")
	if err != nil {
		t.Fatalf("install: %v\n%s", err, raw)
	}
	secret, err := cs.CoreV1().Secrets("default").Get(ctx, "registry-creds", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if secret.Type != corev1.SecretTypeDockerConfigJson || secret.Labels["kots.io/kotsadm"] != "true" || secret.Labels["kots.io/backup"] != "velero" {
		t.Errorf("registry-creds type %q labels %v", secret.Type, secret.Labels)
	}
	var config struct {
		Auths map[string]struct{ Username, Password string } `json:"auths"`
	}
	if err := json.Unmarshal(secret.Data[".dockerconfigjson"], &config); err != nil {
		t.Fatal(err)
	}
	cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "kurl-config", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	registry := cm.Data["docker_registry_ip"]
	if auth, ok := config.Auths[registry]; registry == "" || !ok || auth.Username != "kurl" || len(auth.Password) != 9 {
		t.Errorf("registry-creds auths %v do not hold user kurl for docker_registry_ip %q", config.Auths, registry)
	}
}

// TestUnsupportedOS: kURL stops on a distribution it does not support, with
// its message, before it installs anything.
func TestUnsupportedOS(t *testing.T) {
	s := newSite(t, []byte("apiVersion: v1\nkind: Config\n"), "")
	if err := os.WriteFile(s.opts.OSRelease, []byte("ID=debian\nVERSION_ID=\"12\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	raw, err := s.install(t.Context(), t, nil, "airgap", "private-address="+kubetest.DefaultPrivateIP, "yes")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit = %v, want status 1\n%s", err, raw)
	}
	want := "Kubernetes install is not supported on debian 12. The list of supported operating systems can be viewed at https://kurl.sh/docs/install-with-kurl/system-requirements."
	if out := ansi.ReplaceAllString(raw, ""); !strings.Contains(out, want) {
		t.Errorf("output lacks %q:\n%s", want, out)
	}
	if _, err := os.Stat(s.opts.KubeconfigPath); !os.IsNotExist(err) {
		t.Errorf("a refused install wrote %s", s.opts.KubeconfigPath)
	}
}
