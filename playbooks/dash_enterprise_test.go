package playbooks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/ferry-sh/ferry/internal/fakekots"
	"github.com/ferry-sh/ferry/internal/fakekurl"
	"github.com/ferry-sh/ferry/internal/testsite"
	_ "github.com/ferry-sh/ferry/modules/all" // the playbook runs every kind of module
	"github.com/ferry-sh/ferry/runner"
)

// run is `ferry run PLAYBOOK -i SITE --secrets SECRETS [--check] -vvvv`.
type run struct {
	code   int
	output string
}

// ferryRun runs playbook on the site; a dry run (check) is also a gate test
// (gate_test.go: dryRun).
func ferryRun(t *testing.T, s *testsite.Site, playbook string, check bool, extra ...string) run {
	t.Helper()
	if check {
		return dryRun(t, s, playbook, extra...)
	}
	return ferryRunWith(t, s, playbook, false, nil, extra...)
}

// ferryRunWith is ferryRun through connect (nil: the default connections).
func ferryRunWith(t *testing.T, s *testsite.Site, playbook string, check bool, connect runner.Connector, extra ...string) run {
	t.Helper()
	var out bytes.Buffer
	sess := &runner.Session{Playbook: playbook, Inventories: []string{s.Inventory}, SecretFiles: []string{s.Secrets},
		ExtraVars: extra, Stdout: &out, Stderr: &out, Output: "text"}
	sess.Check = check
	sess.Connect = connect
	sess.Verbosity = 4
	code := sess.Run(context.Background())
	r := run{code: code, output: out.String()}
	// Whatever happened, no secret may appear at -vvvv.
	for _, secret := range []string{s.AdminConsolePassword, s.AdminPassword, s.Keycloak.AdminPassword, s.Cluster.AdminToken} {
		if strings.Contains(r.output, secret) {
			t.Errorf("a secret appears in the output of %s (check=%v)", playbook, check)
		}
	}
	return r
}

var recapLine = regexp.MustCompile(`dash-vm\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)`)

// changed returns the recap's changed count, failing the test on a failed or
// unreachable host.
func (r run) changed(t *testing.T) string {
	t.Helper()
	m := recapLine.FindStringSubmatch(r.output)
	if r.code != 0 || m == nil || m[3] != "0" || m[4] != "0" {
		t.Fatalf("exit %d\n%s", r.code, r.output)
	}
	return m[2]
}

func kurlRuns(t *testing.T, s *testsite.Site) int {
	n, err := fakekurl.Runs(context.Background(), s.Cluster.Clientset())
	if err != nil {
		return 0 // not installed: the kurl namespace does not exist yet
	}
	return n
}

// TestDashEnterpriseSite is the simulated site's whole life: a dry run on a
// fresh site changes nothing and lists every step; the install goes from
// nothing to a ready app, an admin who can log in and quotas in place; the
// second run changes nothing; the upgrade playbook moves to a new version.
func TestDashEnterpriseSite(t *testing.T) {
	s := testsite.New(t)
	ctx := context.Background()

	before := siteState(t, s)
	dry := ferryRun(t, s, "dash-enterprise.yml", true)
	if after := siteState(t, s); !slices.Equal(before, after) {
		t.Errorf("the dry run on a fresh site created or removed files or API objects:\nbefore %v\nafter  %v", before, after)
	}
	if got := dry.changed(t); got == "0" {
		t.Errorf("the dry run on a fresh site planned nothing:\n%s", dry.output)
	}
	for _, step := range []string{"would create directory", "would write", "would install kURL", "would install the app",
		"would create user admin", "would set the pod and volume limits"} {
		if !strings.Contains(dry.output, step) {
			t.Errorf("the dry run does not list %q", step)
		}
	}
	if _, err := os.Stat(s.Kubeconfig); err == nil || kurlRuns(t, s) != 0 {
		t.Fatal("the dry run installed the cluster")
	}

	install := ferryRun(t, s, "dash-enterprise.yml", false)
	install.changed(t)
	if kurlRuns(t, s) != 1 {
		t.Errorf("kURL ran %d times", kurlRuns(t, s))
	}
	assertAppVersion(t, s, "5.0.0")
	if !s.Keycloak.CheckPassword("dash", "admin", s.AdminPassword) {
		t.Error("the admin cannot log in to realm dash with the password")
	}
	if roles := s.Keycloak.ClientRoles("admin"); !slices.Contains(roles, "admin") || !slices.Contains(roles, "licensed_user") {
		t.Errorf("admin's roles = %v", roles)
	}
	// Keycloak by the default path: the site names no Keycloak address or
	// CA; the server connected to the node's InternalIP (from the cluster)
	// on port 443, the ingress, which serves the site's certificate.
	if via := "through dash-vm to " + testsite.NodeAddress + ":443"; !strings.Contains(install.output, via) {
		t.Errorf("Keycloak was not reached %s, the node's ingress:\n%s", via, install.output)
	}
	quota, err := s.Cluster.Clientset().CoreV1().ResourceQuotas(testsite.AppsNamespace).Get(ctx, "ferry-limits", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("no quota: %v", err)
	}
	// auto: the node's 110 allocatable pods (no system pods run in the test
	// cluster), and half as many volumes (pvc_auto 50%).
	pods, pvcs := quota.Spec.Hard[corev1.ResourcePods], quota.Spec.Hard[corev1.ResourcePersistentVolumeClaims]
	if pods.Value() != 110 || pvcs.Value() != 55 || len(quota.Spec.Hard) != 2 {
		t.Errorf("quota = %v, want exactly pods 110 and persistentvolumeclaims 55", quota.Spec.Hard)
	}
	assertAppliedConfig(t, s)

	if got := ferryRun(t, s, "dash-enterprise.yml", false).changed(t); got != "0" {
		t.Errorf("the second run changed %s things", got)
	}
	if got := ferryRun(t, s, "dash-enterprise.yml", true).changed(t); got != "0" {
		t.Errorf("a dry run of an installed site plans %s changes", got)
	}
	// A dry run that would change the installed site through every kind of
	// client (Keycloak: a new admin; Kubernetes: the quota) plans it and,
	// through the gate, changes nothing (gate_test.go).
	drift := ferryRun(t, s, "dash-enterprise.yml", true, "dash_admin_username=admin2", "dash_max_pods=7")
	for _, step := range []string{"would create user admin2", "would update ResourceQuota " + testsite.AppsNamespace + "/ferry-limits"} {
		if drift.changed(t) == "0" || !strings.Contains(drift.output, step) {
			t.Errorf("the dry run of a changed site does not plan %q:\n%s", step, drift.output)
		}
	}
	if kurlRuns(t, s) != 1 {
		t.Error("kURL was re-run on an installed cluster")
	}

	// The upgrade: a new bundle, staged and uploaded, which needs a newer
	// KOTS: that release's CLI replaces kubectl-kots and its Admin Console
	// is upgraded first.
	must(t, fakekots.WriteBundle(s.OperatorFile("dash-enterprise-5.1.0.airgap"), testsite.Release("5.1.0")))
	cli, kotsadmBundle := s.NewKotsRelease(t, "1.125.0")
	upgrade := []string{"dash_app_bundle=" + s.OperatorFile("dash-enterprise-5.1.0.airgap"), "kots_cli_bundle=" + cli, "kotsadm_bundle=" + kotsadmBundle}
	dryUp := ferryRun(t, s, "dash-enterprise-upgrade.yml", true, upgrade...)
	if dryUp.changed(t) == "0" || !strings.Contains(dryUp.output, "upstream upgrade") {
		t.Errorf("the upgrade dry run does not plan the upgrade:\n%s", dryUp.output)
	}
	assertAppVersion(t, s, "5.0.0")
	ran := len(fakekots.Invocations(t, s.KotsLog, "plotly-system"))
	ferryRun(t, s, "dash-enterprise-upgrade.yml", false, upgrade...).changed(t)
	assertAppVersion(t, s, "5.1.0")
	assertAdminConsoleUpgradedFirst(t, s, fakekots.Invocations(t, s.KotsLog, "plotly-system")[ran:], "v1.125.0")
	if got := ferryRun(t, s, "dash-enterprise-upgrade.yml", false, upgrade...).changed(t); got != "0" {
		t.Errorf("a second upgrade run changed %s things", got)
	}
}

// siteState lists what a run could create: the files of the simulated
// server and the API objects outside kube-system.
func siteState(t *testing.T, s *testsite.Site) []string {
	t.Helper()
	var state []string
	root := filepath.Join(s.Dir, "server")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil {
			state = append(state, "file "+strings.TrimPrefix(p, root))
		}
		return err
	})
	must(t, err)
	ctx, cs := context.Background(), s.Cluster.Clientset()
	namespaces, err := cs.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	must(t, err)
	for _, ns := range namespaces.Items {
		state = append(state, "namespace "+ns.Name)
		if ns.Name == "kube-system" {
			continue
		}
		secrets, err := cs.CoreV1().Secrets(ns.Name).List(ctx, metav1.ListOptions{})
		must(t, err)
		for _, o := range secrets.Items {
			state = append(state, "secret "+ns.Name+"/"+o.Name)
		}
		cms, err := cs.CoreV1().ConfigMaps(ns.Name).List(ctx, metav1.ListOptions{})
		must(t, err)
		for _, o := range cms.Items {
			state = append(state, "configmap "+ns.Name+"/"+o.Name)
		}
		deployments, err := cs.AppsV1().Deployments(ns.Name).List(ctx, metav1.ListOptions{})
		must(t, err)
		for _, o := range deployments.Items {
			state = append(state, "deployment "+ns.Name+"/"+o.Name)
		}
		quotas, err := cs.CoreV1().ResourceQuotas(ns.Name).List(ctx, metav1.ListOptions{})
		must(t, err)
		for _, o := range quotas.Items {
			state = append(state, "resourcequota "+ns.Name+"/"+o.Name)
		}
	}
	slices.Sort(state)
	return state
}

// assertAppliedConfig reads the deployed ConfigValues back through
// `kubectl kots get config`, as an operator would: the certificate's and the
// CA's bytes, and the Git SSH port.
func assertAppliedConfig(t *testing.T, s *testsite.Site) {
	t.Helper()
	out, err := exec.Command(s.KotsBin(), "get", "config", "-n", "plotly-system", "--appslug", testsite.AppSlug, "--current",
		"--kubeconfig", s.Kubeconfig).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kots get config: %v\n%s", err, out)
	}
	var cv struct {
		Spec struct {
			Values map[string]struct{ Value string } `json:"values"`
		} `json:"spec"`
	}
	must(t, yaml.Unmarshal(out, &cv))
	fileValue := func(name string) string {
		b, err := os.ReadFile(s.OperatorFile(name))
		must(t, err)
		return base64.StdEncoding.EncodeToString(b)
	}
	for item, want := range map[string]string{"tls_cert": fileValue("tls.crt"), "tls_key": fileValue("tls.key"),
		"internal_ca_certificate": fileValue("ca.crt"), "git_ssh_port": "3022"} {
		if got := cv.Spec.Values[item].Value; got != want {
			t.Errorf("applied %s = %.40q, want %.40q", item, got, want)
		}
	}
}

// assertAppVersion asks the site's kubectl-kots, as an operator would.
// assertAdminConsoleUpgradedFirst checks that the upgrade's kots commands
// upgraded the Admin Console (its new images pushed, then admin-console
// upgrade) before they uploaded the app, and that kotsadm runs tag.
func assertAdminConsoleUpgradedFirst(t *testing.T, s *testsite.Site, calls []fakekots.Call, tag string) {
	t.Helper()
	var order []string
	for _, c := range calls {
		if len(c.Argv) > 1 && (c.Argv[0] == "admin-console" || c.Argv[0] == "upstream") {
			order = append(order, c.Argv[0]+" "+c.Argv[1])
		}
	}
	if want := []string{"admin-console push-images", "admin-console upgrade", "upstream upgrade"}; !slices.Equal(order, want) {
		t.Errorf("the upgrade ran %q, want %q", order, want)
	}
	d, err := s.Cluster.Clientset().AppsV1().Deployments("plotly-system").Get(context.Background(), "kotsadm", metav1.GetOptions{})
	must(t, err)
	if image := d.Spec.Template.Spec.Containers[0].Image; !strings.HasSuffix(image, "/"+testsite.AppSlug+"/kotsadm:"+tag) {
		t.Errorf("after the upgrade kotsadm runs %s, want kotsadm:%s from kURL's registry", image, tag)
	}
}

func assertAppVersion(t *testing.T, s *testsite.Site, want string) {
	t.Helper()
	cmd := exec.Command(s.KotsBin(), "get", "apps", "-n", "plotly-system", "-o", "json", "--kubeconfig", s.Kubeconfig)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kots get apps: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), `"versionlabel":"`+want+`"`) && !strings.Contains(string(out), `"versionlabel": "`+want+`"`) {
		t.Errorf("app version is not %s: %s", want, out)
	}
	if !strings.Contains(string(out), "ready") {
		t.Errorf("app is not ready: %s", out)
	}
}

// TestDashEnterpriseSiteStopsBeforeHarm: each documented failure stops with
// a clear message before the cluster or the app is touched.
func TestDashEnterpriseSiteStopsBeforeHarm(t *testing.T) {
	s := testsite.New(t)
	cases := []struct {
		name  string
		setup func(t *testing.T) func()
		want  string
	}{
		{"a certificate that does not cover auth-<server>", func(t *testing.T) func() {
			s.WriteBadTLS(t)
			return func() { restoreTLS(t, s) }
		}, "certificate does not cover dash.example.test, auth-" + testsite.Server},
		{"a flag kURL rejects", func(t *testing.T) func() {
			s.SetVar(t, "kurl_flags", map[string]any{"kubernetes-max-pod-per-node": 120})
			return func() { s.SetVar(t, "kurl_flags", map[string]any{}) }
		}, "kubernetes-max-pods-per-node"},
		{"a taken port", func(t *testing.T) func() {
			ln, err := net.Listen("tcp", "127.0.0.1:10259")
			if err != nil {
				t.Skipf("port 10259 is in use by something else here: %v", err)
			}
			return func() { ln.Close() }
		}, "10259"},
		{"a Git SSH port already bound on the server", func(t *testing.T) func() {
			ln, err := net.Listen("tcp", "127.0.0.1:3022")
			if err != nil {
				t.Skipf("port 3022 is in use by something else here: %v", err)
			}
			return func() { ln.Close() }
		}, "dash_git_ssh_port 3022 is already bound on the server"},
		{"a ConfigValues key the release does not define", func(t *testing.T) func() {
			s.SetVar(t, "dash_config_values", map[string]any{"pip_extra_index_ur": "https://x"})
			return func() { s.SetVar(t, "dash_config_values", map[string]any{}) }
		}, "is not a config item of dash-enterprise 5.0.0; did you mean `pip_extra_index_url`?; its items are: git_ssh_port, internal_ca_certificate, pip_extra_index_url, tls_cert, tls_key"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			undo := c.setup(t)
			defer undo()
			r := ferryRun(t, s, "dash-enterprise.yml", false)
			if r.code == 0 || !strings.Contains(r.output, c.want) {
				t.Errorf("exit %d, want a failure naming %q:\n%s", r.code, c.want, r.output)
			}
			t.Log(failureMessage(r.output))
		})
	}
	// Every case, the ConfigValues one too, stops in preflight: kURL never ran.
	if n := kurlRuns(t, s); n != 0 {
		t.Errorf("kURL ran %d times", n)
	}
	assertNoApp(t, s)
}

// failureMessage is the msg of the first failed task in the output.
func failureMessage(out string) string {
	_, after, ok := strings.Cut(out, "FAILED!")
	if !ok {
		return ""
	}
	if _, msg, ok := strings.Cut(after, `"msg": `); ok {
		line, _, _ := strings.Cut(msg, "\n")
		return line
	}
	return ""
}

func assertNoApp(t *testing.T, s *testsite.Site) {
	t.Helper()
	secrets, err := s.Cluster.Clientset().CoreV1().Secrets("plotly-system").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return
	}
	for _, sec := range secrets.Items {
		if strings.HasPrefix(sec.Name, "fakekots-app-") {
			t.Errorf("the app was installed: %s", sec.Name)
		}
	}
}

func restoreTLS(t *testing.T, s *testsite.Site) {
	s.RewriteTLS(t)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
