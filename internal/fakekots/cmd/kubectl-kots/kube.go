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
	"k8s.io/client-go/util/retry"
)

// InvocationsConfigMap records every run of the fake in the namespace it
// worked on, so that tests can check the exact command lines (and which
// KOTS_* variables were set, never their values).
const InvocationsConfigMap = "fakekots-invocations"

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

func ensureAuthSlug(ctx context.Context, k *kube, ns string) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "kotsadm-authstring", Namespace: ns},
		StringData: map[string]string{"kotsadm-authstring": "Kots " + randomHex(16)},
	}
	_, err := k.cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("failed to get kotsadm auth slug: %w", err)
	}
	return nil
}

// call is one recorded invocation.
type call struct {
	Argv   []string `json:"argv"`
	Env    []string `json:"env,omitempty"`    // names of the KOTS_* variables set
	TMPDIR string   `json:"tmpdir,omitempty"` // where the bundle would be unpacked
}

// record appends this invocation to the namespace's invocations ConfigMap.
// A namespace that does not exist records nothing.
func record(ctx context.Context, k *kube, ns string, argv []string) {
	line, err := json.Marshal(call{Argv: argv, Env: kotsEnvNames(), TMPDIR: os.Getenv("TMPDIR")})
	if err != nil {
		return
	}
	cms := k.cs.CoreV1().ConfigMaps(ns)
	_ = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cm, err := cms.Get(ctx, InvocationsConfigMap, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: InvocationsConfigMap, Namespace: ns},
				Data: map[string]string{"calls": string(line) + "\n"}}
			_, err = cms.Create(ctx, cm, metav1.CreateOptions{})
			if apierrors.IsAlreadyExists(err) {
				return apierrors.NewConflict(corev1.Resource("configmaps"), InvocationsConfigMap, err)
			}
			return err
		}
		if err != nil {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		cm.Data["calls"] += string(line) + "\n"
		_, err = cms.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	})
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
