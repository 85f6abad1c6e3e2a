// Package kotsadm puts the KOTS Admin Console's Deployment and Service into
// a namespace of a test cluster, as the real `kubectl kots install`
// (kotsadm.Deploy, pkg/kotsadm/main.go) and kURL's KOTS add-on do. There is
// no kubelet in the test cluster, so the Deployment is marked available as
// its controller would once the pod runs. Shared by the fake kubectl-kots,
// the fake kURL and the fakekots test helpers, so that all three leave the
// same objects.
package kotsadm

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
)

// Tag is the kotsadm version the fakes deploy.
const Tag = "v1.124.4"

// Image is the kotsadm image from Docker Hub (KotsadmRegistry without a
// registry, kots pkg/kotsadm/version/kotsadm_version.go:45-53).
const Image = "docker.io/kotsadm/kotsadm:" + Tag

// Deploy creates (or keeps) the namespace, the kotsadm Deployment labelled
// app=kotsadm and kots.io/kotsadm=true (pkg/kotsadm/objects/kotsadm_objects.go)
// marked available, and the kotsadm Service on port 3000 named http.
func Deploy(ctx context.Context, cs kubernetes.Interface, ns string) error {
	return DeployImage(ctx, cs, ns, Image, true)
}

// DeployImage is Deploy with kotsadm's image; the Deployment becomes
// available only when the image can be pulled (there is no kubelet in the
// test cluster: the caller says whether a real one could pull it).
func DeployImage(ctx context.Context, cs kubernetes.Interface, ns, image string, pullable bool) error {
	nsObj := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, nsObj, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	labels := map[string]string{"app": "kotsadm", "kots.io/kotsadm": "true"}
	deployments := cs.AppsV1().Deployments(ns)
	d, err := deployments.Create(ctx, deployment(ns, image, labels), metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		d, err = updateImage(ctx, cs, ns, image)
	}
	if err != nil {
		return fmt.Errorf("create deployment %s/kotsadm: %w", ns, err)
	}
	d.Status = available(d)
	if !pullable {
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, UnavailableReplicas: 1}
	}
	if _, err := deployments.UpdateStatus(ctx, d, metav1.UpdateOptions{}); err != nil {
		return fmt.Errorf("mark deployment %s/kotsadm available: %w", ns, err)
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kotsadm", Namespace: ns, Labels: labels},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": "kotsadm"},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 3000, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
	if _, err := cs.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create service %s/kotsadm: %w", ns, err)
	}
	return nil
}

// updateImage is what applying kotsadm's objects again does to an existing
// Deployment: its container takes the new image.
func updateImage(ctx context.Context, cs kubernetes.Interface, ns, image string) (*appsv1.Deployment, error) {
	d, err := cs.AppsV1().Deployments(ns).Get(ctx, "kotsadm", metav1.GetOptions{})
	if err != nil || len(d.Spec.Template.Spec.Containers) == 0 || d.Spec.Template.Spec.Containers[0].Image == image {
		return d, err
	}
	d.Spec.Template.Spec.Containers[0].Image = image
	return cs.AppsV1().Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
}

func deployment(ns, image string, labels map[string]string) *appsv1.Deployment {
	replicas := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "kotsadm", Namespace: ns, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "kotsadm"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "kotsadm", Image: image,
					Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 3000}},
				}}},
			},
		},
	}
}

func available(d *appsv1.Deployment) appsv1.DeploymentStatus {
	now := metav1.Now()
	return appsv1.DeploymentStatus{
		ObservedGeneration: d.Generation, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
		Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue,
			Reason: "MinimumReplicasAvailable", Message: "Deployment has minimum availability.", LastUpdateTime: now, LastTransitionTime: now}},
	}
}
