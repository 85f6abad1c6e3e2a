// Package fakekots gives tests a stand-in for Replicated's KOTS: the
// kubectl-kots CLI (built from ./cmd/kubectl-kots), real .airgap bundles and
// licenses for it to read, and the kotsadm Deployment and Service it needs in
// the app's namespace. The CLI keeps the Admin Console's state in the API
// server, so a test drives it exactly as ferry drives the real one.
//
// Deploys take ReadyAfterEnv (a Go duration, default 2s) to finish: set it
// in the environment of the commands (a task's `environment:`) to make tests
// faster or to exercise slow deploys.
package fakekots

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferry-sh/ferry/internal/fakekots/kotsadm"
	"github.com/ferry-sh/ferry/internal/fakekots/registry"
)

// ReadyAfterEnv names the variable that sets how long a deploy takes.
const ReadyAfterEnv = "FAKEKOTS_READY_AFTER"

// KeycloakPasswordEnv names the variable that makes the first deploy create
// Secret keycloak-secrets with this Keycloak admin password, as the real
// Dash Enterprise app does.
const KeycloakPasswordEnv = "FAKEKOTS_KEYCLOAK_PASSWORD"

// InvocationLogEnv names the variable holding the file where the CLI
// records its runs (see Invocations). The record lives outside the cluster:
// it is the tests' bookkeeping, and must not look like the real CLI writing
// to the cluster (a dry run's audit log holds only what the real CLI does).
const InvocationLogEnv = "FAKEKOTS_INVOCATION_LOG"

var build struct {
	once sync.Once
	path string
	err  error
}

// BuildCLI returns the path of the fake kubectl-kots binary, built once per
// test binary. The build is cached in the temporary directory under a hash
// of its sources, so later test runs reuse it.
func BuildCLI(t testing.TB) string {
	t.Helper()
	build.once.Do(func() { build.path, build.err = buildCLI() })
	if build.err != nil {
		t.Fatalf("fakekots: building kubectl-kots: %v", build.err)
	}
	return build.path
}

func buildCLI() (string, error) {
	_, self, _, ok := runtime.Caller(0)
	if !ok {
		return "", fmt.Errorf("cannot locate the fakekots sources")
	}
	pkgDir := filepath.Dir(self)
	moduleDir := filepath.Dir(filepath.Dir(pkgDir)) // internal/fakekots -> module root
	key, err := SourceHash([]string{filepath.Join(pkgDir, "cmd", "kubectl-kots"), filepath.Join(pkgDir, "kotsadm"), filepath.Join(pkgDir, "registry")},
		filepath.Join(moduleDir, "go.mod"), filepath.Join(moduleDir, "go.sum"))
	if err != nil {
		return "", err
	}
	dir := filepath.Join(os.TempDir(), "ferry-fakekots-"+key[:16])
	bin := filepath.Join(dir, "kubectl-kots")
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "kubectl-kots-*")
	if err != nil {
		return "", err
	}
	tmp.Close()
	cmd := exec.Command(goTool(), "build", "-o", tmp.Name(), "./internal/fakekots/cmd/kubectl-kots")
	cmd.Dir = moduleDir
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("%v\n%s", err, out)
	}
	// Renamed into place so a concurrent test binary never runs a half-written file.
	return bin, os.Rename(tmp.Name(), bin)
}

func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// SourceHash hashes the .go files under dirs and the extra files: the key of
// a helper binary built from them, so that test binaries built from other
// sources (another checkout) never run a stale one.
func SourceHash(dirs []string, extra ...string) (string, error) {
	var files []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			return "", err
		}
	}
	sort.Strings(files)
	h := sha256.New()
	for _, f := range append(files, extra...) {
		b, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s %d\n", filepath.Base(f), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Release is what a bundle carries.
type Release struct {
	Slug    string
	Version string // the version label
	// UpdateCursor is airgap.yaml's spec.updateCursor, the channel
	// sequence KOTS compares to refuse the same version twice; default
	// Version, so that each version label is a distinct release.
	UpdateCursor string
	ConfigItems  []Item
	Preflights   []Preflight
	// Images are the release's images, NAME:TAG, saved in the bundle as
	// images/docker-archive/NAME/TAG.tar (default nginx:1.25, the image of
	// the release's workload).
	Images []string
}

// Item is one item of the release's kots.io/v1beta1 Config.
type Item struct {
	Name     string
	Type     string // text, password, file, bool, ...; "" means text
	Required bool
	Default  string
}

// Preflight is one analyzer of the release's Preflight spec, with the
// outcome it always gives.
type Preflight struct {
	Title   string
	Outcome string // pass, warn or fail
	Message string
	Strict  bool
}

// Bundle writes r as a real .airgap bundle (a tar.gz with airgap.yaml, then
// app.tar.gz holding the release's YAML files, then images) in a temporary
// directory and returns its path.
func Bundle(t testing.TB, r Release) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), r.Slug+"-"+r.Version+".airgap")
	if err := WriteBundle(path, r); err != nil {
		t.Fatalf("fakekots: %v", err)
	}
	return path
}

// WriteBundle writes r as an .airgap bundle at path.
func WriteBundle(path string, r Release) error {
	app, err := appArchive(r)
	if err != nil {
		return err
	}
	cursor := r.UpdateCursor
	if cursor == "" {
		cursor = r.Version
	}
	airgap := fmt.Sprintf(`apiVersion: kots.io/v1beta1
kind: Airgap
metadata:
  name: %[1]s
spec:
  appSlug: %[1]s
  channelID: 2fake0channel0id
  channelName: Stable
  versionLabel: %[2]q
  updateCursor: %[4]q
  format: docker-archive
  airgapUncompressedSize: %[3]d
`, r.Slug, r.Version, len(app)+4096, cursor)
	files := []tarFile{{"airgap.yaml", []byte(airgap)}, {"app.tar.gz", app}}
	images := r.Images
	if images == nil {
		images = []string{"nginx:1.25"}
	}
	for _, image := range images {
		name, tag, _ := strings.Cut(image, ":")
		files = append(files, tarFile{"images/docker-archive/" + name + "/" + tag + ".tar", bytes.Repeat([]byte{0}, 4096)})
	}
	data, err := tarGz(files)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// VersionEnv names the variable that sets the CLI's own version (default
// the kotsadm.Tag it deploys, without the v): a newer kubectl-kots than the
// Admin Console running, as after the site installs a new KOTS release.
const VersionEnv = "FAKEKOTS_VERSION"

// KotsadmImages are the images of the Admin Console's airgap bundle
// kotsadm.tar.gz (kots Makefile kotsadm-bundle, scripts/create-airgap-file.go).
var KotsadmImages = KotsadmImagesOf(kotsadm.Tag)

// KotsadmImagesOf are the images of kotsadm.tar.gz of the KOTS release tag
// (v1.124.4): kotsadm's own two at that tag, and the others.
func KotsadmImagesOf(tag string) []string {
	return []string{"kotsadm/kotsadm:" + tag, "kotsadm/kotsadm-migrations:" + tag,
		"kotsadm/dex:2.41.1", "kotsadm/rqlite:8.37.2", "replicated/local-volume-provider:0.6.9", "kotsadm/minio:0.20250522"}
}

// WriteKotsadmBundle writes kotsadm.tar.gz as KOTS releases it: airgap.yaml
// of format docker listing the saved images, and the images/ directory of
// the registry they were saved from (kots Makefile kotsadm-bundle,
// .github/workflows/release.yaml build-airgap).
func WriteKotsadmBundle(path string) error { return WriteKotsadmBundleOf(path, kotsadm.Tag) }

// WriteKotsadmBundleOf writes the kotsadm.tar.gz of the KOTS release tag.
func WriteKotsadmBundleOf(path, tag string) error {
	airgap := "apiVersion: kots.io/v1beta1\nkind: Airgap\nmetadata:\n  creationTimestamp: null\nspec:\n  format: docker\n  savedImages:\n"
	for _, image := range KotsadmImagesOf(tag) {
		airgap += "  - " + image + "\n"
	}
	data, err := tarGz([]tarFile{{"airgap.yaml", []byte(airgap)},
		{"images/docker/registry/v2/repositories/kotsadm/kotsadm/_manifests/tags/" + tag + "/current/link", []byte("sha256:0\n")}})
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// WriteCLIBundle writes kots_linux_amd64.tar.gz as a KOTS release ships
// it, its kots program (here cli, a script that runs the fake) at the root
// of the archive (deploy/.goreleaser.yaml:24,30-36).
func WriteCLIBundle(path string, cli []byte) error {
	data, err := tarGzMode([]tarFile{{"kots", cli}}, 0o755)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// RegistryHost is the address AddRegistry gives the registry.
const RegistryHost = "10.96.0.50"

// AddRegistry stands for kURL's registry add-on in a cluster without the
// fake kURL: the namespace kurl and the pull secret default/registry-creds
// (user kurl) that KOTS finds (see fakekurl for the whole add-on). It
// returns the registry's password.
func AddRegistry(t testing.TB, cs kubernetes.Interface) string {
	t.Helper()
	ctx := context.Background()
	const password = "Regpass99"
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kurl"}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("fakekots: %v", err)
	}
	config := `{"auths":{"` + RegistryHost + `":{"username":"kurl","password":"` + password + `"}}}`
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry-creds", Namespace: "default"}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{corev1.DockerConfigJsonKey: []byte(config)}}
	if _, err := cs.CoreV1().Secrets("default").Create(ctx, secret, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("fakekots: %v", err)
	}
	return password
}

// PushedImages lists the images pushed to the cluster's registry (see
// package registry), sorted.
func PushedImages(t testing.TB, cs kubernetes.Interface) []string {
	t.Helper()
	images, err := registry.Images(context.Background(), cs)
	if err != nil {
		t.Fatalf("fakekots: %v", err)
	}
	return images
}

// appArchive is app.tar.gz: the Application, Config and Preflight specs and
// a workload, as a vendor's release has them.
func appArchive(r Release) ([]byte, error) {
	config, err := configYAML(r.ConfigItems)
	if err != nil {
		return nil, err
	}
	preflight, err := preflightYAML(r)
	if err != nil {
		return nil, err
	}
	application := fmt.Sprintf("apiVersion: kots.io/v1beta1\nkind: Application\nmetadata:\n  name: %s\nspec:\n  title: %s\n", r.Slug, r.Slug)
	deployment := fmt.Sprintf("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  selector:\n    matchLabels: {app: %s}\n  template:\n    metadata:\n      labels: {app: %s}\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.25\n", r.Slug, r.Slug, r.Slug)
	return tarGz([]tarFile{
		{"kots-app.yaml", []byte(application)},
		{"config.yaml", config},
		{"preflight.yaml", preflight},
		{"deployment.yaml", []byte(deployment)},
	})
}

func configYAML(items []Item) ([]byte, error) {
	type item struct {
		Name     string `yaml:"name"`
		Title    string `yaml:"title"`
		Type     string `yaml:"type"`
		Required bool   `yaml:"required,omitempty"`
		Default  string `yaml:"default,omitempty"`
	}
	var out []item
	for _, it := range items {
		typ := it.Type
		if typ == "" {
			typ = "text"
		}
		out = append(out, item{Name: it.Name, Title: it.Name, Type: typ, Required: it.Required, Default: it.Default})
	}
	doc := map[string]any{
		"apiVersion": "kots.io/v1beta1",
		"kind":       "Config",
		"metadata":   map[string]any{"name": "config"},
		"spec":       map[string]any{"groups": []any{map[string]any{"name": "settings", "title": "Settings", "items": out}}},
	}
	return yaml.Marshal(doc)
}

func preflightYAML(r Release) ([]byte, error) {
	var analyzers []any
	for _, p := range r.Preflights {
		analyzers = append(analyzers, map[string]any{"clusterVersion": map[string]any{
			"checkName": p.Title,
			"strict":    p.Strict,
			"outcomes":  []any{map[string]any{p.Outcome: map[string]any{"message": p.Message}}},
		}})
	}
	doc := map[string]any{
		"apiVersion": "troubleshoot.sh/v1beta2",
		"kind":       "Preflight",
		"metadata":   map[string]any{"name": r.Slug},
		"spec":       map[string]any{"analyzers": analyzers},
	}
	return yaml.Marshal(doc)
}

type tarFile struct {
	name string
	data []byte
}

func tarGz(files []tarFile) ([]byte, error) { return tarGzMode(files, 0o644) }

// tarGzMode is tarGz with the files' mode.
func tarGzMode(files []tarFile, mode int64) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: mode, Size: int64(len(f.data)), ModTime: time.Now(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// License writes a kots.io/v1beta1 License for slug in a temporary
// directory and returns its path.
func License(t testing.TB, slug string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), slug+"-license.yaml")
	license := fmt.Sprintf(`apiVersion: kots.io/v1beta1
kind: License
metadata:
  name: %[1]s
spec:
  licenseID: 2fakeLicense%[2]d
  licenseType: prod
  appSlug: %[1]s
  channelName: Stable
  customerName: Ferry Tests
  isAirgapSupported: true
  signature: ZmFrZWtvdHMgbGljZW5zZSBzaWduYXR1cmU=
`, slug, time.Now().UnixNano()%1e6)
	if err := os.WriteFile(path, []byte(license), 0o600); err != nil {
		t.Fatalf("fakekots: %v", err)
	}
	return path
}

// AddKotsadm creates the kotsadm Deployment (available) and Service in
// namespace ns, as `kots install` or kURL's KOTS add-on leave them.
func AddKotsadm(t testing.TB, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := EnsureKotsadm(ctx, cs, ns); err != nil {
		t.Fatalf("fakekots: %v", err)
	}
}

// EnsureKotsadm creates (or keeps) the kotsadm Deployment, marked
// available, and Service in namespace ns (see package kotsadm).
func EnsureKotsadm(ctx context.Context, cs kubernetes.Interface, ns string) error {
	return kotsadm.Deploy(ctx, cs, ns)
}

// Call is one recorded run of the CLI.
type Call struct {
	Namespace string   `json:"namespace"` // the namespace it worked on
	Argv      []string `json:"argv"`      // the arguments after the program name
	Env       []string `json:"env"`       // names (never values) of the KOTS_* variables set
	TMPDIR    string   `json:"tmpdir"`    // $TMPDIR, where KOTS unpacks the bundle
}

// Invocations returns the runs recorded in log (the file the CLI was given
// in InvocationLogEnv) that worked on namespace ns, oldest first.
func Invocations(t testing.TB, log, ns string) []Call {
	t.Helper()
	data, err := os.ReadFile(log)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("fakekots: %v", err)
	}
	var calls []Call
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var c Call
		if err := json.Unmarshal([]byte(line), &c); err != nil {
			t.Fatalf("fakekots: invocation record %q: %v", line, err)
		}
		if c.Namespace == ns {
			calls = append(calls, c)
		}
	}
	return calls
}
