package kubetest

import (
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Writes lists a create and a refused create, and no read.
func TestWritesListsMutatingRequests(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	before, err := c.Writes()
	if err != nil {
		t.Fatal(err)
	}
	secrets := c.Clientset().CoreV1().Secrets(ns)
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "audited"}}
	if _, err := secrets.Create(t.Context(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Create(t.Context(), s, metav1.CreateOptions{}); err == nil {
		t.Fatal("a second create of the same secret passed")
	}
	if _, err := secrets.Get(t.Context(), "audited", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	after, err := c.Writes()
	if err != nil {
		t.Fatal(err)
	}
	added := slices.DeleteFunc(after[len(before):], func(w string) bool { return !strings.Contains(w, "/namespaces/"+ns+"/secrets") })
	want := []string{
		"create /api/v1/namespaces/" + ns + "/secrets by kubetest-admin (status 201)",
		"create /api/v1/namespaces/" + ns + "/secrets by kubetest-admin (status 409)",
	}
	if !slices.Equal(added, want) {
		t.Errorf("writes = %q, want %q", added, want)
	}
}
