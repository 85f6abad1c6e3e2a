package kubetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// The helpers below do what the missing controllers and kubelets of a full
// cluster would. They end the test on any error.

// Namespace creates a namespace with a unique name derived from the test's
// name, and the `default` ServiceAccount in it as the controller-manager
// would. Deleted namespaces stay Terminating here, so it is not deleted.
func (c *Cluster) Namespace(t testing.TB) string {
	t.Helper()
	ctx, cancel := callContext(t)
	defer cancel()
	name := namespaceName(t.Name())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.clientset.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubetest: create namespace %s: %v", name, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	if _, err := c.clientset.CoreV1().ServiceAccounts(name).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatalf("kubetest: create ServiceAccount %s/default: %v", name, err)
	}
	return name
}

// namespaceName turns a test name into a valid, unique namespace name
// (a DNS-1123 label of at most 63 characters).
func namespaceName(testName string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix) // documented never to return an error since Go 1.24
	base := strings.Trim(b.String(), "-")
	const maxBase = 63 - len("t--") - 6
	if len(base) > maxBase {
		base = strings.TrimRight(base[:maxBase], "-")
	}
	return "t-" + base + "-" + hex.EncodeToString(suffix)
}

// AddNode creates a Node as a kubelet would register it: allocatable and
// capacity of allocatablePods pods, 4 CPUs and 16Gi of memory, and a Ready
// condition that is True or False. Nodes are cluster-scoped, so the node is
// deleted at t.Cleanup.
func (c *Cluster) AddNode(t testing.TB, name string, allocatablePods int, ready bool) *corev1.Node {
	t.Helper()
	ctx, cancel := callContext(t)
	defer cancel()
	resources := corev1.ResourceList{
		corev1.ResourcePods:   resource.MustParse(strconv.Itoa(allocatablePods)),
		corev1.ResourceCPU:    resource.MustParse("4"),
		corev1.ResourceMemory: resource.MustParse("16Gi"),
	}
	readyStatus, reason := corev1.ConditionFalse, "KubeletNotReady"
	if ready {
		readyStatus, reason = corev1.ConditionTrue, "KubeletReady"
	}
	now := metav1.Now()
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
		Status: corev1.NodeStatus{
			Capacity:    resources,
			Allocatable: resources,
			Conditions: []corev1.NodeCondition{{
				Type: corev1.NodeReady, Status: readyStatus, Reason: reason,
				LastHeartbeatTime: now, LastTransitionTime: now,
			}},
		},
	}
	nodes := c.clientset.CoreV1().Nodes()
	created, err := nodes.Create(ctx, node, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("kubetest: create node %s: %v", name, err)
	}
	t.Cleanup(func() {
		cleanupCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := nodes.Delete(cleanupCtx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("kubetest: delete node %s: %v", name, err)
		}
	})
	return created
}

// MarkDeploymentAvailable sets the Deployment's status as the deployment
// controller does once all its replicas are up: observedGeneration equal to
// metadata.generation, every replica count equal to spec.replicas, and
// Available and Progressing conditions that are True.
func (c *Cluster) MarkDeploymentAvailable(t testing.TB, namespace, name string) *appsv1.Deployment {
	t.Helper()
	ctx, cancel := callContext(t)
	defer cancel()
	deployments := c.clientset.AppsV1().Deployments(namespace)
	var updated *appsv1.Deployment
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := deployments.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		d.Status = availableStatus(d)
		updated, err = deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("kubetest: mark deployment %s/%s available: %v", namespace, name, err)
	}
	return updated
}

func availableStatus(d *appsv1.Deployment) appsv1.DeploymentStatus {
	replicas := int32(1) // the API default when spec.replicas is unset
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	now := metav1.Now()
	return appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            replicas,
		UpdatedReplicas:     replicas,
		ReadyReplicas:       replicas,
		AvailableReplicas:   replicas,
		UnavailableReplicas: 0,
		Conditions: []appsv1.DeploymentCondition{
			{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable",
				Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now},
			{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable",
				Message: "ReplicaSet has successfully progressed.", LastUpdateTime: now, LastTransitionTime: now},
		},
	}
}

// SetQuotaStatus does the quota controller's work for one ResourceQuota:
// status.hard becomes spec.hard and status.used becomes used, with zero for
// every hard resource that used leaves out. Admission ignores a quota until
// its status.hard is set, and enforces it from then on.
func (c *Cluster) SetQuotaStatus(t testing.TB, namespace, name string, used corev1.ResourceList) *corev1.ResourceQuota {
	t.Helper()
	ctx, cancel := callContext(t)
	defer cancel()
	quotas := c.clientset.CoreV1().ResourceQuotas(namespace)
	var updated *corev1.ResourceQuota
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		q, err := quotas.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		q.Status.Hard = q.Spec.Hard.DeepCopy()
		q.Status.Used = corev1.ResourceList{}
		for res := range q.Spec.Hard {
			q.Status.Used[res] = *resource.NewQuantity(0, resource.DecimalSI)
			if u, ok := used[res]; ok {
				q.Status.Used[res] = u.DeepCopy()
			}
		}
		updated, err = quotas.UpdateStatus(ctx, q, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("kubetest: set status of resourcequota %s/%s: %v", namespace, name, err)
	}
	return updated
}

// callContext bounds one helper's API calls; the test's own context ends
// them early when the test is over.
func callContext(t testing.TB) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), 30*time.Second)
}
