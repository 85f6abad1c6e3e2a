package kots

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
	"maps"
	"path"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/shellquote"
)

func init() { modules.Register(kotsUploadModule{}) }

// kotsUploadModule installs a KOTS application (Dash Enterprise) from its
// license, .airgap bundle and ConfigValues, headless, and keeps it converged:
// install, upload a newer bundle, apply changed config, or nothing.
//
// Traps of the KOTS CLI it avoids (see the dash-enterprise domain notes):
//   - `kots install` prompts when --namespace is missing, and prompts for the
//     Admin Console password whenever --shared-password is empty, even when
//     the kotsadm-password secret exists (ensureSharedPasswordSecret asks
//     before it looks). With no terminal a prompt loops forever. The password
//     is set through the Kubernetes API instead, and install gets a throwaway
//     value in KOTS_SHARED_PASSWORD (the CLI's viper reads KOTS_<FLAG>), fed
//     through stdin so that nothing secret-looking is ever on a command line;
//     KOTS ignores the value because the secret exists.
//   - Without --no-port-forward, install blocks until Ctrl+C.
//   - `upstream upgrade` reports its failures in its output and exits 0.
//   - Re-running install on an installed app fails ("license already exists").
type kotsUploadModule struct{}

// kotsadmLabels are the labels KOTS puts on its own objects, the password
// secret among them, so that its snapshots (Velero) include them
// (GetKotsadmLabels, pkg/kotsadm/types/constants.go:31; SharedPasswordSecret,
// pkg/kotsadm/objects/secrets_objects.go:61).
func kotsadmLabels() map[string]string {
	return map[string]string{"kots.io/kotsadm": "true", "kots.io/backup": "velero"}
}

func mergeLabels(have, want map[string]string) map[string]string {
	out := maps.Clone(have)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, want)
	return out
}

// ensurePasswordLabels labels a password secret set before without them
// (ferry set it so before this fix): a snapshot would otherwise lose it.
func (r *kotsRun) ensurePasswordLabels(ctx context.Context, existing *corev1.Secret) error {
	if maps.Equal(mergeLabels(existing.Labels, kotsadmLabels()), existing.Labels) {
		return nil
	}
	what := fmt.Sprintf("label secret %s/%s kots.io/kotsadm=true, kots.io/backup=velero, so that KOTS snapshots keep it", r.o.namespace, kotsPasswordSecret)
	return r.h.Change(what, func(w modules.Writer) error {
		existing.Labels = mergeLabels(existing.Labels, kotsadmLabels())
		return r.kube.Update(ctx, w, kube.Secrets, existing)
	})
}

// Names KOTS uses (pkg/util/namespace.go).
const (
	kotsPasswordSecret = "kotsadm-password"
	kotsSessionsSecret = "kotsadm-sessions"
)

func (kotsUploadModule) Spec() modules.Spec {
	return modules.Spec{
		Name:      "kots_upload",
		Summary:   "Install or update a KOTS application (Dash Enterprise) from its license, .airgap bundle and ConfigValues, headless",
		Args:      modules.OptionsOf[kotsUploadArgs](),
		Exclusive: [][]string{{"config_values", "config_values_file"}},
		Check:     modules.CheckSupported,
	}
}

// kotsOptions are the arguments, checked.
type kotsOptions struct {
	namespace, license, bundle, valuesFile, valuesDest string
	password, tmpdir, kubeconfig, slug                 string
	kotsadmBundle                                      string
	kots                                               []string
	values                                             kotsValues
	skipPreflights                                     bool
	waitDuration, preflightsWait                       string
	waitTimeout, pollInterval                          time.Duration
}

// kotsOptionsOf normalises the decoded arguments (their checks ran when
// they were bound): kots_bin split into words, the durations ferry waits
// parsed, config_values read.
func kotsOptionsOf(a kotsUploadArgs) (kotsOptions, error) {
	o := kotsOptions{
		namespace: a.Namespace, license: a.LicenseFile, bundle: a.AirgapBundle,
		valuesFile: a.ConfigValuesFile, valuesDest: a.ConfigValuesDest,
		password: a.AdminConsolePassword, tmpdir: a.Tmpdir,
		kubeconfig: a.Kubeconfig, slug: a.AppSlug, kotsadmBundle: a.KotsadmBundle,
		skipPreflights: a.SkipPreflights, waitDuration: a.WaitDuration, preflightsWait: a.PreflightsWaitDuration,
	}
	var errs [4]error
	o.kots, errs[0] = shellquote.Split(a.KotsBin)
	o.waitTimeout, errs[1] = parseDurationArg("wait_timeout", a.WaitTimeout)
	o.pollInterval, errs[2] = parseDurationArg("poll_interval", a.PollInterval)
	o.values, errs[3] = valuesFromArg(a.ConfigValues)
	return o, errors.Join(errs[:]...)
}

func parseDurationArg(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%s %q is not a Go duration (e.g. 30m, 10s)", name, v)
	}
	return d, nil
}

// kotsRun is one task's state: the options, the host and what was learnt.
type kotsRun struct {
	o       kotsOptions
	h       *modules.Host
	kube    *kube.Client
	release kotsRelease
	values  kotsValues // the ConfigValues supplied, nil when none
	did     []string   // what changed, for the message
	// kotsadmUp: kotsadm runs in the namespace. When it does not, the app
	// cannot be installed there: `kots install` deploys it.
	kotsadmUp bool
	registry  kotsRegistry // the cluster's registry (kots_upload_registry.go)
}

// errBundleNotStaged: in check mode, the bundle is not on the host yet (the
// copy task before it is only planned), so its version cannot be read.
var errBundleNotStaged = errors.New("the airgap bundle is not staged yet")

func (kotsUploadModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[kotsUploadArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	o, err := kotsOptionsOf(a)
	if err != nil {
		return modules.Result{}, err
	}
	h.AddSecret(o.password)
	r := &kotsRun{o: o, h: h}
	err = r.prepare(ctx)
	if res, ok, err := kube.PlanWithoutCluster(h, err, fmt.Sprintf("install the app from %s into namespace %s", o.bundle, o.namespace)); ok {
		return res, err
	}
	if errors.Is(err, errBundleNotStaged) {
		what := fmt.Sprintf("read %s once it is staged, then install the app, upload it (kubectl kots upstream upgrade --deploy) or set its config, as the bundle's version says", o.bundle)
		if err := h.Plan(what, fmt.Errorf("the airgap bundle %s is not on %s; stage it first (e.g. with copy)", o.bundle, modules.HostLabel(h))); err != nil {
			return modules.Result{}, err
		}
		return modules.Result{Msg: what}, nil
	}
	if err != nil {
		return modules.Result{}, err
	}
	var installed *kotsApp
	if r.kotsadmUp {
		if installed, err = r.installedApp(ctx); err != nil {
			return modules.Result{}, err
		}
	}
	if err := r.converge(ctx, installed); err != nil {
		return modules.Result{}, err
	}
	return r.result(ctx)
}

// prepare does every check that needs no kots command: the namespace gets
// its own Admin Console, kotsadm is ready if it is there, the release and
// license agree, the config keys exist in the release.
func (r *kotsRun) prepare(ctx context.Context) error {
	kube, err := kube.For(ctx, r.h, r.o.kubeconfig)
	if err != nil {
		return err
	}
	r.kube = kube
	if err := r.refuseKurlDefault(ctx); err != nil {
		return err
	}
	if r.kotsadmUp, err = r.checkKotsadm(ctx); err != nil {
		return err
	}
	if r.registry, err = r.embeddedRegistry(ctx); err != nil {
		return err
	}
	if fi, err := r.h.Stat(ctx, r.o.bundle); err == nil && !fi.Exists {
		return errBundleNotStaged
	}
	if r.release, err = readKotsRelease(ctx, r.h, r.o.bundle); err != nil {
		return err
	}
	if err := r.checkSlug(ctx); err != nil {
		return err
	}
	return r.loadValues(ctx)
}

// refuseKurlDefault refuses namespace default on a kURL cluster (configmap
// kube-system/kurl-config, pkg/kurl/configmap.go IsKurl): there the real
// `kots install` deploys no Admin Console of its own and overwrites the
// password of kURL's with --shared-password (cmd/kots/cli/install.go:384
// and :399), which would be the throwaway value this module passes.
func (r *kotsRun) refuseKurlDefault(ctx context.Context) error {
	if r.o.namespace != metav1.NamespaceDefault {
		return nil
	}
	err := r.kube.Get(ctx, kube.ConfigMaps, "kube-system", "kurl-config", &corev1.ConfigMap{})
	if apierrors.IsNotFound(err) || apierrors.IsForbidden(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("looking for kube-system/kurl-config on %s: %w", modules.HostLabel(r.h), err)
	}
	return fmt.Errorf("namespace is \"default\" on a kURL cluster (%s): there `kubectl kots install` deploys no Admin Console and "+
		"replaces the password of kURL's with a throwaway value. Set namespace to the app's own (plotly-system, the default): "+
		"kots install creates it and deploys the Admin Console in it", modules.HostLabel(r.h))
}

// checkKotsadm tells whether kotsadm is in the namespace, and fails clearly
// when it is there but not ready: every kots command but install reaches it
// through a port-forward to its pod. Its absence is no error: `kots install`
// deploys it (cmd/kots/cli/install.go:389, "Deploying Admin Console").
func (r *kotsRun) checkKotsadm(ctx context.Context) (bool, error) {
	ns := r.o.namespace
	opts := metav1.ListOptions{LabelSelector: "app=kotsadm"}
	deps, sets := &appsv1.DeploymentList{}, &appsv1.StatefulSetList{}
	if err := r.kube.List(ctx, kube.Deployments, ns, opts, deps); err != nil {
		return false, fmt.Errorf("looking for kotsadm in namespace %s: %w", ns, err)
	}
	if err := r.kube.List(ctx, kube.StatefulSets, ns, opts, sets); err != nil {
		return false, fmt.Errorf("looking for kotsadm in namespace %s: %w", ns, err)
	}
	if len(deps.Items)+len(sets.Items) == 0 {
		return false, nil
	}
	for _, d := range deps.Items {
		if d.Status.AvailableReplicas > 0 {
			return true, nil
		}
	}
	for _, s := range sets.Items {
		if s.Status.ReadyReplicas > 0 {
			return true, nil
		}
	}
	return true, fmt.Errorf("the KOTS Admin Console (kotsadm) in namespace %s on %s has no ready replica; check `kubectl -n %s get pods -l app=kotsadm` and run again", ns, modules.HostLabel(r.h), ns)
}

// checkSlug settles the app slug and checks the license is for this app.
func (r *kotsRun) checkSlug(ctx context.Context) error {
	bundleSlug := r.release.slug
	switch {
	case r.o.slug == "" && bundleSlug == "":
		return fmt.Errorf("%s on %s: airgap.yaml has no spec.appSlug; set app_slug", r.o.bundle, modules.HostLabel(r.h))
	case r.o.slug == "":
		r.o.slug = bundleSlug
	case bundleSlug != "" && r.o.slug != bundleSlug:
		return fmt.Errorf("app_slug is %q but the bundle %s is for %q", r.o.slug, r.o.bundle, bundleSlug)
	}
	licSlug, err := readLicenseSlug(ctx, r.h, r.o.license)
	if err != nil {
		return err
	}
	if licSlug != r.o.slug {
		return fmt.Errorf("license_file %s is for app %q but the bundle %s is for %q; use the license and bundle of the same app", r.o.license, licSlug, r.o.bundle, r.o.slug)
	}
	return nil
}

// loadValues reads the ConfigValues supplied and checks their keys against
// the release.
func (r *kotsRun) loadValues(ctx context.Context) error {
	source := "config_values"
	switch {
	case r.o.valuesFile != "":
		source = "config_values_file " + r.o.valuesFile
		data, err := modules.ReadFile(ctx, r.h, r.o.valuesFile, 16<<20)
		if err != nil {
			return fmt.Errorf("reading config_values_file %s on %s: %w", r.o.valuesFile, modules.HostLabel(r.h), err)
		}
		values, _, err := parseConfigValues(data)
		if err != nil {
			return fmt.Errorf("config_values_file %s on %s: %w", r.o.valuesFile, modules.HostLabel(r.h), err)
		}
		r.values = values
	case len(r.o.values) > 0:
		r.values = r.o.values
	}
	r.values.secretValues(r.h, r.release)
	return r.release.checkKeys(r.values, source)
}

// kotsApp is an entry of `get apps -o json`.
type kotsApp struct {
	Slug         string `json:"slug"`
	State        string `json:"state"`
	VersionLabel string `json:"versionlabel"`
}

// installedApp returns the app as `get apps` reports it, nil when absent.
func (r *kotsRun) installedApp(ctx context.Context) (*kotsApp, error) {
	out, err := r.kotsRead(ctx, "get", "apps", "-o", "json")
	if err != nil {
		return nil, err
	}
	var apps []kotsApp
	if err := json.Unmarshal([]byte(out), &apps); err != nil {
		return nil, fmt.Errorf("`%s` printed %q, not the JSON list of apps: %v", r.display("get", "apps", "-o", "json"), modules.FirstLine(out), err)
	}
	for i := range apps {
		if apps[i].Slug == r.o.slug {
			return &apps[i], nil
		}
	}
	return nil, nil
}

// converge decides between install, upgrade, deploy, set config and
// nothing. It compares the bundle with the newest version, deployed or not,
// as kotsadm does: an upload of the newest version's release is refused
// ("cannot be installed again because it is already the current version",
// pkg/airgap/update.go:328), so a version that is there but not deployed (a
// first install stopped by preflights, a required item left empty) is
// deployed with set config instead.
func (r *kotsRun) converge(ctx context.Context, app *kotsApp) error {
	if app == nil {
		return r.install(ctx)
	}
	if err := r.ensurePassword(ctx); err != nil {
		return err
	}
	if err := r.ensureAdminConsoleVersion(ctx); err != nil {
		return err
	}
	st, _, err := r.status(ctx)
	if err != nil {
		return err
	}
	switch {
	case st.newest.VersionLabel != r.release.versionLabel:
		if err := r.upgrade(ctx, app.VersionLabel); err != nil {
			return err
		}
		return r.applyConfig(ctx, true)
	case st.newest.Status == "pending" || st.newest.Status == "pending_config":
		return r.deployNewest(ctx, st)
	}
	return r.applyConfig(ctx, false)
}

// deployNewest deploys the newest version, which KOTS left undeployed, by
// a config change with --deploy: kotsadm makes a new version from it, runs
// its preflights again and deploys it (pkg/handlers/config.go:752-799).
func (r *kotsRun) deployNewest(ctx context.Context, st kotsStatus) error {
	set := []string{"set", "config", r.o.slug}
	if r.values != nil {
		file, err := r.writeValues(ctx)
		if err != nil {
			return err
		}
		set = append(set, "--config-file", file)
	}
	set = append(set, "--merge", "--deploy")
	if r.o.skipPreflights {
		set = append(set, "--skip-preflights")
	}
	what := fmt.Sprintf("run: %s (version %s, sequence %d, is %s, not deployed)", r.display(set...), st.newest.VersionLabel, st.newest.Sequence, st.newest.Status)
	if err := r.h.Change(what, func(w modules.Writer) error { _, err := r.kotsChange(ctx, w, set, ""); return err }); err != nil {
		return err
	}
	r.did = append(r.did, "deployed "+r.release.versionLabel)
	return nil
}

// install runs kots install once the password secret is in place.
func (r *kotsRun) install(ctx context.Context) error {
	if err := r.needKotsadmBundle(); err != nil {
		return err
	}
	if r.o.password == "" {
		exists, err := r.passwordSecretExists(ctx)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("app %s is not installed yet and admin_console_password is not set: the first install needs it (kots install would prompt for it and hang)", r.o.slug)
		}
	}
	if err := r.ensureNamespace(ctx); err != nil {
		return err
	}
	if err := r.ensurePassword(ctx); err != nil {
		return err
	}
	if err := r.pushKotsadmImages(ctx); err != nil {
		return err
	}
	args := []string{"install", r.o.slug, "--license-file", r.o.license, "--airgap-bundle", r.o.bundle}
	if r.values != nil {
		file, err := r.writeValues(ctx)
		if err != nil {
			return err
		}
		args = append(args, "--config-values", file)
	}
	args = append(args, "--no-port-forward", "--wait-duration", r.o.waitDuration, "--preflights-wait-duration", r.o.preflightsWait)
	if r.o.skipPreflights {
		args = append(args, "--skip-preflights")
	}
	what := r.display(args...) + " (KOTS_SHARED_PASSWORD from stdin: a throwaway, the password secret is set already)"
	err := r.h.Change("run: "+what, func(w modules.Writer) error {
		_, err := r.kotsChange(ctx, w, args, throwawayPassword())
		return err
	})
	if err != nil {
		return err
	}
	r.did = append(r.did, "installed "+r.release.versionLabel)
	return nil
}

// ensureNamespace creates the namespace before the password secret goes in
// it, as `kots install` would first (pkg/kotsadm/main.go:200, "Creating
// namespace"), which then finds it there.
func (r *kotsRun) ensureNamespace(ctx context.Context) error {
	err := r.kube.Get(ctx, kube.Namespaces, "", r.o.namespace, &corev1.Namespace{})
	if !apierrors.IsNotFound(err) {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: r.o.namespace}}
	return r.h.Change("create namespace "+r.o.namespace+" (kots install deploys the Admin Console in it)", func(w modules.Writer) error {
		if err := r.kube.Create(ctx, w, kube.Namespaces, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
		return nil
	})
}

// upgrade uploads the bundle as an update and deploys it.
func (r *kotsRun) upgrade(ctx context.Context, from string) error {
	args := []string{"upstream", "upgrade", r.o.slug, "--airgap-bundle", r.o.bundle, "--deploy"}
	if r.o.skipPreflights {
		args = append(args, "--skip-preflights")
	}
	args = append(args, "-o", "json")
	err := r.h.Change("run: "+r.display(args...), func(w modules.Writer) error {
		out, err := r.kotsChange(ctx, w, args, "")
		if err != nil {
			return err
		}
		return upgradeOutcome(out)
	})
	if err != nil {
		return err
	}
	r.did = append(r.did, fmt.Sprintf("upgraded %s -> %s", from, r.release.versionLabel))
	return nil
}

// upgradeOutcome reads `upstream upgrade -o json`, which exits 0 even when
// the upgrade failed: the JSON line (after any progress lines) says.
func upgradeOutcome(out string) error {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		line := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var res struct {
			Success bool   `json:"success"`
			Error   string `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return fmt.Errorf("upstream upgrade printed %q: %v", line, err)
		}
		if !res.Success {
			return fmt.Errorf("upstream upgrade failed: %s", res.Error)
		}
		return nil
	}
	return fmt.Errorf("upstream upgrade -o json printed no result: %s", lastLines(out, 5))
}

// applyConfig sets the supplied config when it differs from the app's: the
// deployed version's, or after an upgrade the newest version's.
func (r *kotsRun) applyConfig(ctx context.Context, upgraded bool) error {
	if r.values == nil {
		return nil
	}
	args := []string{"get", "config", "--appslug", r.o.slug, "--decrypt"}
	if !upgraded {
		args = append(args, "--current")
	}
	out, err := r.kotsRead(ctx, args...)
	if err != nil {
		return err
	}
	current, defaults, err := parseConfigValues([]byte(out))
	if err != nil {
		return fmt.Errorf("`%s` printed no ConfigValues: %v", r.display(args...), err)
	}
	current.secretValues(r.h, r.release)
	differ := r.values.drift(current, defaults)
	if len(differ) == 0 {
		return nil
	}
	file, err := r.writeValues(ctx)
	if err != nil {
		return err
	}
	set := []string{"set", "config", r.o.slug, "--config-file", file, "--merge", "--deploy"}
	if r.o.skipPreflights {
		set = append(set, "--skip-preflights")
	}
	err = r.h.Change(fmt.Sprintf("run: %s (items changed: %s)", r.display(set...), strings.Join(differ, ", ")), func(w modules.Writer) error {
		_, err := r.kotsChange(ctx, w, set, "")
		return err
	})
	if err != nil {
		return err
	}
	r.did = append(r.did, "config changed: "+strings.Join(differ, ", "))
	return nil
}

// writeValues puts the ConfigValues file on the host (mode 0600) and
// returns its path; a config_values_file is used as it is.
func (r *kotsRun) writeValues(ctx context.Context) (string, error) {
	if r.o.valuesFile != "" {
		return r.o.valuesFile, nil
	}
	dest := r.o.valuesDest
	if dest == "" {
		dest = path.Join(path.Dir(r.o.bundle), r.o.slug+"-configvalues.yaml")
	}
	text, err := renderKotsConfigValues(r.o.slug, r.values)
	if err != nil {
		return "", err
	}
	// The file holds secrets: its Diffs are dropped, never shown.
	_, err = modules.WritePrivateFile(ctx, r.h, dest, text)
	return dest, err
}

// ensurePassword sets the Admin Console password when the secret is missing
// or holds another one, as KOTS's ChangePassword does (pkg/password):
// bcrypt cost 10, passwordUpdatedAt, the lockout labels removed, and the
// sessions secret emptied so that every session is logged out.
func (r *kotsRun) ensurePassword(ctx context.Context) error {
	if r.o.password == "" {
		return nil
	}
	existing := &corev1.Secret{}
	err := r.kube.Get(ctx, kube.Secrets, r.o.namespace, kotsPasswordSecret, existing)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading secret %s/%s: %w", r.o.namespace, kotsPasswordSecret, err)
	}
	if err == nil && bcrypt.CompareHashAndPassword(existing.Data["passwordBcrypt"], []byte(r.o.password)) == nil {
		return r.ensurePasswordLabels(ctx, existing)
	}
	what := fmt.Sprintf("set the Admin Console password (secret %s/%s, bcrypt; logs out every session)", r.o.namespace, kotsPasswordSecret)
	if apierrors.IsNotFound(err) {
		existing = nil
	}
	err = r.h.Change(what, func(w modules.Writer) error { return r.setPassword(ctx, w, existing) })
	if err == nil {
		r.did = append(r.did, "Admin Console password set")
	}
	return err
}

func (r *kotsRun) setPassword(ctx context.Context, w modules.Writer, existing *corev1.Secret) error {
	hash, err := bcrypt.GenerateFromPassword([]byte(r.o.password), 10)
	if err != nil {
		return err
	}
	data := map[string][]byte{"passwordBcrypt": hash, "passwordUpdatedAt": []byte(time.Now().Format(time.RFC3339))}
	if existing == nil {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: kotsPasswordSecret, Namespace: r.o.namespace, Labels: kotsadmLabels()}, Data: data}
		err = r.kube.Create(ctx, w, kube.Secrets, s)
	} else {
		existing.Data = data
		existing.Labels = mergeLabels(existing.Labels, kotsadmLabels())
		delete(existing.Labels, "numAttempts")
		delete(existing.Labels, "lastFailure")
		err = r.kube.Update(ctx, w, kube.Secrets, existing)
	}
	if err != nil {
		return err
	}
	sessions := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: kotsSessionsSecret, Namespace: r.o.namespace}, Data: map[string][]byte{}}
	if err := r.kube.Update(ctx, w, kube.Secrets, sessions); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("password set, but logging out the sessions (secret %s) failed: %w", kotsSessionsSecret, err)
	}
	return nil
}

func (r *kotsRun) passwordSecretExists(ctx context.Context) (bool, error) {
	err := r.kube.Get(ctx, kube.Secrets, r.o.namespace, kotsPasswordSecret, &corev1.Secret{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// throwawayPassword satisfies install's prompt; KOTS discards it because the
// kotsadm-password secret exists.
func throwawayPassword() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

// kotsArgs is a kots command line: the CLI, the subcommand, then the flags
// every command gets (namespace, kubeconfig).
func (r *kotsRun) kotsArgs(args ...string) []string {
	argv := append(append([]string{}, r.o.kots...), args...)
	return append(argv, "--namespace", r.o.namespace, "--kubeconfig", r.o.kubeconfig)
}

func (r *kotsRun) display(args ...string) string { return shellquote.Join(r.kotsArgs(args...)) }

func (r *kotsRun) env() map[string]string {
	if r.o.tmpdir == "" {
		return nil
	}
	return map[string]string{"TMPDIR": r.o.tmpdir}
}

// kotsRead runs a read-only kots command (also in check mode).
func (r *kotsRun) kotsRead(ctx context.Context, args ...string) (string, error) {
	out, err := r.h.Query(ctx, modules.Command{Argv: r.kotsArgs(args...), Env: r.env()})
	if err != nil {
		return "", fmt.Errorf("running `%s` on %s: %w", r.display(args...), modules.HostLabel(r.h), err)
	}
	if out.RC != 0 {
		return "", r.kotsError(args, out)
	}
	return out.Stdout, nil
}

// kotsChange runs a kots command that changes the app, streaming its output.
// A non-empty sharedPassword goes into KOTS_SHARED_PASSWORD through stdin.
func (r *kotsRun) kotsChange(ctx context.Context, w modules.Writer, args []string, sharedPassword string) (string, error) {
	return r.kotsChangeWith(ctx, w, args, "KOTS_SHARED_PASSWORD", sharedPassword)
}

// kotsChangeWith is kotsChange with a secret value for the environment
// variable name (a constant: the CLI's viper reads KOTS_<FLAG>), passed
// through stdin so that it is on no command line and in no remote env.
func (r *kotsRun) kotsChangeWith(ctx context.Context, w modules.Writer, args []string, name, secret string) (string, error) {
	cmd := modules.Command{Argv: r.kotsArgs(args...), Env: r.env()}
	if secret != "" {
		r.h.AddSecret(secret)
		script := fmt.Sprintf(`IFS= read -r %[1]s && export %[1]s && exec "$@"`, name)
		cmd.Argv = append([]string{"/bin/sh", "-c", script, "kots"}, cmd.Argv...)
		cmd.Stdin = strings.NewReader(secret + "\n")
	}
	stdout, stderr := modules.NewLineEmitters(r.h)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	out, err := w.Run(ctx, cmd)
	stdout.Flush()
	stderr.Flush()
	if err != nil {
		return "", fmt.Errorf("running `%s` on %s: %w", r.display(args...), modules.HostLabel(r.h), err)
	}
	if out.RC != 0 {
		return "", r.kotsError(args, out)
	}
	return out.Stdout, nil
}

func (r *kotsRun) kotsError(args []string, out modules.Output) error {
	if out.RC == 127 {
		return fmt.Errorf("kots_bin `%s` is not a command on %s: %s; install the KOTS CLI from the kURL bundle or set kots_bin",
			strings.Join(r.o.kots, " "), modules.HostLabel(r.h), modules.FirstLine(out.Stderr))
	}
	// KOTS prints some failures (preflights, auth) on stdout.
	detail := strings.TrimSpace(lastLines(out.Stderr, 10) + "\n" + lastLines(out.Stdout, 15))
	return fmt.Errorf("`%s` failed on %s (rc %d):\n%s", r.display(args...), modules.HostLabel(r.h), out.RC, detail)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// kotsVersion is an entry of `get versions -o json`, newest first.
type kotsVersion struct {
	VersionLabel string `json:"versionLabel"`
	Sequence     int64  `json:"sequence"`
	Status       string `json:"status"`
}

// kotsStatus is the app's state and its newest version.
type kotsStatus struct {
	state  string
	newest kotsVersion
}

func (s kotsStatus) ready() bool { return s.state == "ready" && s.newest.Status == "deployed" }

func (s kotsStatus) String() string {
	return fmt.Sprintf("app state %s, newest version %s (sequence %d) %s", s.state, s.newest.VersionLabel, s.newest.Sequence, s.newest.Status)
}

func (r *kotsRun) status(ctx context.Context) (kotsStatus, bool, error) {
	app, err := r.installedApp(ctx)
	if err != nil || app == nil {
		return kotsStatus{}, false, err
	}
	out, err := r.kotsRead(ctx, "get", "versions", r.o.slug, "-o", "json")
	if err != nil {
		return kotsStatus{}, true, err
	}
	var versions []kotsVersion
	if err := json.Unmarshal([]byte(out), &versions); err != nil || len(versions) == 0 {
		return kotsStatus{}, true, fmt.Errorf("`%s` printed %q, not a list of versions", r.display("get", "versions", r.o.slug, "-o", "json"), modules.FirstLine(out))
	}
	newest := versions[0]
	for _, v := range versions {
		if v.Sequence > newest.Sequence {
			newest = v
		}
	}
	return kotsStatus{state: app.State, newest: newest}, true, nil
}

// wait polls until the app is ready and its newest version deployed, and
// fails at once on a version KOTS will not deploy by itself.
func (r *kotsRun) wait(ctx context.Context) (kotsStatus, error) {
	deadline := time.Now().Add(r.o.waitTimeout)
	for {
		st, found, err := r.status(ctx)
		if err != nil {
			return st, err
		}
		if !found {
			return st, fmt.Errorf("app %s is not in `%s` after the install", r.o.slug, r.display("get", "apps"))
		}
		switch {
		case st.ready():
			return st, nil
		case st.newest.Status == "failed":
			return st, fmt.Errorf("app %s failed to deploy: %s; see the Admin Console (%s)", r.o.slug, st, r.adminHint())
		case st.newest.Status == "pending_config":
			return st, fmt.Errorf("app %s is not deployed: %s: a required config item has no value; add it to config_values", r.o.slug, st)
		case st.newest.Status == "pending":
			return st, fmt.Errorf("app %s is not deployed: %s: KOTS will not deploy it by itself (its preflight checks blocked it?); see the Admin Console (%s), fix the cause or set skip_preflights, and run again", r.o.slug, st, r.adminHint())
		case !time.Now().Before(deadline):
			return st, fmt.Errorf("app %s is not ready after %s: %s; raise wait_timeout, or see the Admin Console (%s)", r.o.slug, r.o.waitTimeout, st, r.adminHint())
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(min(r.o.pollInterval, time.Until(deadline)+time.Millisecond)):
		}
	}
}

func (r *kotsRun) adminHint() string {
	return fmt.Sprintf("kubectl -n %s port-forward svc/kotsadm 8800:3000", r.o.namespace)
}

// result reports the app's state after converge, waiting (wait_timeout)
// for it to settle. A change the gate only planned (check mode: Pending)
// made nothing that could settle, so then the state is read once and the
// message counts the plan. Either way the result carries the ConfigValues
// an install or set config applies (--diff), secrets masked.
func (r *kotsRun) result(ctx context.Context) (modules.Result, error) {
	data := map[string]any{"app_slug": r.o.slug, "version_label": r.release.versionLabel, "admin_console_hint": r.adminHint()}
	pending := r.h.Pending()
	var st kotsStatus
	found, err := true, error(nil)
	if r.o.waitTimeout > 0 && !pending {
		st, err = r.wait(ctx)
	} else {
		st, found, err = r.status(ctx)
	}
	if found {
		data["state"], data["version_status"], data["sequence"] = st.state, st.newest.Status, st.newest.Sequence
	}
	if err != nil {
		return modules.Result{Failed: true, Msg: err.Error(), Data: data}, nil
	}
	msg := fmt.Sprintf("%s %s (sequence %d) is %s", r.o.slug, st.newest.VersionLabel, st.newest.Sequence, st.state)
	if pending {
		msg = fmt.Sprintf("%s %s: %d change(s) planned", r.o.slug, r.release.versionLabel, len(r.h.Changes()))
	} else if len(r.did) > 0 {
		msg += ": " + strings.Join(r.did, "; ")
	}
	return modules.Result{Msg: msg, Data: data, Diffs: r.appliedValues()}, nil
}
