// Package registry stands for the cluster's image registry in ferry's tests:
// kURL's registry add-on (Secret default/registry-creds, written by the fake
// kURL) and the images pushed into it (the ConfigMap kurl/ImagesConfigMap,
// written by the fake kubectl-kots). A kotsadm or app image that is not in
// it cannot be pulled on an airgapped cluster.
package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// ImagesConfigMap holds the pushed images, one per line of data "images",
// in the registry add-on's namespace kurl.
const ImagesConfigMap = "fakekots-registry-images"

// Creds is a registry's address and login.
type Creds struct{ Host, Username, Password string }

// Embedded reads the kURL registry's credentials as KOTS's
// GetEmbeddedRegistryCreds does (pkg/kotsutil/embedded.go:39-84): Secret
// registry-creds in default (then kotsadm), the auths entry whose user is
// kurl. The zero Creds means no registry.
func Embedded(ctx context.Context, cs kubernetes.Interface) (Creds, error) {
	for _, ns := range []string{"default", "kotsadm"} {
		s, err := cs.CoreV1().Secrets(ns).Get(ctx, "registry-creds", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return Creds{}, err
		}
		var config struct {
			Auths map[string]struct{ Username, Password string } `json:"auths"`
		}
		if json.Unmarshal(s.Data[corev1.DockerConfigJsonKey], &config) != nil {
			return Creds{}, nil
		}
		for host, a := range config.Auths {
			if a.Username == "kurl" || a.Username == "embedded-cluster" {
				return Creds{Host: host, Username: a.Username, Password: a.Password}, nil
			}
		}
		return Creds{}, nil
	}
	return Creds{}, nil
}

// CheckAccess stands for KOTS's dockerregistry.CheckAccess: the host must be
// the cluster's registry and the login its own.
func CheckAccess(ctx context.Context, cs kubernetes.Interface, host, user, password string) error {
	c, err := Embedded(ctx, cs)
	if err != nil {
		return err
	}
	if c.Host == "" || c.Host != host {
		return fmt.Errorf("dial tcp %s:443: connect: connection refused", host)
	}
	if c.Username != user || c.Password != password {
		return fmt.Errorf("unauthorized: authentication required")
	}
	return nil
}

// Push records images as pushed.
func Push(ctx context.Context, cs kubernetes.Interface, images ...string) error {
	cms := cs.CoreV1().ConfigMaps("kurl")
	cm, err := cms.Get(ctx, ImagesConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ImagesConfigMap, Namespace: "kurl"}}
		if cm, err = cms.Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("the registry (namespace kurl) is not there: %w", err)
		}
	} else if err != nil {
		return err
	}
	all := splitLines(cm.Data["images"])
	for _, image := range images {
		if !slices.Contains(all, image) {
			all = append(all, image)
		}
	}
	slices.Sort(all)
	cm.Data = map[string]string{"images": strings.Join(all, "\n")}
	_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
	return err
}

// Images lists the pushed images, sorted.
func Images(ctx context.Context, cs kubernetes.Interface) ([]string, error) {
	cm, err := cs.CoreV1().ConfigMaps("kurl").Get(ctx, ImagesConfigMap, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return splitLines(cm.Data["images"]), nil
}

// Has tells whether image was pushed.
func Has(ctx context.Context, cs kubernetes.Interface, image string) (bool, error) {
	all, err := Images(ctx, cs)
	return slices.Contains(all, image), err
}

// Destination is where KOTS pushes a saved image: the registry endpoint and
// namespace, then the image's last path element and tag
// (kots pkg/image/airgap.go, the rewrite of each saved image).
func Destination(endpoint, namespace, image string) string {
	name := image[strings.LastIndex(image, "/")+1:]
	if namespace == "" {
		return endpoint + "/" + name
	}
	return endpoint + "/" + namespace + "/" + name
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
