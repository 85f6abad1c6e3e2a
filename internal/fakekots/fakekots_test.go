package fakekots_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ferry-sh/ferry/internal/fakekots"
	"github.com/ferry-sh/ferry/internal/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// site is one namespace of the shared cluster with kotsadm running in it.
type site struct {
	t          *testing.T
	cluster    *kubetest.Cluster
	ns         string
	kubeconfig string
	bin        string
	log        string // the CLI's invocation log
}

func newSite(t *testing.T, withKotsadm bool) *site {
	t.Helper()
	s := newSiteOn(t, kubetest.Shared(t))
	if withKotsadm {
		fakekots.AddKotsadm(t, s.cluster.Clientset(), s.ns)
	}
	return s
}

// newSiteOn is a site in a namespace of its own on cluster, without kotsadm.
func newSiteOn(t *testing.T, cluster *kubetest.Cluster) *site {
	t.Helper()
	s := &site{t: t, cluster: cluster, ns: cluster.Namespace(t), bin: fakekots.BuildCLI(t), log: filepath.Join(t.TempDir(), "invocations")}
	s.kubeconfig = filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(s.kubeconfig, cluster.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

type result struct {
	stdout, stderr string
	rc             int
}

// kots runs the CLI with the given extra environment and arguments.
func (s *site) kots(env []string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, args...)
	cmd.Env = append(os.Environ(), append(env, fakekots.InvocationLogEnv+"="+s.log)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	rc := 0
	switch {
	case errors.As(err, &exit):
		rc = exit.ExitCode()
	case err != nil:
		s.t.Fatalf("kubectl-kots %v: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), rc}
}

func (s *site) mustKots(env []string, args ...string) string {
	s.t.Helper()
	r := s.kots(env, args...)
	if r.rc != 0 {
		s.t.Fatalf("kubectl-kots %v: rc %d\nstdout: %s\nstderr: %s", args, r.rc, r.stdout, r.stderr)
	}
	return r.stdout
}

// hangs runs the CLI and checks that it prints want and then blocks: it has
// not exited when it is killed. No terminal is attached, as under ferry.
func (s *site) hangs(env []string, want string, args ...string) {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), append(env, fakekots.InvocationLogEnv+"="+s.log)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stdin = strings.NewReader("") // EOF at once, like ferry's stdin
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	exited := make(chan error, 1)
	seen := make(chan string, 1)
	go func() {
		var got strings.Builder
		r := bufio.NewReader(stdout)
		for {
			b, err := r.ReadByte()
			if err != nil {
				seen <- got.String()
				return
			}
			got.WriteByte(b)
			if strings.Contains(got.String(), want) {
				seen <- got.String()
				_, _ = io.Copy(io.Discard, r)
				return
			}
		}
	}()
	out := <-seen
	if !strings.Contains(out, want) {
		s.t.Fatalf("kubectl-kots %v ended without printing %q; output:\n%s", args, want, out)
	}
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		s.t.Fatalf("kubectl-kots %v exited (%v) after its prompt instead of waiting for an answer", args, err)
	case <-time.After(500 * time.Millisecond):
	}
	_ = cmd.Process.Kill()
	<-exited
}

func (s *site) installArgs(bundle, license string, extra ...string) []string {
	return append([]string{"install", "myapp", "--namespace", s.ns, "--kubeconfig", s.kubeconfig,
		"--license-file", license, "--airgap-bundle", bundle, "--no-port-forward"}, extra...)
}

var release1 = fakekots.Release{Slug: "myapp", Version: "1.0.0", ConfigItems: []fakekots.Item{
	{Name: "hostname", Required: true},
	{Name: "git_ssh_port", Default: "2222"},
	{Name: "db_password", Type: "password"},
}}

func TestUnknownFlagsAreRejectedLikeCobra(t *testing.T) {
	s := newSite(t, true)
	tests := []struct {
		args []string
		flag string
	}{
		{[]string{"install", "myapp", "--bogus"}, "--bogus"},
		{[]string{"get", "apps", "--shared-password", "x"}, "--shared-password"},
		{[]string{"upstream", "upgrade", "myapp", "--config-values", "x"}, "--config-values"},
		{[]string{"set", "config", "myapp", "--wait-duration=1m"}, "--wait-duration"},
	}
	for _, tc := range tests {
		r := s.kots(nil, tc.args...)
		if r.rc != 1 || strings.TrimSpace(r.stderr) != "Error: unknown flag: "+tc.flag {
			t.Errorf("%v: rc %d, stderr %q", tc.args, r.rc, r.stderr)
		}
	}
}

func TestInstallPromptsAndHangsWithoutATerminal(t *testing.T) {
	s := newSite(t, true)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	// No namespace: promptForNamespace.
	s.hangs(nil, "Enter the namespace to deploy to:", "install", "myapp", "--kubeconfig", s.kubeconfig,
		"--license-file", license, "--airgap-bundle", bundle, "--no-port-forward")
	// No password and no kotsadm-password secret.
	s.hangs(nil, "Enter a new password for the admin console (6+ characters):", s.installArgs(bundle, license)...)
	// The secret exists: the real ensureSharedPasswordSecret still prompts
	// first when --shared-password is empty.
	createPasswordSecret(t, s, "already-set")
	s.hangs(nil, "Enter a new password for the admin console (6+ characters):", s.installArgs(bundle, license)...)
	// reset-password always prompts.
	s.hangs(nil, "Enter a new password for the admin console", "reset-password", s.ns, "--kubeconfig", s.kubeconfig)
}

func createPasswordSecret(t *testing.T, s *site, password string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-password"}, Data: map[string][]byte{"passwordBcrypt": hash}}
	if _, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Create(context.Background(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// passwordMatches tells whether the kotsadm-password secret holds password.
func passwordMatches(t *testing.T, s *site, password string) bool {
	t.Helper()
	sec, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Get(context.Background(), "kotsadm-password", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return bcrypt.CompareHashAndPassword(sec.Data["passwordBcrypt"], []byte(password)) == nil
}

type app struct {
	Slug         string `json:"slug"`
	State        string `json:"state"`
	VersionLabel string `json:"versionlabel"`
}

type appVersion struct {
	VersionLabel string     `json:"versionLabel"`
	Sequence     int64      `json:"sequence"`
	Status       string     `json:"status"`
	DeployedAt   *time.Time `json:"deployedAt"`
	Source       string     `json:"source"`
}

func (s *site) apps(env []string) []app {
	s.t.Helper()
	var apps []app
	out := s.mustKots(env, "get", "apps", "-n", s.ns, "--kubeconfig", s.kubeconfig, "-o", "json")
	if err := json.Unmarshal([]byte(out), &apps); err != nil {
		s.t.Fatalf("get apps -o json printed %q: %v", out, err)
	}
	return apps
}

func (s *site) versions(slug string) []appVersion {
	s.t.Helper()
	var vs []appVersion
	out := s.mustKots(nil, "get", "versions", slug, "-n", s.ns, "--kubeconfig", s.kubeconfig, "-o", "json")
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		s.t.Fatalf("get versions -o json printed %q: %v", out, err)
	}
	return vs
}

func (s *site) config(args ...string) map[string]map[string]string {
	s.t.Helper()
	out := s.mustKots(nil, append([]string{"get", "config", "-n", s.ns, "--kubeconfig", s.kubeconfig, "--appslug", "myapp"}, args...)...)
	var cv struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Spec       struct {
			Values map[string]map[string]string `json:"values"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(out), &cv); err != nil || cv.Kind != "ConfigValues" || cv.APIVersion != "kots.io/v1beta1" {
		s.t.Fatalf("get config printed %q (%v)", out, err)
	}
	return cv.Spec.Values
}

func writeConfigValues(t *testing.T, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "configvalues.yaml")
	doc := "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n" + values
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Deploys finish at once, or never within a test.
var (
	instant = []string{fakekots.ReadyAfterEnv + "=0s"}
	never   = []string{fakekots.ReadyAfterEnv + "=1h"}
)

func TestInstallUpgradeConfigLifecycle(t *testing.T) {
	s := newSite(t, true)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	cv := writeConfigValues(t, "    hostname:\n      value: dash.example.com\n    db_password:\n      valuePlaintext: s3cret-db\n")
	env := append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, never...)
	out := s.mustKots(env, s.installArgs(bundle, license, "--config-values", cv)...)
	if !strings.Contains(out, "To access the Admin Console, run kubectl kots admin-console --namespace "+s.ns) {
		t.Errorf("install output lacks the final hint:\n%s", out)
	}
	if !passwordMatches(t, s, "first-pass") {
		t.Error("KOTS_SHARED_PASSWORD did not become the Admin Console password")
	}
	if got := s.apps(nil); len(got) != 1 || got[0] != (app{"myapp", "unavailable", "1.0.0"}) {
		t.Errorf("while deploying, get apps = %+v", got)
	}
	if vs := s.versions("myapp"); len(vs) != 1 || vs[0].Status != "deploying" || vs[0].DeployedAt != nil || vs[0].Source != "Airgap Install" {
		t.Errorf("while deploying, get versions = %+v", vs)
	}

	// A second install of the same license is refused by kotsadm.
	r := s.kots(env, s.installArgs(bundle, license, "--config-values", cv)...)
	if r.rc != 1 || !strings.Contains(r.stderr, "Error: failed to validate installation: license already exists for app myapp") {
		t.Errorf("second install: rc %d, stderr %q", r.rc, r.stderr)
	}
	if passwordMatches(t, s, "other") {
		t.Error("the password changed")
	}

	// get config: password items encrypted unless --decrypt.
	plain, enc := s.config("--decrypt"), s.config()
	if plain["db_password"]["value"] != "s3cret-db" || enc["db_password"]["value"] == "s3cret-db" || enc["db_password"]["value"] == "" {
		t.Errorf("db_password: decrypted %v, encrypted %v", plain["db_password"], enc["db_password"])
	}
	if plain["git_ssh_port"]["default"] != "2222" || plain["hostname"]["value"] != "dash.example.com" {
		t.Errorf("config = %v", plain)
	}

	// An airgap upgrade with --deploy makes sequence 1 and deploys it.
	bundle2 := fakekots.Bundle(t, fakekots.Release{Slug: "myapp", Version: "1.1.0", ConfigItems: release1.ConfigItems})
	out = s.mustKots(instant, "upstream", "upgrade", "myapp", "-n", s.ns, "--kubeconfig", s.kubeconfig,
		"--airgap-bundle", bundle2, "--deploy", "-o", "json")
	var res struct {
		Success          bool `json:"success"`
		DeployingRelease *struct {
			Sequence int64  `json:"sequence"`
			Version  string `json:"version"`
		} `json:"deployingRelease"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &res); err != nil || !res.Success || res.DeployingRelease == nil || res.DeployingRelease.Version != "1.1.0" {
		t.Errorf("upgrade printed %q (%v)", out, err)
	}
	if got := s.apps(nil); got[0] != (app{"myapp", "ready", "1.1.0"}) {
		t.Errorf("after the upgrade, get apps = %+v", got)
	}
	vs := s.versions("myapp")
	if len(vs) != 2 || vs[0].Sequence != 1 || vs[0].Status != "deployed" || vs[0].Source != "Airgap Update" || vs[0].DeployedAt == nil {
		t.Errorf("after the upgrade, get versions = %+v", vs)
	}
	if s.config("--current", "--decrypt")["db_password"]["value"] != "s3cret-db" {
		t.Error("the upgrade did not carry the config over")
	}

	// set config --merge --deploy changes one key and keeps the others.
	change := writeConfigValues(t, "    hostname:\n      value: dash2.example.com\n")
	s.mustKots(instant, "set", "config", "myapp", "-n", s.ns, "--kubeconfig", s.kubeconfig, "--config-file", change, "--merge", "--deploy")
	cur := s.config("--current", "--decrypt")
	if cur["hostname"]["value"] != "dash2.example.com" || cur["db_password"]["value"] != "s3cret-db" {
		t.Errorf("after set config --merge: %v", cur)
	}
	if vs := s.versions("myapp"); len(vs) != 3 || vs[0].Source != "Config Change" || vs[0].Status != "deployed" || vs[0].VersionLabel != "1.1.0" {
		t.Errorf("after set config, get versions = %+v", vs)
	}

	// Every call was recorded, with the names of KOTS_* variables only.
	calls := fakekots.Invocations(t, s.log, s.ns)
	if len(calls) < 6 || calls[0].Argv[0] != "install" || strings.Join(calls[0].Env, ",") != "KOTS_SHARED_PASSWORD" {
		t.Errorf("invocations = %+v", calls)
	}
	for _, c := range calls {
		if strings.Contains(strings.Join(c.Argv, " "), "first-pass") {
			t.Errorf("a recorded argv holds the password: %v", c.Argv)
		}
	}
}

func TestUpgradeOfAMissingAppReportsInJSONAndExitsZero(t *testing.T) {
	s := newSite(t, true)
	bundle := fakekots.Bundle(t, release1)
	r := s.kots(nil, "upstream", "upgrade", "myapp", "-n", s.ns, "--kubeconfig", s.kubeconfig, "--airgap-bundle", bundle, "--deploy", "-o", "json")
	want := `{"success":false,"availableUpdates":0,"error":"The application myapp was not found in the cluster in the specified namespace"}`
	if r.rc != 0 || strings.TrimSpace(r.stdout) != want {
		t.Errorf("rc %d, stdout %q", r.rc, r.stdout)
	}
}

func TestKotsadmMissing(t *testing.T) {
	s := newSite(t, false)
	for _, args := range [][]string{
		{"get", "apps", "-o", "json"},
		{"get", "versions", "myapp", "-o", "json"},
		{"get", "config", "--appslug", "myapp", "--current", "--decrypt"},
		{"set", "config", "myapp", "--key", "a", "--value", "b", "--deploy"},
	} {
		r := s.kots(nil, append(args, "-n", s.ns, "--kubeconfig", s.kubeconfig)...)
		if r.rc != 1 || !strings.Contains(r.stderr, "Error: failed to start port forwarding: failed to get pod name for port forward: unable to find kotsadm pod") {
			t.Errorf("%v: rc %d, stderr %q", args, r.rc, r.stderr)
		}
	}
}

// TestInstallDeploysTheAdminConsole: as the real `kots install`
// (cmd/kots/cli/install.go:389, pkg/kotsadm/main.go), install into a
// namespace with no kotsadm creates it there, then installs the app.
func TestInstallDeploysTheAdminConsole(t *testing.T) {
	s := newSite(t, false)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	out := s.mustKots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...), s.installArgs(bundle, license)...)
	if !strings.Contains(out, "Deploying Admin Console") {
		t.Errorf("install output lacks %q:\n%s", "Deploying Admin Console", out)
	}
	d, err := s.cluster.Clientset().AppsV1().Deployments(s.ns).Get(context.Background(), "kotsadm", metav1.GetOptions{})
	if err != nil || d.Labels["app"] != "kotsadm" || d.Status.AvailableReplicas != 1 {
		t.Fatalf("install left no available kotsadm in %s: %v", s.ns, err)
	}
	if !passwordMatches(t, s, "first-pass") {
		t.Error("the new Admin Console did not get the shared password")
	}
	if got := s.apps(nil); len(got) != 1 || got[0].Slug != "myapp" {
		t.Errorf("get apps = %+v", got)
	}
}

// TestExcludeAdminConsoleOverwritesThePassword: with the Admin Console
// excluded (the flag, or namespace default on kURL: install.go:384), install
// deploys nothing of kotsadm and overwrites its password with
// --shared-password (install.go:399).
func TestExcludeAdminConsoleOverwritesThePassword(t *testing.T) {
	s := newSite(t, true)
	createPasswordSecret(t, s, "operator-choice")
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	out := s.mustKots(instant, s.installArgs(bundle, license, "--exclude-admin-console", "--shared-password", "throwaway")...)
	if !strings.Contains(out, "Deploying application") || strings.Contains(out, "Deploying Admin Console") {
		t.Errorf("install output:\n%s", out)
	}
	if !passwordMatches(t, s, "throwaway") {
		t.Error("--shared-password did not overwrite the existing password")
	}
	empty := newSite(t, false)
	r := empty.kots(nil, empty.installArgs(bundle, license, "--exclude-admin-console", "--wait-duration", "1s")...)
	if r.rc != 1 || !strings.Contains(r.stderr, "Use the --wait-duration flag to increase timeout.") {
		t.Errorf("excluded install without kotsadm: rc %d, stderr %q", r.rc, r.stderr)
	}
}

// TestSameVersionIsRefused: the real kotsadm refuses an airgap update whose
// cursor is the newest version's, deployed or not (pkg/airgap/update.go:328).
func TestSameVersionIsRefused(t *testing.T) {
	s := newSite(t, true)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	cv := writeConfigValues(t, "    hostname:\n      value: dash.example.com\n")
	s.mustKots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...), s.installArgs(bundle, license, "--config-values", cv)...)
	r := s.kots(instant, "upstream", "upgrade", "myapp", "-n", s.ns, "--kubeconfig", s.kubeconfig, "--airgap-bundle", bundle, "--deploy", "-o", "json")
	want := `{"success":false,"availableUpdates":0,"error":"Unexpected response from the API: 500"}`
	if r.rc != 0 || strings.TrimSpace(r.stdout) != want ||
		!strings.Contains(r.stderr, "Version 1.0.0 (1.0.0) cannot be installed again because it is already the current version") {
		t.Errorf("same bundle again: rc %d, stdout %q, stderr %q", r.rc, r.stdout, r.stderr)
	}
	if vs := s.versions("myapp"); len(vs) != 1 {
		t.Errorf("the refused upload added a version: %+v", vs)
	}
}

func TestPreflightsAndRequiredConfig(t *testing.T) {
	warn := fakekots.Release{Slug: "myapp", Version: "1.0.0", Preflights: []fakekots.Preflight{
		{Title: "Memory", Outcome: "warn", Message: "at least 32 GiB is recommended"},
		{Title: "Kubernetes", Outcome: "pass", Message: "ok"},
	}}
	strict := warn
	strict.Preflights = []fakekots.Preflight{{Title: "Disk", Outcome: "fail", Message: "not enough disk", Strict: true}}
	required := fakekots.Release{Slug: "myapp", Version: "1.0.0", ConfigItems: []fakekots.Item{{Name: "hostname", Required: true}}}
	tests := []struct {
		name   string
		rel    fakekots.Release
		skip   bool
		rc     int
		stdout string
		status string
	}{
		{"warnings block", warn, false, 1, "There are preflight check warnings for the application. The app was not deployed.", "pending"},
		{"skip-preflights ignores non-strict", warn, true, 0, "To access the Admin Console", "deployed"},
		{"strict failures block even when skipped", strict, true, 1, "There are preflight check failures for the application. The app was not deployed.", "pending"},
		{"a required item without a value", required, false, 0, "Additional app configuration is required. Please login to the Admin Console to continue", "pending_config"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, true)
			args := s.installArgs(fakekots.Bundle(t, tc.rel), fakekots.License(t, "myapp"))
			if tc.skip {
				args = append(args, "--skip-preflights")
			}
			r := s.kots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...), args...)
			if r.rc != tc.rc || !strings.Contains(r.stdout, tc.stdout) {
				t.Errorf("rc %d (want %d), stdout:\n%s\nstderr: %s", r.rc, tc.rc, r.stdout, r.stderr)
			}
			if vs := s.versions("myapp"); len(vs) != 1 || vs[0].Status != tc.status {
				t.Errorf("versions = %+v, want status %s", vs, tc.status)
			}
		})
	}
}

func TestInstallWithoutNoPortForwardBlocks(t *testing.T) {
	s := newSite(t, true)
	args := s.installArgs(fakekots.Bundle(t, release1), fakekots.License(t, "myapp"))
	args = args[:len(args)-1] // drop --no-port-forward
	s.hangs([]string{"KOTS_SHARED_PASSWORD=first-pass"}, "Press Ctrl+C to exit", args...)
}

// TestAirgapImagesGoToTheRegistry: on a cluster with kURL's registry
// (default/registry-creds), install pushes the app's images there and runs
// kotsadm from there too (under the app's slug), so kotsadm never becomes
// ready until `admin-console push-images` has pushed its own bundle; a wrong
// registry login is refused.
func TestAirgapImagesGoToTheRegistry(t *testing.T) {
	s := newSiteOn(t, kubetest.Start(t))
	cs := s.cluster.Clientset()
	ctx := t.Context()
	host, password := fakekots.RegistryHost, fakekots.AddRegistry(t, cs)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	env := append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...)

	r := s.kots(env, s.installArgs(bundle, license, "--wait-duration", "2s")...)
	if r.rc != 1 || !strings.Contains(r.stderr, "timeout waiting for deployment kotsadm to be ready") {
		t.Fatalf("install before push-images: rc %d\nstdout: %s\nstderr: %s", r.rc, r.stdout, r.stderr)
	}
	d, err := cs.AppsV1().Deployments(s.ns).Get(ctx, "kotsadm", metav1.GetOptions{})
	if err != nil || d.Spec.Template.Spec.Containers[0].Image != host+"/myapp/kotsadm:v1.124.4" {
		t.Fatalf("kotsadm does not run from the registry: %v %v", d, err)
	}
	if got := fakekots.PushedImages(t, cs); strings.Join(got, " ") != host+"/myapp/nginx:1.25" {
		t.Errorf("pushed images = %v, want the app's nginx:1.25 under %s/myapp", got, host)
	}

	kotsadmBundle := filepath.Join(t.TempDir(), "kotsadm.tar.gz")
	if err := fakekots.WriteKotsadmBundle(kotsadmBundle); err != nil {
		t.Fatal(err)
	}
	push := []string{"admin-console", "push-images", kotsadmBundle, host + "/myapp", "--kubeconfig", s.kubeconfig, "--registry-username", "kurl"}
	r = s.kots([]string{"KOTS_REGISTRY_PASSWORD=wrong"}, push...)
	if r.rc != 1 || !strings.Contains(r.stderr, `Failed to test access to "`+host+`" with user "kurl"`) {
		t.Errorf("push-images with a wrong password: rc %d, stderr %q", r.rc, r.stderr)
	}
	s.mustKots([]string{"KOTS_REGISTRY_PASSWORD=" + password}, push...)
	if got := fakekots.PushedImages(t, cs); !slices.Contains(got, host+"/myapp/kotsadm:v1.124.4") || len(got) != 1+len(fakekots.KotsadmImages) {
		t.Errorf("pushed images after push-images = %v", got)
	}
	out := s.mustKots(env, s.installArgs(bundle, license)...)
	if !strings.Contains(out, "Validating registry information") {
		t.Errorf("install did not check the registry's login:\n%s", out)
	}
	if got := s.apps(nil); len(got) != 1 || got[0].Slug != "myapp" {
		t.Errorf("get apps = %+v", got)
	}
}

// TestReadsWriteNothing: the commands that only read (get apps, versions,
// config) leave the cluster as it was, as the real CLI does: the auth slug
// secret is created once, with kotsadm's labels, only when it is absent
// (auth.GetOrCreateAuthSlug), and the fake's record of its runs goes to a
// file, not to the cluster.
func TestReadsWriteNothing(t *testing.T) {
	s := newSite(t, true)
	bundle, license := fakekots.Bundle(t, release1), fakekots.License(t, "myapp")
	cv := writeConfigValues(t, "    hostname:\n      value: dash.example.com\n")
	s.mustKots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...), s.installArgs(bundle, license, "--config-values", cv)...)
	secrets := s.cluster.Clientset().CoreV1().Secrets(s.ns)
	if err := secrets.Delete(t.Context(), "kotsadm-authstring", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	before := s.writes()
	s.apps(nil)
	if added := s.writes()[len(before):]; len(added) != 1 || !strings.HasPrefix(added[0], "create /api/v1/namespaces/"+s.ns+"/secrets") || !strings.Contains(added[0], "(status 201)") {
		t.Errorf("the first get with no auth slug secret wrote %q, want its one create", added)
	}
	slug, err := secrets.Get(t.Context(), "kotsadm-authstring", metav1.GetOptions{})
	if err != nil || slug.Labels["kots.io/kotsadm"] != "true" || slug.Labels["kots.io/backup"] != "velero" {
		t.Errorf("auth slug secret %v (%v), want kotsadm's labels", slug.GetLabels(), err)
	}
	before = s.writes()
	s.apps(nil)
	s.versions("myapp")
	s.config("--decrypt")
	if added := s.writes()[len(before):]; len(added) != 0 {
		t.Errorf("get apps, versions and config wrote to the cluster: %q", added)
	}
	if calls := fakekots.Invocations(t, s.log, s.ns); len(calls) != 5 || calls[4].Argv[0] != "get" || calls[4].Argv[1] != "config" {
		t.Errorf("the invocation log holds %+v, want install and four gets", calls)
	}
}

// writes are the cluster's audited writes in the site's namespace.
func (s *site) writes() []string {
	s.t.Helper()
	all, err := s.cluster.Writes()
	if err != nil {
		s.t.Fatal(err)
	}
	var ours []string
	for _, w := range all {
		if strings.Contains(w, "/namespaces/"+s.ns+"/") {
			ours = append(ours, w)
		}
	}
	return ours
}

// TestAdminConsoleUpgrade: a newer kubectl-kots (`version` says which)
// upgrades kotsadm with `admin-console upgrade` to its own version, from the
// registry the flags name; kotsadm is ready only once push-images put that
// version's images there. kURL's own Admin Console (namespace default) and
// a missing namespace are refused.
func TestAdminConsoleUpgrade(t *testing.T) {
	s := newSiteOn(t, kubetest.Start(t))
	cs := s.cluster.Clientset()
	host, password := fakekots.RegistryHost, fakekots.AddRegistry(t, cs)
	login := []string{"KOTS_REGISTRY_PASSWORD=" + password}
	pushKotsadm := func(env []string, tag string) {
		t.Helper()
		bundle := filepath.Join(t.TempDir(), "kotsadm.tar.gz")
		if err := fakekots.WriteKotsadmBundleOf(bundle, tag); err != nil {
			t.Fatal(err)
		}
		s.mustKots(append(env, login...), "admin-console", "push-images", bundle, host+"/myapp", "--kubeconfig", s.kubeconfig, "--registry-username", "kurl")
	}
	pushKotsadm(nil, "v1.124.4")
	cv := writeConfigValues(t, "    hostname:\n      value: dash.example.com\n")
	s.mustKots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...),
		s.installArgs(fakekots.Bundle(t, release1), fakekots.License(t, "myapp"), "--config-values", cv)...)

	newer := []string{fakekots.VersionEnv + "=1.125.0"}
	if out := s.mustKots(newer, "version"); out != "Replicated KOTS 1.125.0\n" {
		t.Errorf("version printed %q", out)
	}
	if out := s.mustKots(nil, "version", "-o", "json"); strings.TrimSpace(out) != `{"version":"1.124.4"}` {
		t.Errorf("version -o json printed %q", out)
	}
	upgrade := []string{"admin-console", "upgrade", "-n", s.ns, "--kubeconfig", s.kubeconfig,
		"--kotsadm-registry", host, "--kotsadm-namespace", "myapp", "--registry-username", "kurl", "--wait-duration", "2s"}
	r := s.kots(append(newer, login...), upgrade...)
	if r.rc != 1 || strings.TrimSpace(r.stderr) != "Error: failed to upgrade: failed to upgrade admin console: failed to wait for web: timeout waiting for deployment to become ready" {
		t.Errorf("upgrade before the new images were pushed: rc %d, stderr %q", r.rc, r.stderr)
	}
	if image := kotsadmImage(t, s); image != host+"/myapp/kotsadm:v1.125.0" {
		t.Errorf("kotsadm runs %s, want the new CLI's version from the registry", image)
	}
	pushKotsadm(newer, "v1.125.0")
	out := s.mustKots(append(newer, login...), upgrade...)
	for _, line := range []string{"  • Upgrading Admin Console\n", "  • The Admin Console is running the latest version\n",
		"  • To access the Admin Console, run kubectl kots admin-console --namespace " + s.ns + "\n"} {
		if !strings.Contains(out, line) {
			t.Errorf("upgrade output lacks %q:\n%s", line, out)
		}
	}
	if got := s.apps(nil); len(got) != 1 || got[0].State != "ready" {
		t.Errorf("after the Admin Console's upgrade, get apps = %+v", got)
	}

	r = s.kots(newer, "admin-console", "upgrade", "-n", "no-such-namespace", "--kubeconfig", s.kubeconfig)
	if r.rc != 1 || strings.TrimSpace(r.stderr) != "Error: failed to upgrade: The namespace cannot be found or accessed" {
		t.Errorf("upgrade in a missing namespace: rc %d, stderr %q", r.rc, r.stderr)
	}
	kurlConfig := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kurl-config", Namespace: "kube-system"}}
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Create(t.Context(), kurlConfig, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = s.kots(newer, "admin-console", "upgrade", "-n", "default", "--kubeconfig", s.kubeconfig)
	if r.rc != 1 || !strings.Contains(r.stdout, "Upgrading Admin Console in the default namespace") ||
		strings.TrimSpace(r.stderr) != "Error: failed to upgrade: upgrading kURL clusters is not supported" {
		t.Errorf("upgrade of kURL's Admin Console: rc %d, stdout %q, stderr %q", r.rc, r.stdout, r.stderr)
	}
}

func kotsadmImage(t *testing.T, s *site) string {
	t.Helper()
	d, err := s.cluster.Clientset().AppsV1().Deployments(s.ns).Get(t.Context(), "kotsadm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// realFlags are the flags of the real commands the fake implements, hidden
// ones included, read flag by flag in replicatedhq/kots at 370ae9030f18.
var realFlags = []struct {
	words []string
	flags []string
}{
	// cmd/kots/cli/install.go:554-617, registryFlags :803-812.
	{[]string{"install", "myapp"}, []string{"shared-password", "name", "local-path", "license-file", "config-values", "port-forward",
		"no-port-forward", "port", "wait-duration", "preflights-wait-duration", "storage-class", "http-proxy", "https-proxy", "no-proxy",
		"copy-proxy-env", "airgap-bundle", "airgap", "skip-preflights", "disable-image-push", "skip-registry-check",
		"strict-security-context", "skip-compatibility-check", "app-version-label", "exclude-admin-console", "additional-annotations",
		"additional-labels", "tolerations", "private-ca-configmap", "kotsadm-registry", "registry-username", "registry-password",
		"kotsadm-tag", "kotsadm-namespace", "rewrite-images", "image-namespace", "registry-endpoint", "storage-base-uri", "with-minio",
		"ensure-rbac", "use-minimal-rbac", "airgap-upload-parallelism", "enable-identity-service", "identity-config", "enable-ingress",
		"ingress-config", "skip-rbac-check"}},
	// cmd/kots/cli/upstream-upgrade.go:154-168.
	{[]string{"upstream", "upgrade", "myapp"}, []string{"deploy", "deploy-version-label", "skip-preflights", "skip-compatibility-check",
		"wait", "airgap-bundle", "disable-image-push", "skip-registry-check", "output", "debug", "kotsadm-registry", "registry-username",
		"registry-password", "kotsadm-tag", "kotsadm-namespace"}},
	// cmd/kots/cli/set-config.go:166-175.
	{[]string{"set", "config", "myapp"}, []string{"key", "value", "value-from-file", "config-file", "merge", "deploy", "skip-preflights",
		"current", "sequence"}},
	// cmd/kots/cli/get-config.go:40-43.
	{[]string{"get", "config"}, []string{"sequence", "appslug", "decrypt", "current"}},
	// cmd/kots/cli/get-versions.go:35-39, get-apps.go:34.
	{[]string{"get", "versions", "myapp"}, []string{"current-page", "page-size", "pin-latest", "pin-latest-deployable", "output"}},
	{[]string{"get", "apps"}, []string{"output"}},
	// cmd/kots/cli/admin-console-push-images.go:69-75.
	{[]string{"admin-console", "push-images", "kotsadm.tar.gz", "registry/ns"}, []string{"registry-username", "registry-password",
		"skip-registry-check", "skip-existing-images", "kotsadm-tag"}},
	// cmd/kots/cli/admin-console-upgrade.go:136-152.
	{[]string{"admin-console", "upgrade"}, []string{"force-upgrade-kurl", "wait-duration", "ensure-rbac", "airgap-upload-parallelism",
		"strict-security-context", "storage-base-uri", "with-minio", "skip-rbac-check", "kotsadm-registry", "registry-username",
		"registry-password", "kotsadm-tag", "kotsadm-namespace"}},
}

// TestFlagsAreTheRealCLIs: every flag of the real commands is accepted
// (each run then stops at a check of the values or at the missing
// kubeconfig, before doing anything), and one the real CLI lacks is refused
// as cobra refuses it.
func TestFlagsAreTheRealCLIs(t *testing.T) {
	s := &site{t: t, bin: fakekots.BuildCLI(t), log: filepath.Join(t.TempDir(), "invocations")}
	noCluster := "--kubeconfig=" + filepath.Join(t.TempDir(), "absent")
	for _, c := range realFlags {
		args := append(slices.Clone(c.words), noCluster)
		for _, flag := range c.flags {
			args = append(args, "--"+flag+"=0") // a value every kind of flag parses
		}
		if r := s.kots(nil, args...); r.rc != 1 || strings.Contains(r.stderr, "unknown flag") {
			t.Errorf("kubectl kots %s with every flag of the real command: rc %d, stderr %q", strings.Join(c.words, " "), r.rc, r.stderr)
		}
	}
	if r := s.kots(nil, "install", "myapp", "--repo=x", noCluster); strings.TrimSpace(r.stderr) != "Error: unknown flag: --repo" {
		t.Errorf("install --repo (not a flag of the real CLI): stderr %q", r.stderr)
	}
}

// TestGetConfigOfTheDeployedVersion: --current reads the deployed version,
// and fails as the real CLI does when none is deployed (a first install
// left waiting for config), rather than reading the newest.
func TestGetConfigOfTheDeployedVersion(t *testing.T) {
	s := newSite(t, true)
	s.mustKots(append([]string{"KOTS_SHARED_PASSWORD=first-pass"}, instant...),
		s.installArgs(fakekots.Bundle(t, release1), fakekots.License(t, "myapp"))...)
	base := []string{"get", "config", "-n", s.ns, "--kubeconfig", s.kubeconfig, "--appslug", "myapp"}
	if r := s.kots(nil, append(base, "--current")...); r.rc != 1 || strings.TrimSpace(r.stderr) != "Error: no deployed version found for app myapp" {
		t.Errorf("get config --current with nothing deployed: rc %d, stderr %q", r.rc, r.stderr)
	}
	if r := s.kots(nil, append(base, "--current", "--sequence", "0")...); r.rc != 1 || strings.TrimSpace(r.stderr) != "Error: cannot use --current and --sequence together" {
		t.Errorf("get config --current --sequence: rc %d, stderr %q", r.rc, r.stderr)
	}
	if values := s.config(); values["hostname"]["value"] != "" || len(values) != len(release1.ConfigItems) {
		t.Errorf("get config of the newest version = %v", values)
	}
}
