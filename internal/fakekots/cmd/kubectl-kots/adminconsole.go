package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/fakekots/kotsadm"
	"github.com/ferry-sh/ferry/internal/fakekots/registry"
)

// versionEnv names the variable holding this build's version, which the
// real CLI has from its release (buildversion.Version(), set by goreleaser
// without the leading v: deploy/.goreleaser.yaml:20), so that a test can
// stand for a kubectl-kots newer than the kotsadm running.
const versionEnv = "FAKEKOTS_VERSION"

func cliVersion() string {
	if v := os.Getenv(versionEnv); v != "" {
		return v
	}
	return strings.TrimPrefix(kotsadm.Tag, "v")
}

// kotsadmTag is the tag of the kotsadm this CLI deploys:
// KotsadmTagForVersionString (pkg/kotsadm/version/kotsadm_version.go:27-41)
// for a release version, the version with a leading v.
func kotsadmTag() string {
	return "v" + strings.TrimPrefix(cliVersion(), "v")
}

// kotsadmRegistry is KotsadmRegistry (kotsadm_version.go:45-60): where
// kotsadm's images come from, Docker Hub's kotsadm unless overridden.
func kotsadmRegistry(host, namespace string) string {
	switch {
	case host == "" && namespace == "":
		return "docker.io/kotsadm"
	case host == "":
		return "docker.io/" + namespace
	case namespace == "":
		return host
	}
	return host + "/" + namespace
}

// runVersion is `kots version` (cmd/kots/cli/version.go): "Replicated KOTS
// VERSION", or {"version":...} with -o json. The real one also asks the
// internet for a newer release, which fails quietly in airgap.
func runVersion(c *invocation) error {
	switch out := c.str("output"); out {
	case "":
		fmt.Fprintf(c.stdout, "Replicated KOTS %s\n", cliVersion())
	case "json":
		data, err := json.Marshal(map[string]string{"version": cliVersion()})
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, string(data))
	default:
		return fmt.Errorf("output format %s not supported (allowed formats are: json)", out)
	}
	return nil
}

// adminConsoleUpgradeFlags are AdminConsoleUpgradeCmd's
// (cmd/kots/cli/admin-console-upgrade.go:136-152) and registryFlags
// (cmd/kots/cli/install.go:803-812).
func adminConsoleUpgradeFlags(fs *flagSet) {
	fs.Bool("force-upgrade-kurl", false, "set to force upgrade even if this is a kurl cluster")
	fs.String("wait-duration", "5m", "timeout out to be used while waiting for individual components to be ready. must be in Go duration format (eg: 10s, 2m)")
	fs.Bool("ensure-rbac", true, "when set, kots will create the roles and rolebindings necessary to manage applications")
	fs.String("airgap-upload-parallelism", "", "the number of chunks to upload in parallel when installing or updating in airgap mode")
	fs.Bool("strict-security-context", false, "set to explicitly enable explicit security contexts for all kots pods and containers (may not work for some storage providers)")
	fs.String("storage-base-uri", "", "an s3 or oci-registry uri to use for kots persistent storage in the cluster")
	fs.Bool("with-minio", true, "when set, kots will deploy a local minio instance for storage")
	fs.Bool("skip-rbac-check", false, "set to true to bypass rbac check")
	registryFlags(fs)
}

// runAdminConsoleUpgrade is `admin-console upgrade`
// (cmd/kots/cli/admin-console-upgrade.go:32-133, kotsadm.Upgrade in
// pkg/kotsadm/main.go:103-160): kotsadm in the namespace takes this CLI's
// version, from the registry the flags name (never found by itself, unlike
// install's), and the command waits for it to be ready.
func runAdminConsoleUpgrade(c *invocation) error {
	if c.boolean("force-upgrade-kurl") {
		prompt(c, "Upgrading a kotsadm instance created by kURL can result in data loss. Do you want to continue") // never returns without a terminal
	}
	ctx := context.Background()
	k, ns, err := c.recorded()
	if err != nil {
		return err
	}
	wait, err := time.ParseDuration(c.str("wait-duration"))
	if err != nil {
		return fmt.Errorf("failed to parse timeout value: %w", err)
	}
	if ns != metav1.NamespaceDefault {
		c.action("Upgrading Admin Console")
	} else {
		c.action("Upgrading Admin Console in the default namespace")
	}
	if err := canUpgrade(ctx, c, k, ns); err != nil {
		c.action("%s", err) // log.Error(err), main.go:107
		return fmt.Errorf("failed to upgrade: %w", err)
	}
	if err := upgradeKotsadm(ctx, c, k, ns, wait); err != nil {
		return fmt.Errorf("failed to upgrade: %w", err)
	}
	c.action("")
	c.action("The Admin Console is running the latest version")
	c.action("To access the Admin Console, run kubectl kots admin-console --namespace %s", ns)
	c.action("")
	return nil
}

// canUpgrade is pkg/kotsadm/main.go:258-284: the namespace must exist, and
// kURL's own Admin Console (namespace default on kURL) is not upgraded
// without --force-upgrade-kurl.
func canUpgrade(ctx context.Context, c *invocation, k *kube, ns string) error {
	if _, err := k.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); apierrors.IsNotFound(err) {
		return fmt.Errorf("The namespace cannot be found or accessed")
	}
	if c.boolean("force-upgrade-kurl") || ns != metav1.NamespaceDefault {
		return nil
	}
	kurl, err := isKurl(ctx, k)
	if err != nil {
		return fmt.Errorf("failed to check if cluster is kurl: %w", err)
	}
	if kurl {
		return fmt.Errorf("upgrading kURL clusters is not supported")
	}
	return nil
}

// upgradeKotsadm stands for ReadDeployOptionsFromCluster (which prompts for
// a password when the secret holds none, main.go:996-1011) and
// ensureKotsadm (main.go:473-640): kotsadm's image becomes
// KotsadmRegistry/kotsadm:TAG, ready only when a kubelet could pull it (from
// the cluster's registry once push-images put it there), awaited for
// --wait-duration.
func upgradeKotsadm(ctx context.Context, c *invocation, k *kube, ns string, wait time.Duration) error {
	secret, err := k.cs.CoreV1().Secrets(ns).Get(ctx, "kotsadm-password", metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to read deploy options: failed to get shared password secret: %w", err)
	}
	if err != nil || len(secret.Data["passwordBcrypt"]) == 0 {
		promptPassword(c) // never returns without a terminal
	}
	host := c.str("kotsadm-registry")
	tag := kotsadmTag()
	if t := c.str("kotsadm-tag"); t != "" {
		tag = t
	}
	image := kotsadmRegistry(host, c.str("kotsadm-namespace")) + "/kotsadm:" + tag
	pullable := true
	if host != "" {
		if pullable, err = registry.Has(ctx, k.cs, image); err != nil {
			return err
		}
	}
	if err := kotsadm.DeployImage(ctx, k.cs, ns, image, pullable); err != nil {
		return fmt.Errorf("failed to upgrade admin console: failed to ensure kotsadm exists: %w", err)
	}
	c.child("Waiting for Admin Console to be ready")
	deadline := time.Now().Add(wait)
	for {
		ok, err := kotsadmRunning(ctx, k, ns)
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("failed to upgrade admin console: failed to wait for web: timeout waiting for deployment to become ready")
		}
		time.Sleep(500 * time.Millisecond)
	}
}
