package kots

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// The images of an airgapped install. On kURL, `kots install` pushes the
// app's images to the cluster's registry, which it finds in Secret
// default/registry-creds (KOTS getRegistryConfig, cmd/kots/cli/install.go:814-851;
// GetEmbeddedRegistryCreds, pkg/kotsutil/embedded.go:39-84), and runs the
// Admin Console from REGISTRY/<app slug>/kotsadm:<tag>
// (pkg/kotsadm/objects/images.go:37-38), which nothing but
// `kubectl kots admin-console push-images kotsadm.tar.gz REGISTRY/<app slug>`
// puts there.

// kotsRegistry is the kURL registry's address and login.
type kotsRegistry struct{ host, user, password string }

// embeddedRegistry reads registry-creds as KOTS does: the auths entry whose
// user is kurl. Its absence is an error: the install would have nowhere to
// push the images.
func (r *kotsRun) embeddedRegistry(ctx context.Context) (kotsRegistry, error) {
	secret := &corev1.Secret{}
	err := r.kube.Get(ctx, kube.Secrets, "default", "registry-creds", secret)
	if apierrors.IsNotFound(err) {
		return kotsRegistry{}, fmt.Errorf("the cluster on %s has no image registry (Secret default/registry-creds, which kURL's registry add-on writes): an airgapped `kots install` pushes the app's images there and runs the Admin Console from it; install kURL with an installer that has the registry add-on", modules.HostLabel(r.h))
	}
	if err != nil {
		return kotsRegistry{}, fmt.Errorf("reading Secret default/registry-creds on %s: %w", modules.HostLabel(r.h), err)
	}
	var config struct {
		Auths map[string]struct{ Username, Password string } `json:"auths"`
	}
	if err := json.Unmarshal(secret.Data[corev1.DockerConfigJsonKey], &config); err == nil {
		for _, host := range slices.Sorted(maps.Keys(config.Auths)) {
			if a := config.Auths[host]; a.Username == "kurl" {
				r.h.AddSecret(a.Password)
				return kotsRegistry{host: host, user: a.Username, password: a.Password}, nil
			}
		}
	}
	return kotsRegistry{}, fmt.Errorf("Secret default/registry-creds on %s has no login of user kurl, the one kURL's registry add-on creates and KOTS looks for", modules.HostLabel(r.h))
}

// pushKotsadmImages pushes the Admin Console's own images before the first
// install, with the registry's password on stdin (KOTS_REGISTRY_PASSWORD,
// read by the CLI's viper), never on the command line.
func (r *kotsRun) pushKotsadmImages(ctx context.Context) error {
	args := []string{"admin-console", "push-images", r.o.kotsadmBundle, r.registry.host + "/" + r.o.slug, "--registry-username", r.registry.user}
	return r.h.Change("run: "+r.display(args...)+" (KOTS_REGISTRY_PASSWORD from stdin)", func(w modules.Writer) error {
		_, err := r.kotsChangeWith(ctx, w, args, "KOTS_REGISTRY_PASSWORD", r.registry.password)
		return err
	})
}

// needKotsadmBundle refuses a first install without the Admin Console's
// images, before anything changes.
func (r *kotsRun) needKotsadmBundle() error {
	if r.o.kotsadmBundle == "" {
		return fmt.Errorf("kotsadm_bundle is not set: with kURL's registry at %s, `kots install` runs the Admin Console from %s/%s/kotsadm, which only `kubectl kots admin-console push-images kotsadm.tar.gz %s/%s` fills; stage the kotsadm.tar.gz of the KOTS release that matches the server's kubectl-kots (`kubectl kots version`) and set kotsadm_bundle",
			r.registry.host, r.registry.host, r.o.slug, r.registry.host, r.o.slug)
	}
	return nil
}
