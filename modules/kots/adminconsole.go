package kots

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
)

// The Admin Console's own version. kubectl-kots and kotsadm are released
// together: the CLI deploys the kotsadm of its own version (KotsadmTag,
// kots pkg/kotsadm/version/kotsadm_version.go:18-41), and a site that moves
// to a newer KOTS release (a new kots_linux_amd64.tar.gz and kotsadm.tar.gz)
// must upgrade the Admin Console before it uploads the app that needs it:
// `kubectl kots admin-console upgrade` (cmd/kots/cli/admin-console-upgrade.go),
// which runs kotsadm from the registry its flags name. It never finds the
// registry by itself as install does, so without --kotsadm-registry an
// airgapped kotsadm would be pulled from Docker Hub and never start.

// ensureAdminConsoleVersion upgrades kotsadm to the CLI's version when the
// CLI is newer: the new kotsadm.tar.gz's images pushed to kURL's registry,
// then `admin-console upgrade` from there. An older CLI never downgrades it.
func (r *kotsRun) ensureAdminConsoleVersion(ctx context.Context) error {
	running, err := r.kotsadmTag(ctx)
	if err != nil || running == "" {
		return err
	}
	cli, err := r.cliVersion(ctx)
	if err != nil {
		return err
	}
	if !newerRelease(cli, running) {
		return nil
	}
	if r.o.kotsadmBundle == "" {
		return fmt.Errorf("kubectl-kots on %s is %s but the Admin Console runs %s: upgrading it (`kubectl kots admin-console upgrade`) needs the new release's images in kURL's registry; set kotsadm_bundle to the kotsadm.tar.gz of KOTS %s",
			modules.HostLabel(r.h), cli, running, cli)
	}
	if err := r.pushKotsadmImages(ctx); err != nil {
		return err
	}
	args := []string{"admin-console", "upgrade", "--kotsadm-registry", r.registry.host, "--kotsadm-namespace", r.o.slug,
		"--registry-username", r.registry.user, "--wait-duration", r.o.waitDuration}
	what := fmt.Sprintf("run: %s (KOTS_REGISTRY_PASSWORD from stdin; the Admin Console runs %s, kubectl-kots is %s)", r.display(args...), running, cli)
	err = r.h.Change(what, func(w modules.Writer) error {
		_, err := r.kotsChangeWith(ctx, w, args, "KOTS_REGISTRY_PASSWORD", r.registry.password)
		return err
	})
	if err != nil {
		return err
	}
	r.did = append(r.did, fmt.Sprintf("upgraded the Admin Console %s -> %s", running, cli))
	return nil
}

// cliVersion is what `kubectl kots version -o json` reports
// (cmd/kots/cli/version.go: {"version": "1.124.4"}).
func (r *kotsRun) cliVersion(ctx context.Context) (string, error) {
	out, err := r.kotsRead(ctx, "version", "-o", "json")
	if err != nil {
		return "", err
	}
	var v struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &v); err != nil || v.Version == "" {
		return "", fmt.Errorf("`%s` printed %q, not the CLI's version", r.display("version", "-o", "json"), modules.FirstLine(out))
	}
	return v.Version, nil
}

// kotsadmTag is the tag of the kotsadm container in the namespace (its
// Deployment, or StatefulSet without minio): the Admin Console's version.
// "" when kotsadm is not there.
func (r *kotsRun) kotsadmTag(ctx context.Context) (string, error) {
	opts := metav1.ListOptions{LabelSelector: "app=kotsadm"}
	deps, sets := &appsv1.DeploymentList{}, &appsv1.StatefulSetList{}
	if err := r.kube.List(ctx, kube.Deployments, r.o.namespace, opts, deps); err != nil {
		return "", fmt.Errorf("reading kotsadm's version in namespace %s: %w", r.o.namespace, err)
	}
	if err := r.kube.List(ctx, kube.StatefulSets, r.o.namespace, opts, sets); err != nil {
		return "", fmt.Errorf("reading kotsadm's version in namespace %s: %w", r.o.namespace, err)
	}
	var pods []corev1.PodSpec
	for _, d := range deps.Items {
		pods = append(pods, d.Spec.Template.Spec)
	}
	for _, s := range sets.Items {
		pods = append(pods, s.Spec.Template.Spec)
	}
	for _, p := range pods {
		for _, c := range p.Containers {
			if c.Name == "kotsadm" {
				_, tag, _ := strings.Cut(c.Image[strings.LastIndex(c.Image, "/")+1:], ":")
				return tag, nil
			}
		}
	}
	return "", nil
}

// newerRelease tells whether release version cli is newer than kotsadm's
// tag; false when either is not a release version (KOTS's own dev builds
// deploy the "alpha" tag, kotsadm_version.go:27-41).
func newerRelease(cli, tag string) bool {
	c, err := semver.StrictNewVersion(strings.TrimPrefix(cli, "v"))
	if err != nil {
		return false
	}
	t, err := semver.StrictNewVersion(strings.TrimPrefix(tag, "v"))
	if err != nil {
		return false
	}
	return c.GreaterThan(t)
}
