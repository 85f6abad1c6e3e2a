package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/fakekots/kotsadm"
	"github.com/ferry-sh/ferry/internal/fakekots/registry"
)

// installFlags are the real install command's flags (cmd/kots/cli/install.go).
func installFlags(fs *flagSet) {
	fs.String("shared-password", "", "shared password to apply")
	fs.String("name", "", "name of the application to use in the Admin Console")
	fs.String("local-path", "", "specify a local-path to test the behavior of rendering a replicated app locally")
	fs.String("license-file", "", "path to a license file to use when download a replicated app")
	fs.String("config-values", "", "path to a manifest containing config values (must be apiVersion: kots.io/v1beta1, kind: ConfigValues)")
	fs.Bool("port-forward", true, "set to false to disable automatic port forward")
	fs.Bool("no-port-forward", false, "set to true to disable automatic port forward")
	fs.Int("port", 8800, "local port to listen on when port forwarding is enabled")
	fs.String("wait-duration", "2m", "timeout to be used while waiting for individual components to be ready. must be in Go duration format (eg: 10s, 2m)")
	fs.String("preflights-wait-duration", "15m", "timeout to be used while waiting for preflights to complete. must be in Go duration format (eg: 10s, 2m)")
	fs.String("http-proxy", "", "sets HTTP_PROXY environment variable in all KOTS Admin Console components")
	fs.String("https-proxy", "", "sets HTTPS_PROXY environment variable in all KOTS Admin Console components")
	fs.String("no-proxy", "", "sets NO_PROXY environment variable in all KOTS Admin Console components")
	fs.Bool("copy-proxy-env", false, "copy proxy environment variables from current environment into all KOTS Admin Console components")
	fs.String("airgap-bundle", "", "path to the application airgap bundle where application metadata will be loaded from")
	fs.Bool("airgap", false, "set to true to run install in airgapped mode. setting --airgap-bundle implies --airgap=true.")
	fs.Bool("skip-preflights", false, "set to true to skip preflight checks")
	fs.Bool("disable-image-push", false, "set to true to disable images from being pushed to private registry")
	fs.Bool("skip-registry-check", false, "set to true to skip the connectivity test and validation of the provided registry information")
	fs.Bool("strict-security-context", false, "set to explicitly enable explicit security contexts for all kots pods and containers")
	fs.Bool("skip-compatibility-check", false, "set to true to skip compatibility checks between the current kots version and the app")
	fs.String("app-version-label", "", "the application version label to install. if not specified, the latest version will be installed")
	fs.Bool("exclude-admin-console", false, "set to true to exclude the admin console and only install the application")
	registryFlags(fs)
	// Hidden in the real CLI, accepted all the same (install.go:586-614).
	fs.Bool("rewrite-images", false, "set to true to force all container images to be rewritten and pushed to a local registry")
	fs.String("image-namespace", "", "the namespace/org in the docker registry to push images to (required when --rewrite-images is set)")
	fs.String("registry-endpoint", "", "the endpoint of the local docker registry to use when pushing images (required when --rewrite-images is set)")
	fs.String("storage-base-uri", "", "an s3 or oci-registry uri to use for kots persistent storage in the cluster")
	fs.String("airgap-upload-parallelism", "", "the number of chunks to upload in parallel when installing or updating in airgap mode")
	fs.Bool("enable-identity-service", false, "when set, the KOTS identity service will be enabled")
	fs.String("identity-config", "", "path to a manifest containing the KOTS identity service configuration (must be apiVersion: kots.io/v1beta1, kind: IdentityConfig)")
	fs.Bool("enable-ingress", false, "when set, ingress will be enabled for the KOTS Admin Console")
	fs.String("ingress-config", "", "path to a kots.Ingress resource file")
	fs.String("storage-class", "", "sets the storage class to use for the KOTS Admin Console components")
	fs.Bool("with-minio", true, "when set, kots will deploy a local minio instance for storage")
	fs.Bool("ensure-rbac", true, "when set, kots will create the roles and rolebindings necessary to manage applications")
	fs.Bool("use-minimal-rbac", false, "when set, kots will be namespace scoped if application supports namespace scoped installations")
	fs.Bool("skip-rbac-check", false, "set to true to bypass rbac check")
	fs.String("private-ca-configmap", "", "the name of a configmap containing private CAs to add to the kotsadm deployment")
	fs.StringArray("additional-labels", nil, "additional labels to add to kotsadm pods")
	fs.StringArray("additional-annotations", nil, "additional annotations to add to kotsadm pods")
	fs.StringArray("tolerations", nil, "tolerations to add to kotsadm pods")
}

func registryFlags(fs *flagSet) {
	fs.String("kotsadm-registry", "", "set to override the registry of kotsadm images. used for airgapped installations.")
	fs.String("registry-username", "", "username to use to authenticate with the application registry. used for airgapped installations.")
	fs.String("registry-password", "", "password to use to authenticate with the application registry. used for airgapped installations.")
	fs.String("kotsadm-tag", "", "set to override the tag of kotsadm")
	fs.String("kotsadm-namespace", "", "set to override the namespace of kotsadm images. used for airgapped installations.")
}

// runInstall follows InstallCmd's order: license, namespace (prompted when
// missing), bundle metadata, config values, the Admin Console deploy with its
// secrets (the password prompted when --shared-password is empty, even when
// the kotsadm-password secret exists: ensureSharedPasswordSecret prompts
// before it looks), the upload and the automated install, preflights, and
// the final message or the blocking port-forward.
func runInstall(c *invocation) error {
	if len(c.args) == 0 {
		return c.help()
	}
	ctx := context.Background()
	k, err := c.kube()
	if err != nil {
		return err
	}
	lic, err := c.licenseFlag()
	if err != nil {
		return err
	}
	ns := c.str("namespace")
	if ns == "" {
		prompt(c, "Enter the namespace to deploy to: ") // never returns without a terminal
	}
	record(ns, c.argv)
	bundle := c.str("airgap-bundle")
	var rel release
	if bundle != "" {
		if rel, err = readBundle(bundle); err != nil {
			return fmt.Errorf("failed to get metadata from %s: %w", bundle, err)
		}
	}
	values := map[string]configValue{}
	if path := c.str("config-values"); path != "" {
		if values, err = readConfigValues(path); err != nil {
			return fmt.Errorf("failed to parse config values: %w", err)
		}
	}
	if _, err := time.ParseDuration(c.str("wait-duration")); err != nil {
		return fmt.Errorf("failed to parse timeout value: %w", err)
	}
	if _, err := time.ParseDuration(c.str("preflights-wait-duration")); err != nil {
		return fmt.Errorf("failed to parse timeout value: %w", err)
	}
	if bundle != "" && lic == nil {
		return fmt.Errorf("license is required when airgap bundle is specified")
	}
	reg, err := installRegistry(ctx, c, k, lic, bundle)
	if err != nil {
		return err
	}
	if err := deployAdminConsole(ctx, c, k, ns, reg); err != nil {
		return err
	}
	if lic == nil {
		c.action("")
		c.action("To access the Admin Console, run kubectl kots admin-console --namespace %s", ns)
		return nil
	}
	c.action("Uploading app archive")
	c.action("Waiting for installation to complete")
	status, err := automatedInstall(ctx, k, ns, lic, rel, values, c.boolean("skip-preflights"))
	var perr *preflightError
	if errors.As(err, &perr) {
		printPreflight(c.stdout, perr)
		return &exitError{code: 1, silent: true}
	}
	if err != nil {
		return err
	}
	return c.finishInstall(ns, status)
}

func (c *invocation) licenseFlag() (*license, error) {
	path := c.str("license-file")
	if path == "" {
		return nil, nil
	}
	return readLicense(path)
}

// deployAdminConsole stands for kotsadm.Deploy (pkg/kotsadm/main.go): it
// creates the namespace, the password secret and kotsadm itself, then waits
// for kotsadm. With --exclude-admin-console, or on a kURL cluster (configmap
// kube-system/kurl-config) when the namespace is "default"
// (cmd/kots/cli/install.go:384), it deploys nothing of the Admin Console: it
// uses the kotsadm already there and overwrites its password with
// --shared-password (install.go:399).
func deployAdminConsole(ctx context.Context, c *invocation, k *kube, ns string, reg installImages) error {
	if err := reg.pushApp(ctx, c, k); err != nil {
		return err
	}
	exclude, err := excludeAdminConsole(ctx, c, k, ns)
	if err != nil {
		return err
	}
	if exclude {
		c.action("Deploying application")
		if err := waitForKotsadm(ctx, c, k, ns); err != nil {
			return err
		}
		if password := c.str("shared-password"); password != "" {
			if err := changePassword(ctx, k, ns, password); err != nil {
				return err
			}
		}
		return nil
	}
	c.action("Deploying Admin Console")
	c.child("Creating namespace")
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if _, err := k.cs.CoreV1().Namespaces().Create(ctx, nsObj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to deploy: failed to verify access to namespace: %w", err)
	}
	if err := ensureSharedPassword(ctx, c, k, ns); err != nil {
		return err
	}
	image := kotsadmImage(reg.creds, reg.namespace)
	pullable := true
	if reg.creds.Host != "" {
		if pullable, err = registry.Has(ctx, k.cs, image); err != nil {
			return fmt.Errorf("failed to deploy: %w", err)
		}
	}
	if err := kotsadm.DeployImage(ctx, k.cs, ns, image, pullable); err != nil {
		return fmt.Errorf("failed to deploy: failed to ensure kotsadm exists: %w", err)
	}
	return waitForKotsadm(ctx, c, k, ns)
}

// installImages is where install's images go: the registry, its namespace
// (the app's slug on kURL) and the app bundle whose images it pushes.
type installImages struct {
	creds     registry.Creds
	namespace string
	bundle    string
}

// installRegistry finds the registry (getRegistryConfig) and checks its
// login unless --skip-registry-check (cmd/kots/cli/install.go:127-145).
func installRegistry(ctx context.Context, c *invocation, k *kube, lic *license, bundle string) (installImages, error) {
	slug := ""
	if lic != nil {
		slug = lic.appSlug
	}
	creds, namespace, err := registryConfig(ctx, c, k, slug, bundle != "" || c.boolean("airgap"))
	if err != nil || creds.Host == "" || c.boolean("skip-registry-check") {
		return installImages{creds: creds, namespace: namespace, bundle: bundle}, err
	}
	c.action("Validating registry information")
	if err := registry.CheckAccess(ctx, k.cs, creds.Host, creds.Username, creds.Password); err != nil {
		return installImages{}, fmt.Errorf("Failed to test access to %q with user %q: %v", creds.Host, creds.Username, err)
	}
	return installImages{creds: creds, namespace: namespace, bundle: bundle}, nil
}

// pushApp is the start of kotsadm.Deploy (pkg/kotsadm/main.go:158-186): an
// airgap bundle's images go to the registry unless --disable-image-push;
// without a registry nothing is pushed.
func (r installImages) pushApp(ctx context.Context, c *invocation, k *kube) error {
	switch {
	case r.bundle == "":
		return nil
	case r.creds.Host == "":
		c.info("not pushing airgapped app images as no registry was provided")
		return nil
	case c.boolean("disable-image-push"):
		return nil
	}
	if err := pushBundle(ctx, k, r.bundle, r.creds.Host, r.namespace); err != nil {
		return fmt.Errorf("failed to deploy: failed to tag and push app images from path: %w", err)
	}
	return nil
}

// excludeAdminConsole is install.go:384: the flag, or kURL and "default".
func excludeAdminConsole(ctx context.Context, c *invocation, k *kube, ns string) (bool, error) {
	if c.boolean("exclude-admin-console") {
		return true, nil
	}
	if ns != metav1.NamespaceDefault {
		return false, nil
	}
	kurl, err := isKurl(ctx, k)
	if err != nil {
		return false, fmt.Errorf("failed to check if cluster is kurl: %w", err)
	}
	return kurl, nil
}

// isKurl is pkg/kurl/configmap.go IsKurl: configmap kube-system/kurl-config
// exists; NotFound, Forbidden and Unauthorized mean not kURL.
func isKurl(ctx context.Context, k *kube) (bool, error) {
	_, err := k.cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "kurl-config", metav1.GetOptions{})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err), apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return false, nil
	}
	return false, err
}

// waitForKotsadm is the wait at the end of kotsadm.Deploy.
func waitForKotsadm(ctx context.Context, c *invocation, k *kube, ns string) error {
	c.child("Waiting for Admin Console to be ready")
	wait, _ := time.ParseDuration(c.str("wait-duration"))
	deadline := time.Now().Add(wait)
	for {
		ok, err := kotsadmRunning(ctx, k, ns)
		if err != nil {
			return fmt.Errorf("failed to deploy: %w", err)
		}
		if ok {
			return ensureAuthSlug(ctx, k, ns)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("Failed to deploy: timeout waiting for deployment kotsadm to be ready. Use the --wait-duration flag to increase timeout.")
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// ensureSharedPassword is ensureSharedPasswordSecret (pkg/kotsadm/secrets.go):
// an empty --shared-password (and no KOTS_SHARED_PASSWORD) is prompted for
// first, whether or not the secret exists; the value is then used only when
// the kotsadm-password secret does not exist yet.
func ensureSharedPassword(ctx context.Context, c *invocation, k *kube, ns string) error {
	password := c.str("shared-password")
	if password == "" {
		password = promptPassword(c)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), 10)
	if err != nil {
		return fmt.Errorf("failed to deploy: failed to ensure secrets exist: failed to ensure shared password secret: failed to bcrypt shared password: %w", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-password", Namespace: ns, Labels: map[string]string{"kots.io/kotsadm": "true"}},
		Data:       map[string][]byte{"passwordBcrypt": hash},
	}
	_, err = k.cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to deploy: failed to ensure secrets exist: failed to ensure shared password secret: failed to create password secret: %w", err)
	}
	return nil
}

// automatedInstall is kotsadm's side of an airgap install
// (pkg/automation/automation.go): it refuses a license already installed,
// creates the first version with the given config, runs preflights and
// deploys. It returns the version's status.
func automatedInstall(ctx context.Context, k *kube, ns string, lic *license, rel release, values map[string]configValue, skipPreflights bool) (string, error) {
	existing, err := loadApp(ctx, k, ns, lic.appSlug)
	if err != nil {
		return "", err
	}
	if existing != nil {
		return "", fmt.Errorf("failed to validate installation: license already exists for app %s", lic.appSlug)
	}
	a := &app{Slug: lic.appSlug, License: lic.raw}
	v := a.addVersion(version{VersionLabel: rel.versionLabel, UpdateCursor: rel.updateCursor, Source: "Airgap Install", Items: rel.items, Preflights: rel.preflights, Values: values})
	blocked := settle(v, v.Preflights, skipPreflights)
	if err := saveApp(ctx, k, ns, a); err != nil {
		return "", fmt.Errorf("failed to validate installation: %w", err)
	}
	if blocked != nil {
		return "", blocked
	}
	if err := createAppSecrets(ctx, k, ns); err != nil {
		return "", fmt.Errorf("failed to deploy: %w", err)
	}
	return v.Status, nil
}

// settle decides what happens to a new version that should be deployed:
// pending_config when a required item has no value, pending (not deployed,
// with the preflight error) when preflights block, else deploying.
func settle(v *version, checks []preflightCheck, skipPreflights bool) error {
	if len(missingRequired(v.Items, v.Values)) > 0 {
		v.Status = statusPendingConfig
		return nil
	}
	if perr := preflightBlock(checks, skipPreflights); perr != nil {
		v.Status = statusPending
		return perr
	}
	deploy(v)
	return nil
}

func (c *invocation) finishInstall(ns, status string) error {
	if status == statusPendingConfig {
		c.action("Additional app configuration is required. Please login to the Admin Console to continue")
	}
	portForward := !c.boolean("no-port-forward") && c.boolean("port-forward")
	if portForward {
		c.action("")
		c.action("Press Ctrl+C to exit")
		c.action("Go to http://localhost:%s to access the Admin Console", c.flags.Lookup("port").Value.String())
		c.action("")
		waitForInterrupt()
		c.action("")
		c.action("Cleaning up")
		c.action("")
		c.action("To access the Admin Console again, run kubectl kots admin-console --namespace %s", ns)
		return nil
	}
	c.action("")
	c.action("To access the Admin Console, run kubectl kots admin-console --namespace %s", ns)
	c.action("")
	return nil
}
