package main

import (
	"context"
	"os"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// keycloakPasswordEnv, when set, stands for the Dash Enterprise release's
// Keycloak: its first deploy creates Secret keycloak-secrets with this admin
// password in the app namespace, as the real app does (the guide reads it
// with kubectl get secret keycloak-secrets -n plotly-system).
const keycloakPasswordEnv = "FAKEKOTS_KEYCLOAK_PASSWORD"

func createAppSecrets(ctx context.Context, k *kube, ns string) error {
	pw := os.Getenv(keycloakPasswordEnv)
	if pw == "" {
		return nil
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "keycloak-secrets", Namespace: ns},
		Data:       map[string][]byte{"KEYCLOAK_PASSWORD": []byte(pw)},
	}
	_, err := k.cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}
