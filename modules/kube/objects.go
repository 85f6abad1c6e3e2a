package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"

	"github.com/ferry-sh/ferry/modules"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
)

// The resources modules use. A typed facade over client-go's REST client
// needs only these and the k8s.io/api structs: neither the typed clientset
// (its all-groups scheme) nor the dynamic client (its packages' start-up
// cost, paid by every ferry command: docs/benchmarks.md).
var (
	ConfigMaps             = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	Namespaces             = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	Nodes                  = schema.GroupVersionResource{Version: "v1", Resource: "nodes"}
	PersistentVolumeClaims = schema.GroupVersionResource{Version: "v1", Resource: "persistentvolumeclaims"}
	Pods                   = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	ResourceQuotas         = schema.GroupVersionResource{Version: "v1", Resource: "resourcequotas"}
	Secrets                = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	Deployments            = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	StatefulSets           = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "statefulsets"}
)

// Object is a pointer to a k8s.io/api object, such as *corev1.Secret.
type Object interface {
	metav1.Object
	runtime.Object
}

// Get reads the object ns/name (ns "" for cluster-scoped resources) into
// into, a pointer to its k8s.io/api struct. API errors are returned
// unchanged, so apierrors.IsNotFound and the like work on them.
func (k *Client) Get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, into runtime.Object) error {
	body, err := k.API.Get().AbsPath(resourcePath(gvr, ns, name)...).Do(ctx).Raw()
	if err != nil {
		return err
	}
	return decodeInto(body, into, gvr)
}

// List lists gvr in ns ("" for all namespaces or a cluster-scoped resource)
// into into, a pointer to the k8s.io/api list struct (*corev1.NodeList).
func (k *Client) List(ctx context.Context, gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions, into runtime.Object) error {
	body, err := k.API.Get().AbsPath(resourcePath(gvr, ns, "")...).VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Raw()
	if err != nil {
		return err
	}
	return decodeInto(body, into, gvr)
}

// Create creates obj in its namespace and reads the server's answer back
// into it. Only the gate's modules.Writer can (modules.Host.Change).
func (k *Client) Create(ctx context.Context, w modules.Writer, gvr schema.GroupVersionResource, obj Object) error {
	return k.write(w.Context(ctx), k.API.Post(), gvr, obj, resourcePath(gvr, obj.GetNamespace(), ""))
}

// Update replaces obj and reads the server's answer back into it.
func (k *Client) Update(ctx context.Context, w modules.Writer, gvr schema.GroupVersionResource, obj Object) error {
	return k.write(w.Context(ctx), k.API.Put(), gvr, obj, resourcePath(gvr, obj.GetNamespace(), obj.GetName()))
}

// UpdateStatus replaces obj's status subresource and reads the server's
// answer back into it.
func (k *Client) UpdateStatus(ctx context.Context, w modules.Writer, gvr schema.GroupVersionResource, obj Object) error {
	return k.write(w.Context(ctx), k.API.Put(), gvr, obj, append(resourcePath(gvr, obj.GetNamespace(), obj.GetName()), "status"))
}

// write sends obj; ctx carries the modules.Writer's permission through the
// modules.ReadOnlyTransport under the client.
func (k *Client) write(ctx context.Context, req *rest.Request, gvr schema.GroupVersionResource, obj Object, path []string) error {
	// The Go structs leave TypeMeta empty; the API server needs it in the body.
	obj.GetObjectKind().SetGroupVersionKind(gvr.GroupVersion().WithKind(kindOf(obj)))
	body, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("encoding %s %s for the API server: %w", gvr.Resource, objectRef(obj), err)
	}
	out, err := req.AbsPath(path...).Body(body).Do(ctx).Raw()
	if err != nil {
		return err
	}
	return decodeInto(out, obj, gvr)
}

// resourcePath is the API path of gvr's collection in ns, or of the object
// name in it: /api/v1/namespaces/NS/secrets/NAME, /apis/apps/v1/...
func resourcePath(gvr schema.GroupVersionResource, ns, name string) []string {
	p := []string{"/api", gvr.Version}
	if gvr.Group != "" {
		p = []string{"/apis", gvr.Group, gvr.Version}
	}
	if ns != "" {
		p = append(p, "namespaces", ns)
	}
	p = append(p, gvr.Resource)
	if name != "" {
		p = append(p, name)
	}
	return p
}

// decodeInto decodes into a zeroed into, so that no field of what it held
// before survives that the server's answer does not have.
func decodeInto(body []byte, into runtime.Object, gvr schema.GroupVersionResource) error {
	v := reflect.ValueOf(into)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return fmt.Errorf("decoding %s: into must be a non-nil pointer to a k8s.io/api struct, not %T", gvr.Resource, into)
	}
	v.Elem().SetZero()
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decoding %s from the API server into %T: %w", gvr.Resource, into, err)
	}
	return nil
}

// restClientFor is client-go's REST client for JSON: objects are (de)coded
// here with encoding/json; the client's serializer only decodes the API
// server's Status answers, so that errors are apierrors (IsNotFound, ...).
func restClientFor(cfg *rest.Config) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.ContentType, c.AcceptContentTypes = "application/json", "application/json"
	c.NegotiatedSerializer = statusCodecs().WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.UnversionedRESTClientFor(c)
}

var statusCodecs = sync.OnceValue(func() serializer.CodecFactory {
	scheme := runtime.NewScheme()
	metav1.AddToGroupVersion(scheme, schema.GroupVersion{Version: "v1"})
	return serializer.NewCodecFactory(scheme)
})

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
