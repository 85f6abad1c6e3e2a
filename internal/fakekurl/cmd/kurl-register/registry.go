package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// registryUser is the user kURL's registry add-on creates
// (addons/registry/3.1.1/install.sh registry_cred_secrets: user=kurl), and
// the one KOTS looks for (kots pkg/kotsutil/embedded.go:74).
const registryUser = "kurl"

// backupLabels are the labels kURL puts on its registry secrets so that
// KOTS snapshots keep them.
var backupLabels = map[string]string{"kots.io/kotsadm": "true", "kots.io/backup": "velero"}

// deployRegistry stands for kURL's registry add-on: the Service
// kurl/registry (its cluster IP is kurl-config's docker_registry_ip) and, as
// registry_cred_secrets does, the Secret kurl/registry-htpasswd and the pull
// Secret default/registry-creds (kubernetes.io/dockerconfigjson, server the
// registry's IP, user kurl, a 9-character password), both labelled for
// backups. Existing secrets are kept, as kURL keeps them on a re-run.
func deployRegistry(ctx context.Context, cs kubernetes.Interface, o *options, _ []byte) error {
	if !o.registry {
		return nil
	}
	if err := ensureNamespace(ctx, cs, "kurl"); err != nil {
		return err
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "registry", Namespace: "kurl", Labels: map[string]string{"app": "registry"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "registry"},
			Ports: []corev1.ServicePort{{Name: "registry", Port: 443, Protocol: corev1.ProtocolTCP}}},
	}
	created, err := cs.CoreV1().Services("kurl").Create(ctx, svc, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		created, err = cs.CoreV1().Services("kurl").Get(ctx, "registry", metav1.GetOptions{})
	}
	if err != nil {
		return fmt.Errorf("registry service: %w", err)
	}
	o.registryIP = created.Spec.ClusterIP
	if _, err := cs.CoreV1().Secrets(metav1.NamespaceDefault).Get(ctx, "registry-creds", metav1.GetOptions{}); err == nil {
		return nil
	} else if !apierrors.IsNotFound(err) {
		return err
	}
	password, err := randomString(9, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
	if err != nil {
		return err
	}
	htpasswd := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry-htpasswd", Namespace: "kurl", Labels: backupLabels},
		Data: map[string][]byte{"htpasswd": []byte(registryUser + ":{fake-bcrypt}")}}
	if _, err := cs.CoreV1().Secrets("kurl").Create(ctx, htpasswd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	config, err := dockerConfigJSON(o.registryIP, registryUser, password)
	if err != nil {
		return err
	}
	creds := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "registry-creds", Namespace: metav1.NamespaceDefault, Labels: backupLabels},
		Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{corev1.DockerConfigJsonKey: config}}
	_, err = cs.CoreV1().Secrets(metav1.NamespaceDefault).Create(ctx, creds, metav1.CreateOptions{})
	return err
}

// dockerConfigJSON is what `kubectl create secret docker-registry` stores.
func dockerConfigJSON(server, user, password string) ([]byte, error) {
	type auth struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	return json.Marshal(map[string]map[string]auth{"auths": {server: {Username: user, Password: password,
		Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}}})
}
