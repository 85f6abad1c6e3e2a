package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/fakekots/registry"
)

// bundleImages lists the images an airgap bundle carries, as
// TagAndPushImagesFromBundle finds them (pkg/image/airgap.go:145-190): for
// format "docker" (pkg/docker/types/types.go:4) the Airgap's
// spec.savedImages, as kotsadm.tar.gz has them (scripts/create-airgap-file.go);
// for "docker-archive" or none, one images/docker-archive/NAME/TAG.tar per
// image.
func bundleImages(bundle string) ([]string, error) {
	files, err := tgzFiles(bundle, "airgap.yaml")
	if err != nil {
		return nil, err
	}
	var meta struct {
		Kind string `yaml:"kind"`
		Spec struct {
			Format      string   `yaml:"format"`
			SavedImages []string `yaml:"savedImages"`
		} `yaml:"spec"`
	}
	if err := yaml.Unmarshal(files["airgap.yaml"], &meta); err != nil || meta.Kind != "Airgap" {
		return nil, fmt.Errorf("failed to find airgap meta: failed to extract airgap.yaml file")
	}
	switch meta.Spec.Format {
	case "docker":
		return meta.Spec.SavedImages, nil
	case "docker-archive", "":
		return archivedImages(bundle)
	}
	return nil, fmt.Errorf("Airgap bundle format '%s' is not supported", meta.Spec.Format)
}

func archivedImages(bundle string) ([]string, error) {
	f, err := os.Open(bundle)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	var images []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return images, nil
		}
		if err != nil {
			return nil, err
		}
		name, ok := strings.CutPrefix(strings.TrimPrefix(h.Name, "./"), "images/docker-archive/")
		if ok && h.Typeflag == tar.TypeReg && strings.HasSuffix(name, ".tar") {
			images = append(images, path.Dir(name)+":"+strings.TrimSuffix(path.Base(name), ".tar"))
		}
	}
}

// pushBundle pushes a bundle's images to endpoint/namespace.
func pushBundle(ctx context.Context, k *kube, bundle, endpoint, namespace string) error {
	images, err := bundleImages(bundle)
	if err != nil {
		return err
	}
	var dest []string
	for _, image := range images {
		dest = append(dest, registry.Destination(endpoint, namespace, image))
	}
	return registry.Push(ctx, k.cs, dest...)
}

// pushImagesFlags are AdminPushImagesCmd's (cmd/kots/cli/admin-console-push-images.go:68-74).
func pushImagesFlags(fs *flagSet) {
	fs.String("registry-username", "", "user name to use to authenticate with the registry")
	fs.String("registry-password", "", "password to use to authenticate with the registry")
	fs.Bool("skip-registry-check", false, "skip the connectivity test and validation of the provided registry information")
	fs.Bool("skip-existing-images", false, "skip pushing images whose manifest is already present at the destination tag")
	fs.String("kotsadm-tag", "", "set to override the tag of kotsadm")
}

// runPushImages is `admin-console push-images AIRGAP REGISTRY`: exactly two
// arguments (else help, exit 1), the registry login from the flags (or
// KOTS_REGISTRY_USERNAME/PASSWORD), else anonymous (the secret
// kotsadm-private-registry it would read is never there before an install),
// the access check unless --skip-registry-check, then the bundle's images
// pushed to REGISTRY (host/namespace).
func runPushImages(c *invocation) error {
	if len(c.args) != 2 {
		_ = c.help()
		return &exitError{code: 1, silent: true}
	}
	bundle, endpoint := c.args[0], c.args[1]
	ctx := context.Background()
	k, err := c.kube()
	if err != nil {
		return err
	}
	record(c.namespaceOrDefault(k), c.argv)
	host, namespace, _ := strings.Cut(endpoint, "/")
	user, password := c.str("registry-username"), c.str("registry-password")
	if !c.boolean("skip-registry-check") {
		c.action("Validating registry information")
		if err := registry.CheckAccess(ctx, k.cs, host, user, password); err != nil {
			return fmt.Errorf("Failed to test access to %q with user %q: %v", host, user, err)
		}
	}
	if _, err := os.Stat(bundle); err != nil {
		return fmt.Errorf("failed to stat file: %w", err)
	}
	if err := pushBundle(ctx, k, bundle, host, namespace); err != nil {
		return fmt.Errorf("failed to push images: %w", err)
	}
	return nil
}

// registryConfig is install's getRegistryConfig (cmd/kots/cli/install.go:814-851):
// --kotsadm-registry HOST[/NAMESPACE] and its login, or in airgap the kURL
// registry found by GetEmbeddedRegistryCreds, with the app's slug as the
// namespace.
func registryConfig(ctx context.Context, c *invocation, k *kube, slug string, airgap bool) (registry.Creds, string, error) {
	host, namespace, _ := strings.Cut(c.str("kotsadm-registry"), "/")
	if ns := c.str("kotsadm-namespace"); ns != "" {
		namespace = ns
	}
	creds := registry.Creds{Host: host, Username: c.str("registry-username"), Password: c.str("registry-password")}
	if host == "" && airgap {
		found, err := registry.Embedded(ctx, k.cs)
		if err != nil {
			return registry.Creds{}, "", fmt.Errorf("failed to get registry config: %w", err)
		}
		creds = found
		if namespace == "" {
			namespace = slug
		}
	}
	return creds, namespace, nil
}

// kotsadmImage is where kotsadm's image comes from: the registry's
// namespace when there is a registry (GetAdminConsoleImages,
// pkg/kotsadm/objects/images.go:37-38; KotsadmRegistry), else Docker Hub.
func kotsadmImage(creds registry.Creds, namespace string) string {
	if creds.Host == "" {
		namespace = ""
	}
	return kotsadmRegistry(creds.Host, namespace) + "/kotsadm:" + kotsadmTag()
}
