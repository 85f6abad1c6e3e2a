package limits

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/kube"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/pager"

	"github.com/ferry-sh/ferry/internal/anylist"
)

func init() { modules.Register(limitsModule{}) }

// limitsModule enforces a pod and volume (PVC) limit on the namespaces
// where Dash Enterprise runs apps, with a Kubernetes ResourceQuota.
//
// A ResourceQuota is a hard limit: Kubernetes refuses at once a pod or a
// volume over it, a build pod too. It is not Dash Enterprise's own System
// Limits, which warn at 80% and let build pods go over for a while, and
// which live in the App Manager, whose API is not documented: ferry does not
// set them, and says where they go in the UI (manual_step).
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
//   - limits_before: {quota: {ns: {pods, pvcs} or null}}; limits_after: the
//     same shape with the limits set.
//   - quota_name, quota_namespaces: the quotas ferry owns.
//   - manual_step: the App Manager UI step for the product's own limits.
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
)

// defaultSystemNamespaces are the namespaces of kURL's add-ons and of Dash
// Enterprise's platform: their pods take node capacity that apps cannot use.
var defaultSystemNamespaces = []string{
	"kube-system", "kube-public", "kube-node-lease", "kurl", "kube-flannel", "projectcontour",
	"openebs", "longhorn-system", "rook-ceph", "minio", "velero", "monitoring", "plotly-system",
}

// limitsArgs are the module's arguments as a playbook gives them;
// limitsOptionsOf turns them into limitsOptions.
type limitsArgs struct {
	MaxPods          any       `opt:"max_pods" default:"auto" doc:"The pod limit: a whole number, or auto = the sum of the Nodes' allocatable pods minus the pods running in system_namespaces (ferry's rule, not Plotly's). Plotly recommends 250 for the Standard offering; a kURL node allows 110 pods unless installed with kubernetes-max-pods-per-node. A number the cluster cannot hold is refused before anything changes, with the kURL setting that would make room."`
	MaxPVCs          any       `opt:"max_pvcs" default:"auto" doc:"The volume (PVC) limit: a whole number, or auto = what pvc_auto says."`
	PVCAuto          string    `opt:"pvc_auto" default:"50%" doc:"What max_pvcs: auto becomes: a number (\"40\") or a percentage of the pod limit (\"50%\", rounded down, at least 1). Plotly publishes no volume figure; the default is ferry's guess: every workspace and every Redis or Postgres service holds one PVC and runs at least one pod, and apps run pods without PVCs."`
	Namespaces       []string  "opt:\"namespaces,required\" doc:\"The namespaces where Dash Enterprise runs apps, workspaces and services; each gets a ResourceQuota with the full limits (a ResourceQuota cannot span namespaces, so with several namespaces the cluster-wide total can reach the limits times their number). Required because Plotly does not document the apps namespace of Dash Enterprise 5: find it with `kubectl get pods -A` on an instance with an app deployed. Every namespace must exist.\""
	SystemNamespaces *[]string `opt:"system_namespaces" doc:"Namespaces whose pods are subtracted from the allocatable pods for max_pods: auto and for the capacity check. Default: kURL's add-ons and Dash Enterprise's platform: kube-system, kube-public, kube-node-lease, kurl, kube-flannel, projectcontour, openebs, longhorn-system, rook-ceph, minio, velero, monitoring, plotly-system. A namespace also listed in namespaces is not subtracted: its quota already counts its pods."`
	QuotaName        string    `opt:"quota_name" default:"ferry-limits" doc:"Name of the ResourceQuota ferry owns in each namespace; its spec.hard is exactly pods and persistentvolumeclaims."`
	Kubeconfig       string    `opt:"kubeconfig" default:"/etc/kubernetes/admin.conf" doc:"The cluster-admin kubeconfig on the host (kURL writes /etc/kubernetes/admin.conf, readable by root: use become). All API traffic goes over the host's connection."`
}

// OptionChecks are the rules beyond each argument's type.
func (limitsArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"max_pods":          checkLimit("max_pods"),
		"max_pvcs":          checkLimit("max_pvcs"),
		"pvc_auto":          checkPVCRule,
		"namespaces":        checkNamespaces("namespaces", true),
		"system_namespaces": checkNamespaces("system_namespaces", false),
		"quota_name":        checkQuotaName,
	}
}

func (limitsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "limits",
		Summary: "Enforce a pod and volume (PVC) limit on the apps' namespaces with a ResourceQuota (a hard Kubernetes limit, not Dash Enterprise's System Limits), checked against the cluster's capacity",
		Args:    modules.OptionsOf[limitsArgs](),
		Check:   modules.CheckSupported,
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

func (limitsModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[limitsArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	o, err := limitsOptionsOf(a)
	if err != nil {
		return modules.Result{}, err
	}
	k, err := kube.For(ctx, h, o.kubeconfig)
	if res, ok, err := kube.PlanWithoutCluster(h, err, fmt.Sprintf("set the pod and volume limits (quota %s in %s)", o.quotaName, strings.Join(o.namespaces, ", "))); ok {
		return res, err
	}
	if err != nil {
		return modules.Result{}, err
	}
	p, err := planLimits(ctx, h, k, o)
	if err != nil {
		return modules.Result{}, err
	}
	if err := p.apply(ctx, h, k); err != nil {
		return modules.Result{}, err
	}
	return p.result(), nil
}

// limitsOptionsOf normalises the decoded arguments (their checks ran when
// they were bound): auto and percentages parsed, namespaces trimmed and
// without repeats, the default system namespaces.
func limitsOptionsOf(a limitsArgs) (limitsOptions, error) {
	o := limitsOptions{quotaName: a.QuotaName, kubeconfig: a.Kubeconfig, systemNamespaces: defaultSystemNamespaces}
	var errs [5]error
	o.maxPods, errs[0] = parseLimit("max_pods", a.MaxPods)
	o.maxPVCs, errs[1] = parseLimit("max_pvcs", a.MaxPVCs)
	o.pvcAuto, errs[2] = parsePVCRule(a.PVCAuto)
	o.namespaces, errs[3] = namespaceList("namespaces", anylist.Of(a.Namespaces))
	if a.SystemNamespaces != nil {
		o.systemNamespaces, errs[4] = namespaceList("system_namespaces", anylist.Of(*a.SystemNamespaces))
	}
	return o, errors.Join(errs[:]...)
}

// parseLimit reads a limit: a whole number of 1 or more, or auto.
func parseLimit(name string, v any) (limitValue, error) {
	if s, ok := v.(string); ok && strings.EqualFold(strings.TrimSpace(s), "auto") {
		return limitValue{auto: true}, nil
	}
	n, err := modules.ToInt(v)
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
			problems = append(problems, fmt.Errorf("%s: entry %v is %s; give namespace names", arg, item, modules.TypeName(item)))
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
func readUsage(ctx context.Context, k *kube.Client, o limitsOptions) (clusterUsage, error) {
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
		return pods, k.List(ctx, kube.Pods, "", opts, pods)
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
		return pvcs, k.List(ctx, kube.PersistentVolumeClaims, "", opts, pvcs)
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

func readNodes(ctx context.Context, k *kube.Client, u *clusterUsage) error {
	nodes := &corev1.NodeList{}
	if err := k.List(ctx, kube.Nodes, "", metav1.ListOptions{}, nodes); err != nil {
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
	diffs  []modules.Diff
}

// quotaState is one namespace's quota as found.
type quotaState struct {
	namespace string
	existing  *corev1.ResourceQuota // nil when absent
}

// planLimits reads everything and resolves the limits; nothing changes yet,
// so a refused limit or an unreachable App Manager leaves the cluster as it
// was.
func planLimits(ctx context.Context, h *modules.Host, k *kube.Client, o limitsOptions) (*limitsPlan, error) {
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
	return &limitsPlan{o: o, usage: usage, want: want, quotas: quotas}, nil
}

// readQuotas checks that every namespace exists and reads ferry's quota in it.
func readQuotas(ctx context.Context, k *kube.Client, o limitsOptions) ([]quotaState, error) {
	var states []quotaState
	for _, ns := range o.namespaces {
		got := &corev1.Namespace{}
		err := k.Get(ctx, kube.Namespaces, "", ns, got)
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
		err = k.Get(ctx, kube.ResourceQuotas, ns, o.quotaName, q)
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
func (p *limitsPlan) apply(ctx context.Context, h *modules.Host, k *kube.Client) error {
	want := p.hard()
	for _, st := range p.quotas {
		if err := p.convergeQuota(ctx, h, k, st, want); err != nil {
			return err
		}
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

func (p *limitsPlan) convergeQuota(ctx context.Context, h *modules.Host, k *kube.Client, st quotaState, want corev1.ResourceList) error {
	ref := "ResourceQuota " + st.namespace + "/" + p.o.quotaName
	if st.existing == nil {
		p.addDiff(h, ref, "", want)
		return h.Change(fmt.Sprintf("create %s (%s)", ref, hardText(want, ", ")), func(w modules.Writer) error {
			q := &corev1.ResourceQuota{
				ObjectMeta: metav1.ObjectMeta{Name: p.o.quotaName, Namespace: st.namespace, Labels: map[string]string{managedByLabel: "ferry"}},
				Spec:       corev1.ResourceQuotaSpec{Hard: want},
			}
			return k.Create(ctx, w, kube.ResourceQuotas, q)
		})
	}
	if sameHard(st.existing.Spec.Hard, want) {
		return nil
	}
	p.addDiff(h, ref, hardText(st.existing.Spec.Hard, "\n")+"\n", want)
	return h.Change(fmt.Sprintf("update %s: %s", ref, hardChange(st.existing.Spec.Hard, want)), func(w modules.Writer) error {
		q := st.existing.DeepCopy()
		q.Spec.Hard = want
		return k.Update(ctx, w, kube.ResourceQuotas, q)
	})
}

func (p *limitsPlan) addDiff(h *modules.Host, ref, before string, want corev1.ResourceList) {
	if h.Diff {
		p.diffs = append(p.diffs, modules.Diff{Path: ref + " spec.hard", Before: before, After: hardText(want, "\n") + "\n"})
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

func (p *limitsPlan) result() modules.Result {
	res := modules.Result{Diffs: p.diffs, Data: map[string]any{
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
		"manual_step":      manualStep(p.want),
	}}
	res.Msg = fmt.Sprintf("ResourceQuota %s in %s: at most %d pods and %d volumes, a hard Kubernetes limit (not Dash Enterprise's System Limits; set those by hand: %s)",
		p.o.quotaName, strings.Join(p.o.namespaces, ", "), p.want.pods, p.want.pvcs, res.Data["manual_step"])
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
	return map[string]any{"quota": quotas}
}

func (p *limitsPlan) limitsAfter() map[string]any {
	quotas := map[string]any{}
	for _, ns := range p.o.namespaces {
		quotas[ns] = limitsMap(p.want)
	}
	return map[string]any{"quota": quotas}
}

func hardValue(l corev1.ResourceList, name corev1.ResourceName) any {
	q, ok := l[name]
	if !ok {
		return nil
	}
	return int(q.Value())
}

func limitsMap(l limits) map[string]any { return map[string]any{"pods": l.pods, "pvcs": l.pvcs} }
