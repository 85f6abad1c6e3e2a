package kube_test

import (
	"context"
	"errors"
	"github.com/ferry-sh/ferry/internal/modtest"
	"os/exec"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
)

// TestKubeOverSSH reads the kubeconfig on a real sshd host and drives a real
// kube-apiserver through the relay over that SSH connection.
func TestKubeOverSSH(t *testing.T) {
	cluster := kubetest.Start(t)
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	kubeconfig := modtest.WriteKubeconfig(t, cluster)
	c := modtest.SSHConnTo(t, srv)
	var secrets []string
	h := &modules.Host{Name: "node", Conn: modules.Seal(c), Cache: &sync.Map{}, Secret: func(s string) { secrets = append(secrets, s) }}
	ctx := context.Background()
	k, err := kube.For(ctx, h, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if k.Config.Host == cluster.Host {
		t.Errorf("the client talks to %s directly, not through the relay", cluster.Host)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-over-ssh"}}
	if err := h.Change("create", func(w modules.Writer) error { return k.Create(ctx, w, kube.Namespaces, ns) }); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Clientset().CoreV1().Namespaces().Get(ctx, "kube-over-ssh", metav1.GetOptions{}); err != nil {
		t.Errorf("the namespace created over SSH is not in the cluster: %v", err)
	}
	if len(secrets) == 0 || secrets[0] != cluster.AdminToken {
		t.Errorf("the kubeconfig's token was not registered as a secret")
	}
	again, err := kube.For(ctx, h, kubeconfig)
	if err != nil || again != k {
		t.Errorf("the client is not cached per host: %v", err)
	}
	if _, err := kube.For(ctx, h, "/nonexistent/admin.conf"); !errors.Is(err, kube.ErrNoCluster) {
		t.Errorf("a missing kubeconfig: %v, want ErrNoCluster", err)
	}
}

// TestKubeTypedFacade drives Get, List, Create, Update and UpdateStatus of a
// real kube-apiserver through the relay, reading each result back with the
// typed clientset of the test cluster.
func TestKubeTypedFacade(t *testing.T) {
	cluster := kubetest.Start(t)
	k := kubeOverSSH(t, cluster)
	ctx := context.Background()
	cs := cluster.Clientset()
	w, done := liveWriter()
	defer done()

	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "facade", Namespace: "default"}, Data: map[string][]byte{"k": []byte("v1")}}
	if err := k.Create(ctx, w, kube.Secrets, sec); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if sec.UID == "" || sec.ResourceVersion == "" {
		t.Errorf("Create did not read the server's answer back: uid %q, resourceVersion %q", sec.UID, sec.ResourceVersion)
	}
	var got corev1.Secret
	if err := k.Get(ctx, kube.Secrets, "default", "facade", &got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(got.Data["k"]) != "v1" || got.UID != sec.UID {
		t.Errorf("Get = data %q uid %q, want v1 and %q", got.Data["k"], got.UID, sec.UID)
	}
	got.Data = map[string][]byte{"k": []byte("v2")}
	if err := k.Update(ctx, w, kube.Secrets, &got); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if s, err := cs.CoreV1().Secrets("default").Get(ctx, "facade", metav1.GetOptions{}); err != nil || string(s.Data["k"]) != "v2" {
		t.Errorf("after Update the cluster holds %v (err %v), want k=v2", s.Data, err)
	}
	stale := sec.DeepCopy()
	stale.Data = map[string][]byte{"k": []byte("stale")}
	if err := k.Update(ctx, w, kube.Secrets, stale); !apierrors.IsConflict(err) {
		t.Errorf("Update with an old resourceVersion: %v, want a Conflict API error", err)
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "facade-status"}}
	if err := k.Create(ctx, w, kube.Namespaces, ns); err != nil {
		t.Fatalf("Create namespace: %v", err)
	}
	ns.Status.Conditions = []corev1.NamespaceCondition{{Type: "FerryTest", Status: corev1.ConditionTrue}}
	if err := k.UpdateStatus(ctx, w, kube.Namespaces, ns); err != nil {
		t.Fatalf("UpdateStatus: %v", err)
	}
	if n, err := cs.CoreV1().Namespaces().Get(ctx, "facade-status", metav1.GetOptions{}); err != nil || len(n.Status.Conditions) != 1 {
		t.Errorf("after UpdateStatus the namespace's conditions are %v (err %v), want FerryTest", n.Status.Conditions, err)
	}

	var list corev1.NamespaceList
	if err := k.List(ctx, kube.Namespaces, "", metav1.ListOptions{LabelSelector: "kubernetes.io/metadata.name=facade-status"}, &list); err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list.Items) != 1 || list.Items[0].Name != "facade-status" {
		t.Errorf("List by label = %d items, want only facade-status", len(list.Items))
	}

	tests := []struct {
		name string
		err  error
		is   func(error) bool
		want string
	}{
		{"Get of a missing secret", k.Get(ctx, kube.Secrets, "default", "missing", &corev1.Secret{}), apierrors.IsNotFound, "NotFound"},
		{"Create of an existing secret", k.Create(ctx, w, kube.Secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "facade", Namespace: "default"}}), apierrors.IsAlreadyExists, "AlreadyExists"},
		{"Update of a missing secret", k.Update(ctx, w, kube.Secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "missing", Namespace: "default"}}), apierrors.IsNotFound, "NotFound"},
		{"Create of an invalid name", k.Create(ctx, w, kube.Secrets, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "Not_Valid", Namespace: "default"}}), apierrors.IsInvalid, "Invalid"},
	}
	for _, tt := range tests {
		if !tt.is(tt.err) {
			t.Errorf("%s: %v, want an apimachinery %s error", tt.name, tt.err, tt.want)
		}
	}
	if err := k.Get(ctx, kube.Secrets, "default", "facade", nil); err == nil {
		t.Errorf("Get into nil: no error")
	}
}

// kubeOverSSH is a Client for cluster whose traffic goes over a real SSH
// connection, as in a run.
func kubeOverSSH(t *testing.T, cluster *kubetest.Cluster) *kube.Client {
	t.Helper()
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	kubeconfig := modtest.WriteKubeconfig(t, cluster)
	c := modtest.SSHConnTo(t, srv)
	h := &modules.Host{Name: "node", Conn: modules.Seal(c), Cache: &sync.Map{}, Secret: func(string) {}}
	k, err := kube.For(context.Background(), h, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestModulesLeaveOutTheTypedClientset keeps k8s.io/client-go/kubernetes
// (its typed clients and all-groups scheme) out of every module package, and
// so out of the ferry binary: it doubles the memory ferry starts with. The
// dynamic client stays out too: its packages cost every ferry command 0.4 ms
// of start-up (docs/benchmarks.md). Use Client's Get, List, Create and Update.
func TestModulesLeaveOutTheTypedClientset(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/ferry-sh/ferry/modules/all").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "k8s.io/client-go/kubernetes" || strings.HasPrefix(pkg, "k8s.io/client-go/kubernetes/") || pkg == "k8s.io/client-go/dynamic" {
			t.Errorf("the modules depend on %s; use kube.Client's typed facade (modules/kube/objects.go) over client-go's REST client", pkg)
		}
	}
}

// liveWriter returns the modules.Writer of a Change that lasts until done is called,
// for tests that drive the facade's writes one by one.
func liveWriter() (w modules.Writer, done func()) {
	got, release, finished := make(chan modules.Writer), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		_ = (&modules.Host{}).Change("test writes", func(w modules.Writer) error {
			got <- w
			<-release
			return nil
		})
	}()
	return <-got, func() { close(release); <-finished }
}

// The Kubernetes facade's client refuses a write made without the Writer,
// even through its raw REST interface.
func TestKubeProbeClientRefusesWrites(t *testing.T) {
	k := kubeOverSSH(t, kubetest.Start(t))
	ctx := context.Background()
	err := k.API.Post().AbsPath("/api/v1/namespaces").Body([]byte(`{"metadata":{"name":"outside-gate"}}`)).Do(ctx).Error()
	if !errors.Is(err, modules.ErrOutsideGate) {
		t.Errorf("a POST without the Writer: %v", err)
	}
}
