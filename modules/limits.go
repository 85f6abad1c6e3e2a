package modules

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/pager"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/suggest"
)

func init() { Register(limitsModule{}) }

// limitsModule sets Dash Enterprise's pod and volume (PVC) limits.
//
// Dash Enterprise keeps its System Limits in the App Manager, which has no
// public API. What ferry can enforce on its own is a ResourceQuota in the
// namespaces where apps run: the same numbers, enforced by Kubernetes
// admission. The App Manager setting is either made by an optional HTTP call
// (for when Plotly documents the endpoint) or left as a manual step whose
// exact UI path the result gives.
//
// Everything is read and checked before anything changes: a limit the
// cluster cannot hold is refused with the kURL setting that would make room.
//
// Result data (for register):
//   - max_pods, max_pvcs: the limits, auto resolved.
//   - allocatable_pods, nodes: the sum of the Nodes' status.allocatable.pods
//     and the number of Nodes; system_pods: the pods counted against it.
//   - current_pods, current_pvcs: cluster-wide counts (pods that have not
//     Succeeded or Failed); namespace_usage: {ns: {pods, pvcs}} for each
//     quota namespace.
//   - limits_before: {quota: {ns: {pods, pvcs} or null}, app_manager: {pods,
//     pvcs} or null (null unless get_url read it)}; limits_after: the same
//     shape with the limits set (app_manager null when the step is off).
//   - quota_name, quota_namespaces: the quotas ferry owns.
//   - app_manager: off, unchanged or changed.
//   - manual_step: the App Manager UI step with the numbers (also the msg)
//     when app_manager is off, else "".
type limitsModule struct{}

const (
	defaultQuotaName = "ferry-limits"
	// defaultPVCAuto: Plotly publishes no volume figure. Each workspace and
	// each Redis or Postgres service holds one PVC and runs at least one pod,
	// and apps run pods without PVCs, so PVCs stay below pods; half the pod
	// limit is ferry's starting point, not Plotly's.
	defaultPVCAuto = "50%"
	// managedByLabel marks the quotas ferry owns.
	managedByLabel = "app.kubernetes.io/managed-by"
	// dashRealmTokenPath is Keycloak's token endpoint of realm dash under the
	// /auth context path that Dash Enterprise 5's Keycloak uses.
	dashRealmTokenPath = "/auth/realms/dash/protocol/openid-connect/token"
	// maxHTTPBody bounds what is read from the App Manager or Keycloak: their
	// answers are small JSON documents.
	maxHTTPBody = 1 << 20
)

// defaultSystemNamespaces are the namespaces of kURL's add-ons and of Dash
// Enterprise's platform: their pods take node capacity that apps cannot use.
var defaultSystemNamespaces = []string{
	"kube-system", "kube-public", "kube-node-lease", "kurl", "kube-flannel", "projectcontour",
	"openebs", "longhorn-system", "rook-ceph", "minio", "velero", "monitoring", "plotly-system",
}

func (limitsModule) Spec() Spec {
	return Spec{
		Name:    "limits",
		Summary: "Set Dash Enterprise's pod and volume (PVC) limits: check them against the cluster's capacity and enforce them with a ResourceQuota",
		Args: []Arg{
			{Name: "max_pods", Check: checkLimit("max_pods"), Type: Any, Default: "auto", Doc: "The pod limit: a whole number, or auto = the sum of the Nodes' allocatable pods minus the pods running in system_namespaces (ferry's rule, not Plotly's). Plotly recommends 250 for the Standard offering; a kURL node allows 110 pods unless installed with kubernetes-max-pods-per-node. A number the cluster cannot hold is refused before anything changes, with the kURL setting that would make room."},
			{Name: "max_pvcs", Check: checkLimit("max_pvcs"), Type: Any, Default: "auto", Doc: "The volume (PVC) limit: a whole number, or auto = what pvc_auto says."},
			{Name: "pvc_auto", Check: checkPVCRule, Type: String, Default: defaultPVCAuto, Doc: "What max_pvcs: auto becomes: a number (\"40\") or a percentage of the pod limit (\"50%\", rounded down, at least 1). Plotly publishes no volume figure; the default is ferry's guess: every workspace and every Redis or Postgres service holds one PVC and runs at least one pod, and apps run pods without PVCs."},
			{Name: "namespaces", Check: checkNamespaces("namespaces", true), Type: List, Required: true, Doc: "The namespaces where Dash Enterprise runs apps, workspaces and services; each gets a ResourceQuota with the full limits (a ResourceQuota cannot span namespaces, so with several namespaces the cluster-wide total can reach the limits times their number). Required because Plotly does not document the apps namespace of Dash Enterprise 5: find it with `kubectl get pods -A` on an instance with an app deployed. Every namespace must exist."},
			{Name: "system_namespaces", Check: checkNamespaces("system_namespaces", false), Type: List, Doc: "Namespaces whose pods are subtracted from the allocatable pods for max_pods: auto and for the capacity check. Default: kURL's add-ons and Dash Enterprise's platform: " + strings.Join(defaultSystemNamespaces, ", ") + ". A namespace also listed in namespaces is not subtracted: its quota already counts its pods."},
			{Name: "quota_name", Check: checkQuotaName, Type: String, Default: defaultQuotaName, Doc: "Name of the ResourceQuota ferry owns in each namespace; its spec.hard is exactly pods and persistentvolumeclaims."},
			{Name: "kubeconfig", Type: String, Default: DefaultKubeconfig, Doc: "The cluster-admin kubeconfig on the host (kURL writes " + DefaultKubeconfig + ", readable by root: use become). All API traffic goes over the host's connection."},
			{Name: "app_manager", Type: Map, Doc: "Off by default. An HTTP call that sets the App Manager's System Limits, for when Plotly documents its endpoint (today it does not: without this argument the result's manual_step says where the numbers go in the UI). Keys: url (required), method (PUT, POST or PATCH; default PUT), body (required: JSON text or a mapping, where ${max_pods} and ${max_pvcs} become the resolved numbers), get_url with pods_field and pvcs_field (dot paths into the GET's JSON answer: when set, the current limits are read first and nothing is sent when they already match, and the call is verified afterwards; without get_url the call is made on every run and reported as a change), username and password (a Dash Enterprise user with the admin role, e.g. the one keycloak_user creates; the password is masked), token_url (the OIDC token endpoint for a password grant; default https://auth-<server>" + dashRealmTokenPath + " when server is given), server, client_id (default dash), ca_file (PEM file on the controller to trust, e.g. the internal CA), via_host (yes: connect from the host's side of the SSH connection, for names only the host resolves) and timeout (seconds, default 30). The login happens before any change, so wrong credentials change nothing; check mode logs in and reads get_url but sends nothing."},
		},
		Check: CheckSupported,
	}
}

// limitsOptions are the module's arguments, checked and normalised.
type limitsOptions struct {
	maxPods, maxPVCs limitValue
	pvcAuto          pvcRule
	namespaces       []string
	systemNamespaces []string
	quotaName        string
	kubeconfig       string
	app              *appManagerOptions // nil: the HTTP step is off
}

// limitValue is a limit argument: a number or auto.
type limitValue struct {
	auto bool
	n    int
}

// pvcRule is pvc_auto: a fixed number or a percentage of the pod limit.
type pvcRule struct {
	percent bool
	n       int
}

func (r pvcRule) apply(pods int) int {
	if !r.percent {
		return r.n
	}
	return max(1, pods*r.n/100)
}

// limits are the resolved numbers.
type limits struct{ pods, pvcs int }

func (limitsModule) Run(ctx context.Context, h *Host, args Args) (Result, error) {
	o, err := limitsOptionsFrom(args)
	if o.app != nil {
		h.AddSecret(o.app.password) // before anything can print it
	}
	if err != nil {
		return Result{}, err
	}
	k, err := KubeFor(ctx, h, o.kubeconfig)
	if res, ok := planWithoutCluster(h, err, fmt.Sprintf("set the pod and volume limits (quota %s in %s)", o.quotaName, strings.Join(o.namespaces, ", "))); ok {
		return res, nil
	}
	if err != nil {
		return Result{}, err
	}
	p, err := planLimits(ctx, h, k, o)
	if err != nil {
		return Result{}, err
	}
	if err := p.apply(ctx, h, k); err != nil {
		return Result{}, err
	}
	return p.result(), nil
}

// limitsOptionsFrom checks the arguments that need more than their type,
// reporting every problem at once.
func limitsOptionsFrom(args Args) (limitsOptions, error) {
	o := limitsOptions{quotaName: args.String("quota_name"), kubeconfig: args.String("kubeconfig")}
	var problems []error
	add := func(err error) {
		if err != nil {
			problems = append(problems, err)
		}
	}
	var err error
	o.maxPods, err = parseLimit("max_pods", args["max_pods"])
	add(err)
	o.maxPVCs, err = parseLimit("max_pvcs", args["max_pvcs"])
	add(err)
	o.pvcAuto, err = parsePVCRule(args.String("pvc_auto"))
	add(err)
	add(checkNamespaces("namespaces", true)(args["namespaces"]))
	o.namespaces, _ = namespaceList("namespaces", args.List("namespaces"))
	o.systemNamespaces = defaultSystemNamespaces
	if args.Has("system_namespaces") {
		o.systemNamespaces, err = namespaceList("system_namespaces", args.List("system_namespaces"))
		add(err)
	}
	if args.Has("app_manager") {
		o.app, err = appManagerFrom(args.Map("app_manager"))
		add(err)
	}
	return o, errors.Join(problems...)
}

// parseLimit reads a limit: a whole number of 1 or more, or auto.
func parseLimit(name string, v any) (limitValue, error) {
	if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), "auto") {
		return limitValue{auto: true}, nil
	}
	n, err := toInt(v)
	if err != nil {
		return limitValue{}, fmt.Errorf("%s: %v; give a whole number or auto", name, err)
	}
	if n < 1 {
		return limitValue{}, fmt.Errorf("%s is %d; give a number of 1 or more (a limit of 0 would stop Dash Enterprise creating anything), or auto", name, n)
	}
	return limitValue{n: n}, nil
}

func parsePVCRule(s string) (pvcRule, error) {
	text := strings.TrimSpace(s)
	if pct, ok := strings.CutSuffix(text, "%"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(pct))
		if err != nil || n < 1 || n > 100 {
			return pvcRule{}, fmt.Errorf("pvc_auto %q is not a percentage from 1%% to 100%%", s)
		}
		return pvcRule{percent: true, n: n}, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 {
		return pvcRule{}, fmt.Errorf("pvc_auto %q is neither a number of 1 or more nor a percentage such as 50%%", s)
	}
	return pvcRule{n: n}, nil
}

// namespaceList checks a list of namespace names and drops repeats.
func namespaceList(arg string, items []any) ([]string, error) {
	var out []string
	var problems []error
	for _, item := range items {
		name, ok := item.(string)
		if !ok {
			problems = append(problems, fmt.Errorf("%s: entry %v is %s; give namespace names", arg, item, typeName(item)))
			continue
		}
		name = strings.TrimSpace(name)
		if errs := validation.IsDNS1123Label(name); len(errs) > 0 {
			problems = append(problems, fmt.Errorf("%s: %q is not a namespace name: %s", arg, name, strings.Join(errs, "; ")))
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out, errors.Join(problems...)
}

// clusterUsage is what the cluster holds and uses, read from the API.
type clusterUsage struct {
	nodes           int
	allocatablePods int
	pods, pvcs      int            // cluster-wide; pods that have not ended
	systemPods      map[string]int // system namespace -> pods, quota namespaces left out
	byNamespace     map[string]*namespaceUsage
}

type namespaceUsage struct{ pods, pvcs int }

func (u clusterUsage) systemPodCount() int {
	n := 0
	for _, c := range u.systemPods {
		n += c
	}
	return n
}

// readUsage sums the Nodes' allocatable pods and counts pods and PVCs. A pod
// that has Succeeded or Failed holds no slot on its node (the kubelet's
// max-pods counts running pods) and no place in a pods quota, so it is not
// counted.
func readUsage(ctx context.Context, k *Kube, o limitsOptions) (clusterUsage, error) {
	u := clusterUsage{systemPods: map[string]int{}, byNamespace: map[string]*namespaceUsage{}}
	for _, ns := range o.namespaces {
		u.byNamespace[ns] = &namespaceUsage{}
	}
	if err := readNodes(ctx, k, &u); err != nil {
		return u, err
	}
	system := map[string]bool{}
	for _, ns := range o.systemNamespaces {
		system[ns] = !slices.Contains(o.namespaces, ns)
	}
	err := eachItem(ctx, func(opts metav1.ListOptions) (runtime.Object, error) {
		pods := &corev1.PodList{}
		return pods, k.List(ctx, KubePods, "", opts, pods)
	}, func(obj runtime.Object) {
		pod := obj.(*corev1.Pod)
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			return
		}
		u.pods++
		if system[pod.Namespace] {
			u.systemPods[pod.Namespace]++
		}
		if nu := u.byNamespace[pod.Namespace]; nu != nil {
			nu.pods++
		}
	})
	if err != nil {
		return u, fmt.Errorf("listing the cluster's pods: %w", err)
	}
	err = eachItem(ctx, func(opts metav1.ListOptions) (runtime.Object, error) {
		pvcs := &corev1.PersistentVolumeClaimList{}
		return pvcs, k.List(ctx, KubePersistentVolumeClaims, "", opts, pvcs)
	}, func(obj runtime.Object) {
		pvc := obj.(*corev1.PersistentVolumeClaim)
		u.pvcs++
		if nu := u.byNamespace[pvc.Namespace]; nu != nil {
			nu.pvcs++
		}
	})
	if err != nil {
		return u, fmt.Errorf("listing the cluster's PersistentVolumeClaims: %w", err)
	}
	return u, nil
}

func readNodes(ctx context.Context, k *Kube, u *clusterUsage) error {
	nodes := &corev1.NodeList{}
	if err := k.List(ctx, KubeNodes, "", metav1.ListOptions{}, nodes); err != nil {
		return fmt.Errorf("listing the cluster's Nodes: %w", err)
	}
	if len(nodes.Items) == 0 {
		return fmt.Errorf("the cluster has no Nodes, so it has no pod capacity; is the kubelet running (kubectl get nodes)?")
	}
	u.nodes = len(nodes.Items)
	for _, n := range nodes.Items {
		u.allocatablePods += int(n.Status.Allocatable.Pods().Value())
	}
	return nil
}

// eachItem lists in pages, so that a large cluster's pods do not arrive as
// one huge answer.
func eachItem(ctx context.Context, list func(metav1.ListOptions) (runtime.Object, error), fn func(runtime.Object)) error {
	return pager.New(pager.SimplePageFunc(list)).EachListItem(ctx, metav1.ListOptions{}, func(obj runtime.Object) error {
		fn(obj)
		return nil
	})
}

// resolveLimits turns auto into numbers and refuses a pod limit the cluster
// cannot hold.
func resolveLimits(o limitsOptions, u clusterUsage) (limits, error) {
	room := u.allocatablePods - u.systemPodCount()
	l := limits{pods: o.maxPods.n, pvcs: o.maxPVCs.n}
	if o.maxPods.auto {
		if room < 1 {
			return l, capacityError("max_pods auto finds no room for apps:", 1, u)
		}
		l.pods = room
	} else if l.pods > room {
		return l, capacityError(fmt.Sprintf("max_pods %d exceeds", l.pods), l.pods, u)
	}
	if o.maxPVCs.auto {
		l.pvcs = o.pvcAuto.apply(l.pods)
	}
	return l, nil
}

// capacityError says why pods do not fit and what would make them fit:
// kURL's kubernetes-max-pods-per-node applies to every node, so each node
// needs its share of the limit plus the system pods.
func capacityError(what string, pods int, u clusterUsage) error {
	system := u.systemPodCount()
	room := u.allocatablePods - system
	perNode := (pods + system + u.nodes - 1) / u.nodes
	var b strings.Builder
	fmt.Fprintf(&b, "%s the cluster's allocatable pods %d (%s)", what, u.allocatablePods, plural(u.nodes, "node"))
	if system > 0 {
		fmt.Fprintf(&b, " less %d pods in system namespaces (%s), which leaves %d for apps", system, countsText(u.systemPods), max(room, 0))
	}
	fmt.Fprintf(&b, "; install kURL with kubernetes-max-pods-per-node=%d or more", perNode)
	if room >= 1 {
		fmt.Fprintf(&b, ", or lower max_pods to %d or less (max_pods: auto picks that)", room)
	}
	return errors.New(b.String())
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// countsText lists name: count pairs by name.
func countsText(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s: %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// limitsPlan is everything read before any change, and what to change.
type limitsPlan struct {
	o      limitsOptions
	usage  clusterUsage
	want   limits
	quotas []quotaState
	app    *appManagerStep // nil when the HTTP step is off
	diffs  []Diff
}

// quotaState is one namespace's quota as found.
type quotaState struct {
	namespace string
	existing  *corev1.ResourceQuota // nil when absent
}

// planLimits reads everything and resolves the limits; nothing changes yet,
// so a refused limit or an unreachable App Manager leaves the cluster as it
// was.
func planLimits(ctx context.Context, h *Host, k *Kube, o limitsOptions) (*limitsPlan, error) {
	usage, err := readUsage(ctx, k, o)
	if err != nil {
		return nil, err
	}
	want, err := resolveLimits(o, usage)
	if err != nil {
		return nil, err
	}
	quotas, err := readQuotas(ctx, k, o)
	if err != nil {
		return nil, err
	}
	p := &limitsPlan{o: o, usage: usage, want: want, quotas: quotas}
	if o.app != nil {
		if p.app, err = planAppManager(ctx, h, o.app, want); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readQuotas checks that every namespace exists and reads ferry's quota in it.
func readQuotas(ctx context.Context, k *Kube, o limitsOptions) ([]quotaState, error) {
	var states []quotaState
	for _, ns := range o.namespaces {
		got := &corev1.Namespace{}
		err := k.Get(ctx, KubeNamespaces, "", ns, got)
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("namespace %q (in namespaces) does not exist in the cluster; give the namespace where Dash Enterprise runs apps (kubectl get namespaces)", ns)
		}
		if err != nil {
			return nil, fmt.Errorf("reading namespace %s: %w", ns, err)
		}
		if got.Status.Phase == corev1.NamespaceTerminating {
			return nil, fmt.Errorf("namespace %q (in namespaces) is being deleted; a quota cannot be created in it", ns)
		}
		q := &corev1.ResourceQuota{}
		err = k.Get(ctx, KubeResourceQuotas, ns, o.quotaName, q)
		if apierrors.IsNotFound(err) {
			q, err = nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading ResourceQuota %s/%s: %w", ns, o.quotaName, err)
		}
		states = append(states, quotaState{namespace: ns, existing: q})
	}
	return states, nil
}

// apply makes the changes, each through the gate: the quotas first, then the
// App Manager.
func (p *limitsPlan) apply(ctx context.Context, h *Host, k *Kube) error {
	want := p.hard()
	for _, st := range p.quotas {
		if err := p.convergeQuota(ctx, h, k, st, want); err != nil {
			return err
		}
	}
	if p.app != nil {
		return p.app.apply(ctx, h, p.want)
	}
	return nil
}

// hard is the quota's spec.hard for the resolved limits.
func (p *limitsPlan) hard() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourcePods:                   *resource.NewQuantity(int64(p.want.pods), resource.DecimalSI),
		corev1.ResourcePersistentVolumeClaims: *resource.NewQuantity(int64(p.want.pvcs), resource.DecimalSI),
	}
}

func (p *limitsPlan) convergeQuota(ctx context.Context, h *Host, k *Kube, st quotaState, want corev1.ResourceList) error {
	ref := "ResourceQuota " + st.namespace + "/" + p.o.quotaName
	if st.existing == nil {
		p.addDiff(h, ref, "", want)
		return h.Change(fmt.Sprintf("create %s (%s)", ref, hardText(want, ", ")), func() error {
			q := &corev1.ResourceQuota{
				ObjectMeta: metav1.ObjectMeta{Name: p.o.quotaName, Namespace: st.namespace, Labels: map[string]string{managedByLabel: "ferry"}},
				Spec:       corev1.ResourceQuotaSpec{Hard: want},
			}
			return k.Create(ctx, KubeResourceQuotas, q)
		})
	}
	if sameHard(st.existing.Spec.Hard, want) {
		return nil
	}
	p.addDiff(h, ref, hardText(st.existing.Spec.Hard, "\n")+"\n", want)
	return h.Change(fmt.Sprintf("update %s: %s", ref, hardChange(st.existing.Spec.Hard, want)), func() error {
		q := st.existing.DeepCopy()
		q.Spec.Hard = want
		return k.Update(ctx, KubeResourceQuotas, q)
	})
}

func (p *limitsPlan) addDiff(h *Host, ref, before string, want corev1.ResourceList) {
	if h.Diff {
		p.diffs = append(p.diffs, Diff{Path: ref + " spec.hard", Before: before, After: hardText(want, "\n") + "\n"})
	}
}

// sameHard compares by value: "1k" and "1000" are the same limit.
func sameHard(a, b corev1.ResourceList) bool {
	if len(a) != len(b) {
		return false
	}
	for name, qa := range a {
		qb, ok := b[name]
		if !ok || qa.Cmp(qb) != 0 {
			return false
		}
	}
	return true
}

func hardText(l corev1.ResourceList, sep string) string {
	var parts []string
	for _, name := range sortedResourceNames(l) {
		q := l[corev1.ResourceName(name)]
		parts = append(parts, name+"="+q.String())
	}
	return strings.Join(parts, sep)
}

// hardChange describes what an update changes: "pods 100 -> 98, ...".
func hardChange(before, after corev1.ResourceList) string {
	names := sortedResourceNames(before)
	for _, n := range sortedResourceNames(after) {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var parts []string
	for _, n := range names {
		b, hadB := before[corev1.ResourceName(n)]
		a, hasA := after[corev1.ResourceName(n)]
		switch {
		case !hadB:
			parts = append(parts, fmt.Sprintf("%s (none) -> %s", n, a.String()))
		case !hasA:
			parts = append(parts, fmt.Sprintf("%s %s -> (removed)", n, b.String()))
		case b.Cmp(a) != 0:
			parts = append(parts, fmt.Sprintf("%s %s -> %s", n, b.String(), a.String()))
		}
	}
	return strings.Join(parts, ", ")
}

func sortedResourceNames(l corev1.ResourceList) []string {
	names := make([]string, 0, len(l))
	for n := range l {
		names = append(names, string(n))
	}
	sort.Strings(names)
	return names
}

// manualStep is where the limits go in the App Manager's UI.
func manualStep(l limits) string {
	return fmt.Sprintf("App Manager → Settings → System Limits → Edit System Limits: set pods to %d and volumes to %d", l.pods, l.pvcs)
}

func (p *limitsPlan) result() Result {
	res := Result{Diffs: p.diffs, Data: map[string]any{
		"current_pods":     p.usage.pods,
		"current_pvcs":     p.usage.pvcs,
		"allocatable_pods": p.usage.allocatablePods,
		"nodes":            p.usage.nodes,
		"system_pods":      p.usage.systemPodCount(),
		"namespace_usage":  p.namespaceUsage(),
		"max_pods":         p.want.pods,
		"max_pvcs":         p.want.pvcs,
		"quota_name":       p.o.quotaName,
		"quota_namespaces": anylist.Of(p.o.namespaces),
		"limits_before":    p.limitsBefore(),
		"limits_after":     p.limitsAfter(),
		"manual_step":      "",
		"app_manager":      "off",
	}}
	if p.app == nil {
		step := manualStep(p.want)
		res.Data["manual_step"], res.Msg = step, step
		return res
	}
	res.Data["app_manager"] = p.app.outcome()
	res.Msg = fmt.Sprintf("pods %d and volumes %d: ResourceQuota %s in %s; App Manager System Limits %s",
		p.want.pods, p.want.pvcs, p.o.quotaName, strings.Join(p.o.namespaces, ", "), res.Data["app_manager"])
	return res
}

func (p *limitsPlan) namespaceUsage() map[string]any {
	out := map[string]any{}
	for ns, u := range p.usage.byNamespace {
		out[ns] = map[string]any{"pods": u.pods, "pvcs": u.pvcs}
	}
	return out
}

// limitsBefore is what was found: each quota's pods and PVCs (nil when the
// quota or the entry is absent) and the App Manager's (nil unless read).
func (p *limitsPlan) limitsBefore() map[string]any {
	quotas := map[string]any{}
	for _, st := range p.quotas {
		if st.existing == nil {
			quotas[st.namespace] = nil
			continue
		}
		quotas[st.namespace] = map[string]any{
			"pods": hardValue(st.existing.Spec.Hard, corev1.ResourcePods),
			"pvcs": hardValue(st.existing.Spec.Hard, corev1.ResourcePersistentVolumeClaims),
		}
	}
	var app any
	if p.app != nil && p.app.before != nil {
		app = limitsMap(*p.app.before)
	}
	return map[string]any{"quota": quotas, "app_manager": app}
}

func (p *limitsPlan) limitsAfter() map[string]any {
	quotas := map[string]any{}
	for _, ns := range p.o.namespaces {
		quotas[ns] = limitsMap(p.want)
	}
	var app any
	if p.app != nil {
		app = limitsMap(p.want)
	}
	return map[string]any{"quota": quotas, "app_manager": app}
}

func hardValue(l corev1.ResourceList, name corev1.ResourceName) any {
	q, ok := l[name]
	if !ok {
		return nil
	}
	return int(q.Value())
}

func limitsMap(l limits) map[string]any { return map[string]any{"pods": l.pods, "pvcs": l.pvcs} }

// appManagerOptions are the keys of the app_manager argument.
type appManagerOptions struct {
	url, method, getURL  string
	body                 any // JSON text or a mapping
	podsField, pvcsField string
	tokenURL, clientID   string
	username, password   string
	caFile               string
	viaHost              bool
	timeout              time.Duration
}

var appManagerKeys = []string{"url", "method", "body", "get_url", "pods_field", "pvcs_field", "token_url", "server",
	"client_id", "username", "password", "ca_file", "via_host", "timeout"}

// appManagerFrom reads the app_manager mapping, reporting every problem at
// once. The password is read first so that Run can mask it even when
// another key is wrong.
func appManagerFrom(m map[string]any) (*appManagerOptions, error) {
	r := mapReader{arg: "app_manager", m: m}
	a := &appManagerOptions{password: r.secret("password")}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(appManagerKeys, k) {
			r.fail(&ArgError{Arg: "app_manager", Msg: fmt.Sprintf("app_manager has no key %q (its keys are %s)", k, strings.Join(appManagerKeys, ", ")),
				Hint: suggest.Hint(k, appManagerKeys)})
		}
	}
	a.url = r.url("url", true)
	a.method = strings.ToUpper(r.strDefault("method", http.MethodPut))
	if !slices.Contains([]string{http.MethodPut, http.MethodPost, http.MethodPatch}, a.method) {
		r.fail(fmt.Errorf("app_manager.method %q is not PUT, POST or PATCH", a.method))
	}
	a.body = r.body()
	a.getURL = r.url("get_url", false)
	a.podsField, a.pvcsField = r.str("pods_field", a.getURL != ""), r.str("pvcs_field", a.getURL != "")
	a.username = r.str("username", true)
	a.clientID = r.strDefault("client_id", "dash")
	a.tokenURL = r.tokenURL()
	a.caFile = r.str("ca_file", false)
	a.viaHost = r.boolean("via_host")
	a.timeout = time.Duration(r.intDefault("timeout", 30)) * time.Second
	return a, errors.Join(r.problems...)
}

// mapReader reads typed keys of a mapping argument, collecting problems.
type mapReader struct {
	arg      string
	m        map[string]any
	problems []error
}

func (r *mapReader) fail(err error) { r.problems = append(r.problems, err) }

func (r *mapReader) str(key string, required bool) string {
	v, ok := r.m[key]
	if !ok || v == nil {
		if required {
			r.fail(fmt.Errorf("%s needs key %s", r.arg, key))
		}
		return ""
	}
	switch x := v.(type) {
	case string:
		if required && strings.TrimSpace(x) == "" {
			r.fail(fmt.Errorf("%s.%s is empty", r.arg, key))
		}
		return strings.TrimSpace(x)
	case int, int64, float64, bool:
		return fmt.Sprint(x)
	}
	r.fail(fmt.Errorf("%s.%s must be a string, got %s", r.arg, key, typeName(v)))
	return ""
}

// secret reads a required string as given: spaces in a password are part
// of it.
func (r *mapReader) secret(key string) string {
	if v, ok := r.m[key].(string); ok && v != "" {
		return v
	}
	return r.str(key, true) // a number as text, or reported missing, empty or of the wrong type
}

func (r *mapReader) strDefault(key, def string) string {
	if s := r.str(key, false); s != "" {
		return s
	}
	return def
}

func (r *mapReader) url(key string, required bool) string {
	s := r.str(key, required)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		r.fail(fmt.Errorf("%s.%s %q is not an http(s) URL", r.arg, key, s))
	}
	return s
}

func (r *mapReader) boolean(key string) bool {
	v, ok := r.m[key]
	if !ok || v == nil {
		return false
	}
	b, err := ToBool(v)
	if err != nil {
		r.fail(fmt.Errorf("%s.%s: %v", r.arg, key, err))
	}
	return b
}

func (r *mapReader) intDefault(key string, def int) int {
	v, ok := r.m[key]
	if !ok || v == nil {
		return def
	}
	n, err := toInt(v)
	if err != nil || n < 1 {
		r.fail(fmt.Errorf("%s.%s must be a whole number of 1 or more, got %v", r.arg, key, v))
		return def
	}
	return n
}

// body accepts JSON text or a mapping (or list); its placeholders are
// checked now, so a typo fails before anything changes.
func (r *mapReader) body() any {
	v, ok := r.m["body"]
	if !ok || v == nil {
		r.fail(fmt.Errorf("app_manager needs key body: the JSON the endpoint expects, with ${max_pods} and ${max_pvcs} where the numbers go"))
		return nil
	}
	switch v.(type) {
	case string, map[string]any, []any:
		if _, err := renderBody(v, limits{pods: 1, pvcs: 1}); err != nil {
			r.fail(err)
		}
		return v
	}
	r.fail(fmt.Errorf("app_manager.body must be JSON text or a mapping, got %s", typeName(v)))
	return nil
}

// tokenURL is token_url, or Keycloak's realm dash endpoint at auth-<server>.
func (r *mapReader) tokenURL() string {
	if u := r.url("token_url", false); u != "" {
		return u
	}
	server := strings.TrimSuffix(strings.TrimSpace(r.str("server", false)), ".")
	if server == "" {
		r.fail(fmt.Errorf("app_manager needs token_url (the OIDC token endpoint of realm dash) or server (then https://auth-<server>%s is used)", dashRealmTokenPath))
		return ""
	}
	if !validHostname(strings.ToLower(server), false) {
		r.fail(fmt.Errorf("app_manager.server %q is not a host name; give the bare name, e.g. dash.example.com", server))
	}
	return "https://auth-" + strings.ToLower(server) + dashRealmTokenPath
}

var bodyPlaceholder = regexp.MustCompile(`\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}`)

// renderBody puts the resolved numbers in the body: in JSON text every
// ${name} becomes the number; in a mapping a string that is only a
// placeholder becomes a JSON number, and one that contains it gets the digits.
func renderBody(body any, l limits) ([]byte, error) {
	values := map[string]int{"max_pods": l.pods, "max_pvcs": l.pvcs}
	if text, ok := body.(string); ok {
		out, err := substitute(text, values)
		if err != nil {
			return nil, err
		}
		if !json.Valid([]byte(out)) {
			var v any
			err := json.Unmarshal([]byte(out), &v)
			return nil, fmt.Errorf("app_manager.body is not valid JSON once ${max_pods} and ${max_pvcs} are filled in: %v", err)
		}
		return []byte(out), nil
	}
	v, err := substituteValue(body, values)
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

func substitute(text string, values map[string]int) (string, error) {
	var unknown []string
	out := bodyPlaceholder.ReplaceAllStringFunc(text, func(m string) string {
		name := bodyPlaceholder.FindStringSubmatch(m)[1]
		n, ok := values[name]
		if !ok {
			unknown = append(unknown, "${"+name+"}")
			return m
		}
		return strconv.Itoa(n)
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("app_manager.body uses %s; the placeholders are ${max_pods} and ${max_pvcs}", strings.Join(unknown, ", "))
	}
	return out, nil
}

func substituteValue(v any, values map[string]int) (any, error) {
	switch x := v.(type) {
	case string:
		if m := bodyPlaceholder.FindStringSubmatch(x); m != nil && m[0] == x {
			if n, ok := values[m[1]]; ok {
				return n, nil
			}
		}
		return substitute(x, values)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			s, err := substituteValue(item, values)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			s, err := substituteValue(item, values)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}

// appManagerStep is the HTTP step: its client, the body to send and the
// limits read before (nil without get_url).
type appManagerStep struct {
	o       *appManagerOptions
	client  *http.Client
	host    *Host
	token   string
	body    []byte
	before  *limits
	changed bool
}

// planAppManager builds the client and the body, logs in, and with get_url
// reads the current limits: reads only, so it runs in check mode too.
func planAppManager(ctx context.Context, h *Host, o *appManagerOptions, want limits) (*appManagerStep, error) {
	client, err := appManagerClient(h, o)
	if err != nil {
		return nil, err
	}
	body, err := renderBody(o.body, want)
	if err != nil {
		return nil, err
	}
	s := &appManagerStep{o: o, client: client, host: h, body: body}
	// Logging in changes nothing and proves the credentials before any
	// change is made, in check mode too.
	if err := s.login(ctx); err != nil {
		return nil, err
	}
	if o.getURL == "" {
		return s, nil
	}
	cur, err := s.current(ctx)
	if err != nil {
		return nil, err
	}
	s.before = &cur
	return s, nil
}

func appManagerClient(h *Host, o *appManagerOptions) (*http.Client, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.caFile != "" {
		path, pemBytes, err := readPEMFile(h, "app_manager.ca_file", o.caFile)
		if err != nil {
			return nil, err
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pemBytes) {
			return nil, fmt.Errorf("app_manager.ca_file %s holds no PEM certificate", path)
		}
		tlsConfig.RootCAs = pool
	}
	transport := &http.Transport{TLSClientConfig: tlsConfig, Proxy: http.ProxyFromEnvironment}
	if o.viaHost {
		d, ok := h.Conn.(Dialer)
		if !ok {
			return nil, fmt.Errorf("app_manager.via_host: the connection to %s cannot open TCP connections from the host's side", hostLabel(h))
		}
		transport.DialContext, transport.Proxy = d.DialContext, nil
	}
	return &http.Client{Transport: transport, Timeout: o.timeout}, nil
}

func (s *appManagerStep) apply(ctx context.Context, h *Host, want limits) error {
	if s.before != nil && *s.before == want {
		return nil
	}
	s.changed = true
	what := fmt.Sprintf("set the App Manager's System Limits to pods %d and volumes %d (%s %s)", want.pods, want.pvcs, s.o.method, s.o.url)
	return h.Change(what, func() error {
		if _, err := s.call(ctx, s.o.method, s.o.url, s.body); err != nil {
			return err
		}
		if s.o.getURL == "" {
			return nil
		}
		after, err := s.current(ctx)
		if err != nil {
			return err
		}
		if after != want {
			return fmt.Errorf("the App Manager accepted %s %s, but GET %s still reports pods %d and volumes %d: check app_manager.body against Plotly's API",
				s.o.method, s.o.url, s.o.getURL, after.pods, after.pvcs)
		}
		return nil
	})
}

func (s *appManagerStep) outcome() string {
	if s.changed {
		return "changed"
	}
	return "unchanged"
}

// current reads the App Manager's limits with GET get_url.
func (s *appManagerStep) current(ctx context.Context) (limits, error) {
	raw, err := s.call(ctx, http.MethodGet, s.o.getURL, nil)
	if err != nil {
		return limits{}, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return limits{}, fmt.Errorf("GET %s did not answer JSON: %v", s.o.getURL, err)
	}
	pods, err := numberAt(doc, s.o.podsField, "pods_field", s.o.getURL)
	if err != nil {
		return limits{}, err
	}
	pvcs, err := numberAt(doc, s.o.pvcsField, "pvcs_field", s.o.getURL)
	if err != nil {
		return limits{}, err
	}
	return limits{pods: pods, pvcs: pvcs}, nil
}

// numberAt follows a dot path (limits.pods, items.0.max) to a whole number.
func numberAt(doc any, path, key, from string) (int, error) {
	cur := doc
	for _, step := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			v, ok := x[step]
			if !ok {
				return 0, fmt.Errorf("app_manager.%s %q: the answer of GET %s has no %q (its keys: %s)", key, path, from, step, strings.Join(slices.Sorted(maps.Keys(x)), ", "))
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(step)
			if err != nil || i < 0 || i >= len(x) {
				return 0, fmt.Errorf("app_manager.%s %q: %q is not an index of a list of %d in the answer of GET %s", key, path, step, len(x), from)
			}
			cur = x[i]
		default:
			return 0, fmt.Errorf("app_manager.%s %q: the answer of GET %s has %s before %q", key, path, from, typeName(cur), step)
		}
	}
	n, err := toInt(cur)
	if err != nil {
		return 0, fmt.Errorf("app_manager.%s %q in the answer of GET %s: %v", key, path, from, err)
	}
	return n, nil
}

// call sends one authenticated request and returns the answer's body,
// logging in first if no token is held, and once more if the token expired.
func (s *appManagerStep) call(ctx context.Context, method, target string, body []byte) ([]byte, error) {
	if s.token == "" {
		if err := s.login(ctx); err != nil {
			return nil, err
		}
	}
	status, raw, err := s.send(ctx, method, target, body)
	if err == nil && status == http.StatusUnauthorized {
		if err := s.login(ctx); err != nil {
			return nil, err
		}
		status, raw, err = s.send(ctx, method, target, body)
	}
	if err != nil {
		return nil, fmt.Errorf("App Manager %s %s: %w", method, target, err)
	}
	if status < 200 || status > 299 {
		return nil, httpStatusError(method, target, status, raw, s.o.username)
	}
	return raw, nil
}

func (s *appManagerStep) send(ctx context.Context, method, target string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return doRequest(s.client, req)
}

func doRequest(client *http.Client, req *http.Request) (int, []byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPBody))
	return resp.StatusCode, raw, err
}

func httpStatusError(method, target string, status int, raw []byte, user string) error {
	msg := fmt.Sprintf("App Manager %s %s answered HTTP %d", method, target, status)
	if text := snippet(raw); text != "" {
		msg += ": " + text
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		msg += fmt.Sprintf("; does user %s hold the admin role of client dash (keycloak_user with roles admin)?", user)
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		msg += "; check app_manager.url and method against Plotly's API documentation"
	}
	return errors.New(msg)
}

// snippet is the start of an answer, on one line, for an error message.
func snippet(raw []byte) string {
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// login gets an access token with an OIDC password grant (Keycloak's "direct
// access grant") for the admin user, and masks it.
func (s *appManagerStep) login(ctx context.Context) error {
	form := url.Values{
		"grant_type": {"password"}, "client_id": {s.o.clientID}, "scope": {"openid"},
		"username": {s.o.username}, "password": {s.o.password},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.o.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	status, raw, err := doRequest(s.client, req)
	if err != nil {
		return fmt.Errorf("logging in to %s as %s: %w", s.o.tokenURL, s.o.username, err)
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(raw, &answer) // a non-JSON answer is judged by its status below
	if status != http.StatusOK || answer.AccessToken == "" {
		return s.loginError(status, answer.Error, answer.Description, raw)
	}
	s.token = answer.AccessToken
	s.host.AddSecret(s.token)
	return nil
}

func (s *appManagerStep) loginError(status int, code, description string, raw []byte) error {
	where := fmt.Sprintf("logging in to %s as %s", s.o.tokenURL, s.o.username)
	detail := code
	if description != "" {
		detail += " (" + description + ")"
	}
	switch {
	case code == "invalid_grant":
		return fmt.Errorf("%s was refused: %s; check app_manager.username and app_manager.password (a Dash Enterprise user of realm dash, e.g. the one keycloak_user creates)", where, detail)
	case code == "unauthorized_client":
		return fmt.Errorf("%s was refused: %s; client %s does not allow the password grant: enable Direct access grants on it in Keycloak, or leave app_manager off and set the limits by hand", where, detail, s.o.clientID)
	case code == "invalid_client":
		return fmt.Errorf("%s was refused: %s; check app_manager.client_id (client %s is unknown or needs a secret)", where, detail, s.o.clientID)
	case status == http.StatusNotFound:
		return fmt.Errorf("%s: HTTP 404; check app_manager.token_url: the realm (dash) and the /auth prefix, which Keycloak 17 and later drop", where)
	case code != "":
		return fmt.Errorf("%s: HTTP %d: %s", where, status, detail)
	case status == http.StatusOK:
		return fmt.Errorf("%s: the answer has no access_token", where)
	}
	return fmt.Errorf("%s: HTTP %d: %s", where, status, snippet(raw))
}
