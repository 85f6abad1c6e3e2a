package modules_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// TestKubeOverSSH reads the kubeconfig on a real sshd host and drives a real
// kube-apiserver through the relay over that SSH connection.
func TestKubeOverSSH(t *testing.T) {
	cluster := kubetest.Start(t)
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	kubeconfig := filepath.Join(t.TempDir(), "admin.conf")
	if err := os.WriteFile(kubeconfig, cluster.Kubeconfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := conn.NewPool(conn.PoolOptions{})
	t.Cleanup(func() { pool.Close() })
	cfg, err := conn.SSHConfigFromVars("node", srv.Vars(0), filepath.Join(t.TempDir(), "none"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := pool.Get(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var secrets []string
	h := &modules.Host{Name: "node", Conn: c, Cache: &sync.Map{}, Secret: func(s string) { secrets = append(secrets, s) }}
	ctx := context.Background()
	k, err := modules.KubeFor(ctx, h, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if k.Config.Host == cluster.Host {
		t.Errorf("the client talks to %s directly, not through the relay", cluster.Host)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-over-ssh"}}
	if _, err := k.Clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cluster.Clientset().CoreV1().Namespaces().Get(ctx, "kube-over-ssh", metav1.GetOptions{}); err != nil {
		t.Errorf("the namespace created over SSH is not in the cluster: %v", err)
	}
	if len(secrets) == 0 || secrets[0] != cluster.AdminToken {
		t.Errorf("the kubeconfig's token was not registered as a secret")
	}
	again, err := modules.KubeFor(ctx, h, kubeconfig)
	if err != nil || again != k {
		t.Errorf("the client is not cached per host: %v", err)
	}
	if _, err := modules.KubeFor(ctx, h, "/nonexistent/admin.conf"); !errors.Is(err, modules.ErrNoCluster) {
		t.Errorf("a missing kubeconfig: %v, want ErrNoCluster", err)
	}
}
