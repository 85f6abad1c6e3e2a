package modules

import (
	"context"
	"fmt"
	"reflect"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// The resources modules use. A typed facade over the dynamic client needs
// only these and the k8s.io/api structs, not client-go's typed clientset.
var (
	KubeConfigMaps             = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	KubeNamespaces             = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	KubeNodes                  = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	KubePersistentVolumeClaims = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	KubePods                   = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	KubeResourceQuotas         = schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}
	KubeSecrets                = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	KubeDeployments            = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	KubeStatefulSets           = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

// KubeObject is a pointer to a k8s.io/api object, such as *corev1.Secret.
type KubeObject interface {
	metav1.Object
	runtime.Object
}

// Get reads the object ns/name (ns "" for cluster-scoped resources) into
// into, a pointer to its k8s.io/api struct. API errors are returned
// unchanged, so apierrors.IsNotFound and the like work on them.
func (k *Kube) Get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, into runtime.Object) error {
	u, err := k.Dynamic.Resource(gvr).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return err
	}
	return fromUnstructured(u.Object, into, gvr)
}

// List lists gvr in ns ("" for all namespaces or a cluster-scoped resource)
// into into, a pointer to the k8s.io/api list struct (*corev1.NodeList).
func (k *Kube) List(ctx context.Context, gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions, into runtime.Object) error {
	l, err := k.Dynamic.Resource(gvr).Namespace(ns).List(ctx, opts)
	if err != nil {
		return err
	}
	return fromUnstructured(l.UnstructuredContent(), into, gvr)
}

// Create creates obj in its namespace and reads the server's answer back
// into it.
func (k *Kube) Create(ctx context.Context, gvr schema.GroupVersionResource, obj KubeObject) error {
	return k.write(gvr, obj, func(r dynamic.ResourceInterface, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
		return r.Create(ctx, u, metav1.CreateOptions{})
	})
}

// Update replaces obj and reads the server's answer back into it.
func (k *Kube) Update(ctx context.Context, gvr schema.GroupVersionResource, obj KubeObject) error {
	return k.write(gvr, obj, func(r dynamic.ResourceInterface, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
		return r.Update(ctx, u, metav1.UpdateOptions{})
	})
}

// UpdateStatus replaces obj's status subresource and reads the server's
// answer back into it.
func (k *Kube) UpdateStatus(ctx context.Context, gvr schema.GroupVersionResource, obj KubeObject) error {
	return k.write(gvr, obj, func(r dynamic.ResourceInterface, u *unstructured.Unstructured) (*unstructured.Unstructured, error) {
		return r.UpdateStatus(ctx, u, metav1.UpdateOptions{})
	})
}

type kubeWrite func(dynamic.ResourceInterface, *unstructured.Unstructured) (*unstructured.Unstructured, error)

func (k *Kube) write(gvr schema.GroupVersionResource, obj KubeObject, do kubeWrite) error {
	content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return fmt.Errorf("encoding %s %s for the API server: %w", gvr.Resource, objectRef(obj), err)
	}
	u := &unstructured.Unstructured{Object: content}
	// The Go structs leave TypeMeta empty; the API server needs it in the body.
	u.SetAPIVersion(gvr.GroupVersion().String())
	u.SetKind(kindOf(obj))
	out, err := do(k.Dynamic.Resource(gvr).Namespace(obj.GetNamespace()), u)
	if err != nil {
		return err
	}
	return fromUnstructured(out.Object, obj, gvr)
}

// fromUnstructured decodes into a zeroed into, so that no field of what it
// held before survives that the server's answer does not have.
func fromUnstructured(content map[string]any, into runtime.Object, gvr schema.GroupVersionResource) error {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("decoding %s: into must be a non-nil pointer to a k8s.io/api struct, not %T", gvr.Resource, into)
	}
	v.Elem().SetZero()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(content, into); err != nil {
		return fmt.Errorf("decoding %s from the API server into %T: %w", gvr.Resource, into, err)
	}
	return nil
}

// kindOf is the Kind of a k8s.io/api object: its struct's name, as the
// API's schemes register it (corev1.Secret is "Secret").
func kindOf(obj runtime.Object) string {
	t := reflect.TypeOf(obj)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func objectRef(obj metav1.Object) string {
	if obj.GetNamespace() == "" {
		return obj.GetName()
	}
	return obj.GetNamespace() + "/" + obj.GetName()
}
