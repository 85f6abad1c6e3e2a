package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// invocationLogEnv names the variable holding the file where the fake
// records its runs, one JSON line each, so that tests can check the exact
// command lines (and which KOTS_* variables were set, never their values).
// The record is the tests' bookkeeping, not something the real CLI does: it
// stays outside the cluster, whose audit log then shows only what the real
// CLI would do. Unset, nothing is recorded.
const invocationLogEnv = "FAKEKOTS_INVOCATION_LOG"

// kube is the cluster the command works on, as the real CLI builds it from
// genericclioptions: --kubeconfig, else $KUBECONFIG, else ~/.kube/config.
type kube struct {
	cs        kubernetes.Interface
	defaultNS string // the kubeconfig context's namespace
}

func (c *invocation) kube() (*kube, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = c.str("kubeconfig")
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.str("context")}
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
	rest, err := cfg.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("failed to get clientset: %w", err)
	}
	rest.Timeout = 30 * time.Second
	cs, err := kubernetes.NewForConfig(rest)
	if err != nil {
		return nil, fmt.Errorf("failed to get clientset: %w", err)
	}
	ns, _, err := cfg.Namespace()
	if err != nil || ns == "" {
		ns = metav1.NamespaceDefault
	}
	return &kube{cs: cs, defaultNS: ns}, nil
}

// namespaceOrDefault is getNamespaceOrDefault (cmd/kots/cli/namespace.go):
// the flag, else the kubeconfig context's namespace, else "default".
func (c *invocation) namespaceOrDefault(k *kube) string {
	if ns := c.str("namespace"); ns != "" {
		return ns
	}
	return k.defaultNS
}

// errNoKotsadm is k8sutil.FindKotsadm's error as PortForward wraps it: the
// CLI reaches kotsadm only through a port-forward to its pod.
var errNoKotsadm = errors.New("failed to start port forwarding: failed to get pod name for port forward: unable to find kotsadm pod")

// kotsadmRunning stands for "a Running pod labelled app=kotsadm": with no
// kubelet in the test cluster, an available Deployment with that label is
// what the fake kURL (or a test) leaves.
func kotsadmRunning(ctx context.Context, k *kube, ns string) (bool, error) {
	list, err := k.cs.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=kotsadm"})
	if err != nil {
		return false, fmt.Errorf("failed to list pods: %w", err)
	}
	for _, d := range list.Items {
		if d.Status.AvailableReplicas > 0 {
			return true, nil
		}
	}
	return false, nil
}

// connect checks that kotsadm answers, as every command but install does
// before talking to it, and creates the auth slug secret as
// auth.GetOrCreateAuthSlug does.
func connect(ctx context.Context, k *kube, ns string) error {
	ok, err := kotsadmRunning(ctx, k, ns)
	if err != nil {
		return err
	}
	if !ok {
		return errNoKotsadm
	}
	return ensureAuthSlug(ctx, k, ns)
}

// kotsadmLabels is types.GetKotsadmLabels outside an embedded cluster
// (pkg/kotsadm/types/constants.go:31-36).
var kotsadmLabels = map[string]string{"kots.io/kotsadm": "true", "kots.io/backup": "velero"}

// ensureAuthSlug is auth.GetOrCreateAuthSlug (pkg/auth/auth.go:30-66): it
// reads the secret and creates it only when it is absent, so that the
// commands that only read (get apps, get config...) write nothing to an
// installed cluster.
func ensureAuthSlug(ctx context.Context, k *kube, ns string) error {
	secrets := k.cs.CoreV1().Secrets(ns)
	_, err := secrets.Get(ctx, authSlugSecret, metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return fmt.Errorf("failed to get kotsadm auth slug: failed to check for existing kotsadm authstring secret: %w", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: authSlugSecret, Namespace: ns, Labels: kotsadmLabels},
		StringData: map[string]string{authSlugSecret: "Kots " + randomHex(16)},
	}
	if _, err := secrets.Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("failed to get kotsadm auth slug: failed to create new kotsadm authstring secret: %w", err)
	}
	return nil
}

// authSlugSecret names the secret and its key (pkg/auth/auth.go:16-17).
const authSlugSecret = "kotsadm-authstring"

// call is one recorded invocation.
type call struct {
	Namespace string   `json:"namespace"`
	Argv      []string `json:"argv"`
	Env       []string `json:"env,omitempty"`    // names of the KOTS_* variables set
	TMPDIR    string   `json:"tmpdir,omitempty"` // where the bundle would be unpacked
}

// record appends this invocation, on namespace ns, to the invocation log
// (invocationLogEnv). One write of one line in append mode, so that
// concurrent runs do not interleave.
func record(ns string, argv []string) {
	path := os.Getenv(invocationLogEnv)
	if path == "" {
		return
	}
	line, err := json.Marshal(call{Namespace: ns, Argv: argv, Env: kotsEnvNames(), TMPDIR: os.Getenv("TMPDIR")})
	if err != nil {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.Write(append(line, '\n'))
}

func kotsEnvNames() []string {
	var names []string
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "KOTS_") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// readyAfter is how long a deploy takes before the app is ready.
func readyAfter() time.Duration {
	if v := os.Getenv(readyAfterEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d
		}
	}
	return 2 * time.Second
}
