// Package fakekurl builds a fake kURL airgap bundle for tests: a real tar.gz
// laid out like kURL's (install.sh, join.sh, upgrade.sh, tasks.sh and a kurl/
// directory) whose install.sh behaves like kURL's where ferry can tell:
//
//   - it must be run as `cat install.sh | sudo bash -s FLAGS` from the
//     extracted bundle (it finds its assets in ./kurl);
//   - it accepts exactly kURL's flags, bare or key=value, and rejects any
//     other with `Error: unknown parameter "<x>"` and exit status 1;
//   - it needs root (`Error: this installer needs to be run as root.`);
//   - without private-address on a host with more than one non-loopback
//     interface it loops for ever reading /dev/tty, as kURL's prompt does
//     when there is no terminal;
//   - it registers the cluster in the API server whose admin.conf was baked
//     in (kube-system/kurl-config, kurl/kurl-current-config, a Ready Node,
//     and, as the KOTS add-on, the kotsadm Deployment and Service and the
//     kotsadm-password Secret in namespace default: see KotsadmNamespace),
//     writes admin.conf and the kube-apiserver manifest, installs
//     kubectl-kots, tees its output to LogDir/install-<time>.log with the
//     password lines deleted, and prints kURL's outro, with the Admin
//     Console password only on the first install;
//   - run again on an installed host it does what makes kURL re-runs unsafe:
//     it deletes and regenerates the kubeconfigs, moves the API server
//     certificate away, and moves kurl-current-config to kurl-last-config.
//     Runs counts the installer's runs.
//
// The registration is done by a Go helper (cmd/kurl-register) that Build
// compiles once per test binary.
package fakekurl

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	_ "embed"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferry-sh/ferry/internal/fakekots"
	"github.com/ferry-sh/ferry/internal/shellquote"
)

// Defaults of the Options that have one.
const (
	DefaultKubernetesVersion = "v1.31.14"
	DefaultKurlVersion       = "v2025.02.26-0"
	DefaultInstallerID       = "plotly-dash-enterprise"
)

// KotsadmNamespace is where kURL's KOTS add-on deploys the Admin Console:
// always "default" (kURL addons/kotsadm/1.86.0/install.sh:209 reads the
// password secret there and the outro says `kubectl kots reset-password
// default`, :162-165). Nothing of kURL's puts kotsadm in the app's namespace:
// `kubectl kots install -n NS` does (fakekots).
const KotsadmNamespace = "default"

// RunsAnnotation is where kurl-register counts the installer's runs, on the
// ConfigMap kurl/kurl-current-config (cmd/kurl-register has the same name).
const RunsAnnotation = "fakekurl.ferry.sh/runs"

// Options describe the bundle. The paths stand for the real server's
// (/etc/kubernetes/admin.conf, /etc/kubernetes/manifests, /var/lib/kurl,
// /usr/local/bin, /var/log/kurl) and are baked into install.sh, so a test
// keeps them inside its sandbox.
type Options struct {
	// Kubeconfig is the admin.conf install.sh writes (required), e.g.
	// kubetest's Cluster.Kubeconfig(): its server is the test API server.
	Kubeconfig []byte
	// KubeconfigPath is where install.sh writes it (required). The other
	// kubeconfigs and pki/ of a kURL server live beside it.
	KubeconfigPath string
	// ManifestsDir receives kube-apiserver.yaml (required).
	ManifestsDir string
	// KurlDir is the kURL installation directory, /var/lib/kurl on a
	// server (required); the flag kurl-install-directory=DIR overrides it
	// with DIR/kurl as kURL does.
	KurlDir string
	// LogDir receives install-<time>.log (required).
	LogDir string
	// BinDir receives kubectl-kots (required when KubectlKots is set).
	BinDir string
	// KubectlKots is the path of a kubectl-kots binary to ship in the
	// bundle and install into BinDir, as the KOTS add-on does (optional).
	KubectlKots string
	// KubernetesVersion is in the kube-apiserver manifest's image tag and
	// the Node's kubelet version (default DefaultKubernetesVersion).
	KubernetesVersion string
	// KurlVersion is kurl-current-config's kurl-version (default
	// DefaultKurlVersion).
	KurlVersion string
	// InstallerID is kurl-config's installer_id (default DefaultInstallerID).
	InstallerID string
	// Addons are the installer spec's add-ons, name to version (default
	// DefaultAddons). They are baked into install.sh as kURL's build bakes
	// the spec (INSTALLER_YAML); registry creates default/registry-creds,
	// kotsadm deploys the Admin Console into default and installs
	// kubectl-kots, the others only appear in the spec.
	Addons map[string]string
	// OSRelease is the host's os-release file, /etc/os-release on a server
	// (required): the installer stops on a distribution kURL does not
	// support, as kURL's bailIfUnsupportedOS does.
	OSRelease string
}

// DefaultAddons is an airgap installer spec such as a vendor's: the
// cluster, its storage, the registry the app's images are pushed to, and
// the KOTS add-on.
var DefaultAddons = map[string]string{
	"kubernetes": "1.31.x", "containerd": "1.7.x", "flannel": "0.26.x", "openebs": "3.10.x",
	"ekco": "latest", "registry": "3.1.x", "kotsadm": "1.124.x",
}

func (o *Options) fill() error {
	for name, v := range map[string]string{"KubeconfigPath": o.KubeconfigPath, "ManifestsDir": o.ManifestsDir,
		"KurlDir": o.KurlDir, "LogDir": o.LogDir, "OSRelease": o.OSRelease} {
		if v == "" {
			return fmt.Errorf("Options.%s is required", name)
		}
		if !filepath.IsAbs(v) {
			return fmt.Errorf("Options.%s %q must be an absolute path", name, v)
		}
	}
	if len(o.Kubeconfig) == 0 {
		return fmt.Errorf("Options.Kubeconfig is required")
	}
	if o.KubectlKots != "" && o.BinDir == "" {
		return fmt.Errorf("Options.BinDir is required with KubectlKots")
	}
	if o.KubernetesVersion == "" {
		o.KubernetesVersion = DefaultKubernetesVersion
	}
	if o.KurlVersion == "" {
		o.KurlVersion = DefaultKurlVersion
	}
	if o.InstallerID == "" {
		o.InstallerID = DefaultInstallerID
	}
	if o.Addons == nil {
		o.Addons = DefaultAddons
	}
	for name, version := range o.Addons {
		if !addonName.MatchString(name) || !addonName.MatchString(version) {
			return fmt.Errorf("Options.Addons: %q: %q is not an add-on name and version", name, version)
		}
	}
	return nil
}

//go:embed install.sh
var installScript string

//go:embed stubs.sh
var stubScript string

// Build writes the bundle into t.TempDir() and returns its path
// (.../kurl-airgap.tar.gz). It compiles kurl-register on first use.
func Build(t testing.TB, opts Options) string {
	t.Helper()
	if err := opts.fill(); err != nil {
		t.Fatalf("fakekurl: %v", err)
	}
	register := RegisterBinary(t)
	path := filepath.Join(t.TempDir(), "kurl-airgap.tar.gz")
	if err := writeBundle(path, opts, register); err != nil {
		t.Fatalf("fakekurl: %v", err)
	}
	return path
}

func renderInstallScript(o Options) string {
	vars := []struct{ name, value string }{
		{"FAKEKURL_KUBECONFIG", o.KubeconfigPath},
		{"FAKEKURL_MANIFESTS_DIR", o.ManifestsDir},
		{"KURL_DIR", o.KurlDir},
		{"FAKEKURL_LOG_DIR", o.LogDir},
		{"FAKEKURL_BIN_DIR", o.BinDir},
		{"FAKEKURL_KUBERNETES_VERSION", o.KubernetesVersion},
		{"FAKEKURL_KURL_VERSION", o.KurlVersion},
		{"FAKEKURL_INSTALLER_ID", o.InstallerID},
		{"FAKEKURL_OS_RELEASE", o.OSRelease},
	}
	var b strings.Builder
	b.WriteString("# Baked in by fakekurl.Build: the paths a real server has under /etc, /var and /usr/local.\n")
	for _, v := range vars {
		fmt.Fprintf(&b, "%s=%s\n", v.name, shellquote.Quote(v.value))
	}
	// The spec in kURL's own form: a double-quoted line of scripts/Manifest
	// (addonName keeps quotes and $ out of it).
	fmt.Fprintf(&b, "INSTALLER_YAML=\"%s\"\n", InstallerSpec(o.InstallerID, o.Addons))
	return strings.Replace(installScript, "# @FAKEKURL_CONFIG@\n", b.String(), 1)
}

// SupportedOSRelease is the os-release of a distribution kURL supports
// (Ubuntu 22.04), for a sandboxed server's OSRelease.
const SupportedOSRelease = "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\n"

// WriteOSRelease writes SupportedOSRelease as root/etc/os-release and
// returns its path.
func WriteOSRelease(t testing.TB, root string) string {
	t.Helper()
	path := filepath.Join(root, "etc", "os-release")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(SupportedOSRelease), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// addonName is what an add-on's name and version may hold.
var addonName = regexp.MustCompile(`^[a-z0-9][a-z0-9.x-]*$`)

// InstallerSpec is the Installer document kURL's build bakes into
// install.sh for these add-ons (each with its version).
func InstallerSpec(id string, addons map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: cluster.kurl.sh/v1beta1\nkind: Installer\nmetadata:\n  name: %s\nspec:\n", id)
	for _, name := range slices.Sorted(maps.Keys(addons)) {
		fmt.Fprintf(&b, "  %s:\n    version: %s\n", name, addons[name])
	}
	return b.String()
}

// bundleFile is one entry of the tarball.
type bundleFile struct {
	name    string
	mode    int64
	content []byte
	src     string // a file to copy instead of content
}

// writeBundle writes the tarball as concatenated gzip members, which gzip
// and tar read as one stream: the big binaries' members are compressed once
// per test binary and reused, because compressing tens of megabytes under
// the race detector takes longer than the tests that use them.
func writeBundle(path string, o Options, register string) error {
	small := []bundleFile{
		{name: "install.sh", mode: 0o755, content: []byte(renderInstallScript(o))},
		{name: "join.sh", mode: 0o755, content: stub("join.sh")},
		{name: "upgrade.sh", mode: 0o755, content: stub("upgrade.sh")},
		{name: "tasks.sh", mode: 0o755, content: stub("tasks.sh")},
		{name: "kurl/assets/admin.conf", mode: 0o600, content: o.Kubeconfig},
	}
	big := []bundleFile{{name: "kurl/bin/kurl-register", mode: 0o755, src: register}}
	if o.KubectlKots != "" {
		big = append(big, bundleFile{name: "kurl/addons/kotsadm/kubectl-kots", mode: 0o755, src: o.KubectlKots})
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	first, err := smallMember(append(small, big...), small)
	if err != nil {
		return err
	}
	if _, err := f.Write(first); err != nil {
		return err
	}
	for _, bf := range big {
		member, err := cachedMember(bf)
		if err != nil {
			return fmt.Errorf("%s: %w", bf.src, err)
		}
		if _, err := f.Write(member); err != nil {
			return err
		}
	}
	trailer, err := gzipMember(func(tw *tar.Writer) error { return tw.Close() })
	if err != nil {
		return err
	}
	if _, err := f.Write(trailer); err != nil {
		return err
	}
	return f.Close()
}

// smallMember holds the directories of all entries, then the small files.
func smallMember(all, small []bundleFile) ([]byte, error) {
	return gzipMember(func(tw *tar.Writer) error {
		dirs := map[string]bool{}
		for _, bf := range all {
			if err := writeDirs(tw, dirs, bf.name); err != nil {
				return err
			}
		}
		for _, bf := range small {
			if err := writeEntry(tw, bf); err != nil {
				return fmt.Errorf("%s: %w", bf.name, err)
			}
		}
		return tw.Flush()
	})
}

// gzipMember compresses what write puts in a tar stream (entries flushed,
// no trailer unless write closes it) as one gzip member.
func gzipMember(write func(*tar.Writer) error) ([]byte, error) {
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := write(tar.NewWriter(gz)); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type memberKey struct {
	name, src string
	size      int64
	modTime   time.Time
}

var members sync.Map // memberKey -> []byte

func cachedMember(bf bundleFile) ([]byte, error) {
	info, err := os.Stat(bf.src)
	if err != nil {
		return nil, err
	}
	key := memberKey{bf.name, bf.src, info.Size(), info.ModTime()}
	if m, ok := members.Load(key); ok {
		return m.([]byte), nil
	}
	m, err := gzipMember(func(tw *tar.Writer) error {
		if err := writeEntry(tw, bf); err != nil {
			return err
		}
		return tw.Flush()
	})
	if err != nil {
		return nil, err
	}
	members.Store(key, m)
	return m, nil
}

func stub(name string) []byte { return []byte(strings.ReplaceAll(stubScript, "@NAME@", name)) }

// writeDirs adds the parent directories of name that are not in yet, as tar
// does for a directory tree.
func writeDirs(tw *tar.Writer, done map[string]bool, name string) error {
	dir := filepath.Dir(name)
	if dir == "." || done[dir] {
		return nil
	}
	if err := writeDirs(tw, done, dir); err != nil {
		return err
	}
	done[dir] = true
	return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755, ModTime: time.Now()})
}

func writeEntry(tw *tar.Writer, bf bundleFile) error {
	content := bf.content
	if bf.src != "" {
		var err error
		if content, err = os.ReadFile(bf.src); err != nil {
			return err
		}
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: bf.name, Mode: bf.mode, Size: int64(len(content)), ModTime: time.Now()}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err := tw.Write(content)
	return err
}

var registerBuild struct {
	once sync.Once
	path string
	err  error
}

// RegisterBinary compiles cmd/kurl-register once per test binary and
// returns its path. It lives in the user's cache directory under a hash of
// its sources, renamed into place, so parallel test binaries neither
// collide nor run one built from other sources.
func RegisterBinary(t testing.TB) string {
	t.Helper()
	registerBuild.once.Do(func() { registerBuild.path, registerBuild.err = buildRegister() })
	if registerBuild.err != nil {
		t.Fatalf("fakekurl: building kurl-register: %v", registerBuild.err)
	}
	return registerBuild.path
}

func buildRegister() (string, error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cache, "ferry", "fakekurl")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the fakekurl sources")
	}
	internal := filepath.Dir(filepath.Dir(self))
	module := filepath.Dir(internal)
	key, err := fakekots.SourceHash([]string{filepath.Join(internal, "fakekurl", "cmd", "kurl-register"), filepath.Join(internal, "fakekots", "kotsadm")},
		filepath.Join(module, "go.mod"), filepath.Join(module, "go.sum"))
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kurl-register-"+key[:16])
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	tmp, err := os.CreateTemp(dir, "kurl-register-*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	gobin := "go"
	if p, err := exec.LookPath("go"); err == nil {
		gobin = p
	}
	cmd := exec.Command(gobin, "build", "-trimpath", "-ldflags=-s -w", "-o", tmp.Name(), "github.com/ferry-sh/ferry/internal/fakekurl/cmd/kurl-register")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", err
	}
	return path, nil
}

// Runs is how many times install.sh registered the cluster: 0 before the
// first install, 1 after it, more after re-runs.
func Runs(ctx context.Context, cs kubernetes.Interface) (int, error) {
	cm, err := cs.CoreV1().ConfigMaps("kurl").Get(ctx, "kurl-current-config", metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(cm.Annotations[RunsAnnotation])
	if err != nil {
		return 0, fmt.Errorf("kurl/kurl-current-config annotation %s is %q, not a count", RunsAnnotation, cm.Annotations[RunsAnnotation])
	}
	return n, nil
}
