package kots_test

import (
	"context"
	"encoding/json"
	"github.com/ferry-sh/ferry/internal/modtest"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ferry-sh/ferry/internal/fakekots"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

// kotsEnvConn adds environment variables to every command, as a task's
// `environment:` does, and keeps the connection's dialer for kube.For.
type kotsEnvConn struct {
	modules.Conn
	env map[string]string
}

func (c kotsEnvConn) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	merged := map[string]string{}
	for k, v := range c.env {
		merged[k] = v
	}
	for k, v := range cmd.Env {
		merged[k] = v
	}
	cmd.Env = merged
	return c.Conn.Run(ctx, cmd)
}

func (c kotsEnvConn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return c.Conn.(modules.Dialer).DialContext(ctx, network, addr)
}

// kotsSite is a "server" reached over real sshd, whose cluster is a real
// kube-apiserver with the fake KOTS CLI and a kotsadm in one namespace.
type kotsSite struct {
	t          *testing.T
	cluster    *kubetest.Cluster
	conn       modules.Conn
	cache      *sync.Map
	ns         string
	kubeconfig string
	kots       string
	dir        string // where the bundles and the license are staged
	log        string // the fake CLI's invocation log
}

const kotsPassword = "Adm1n-console-pw"

var kotsDashItems = []fakekots.Item{
	{Name: "hostname", Required: true},
	{Name: "git_ssh_port", Default: "2222"},
	{Name: "enable_feature", Type: "bool", Default: "0"},
	{Name: "db_password", Type: "password"},
	{Name: "tls_cert", Type: "file"},
}

func kotsDashRelease(version string) fakekots.Release {
	return fakekots.Release{Slug: "dash", Version: version, ConfigItems: kotsDashItems}
}

// TestKotsUpload shares one API server and one sshd between its subtests;
// each works in a namespace of its own.
func TestKotsUpload(t *testing.T) {
	cluster := kubetest.Start(t)
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	c := modtest.SSHConnTo(t, srv)
	kubeconfig := modtest.WriteKubeconfig(t, cluster)
	base := kotsSite{cluster: cluster, conn: c, kubeconfig: kubeconfig, kots: fakekots.BuildCLI(t)}
	// kURL's registry: kots install pushes the app's images there and runs
	// the Admin Console from it, once kotsadm_bundle's images are pushed.
	fakekots.AddRegistry(t, cluster.Clientset())
	site := func(t *testing.T, readyAfter string, withKotsadm bool) *kotsSite {
		s := base
		s.t, s.cache, s.ns, s.dir = t, &sync.Map{}, cluster.Namespace(t), t.TempDir()
		s.log = filepath.Join(t.TempDir(), "kots-invocations")
		s.conn = kotsEnvConn{Conn: c, env: map[string]string{fakekots.ReadyAfterEnv: readyAfter, fakekots.InvocationLogEnv: s.log}}
		if withKotsadm {
			fakekots.AddKotsadm(t, cluster.Clientset(), s.ns)
		}
		return &s
	}
	t.Run("install, re-run, upgrade, config change", func(t *testing.T) { testKotsLifecycle(t, site(t, "300ms", false)) })
	t.Run("check mode only reads", func(t *testing.T) { testKotsCheckMode(t, site(t, "0s", true)) })
	t.Run("unknown config key", func(t *testing.T) { testKotsUnknownKey(t, site(t, "0s", true)) })
	t.Run("password change", func(t *testing.T) { testKotsPasswordChange(t, site(t, "0s", true)) })
	t.Run("namespace default on kURL", func(t *testing.T) { testKotsKurlDefault(t, site(t, "0s", false)) })
	t.Run("refusals before any kots command", func(t *testing.T) { testKotsRefusals(t, site(t, "0s", true)) })
	t.Run("wait timeout", func(t *testing.T) { testKotsWaitTimeout(t, site(t, "1h", true)) })
	t.Run("preflight warnings", func(t *testing.T) { testKotsPreflights(t, site(t, "0s", false)) })
	t.Run("config_values_file", func(t *testing.T) { testKotsValuesFile(t, site(t, "0s", true)) })
	t.Run("admin console upgrade", func(t *testing.T) { testKotsAdminConsoleUpgrade(t, site(t, "0s", false)) })
}

// kotsadmBundle stages the Admin Console's kotsadm.tar.gz.
func (s *kotsSite) kotsadmBundle() string {
	s.t.Helper()
	path := filepath.Join(s.dir, "kotsadm.tar.gz")
	if err := fakekots.WriteKotsadmBundle(path); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// stage copies a bundle into the site's directory (as copy would stage it)
// and returns the module's arguments for it.
func (s *kotsSite) args(rel fakekots.Release, extra map[string]any) map[string]any {
	s.t.Helper()
	bundle := filepath.Join(s.dir, rel.Slug+".airgap")
	if err := fakekots.WriteBundle(bundle, rel); err != nil {
		s.t.Fatal(err)
	}
	args := map[string]any{
		"namespace": s.ns, "license_file": fakekots.License(s.t, "dash"), "airgap_bundle": bundle,
		"kots_bin": s.kots, "kubeconfig": s.kubeconfig, "poll_interval": "100ms", "wait_timeout": "1m",
		"admin_console_password": kotsPassword, "kotsadm_bundle": s.kotsadmBundle(),
		"config_values": map[string]any{
			"hostname":       "dash.example.com",
			"enable_feature": true,
			"db_password":    map[string]any{"valuePlaintext": "db-s3cret"},
			"tls_cert":       map[string]any{"filename": "tls.crt", "value": "LS0tLS1CRUdJTg=="},
		},
	}
	return modtest.WithArgs(args, extra)
}

// kotsOutcome is one run of the module as a task.
type kotsOutcome struct {
	res     modules.Result
	err     error
	changes []string
	events  []string
	secrets []string
}

func (s *kotsSite) run(raw map[string]any, check bool) kotsOutcome {
	s.t.Helper()
	var o kotsOutcome
	var mu sync.Mutex
	h := &modules.Host{Name: "node", Conn: modules.Seal(s.conn), Check: check, Cache: s.cache, Vars: modtest.Vars{},
		Secret: func(v string) { mu.Lock(); o.secrets = append(o.secrets, v); mu.Unlock() },
		Events: func(e modules.Event) { mu.Lock(); o.events = append(o.events, e.Line); mu.Unlock() }}
	m, _ := modules.Lookup("kots_upload")
	args, err := m.Spec().Bind(raw)
	if err != nil { // as the runner does: a refused value fails the task before the module runs
		o.err = err
		return o
	}
	// A prompt of the real CLI would hang the task: bound it so that a
	// regression fails instead of hanging the suite.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	o.res, o.err = m.Run(ctx, h, args)
	o.changes = h.Changes()
	return o
}

func (s *kotsSite) mustRun(raw map[string]any) kotsOutcome {
	s.t.Helper()
	o := s.run(raw, false)
	if o.err != nil || o.res.Failed {
		s.t.Fatalf("kots_upload: %v %s\nevents:\n%s", o.err, o.res.Msg, strings.Join(o.events, "\n"))
	}
	return o
}

// noSecretShown checks that nothing the module reported holds secret.
func (o kotsOutcome) noSecretShown(t *testing.T, secrets ...string) {
	t.Helper()
	data, _ := json.Marshal(o.res)
	shown := string(data) + "\n" + strings.Join(o.changes, "\n") + "\n" + strings.Join(o.events, "\n")
	if o.err != nil {
		shown += o.err.Error()
	}
	for _, s := range secrets {
		if strings.Contains(shown, s) {
			t.Errorf("%q is shown in the module's output:\n%s", s, shown)
		}
	}
}

func (s *kotsSite) calls() []fakekots.Call {
	return fakekots.Invocations(s.t, s.log, s.ns)
}

func (s *kotsSite) secret(name string) *corev1.Secret {
	s.t.Helper()
	sec, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return sec
}

func (s *kotsSite) passwordIs(pw string) bool {
	sec := s.secret("kotsadm-password")
	return sec != nil && bcrypt.CompareHashAndPassword(sec.Data["passwordBcrypt"], []byte(pw)) == nil
}

// currentConfig is the deployed version's config, read with the CLI.
func (s *kotsSite) currentConfig() map[string]map[string]string {
	s.t.Helper()
	out, err := exec.Command(s.kots, "get", "config", "--appslug", "dash", "--current", "--decrypt",
		"-n", s.ns, "--kubeconfig", s.kubeconfig).Output()
	if err != nil {
		s.t.Fatalf("get config: %v", err)
	}
	var cv struct {
		Spec struct {
			Values map[string]map[string]string `json:"values"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(out, &cv); err != nil {
		s.t.Fatal(err)
	}
	return cv.Spec.Values
}

func kotsCommands(calls []fakekots.Call) []string {
	var out []string
	for _, c := range calls {
		words := c.Argv
		if len(words) > 2 && (words[0] == "get" || words[0] == "set" || words[0] == "upstream") {
			out = append(out, words[0]+" "+words[1])
		} else {
			out = append(out, words[0])
		}
	}
	return out
}

func testKotsLifecycle(t *testing.T, s *kotsSite) {
	tmp := t.TempDir()
	args := s.args(kotsDashRelease("5.1.0"), map[string]any{"tmpdir": tmp})
	o := s.mustRun(args)
	d := o.res.Data
	if d["app_slug"] != "dash" || d["version_label"] != "5.1.0" || d["state"] != "ready" || d["version_status"] != "deployed" ||
		d["sequence"] != int64(0) || d["admin_console_hint"] != "kubectl -n "+s.ns+" port-forward svc/kotsadm 8800:3000" {
		t.Errorf("result data = %v", d)
	}
	if !s.passwordIs(kotsPassword) {
		t.Error("the kotsadm-password secret does not hold admin_console_password")
	}
	// No kotsadm anywhere before: kots install deployed it in the namespace.
	if d, err := s.cluster.Clientset().AppsV1().Deployments(s.ns).Get(context.Background(), "kotsadm", metav1.GetOptions{}); err != nil || d.Status.AvailableReplicas != 1 {
		t.Errorf("kots install left no available kotsadm in %s: %v", s.ns, err)
	}
	calls := s.calls()
	var install *fakekots.Call
	for i, c := range calls {
		argv := strings.Join(c.Argv, " ")
		if strings.Contains(argv, kotsPassword) || strings.Contains(argv, "shared-password") {
			t.Errorf("a kots command line holds the password: %s", argv)
		}
		if c.Argv[0] == "install" {
			install = &calls[i]
		}
	}
	if install == nil {
		t.Fatalf("no install among %v", kotsCommands(calls))
	}
	// The Admin Console's images went to kURL's registry first, the
	// registry's password on stdin; install pushed the app's.
	push := calls[0]
	if strings.Join(push.Argv[:2], " ") != "admin-console push-images" || strings.Join(push.Env, ",") != "KOTS_REGISTRY_PASSWORD" ||
		strings.Contains(strings.Join(push.Argv, " "), "Regpass99") {
		t.Errorf("first kots command = %v (env %v), want admin-console push-images with the password from stdin", push.Argv, push.Env)
	}
	pushed := strings.Join(fakekots.PushedImages(t, s.cluster.Clientset()), " ")
	for _, image := range []string{fakekots.RegistryHost + "/dash/kotsadm:v1.124.4", fakekots.RegistryHost + "/dash/nginx:1.25"} {
		if !strings.Contains(pushed, image) {
			t.Errorf("%s was not pushed to the registry: %s", image, pushed)
		}
	}
	argv := " " + strings.Join(install.Argv, " ") + " "
	for _, want := range []string{" --namespace " + s.ns + " ", " --no-port-forward ", " --kubeconfig " + s.kubeconfig + " ", " --config-values "} {
		if !strings.Contains(argv, want) {
			t.Errorf("install command line lacks %q: %s", want, argv)
		}
	}
	if strings.Join(install.Env, ",") != "KOTS_SHARED_PASSWORD" {
		t.Errorf("install ran with KOTS_* variables %v; the password prompt needs KOTS_SHARED_PASSWORD", install.Env)
	}
	if install.TMPDIR != tmp {
		t.Errorf("install ran with TMPDIR %q, want the tmpdir argument %q", install.TMPDIR, tmp)
	}
	o.noSecretShown(t, kotsPassword, "db-s3cret")
	cur := s.currentConfig()
	if cur["hostname"]["value"] != "dash.example.com" || cur["enable_feature"]["value"] != "1" ||
		cur["db_password"]["value"] != "db-s3cret" || cur["tls_cert"]["filename"] != "tls.crt" {
		t.Errorf("installed config = %v", cur)
	}
	dest := filepath.Join(s.dir, "dash-configvalues.yaml")
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("ConfigValues file %s: %v %v", dest, fi, err)
	}

	// The same arguments again: nothing to do, and only reads.
	before := len(s.calls())
	o = s.mustRun(args)
	if len(o.changes) != 0 {
		t.Errorf("second run changed: %v", o.changes)
	}
	for _, c := range kotsCommands(s.calls()[before:]) {
		if c != "get apps" && c != "get config" && c != "get versions" {
			t.Errorf("second run ran %q", c)
		}
	}

	// A newer bundle: upstream upgrade, and the config carried over.
	o = s.mustRun(s.args(kotsDashRelease("5.2.0"), nil))
	if len(o.changes) != 1 || !strings.Contains(o.changes[0], "upstream upgrade dash --airgap-bundle") || !strings.Contains(o.changes[0], "--deploy") {
		t.Errorf("upgrade changes = %v", o.changes)
	}
	if o.res.Data["version_label"] != "5.2.0" || o.res.Data["sequence"] != int64(1) || o.res.Data["state"] != "ready" {
		t.Errorf("after the upgrade: %v", o.res.Data)
	}

	// One changed value: set config --merge --deploy naming the item only.
	changed := s.args(kotsDashRelease("5.2.0"), nil)
	changed["config_values"].(map[string]any)["hostname"] = "dash2.example.com"
	o = s.mustRun(changed)
	if len(o.changes) != 2 || !strings.HasPrefix(o.changes[0], "write "+dest) ||
		!strings.Contains(o.changes[1], "set config dash --config-file "+dest+" --merge --deploy") || !strings.HasSuffix(o.changes[1], "(items changed: hostname)") {
		t.Errorf("config change = %v", o.changes)
	}
	if s.currentConfig()["hostname"]["value"] != "dash2.example.com" || o.res.Data["sequence"] != int64(2) {
		t.Errorf("after set config: %v, %v", s.currentConfig()["hostname"], o.res.Data)
	}
	o.noSecretShown(t, kotsPassword, "db-s3cret")
	if o = s.mustRun(changed); len(o.changes) != 0 {
		t.Errorf("after the config change, a re-run changed: %v", o.changes)
	}
}

func testKotsCheckMode(t *testing.T, s *kotsSite) {
	args := s.args(kotsDashRelease("5.1.0"), nil)
	o := s.run(args, true)
	if o.err != nil || o.res.Failed {
		t.Fatalf("check mode: %v %s", o.err, o.res.Msg)
	}
	plan := strings.Join(o.changes, "\n")
	for _, want := range []string{"set the Admin Console password", "write " + filepath.Join(s.dir, "dash-configvalues.yaml"),
		"run: " + s.kots + " install dash --license-file ", "--no-port-forward", "--namespace " + s.ns} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %q:\n%s", want, plan)
		}
	}
	o.noSecretShown(t, kotsPassword, "db-s3cret")
	// --diff shows the ConfigValues the install would apply, secrets masked.
	if len(o.res.Diffs) != 1 || !strings.Contains(o.res.Diffs[0].After, "value: dash.example.com") ||
		!strings.Contains(o.res.Diffs[0].After, "valuePlaintext: '********'") || strings.Contains(o.res.Diffs[0].After, "db-s3cret") {
		t.Errorf("the check run's diff does not show the masked ConfigValues: %+v", o.res.Diffs)
	}
	for _, c := range kotsCommands(s.calls()) {
		if c != "get apps" {
			t.Errorf("check mode on a fresh site ran %q", c)
		}
	}
	if s.secret("kotsadm-password") != nil {
		t.Error("check mode created the password secret")
	}
	if _, err := os.Stat(filepath.Join(s.dir, "dash-configvalues.yaml")); err == nil {
		t.Error("check mode wrote the ConfigValues file")
	}

	// Installed: check mode plans the upgrade and the config change.
	s.mustRun(args)
	before := len(s.calls())
	next := s.args(kotsDashRelease("5.2.0"), nil)
	next["config_values"].(map[string]any)["git_ssh_port"] = 2022
	o = s.run(next, true)
	if o.err != nil || len(o.changes) != 3 || !strings.Contains(o.changes[0], "upstream upgrade") ||
		!strings.Contains(o.changes[2], "set config dash") || !strings.Contains(o.changes[2], "(items changed: git_ssh_port)") {
		t.Errorf("check mode on an installed app: %v %v", o.err, o.changes)
	}
	for _, c := range kotsCommands(s.calls()[before:]) {
		if !strings.HasPrefix(c, "get ") {
			t.Errorf("check mode ran %q", c)
		}
	}

	// Nothing to change: the dry run and the real run take one path and
	// report the same.
	args = s.args(kotsDashRelease("5.1.0"), nil) // next staged 5.2.0 in its place
	dry, real := s.run(args, true), s.run(args, false)
	if dry.err != nil || real.err != nil || len(dry.changes)+len(real.changes) != 0 ||
		dry.res.Msg != real.res.Msg || !reflect.DeepEqual(dry.res.Data, real.res.Data) {
		t.Errorf("an unchanged app:\ncheck: %v %v %q %v\nreal:  %v %v %q %v", dry.err, dry.changes, dry.res.Msg, dry.res.Data,
			real.err, real.changes, real.res.Msg, real.res.Data)
	}
	// The real run's --diff shows the ConfigValues it applies, as the dry run's does.
	o = s.mustRun(s.args(kotsDashRelease("5.2.0"), map[string]any{"config_values": next["config_values"]}))
	if len(o.res.Diffs) != 1 || !strings.Contains(o.res.Diffs[0].After, "git_ssh_port") || strings.Contains(o.res.Diffs[0].After, "db-s3cret") {
		t.Errorf("the real run's diff does not show the masked ConfigValues applied: %+v", o.res.Diffs)
	}
}

func testKotsUnknownKey(t *testing.T, s *kotsSite) {
	args := s.args(kotsDashRelease("5.1.0"), nil)
	args["config_values"].(map[string]any)["hostnam"] = "x"
	args["config_values"].(map[string]any)["zzz_unrelated"] = "y"
	o := s.run(args, false)
	if o.err == nil {
		t.Fatal("an unknown config item was accepted")
	}
	for _, want := range []string{`"hostnam" is not a config item of dash 5.1.0; did you mean ` + "`hostname`?",
		`"zzz_unrelated" is not a config item of dash 5.1.0; its items are: db_password, enable_feature, git_ssh_port, hostname, tls_cert`} {
		if !strings.Contains(o.err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, o.err)
		}
	}
	if calls := s.calls(); len(calls) != 0 || s.secret("kotsadm-password") != nil || len(o.changes) != 0 {
		t.Errorf("ran kots %v, changed %v before refusing", kotsCommands(calls), o.changes)
	}
}

func testKotsPasswordChange(t *testing.T, s *kotsSite) {
	args := s.args(kotsDashRelease("5.1.0"), nil)
	s.mustRun(args)
	sessions := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-sessions"}, Data: map[string][]byte{"session-1": []byte("x")}}
	if _, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Create(context.Background(), sessions, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pw := s.secret("kotsadm-password")
	// Labelled as KOTS labels its own, so that snapshots keep it.
	if pw.Labels["kots.io/kotsadm"] != "true" || pw.Labels["kots.io/backup"] != "velero" {
		t.Errorf("the password secret's labels are %v, want kots.io/kotsadm=true and kots.io/backup=velero", pw.Labels)
	}
	pw.Labels = map[string]string{"numAttempts": "3", "lastFailure": "1700000000"}
	if _, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Update(context.Background(), pw, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	args["admin_console_password"] = "a-new-passw0rd"
	o := s.mustRun(args)
	if len(o.changes) != 1 || !strings.HasPrefix(o.changes[0], "set the Admin Console password") {
		t.Errorf("changes = %v", o.changes)
	}
	if !s.passwordIs("a-new-passw0rd") || s.passwordIs(kotsPassword) {
		t.Error("the secret does not hold the new password")
	}
	sec := s.secret("kotsadm-password")
	if _, err := time.Parse(time.RFC3339, string(sec.Data["passwordUpdatedAt"])); err != nil || len(sec.Labels) != 2 || sec.Labels["kots.io/backup"] != "velero" {
		t.Errorf("password secret: passwordUpdatedAt %q (%v), labels %v", sec.Data["passwordUpdatedAt"], err, sec.Labels)
	}
	if got := s.secret("kotsadm-sessions"); len(got.Data) != 0 {
		t.Errorf("sessions were not cleared: %v", got.Data)
	}
	o.noSecretShown(t, "a-new-passw0rd", kotsPassword)
	if o = s.mustRun(args); len(o.changes) != 0 {
		t.Errorf("re-run with the same password changed %v", o.changes)
	}
	// A secret ferry set before it labelled: labelled, the password kept.
	sec = s.secret("kotsadm-password")
	sec.Labels = nil
	if _, err := s.cluster.Clientset().CoreV1().Secrets(s.ns).Update(context.Background(), sec, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if o = s.mustRun(args); len(o.changes) != 1 || !strings.HasPrefix(o.changes[0], "label secret") ||
		s.secret("kotsadm-password").Labels["kots.io/kotsadm"] != "true" || !s.passwordIs("a-new-passw0rd") {
		t.Errorf("an unlabelled password secret: changes %v, labels %v", o.changes, s.secret("kotsadm-password").Labels)
	}
}

// testKotsKurlDefault: namespace default on kURL would make kots install
// overwrite the Admin Console password with the throwaway value; refused
// before anything runs, with what to set instead.
func testKotsKurlDefault(t *testing.T, s *kotsSite) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "kurl-config", Namespace: "kube-system"}, Data: map[string]string{"airgap": "1"}}
	if _, err := s.cluster.Clientset().CoreV1().ConfigMaps("kube-system").Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	o := s.run(s.args(kotsDashRelease("5.1.0"), map[string]any{"namespace": "default"}), false)
	want := `namespace is "default" on a kURL cluster`
	if o.err == nil || !strings.Contains(o.err.Error(), want) || !strings.Contains(o.err.Error(), "plotly-system") {
		t.Errorf("error = %v, want %q", o.err, want)
	}
	if len(o.changes) != 0 || len(fakekots.Invocations(t, s.log, "default")) != 0 {
		t.Errorf("changed %v", o.changes)
	}
}

func testKotsRefusals(t *testing.T, s *kotsSite) {
	otherLicense := fakekots.License(t, "other")
	tests := []struct {
		name  string
		extra map[string]any
		want  string
	}{
		{"first install without a password", map[string]any{"admin_console_password": nil},
			"app dash is not installed yet and admin_console_password is not set"},
		{"license of another app", map[string]any{"license_file": otherLicense},
			`license_file ` + otherLicense + ` is for app "other" but the bundle`},
		{"app_slug differs from the bundle", map[string]any{"app_slug": "nope"}, `app_slug is "nope" but the bundle`},
		{"a bad config field", map[string]any{"config_values": map[string]any{"hostname": map[string]any{"valu": "x"}}},
			`config_values.hostname: "valu" is not a ConfigValues field`},
		{"not a bundle", map[string]any{"airgap_bundle": otherLicense}, "cannot read airgap.yaml from " + otherLicense},
		{"short password", map[string]any{"admin_console_password": "12345"}, "admin_console_password must be at least 6 characters"},
		{"first install without kotsadm_bundle", map[string]any{"kotsadm_bundle": nil},
			"kotsadm_bundle is not set: with kURL's registry at " + fakekots.RegistryHost + ", `kots install` runs the Admin Console from " + fakekots.RegistryHost + "/dash/kotsadm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := s.run(s.args(kotsDashRelease("5.1.0"), tc.extra), false)
			if o.err == nil || !strings.Contains(o.err.Error(), tc.want) {
				t.Errorf("error = %v, want %q", o.err, tc.want)
			}
			if len(o.changes) != 0 {
				t.Errorf("changed %v", o.changes)
			}
		})
	}
	if calls := s.calls(); len(calls) > len(tests) {
		t.Errorf("ran %v", kotsCommands(calls))
	}
	for _, c := range kotsCommands(s.calls()) {
		if c != "get apps" {
			t.Errorf("a refused task ran %q", c)
		}
	}
}

func testKotsWaitTimeout(t *testing.T, s *kotsSite) {
	o := s.run(s.args(kotsDashRelease("5.1.0"), map[string]any{"wait_timeout": "1s"}), false)
	if o.err != nil || !o.res.Failed {
		t.Fatalf("err %v, result %+v", o.err, o.res)
	}
	want := "app dash is not ready after 1s: app state unavailable, newest version 5.1.0 (sequence 0) deploying"
	if !strings.HasPrefix(o.res.Msg, want) || o.res.Data["state"] != "unavailable" || o.res.Data["version_status"] != "deploying" {
		t.Errorf("msg %q, data %v", o.res.Msg, o.res.Data)
	}
}

func testKotsPreflights(t *testing.T, s *kotsSite) {
	rel := kotsDashRelease("5.1.0")
	rel.Preflights = []fakekots.Preflight{{Title: "Memory", Outcome: "warn", Message: "32 GiB recommended"}}
	o := s.run(s.args(rel, nil), false)
	if o.err == nil || !strings.Contains(o.err.Error(), "There are preflight check warnings for the application. The app was not deployed.") ||
		!strings.Contains(o.err.Error(), "32 GiB recommended") {
		t.Errorf("error = %v", o.err)
	}
	// The re-run finds the version there, not deployed: uploading it again
	// would be refused (pkg/airgap/update.go:328), so it is deployed.
	o = s.run(s.args(rel, nil), false)
	if o.err != nil || !o.res.Failed || !strings.Contains(o.res.Msg, "KOTS will not deploy it by itself") || !strings.Contains(o.res.Msg, "skip_preflights") {
		t.Errorf("re-run without skip_preflights: error %v, result %+v", o.err, o.res)
	}
	o = s.mustRun(s.args(rel, map[string]any{"skip_preflights": true}))
	if o.res.Data["state"] != "ready" || o.res.Data["version_status"] != "deployed" || o.res.Data["version_label"] != "5.1.0" {
		t.Errorf("after skip_preflights: %v", o.res.Data)
	}
	for _, c := range kotsCommands(s.calls()) {
		if c == "upstream upgrade" {
			t.Errorf("a re-run uploaded the version already there: %v", kotsCommands(s.calls()))
		}
	}
	if o = s.mustRun(s.args(rel, map[string]any{"skip_preflights": true})); len(o.changes) != 0 {
		t.Errorf("the next run changed %v", o.changes)
	}
}

func testKotsValuesFile(t *testing.T, s *kotsSite) {
	file := filepath.Join(s.dir, "my-values.yaml")
	write := func(values string) {
		doc := "apiVersion: kots.io/v1beta1\nkind: ConfigValues\nspec:\n  values:\n" + values
		if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	args := s.args(kotsDashRelease("5.1.0"), map[string]any{"config_values": nil, "config_values_file": file})
	write("    hostname:\n      value: a.example.com\n    git_ssh_prot:\n      value: \"2022\"\n")
	o := s.run(args, false)
	if o.err == nil || !strings.Contains(o.err.Error(), "config_values_file "+file+`: "git_ssh_prot" is not a config item of dash 5.1.0; did you mean `+"`git_ssh_port`?") {
		t.Errorf("error = %v", o.err)
	}
	write("    hostname:\n      value: a.example.com\n    db_password:\n      valuePlaintext: file-s3cret\n")
	o = s.mustRun(args)
	if !strings.Contains(strings.Join(o.changes, "\n"), "--config-values "+file) {
		t.Errorf("install did not use the file: %v", o.changes)
	}
	o.noSecretShown(t, "file-s3cret", kotsPassword)
	if cur := s.currentConfig(); cur["hostname"]["value"] != "a.example.com" || cur["db_password"]["value"] != "file-s3cret" {
		t.Errorf("installed config = %v", cur)
	}
	if o = s.mustRun(args); len(o.changes) != 0 {
		t.Errorf("re-run changed %v", o.changes)
	}
}

// testKotsAdminConsoleUpgrade: once kubectl-kots is a newer KOTS release
// than the Admin Console running, the module pushes that release's
// kotsadm.tar.gz and upgrades the Admin Console before it uploads the app;
// without the bundle it stops first and says which; the dry run only plans
// it; the next run changes nothing.
func testKotsAdminConsoleUpgrade(t *testing.T, s *kotsSite) {
	s.mustRun(s.args(kotsDashRelease("5.0.0"), nil))
	s.conn.(kotsEnvConn).env[fakekots.VersionEnv] = "1.125.0" // the site installed KOTS 1.125.0's CLI
	newBundle := filepath.Join(s.dir, "kotsadm-1.125.0.tar.gz")
	if err := fakekots.WriteKotsadmBundleOf(newBundle, "v1.125.0"); err != nil {
		t.Fatal(err)
	}
	upgrade := func() map[string]any {
		return s.args(kotsDashRelease("5.1.0"), map[string]any{"kotsadm_bundle": newBundle})
	}

	o := s.run(s.args(kotsDashRelease("5.1.0"), map[string]any{"kotsadm_bundle": nil}), false)
	want := "kubectl-kots on node is 1.125.0 but the Admin Console runs v1.124.4"
	if o.err == nil || !strings.Contains(o.err.Error(), want) || !strings.Contains(o.err.Error(), "set kotsadm_bundle") || len(o.changes) != 0 {
		t.Errorf("a newer CLI without kotsadm_bundle: err %v, changes %v; want %q before any change", o.err, o.changes, want)
	}
	if o = s.run(upgrade(), true); o.err != nil || len(o.changes) < 3 || !strings.Contains(o.changes[1], "admin-console upgrade") ||
		!strings.Contains(o.changes[2], "upstream upgrade") || s.kotsadmImageTag() != "v1.124.4" {
		t.Errorf("the dry run: err %v, changes %q, kotsadm at %s", o.err, o.changes, s.kotsadmImageTag())
	}
	o = s.mustRun(upgrade())
	var order []string
	for _, c := range o.changes {
		for _, step := range []string{"admin-console push-images", "admin-console upgrade", "upstream upgrade"} {
			if strings.Contains(c, step) {
				order = append(order, step)
			}
		}
	}
	if strings.Join(order, ", ") != "admin-console push-images, admin-console upgrade, upstream upgrade" || s.kotsadmImageTag() != "v1.125.0" {
		t.Errorf("the upgrade changed %q in that order, kotsadm at %s", order, s.kotsadmImageTag())
	}
	if o = s.mustRun(upgrade()); len(o.changes) != 0 {
		t.Errorf("the next run changed %q", o.changes)
	}
}

func (s *kotsSite) kotsadmImageTag() string {
	s.t.Helper()
	d, err := s.cluster.Clientset().AppsV1().Deployments(s.ns).Get(context.Background(), "kotsadm", metav1.GetOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	image := d.Spec.Template.Spec.Containers[0].Image
	return image[strings.LastIndex(image, ":")+1:]
}
