package limits_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
)

// limitsSite is a real kube-apiserver reached through a real sshd host, as
// the limits module reaches a kURL cluster.
//
// The module sums the allocatable pods of every Node in the cluster, so its
// tests run on a PRIVATE cluster (kubetest.Start), not on kubetest.Shared:
// a test of another module adding Nodes to a shared cluster would change the
// capacity under these assertions. The subtests share that private cluster
// and run one after another (never t.Parallel): each adds its own Nodes,
// which kubetest.AddNode deletes when the subtest ends, and works in its own
// namespaces. Counts that are cluster-wide (current_pods, current_pvcs)
// include what earlier subtests left, so they are asserted as differences.
type limitsSite struct {
	cluster    *kubetest.Cluster
	cs         kubernetes.Interface
	kubeconfig string
	conn       modules.Conn
}

func newLimitsSite(t *testing.T) *limitsSite {
	t.Helper()
	cluster := kubetest.Start(t)
	srv := sshtest.Start(t, sshtest.Options{Hosts: 1})
	kubeconfig := modtest.WriteKubeconfig(t, cluster)
	c := modtest.SSHConnTo(t, srv)
	return &limitsSite{cluster: cluster, cs: cluster.Clientset(), kubeconfig: kubeconfig, conn: c}
}

// host is a fresh task's view of the node; secrets it registers are added
// to *secrets when that is not nil. Each host gets its own cache, so its own
// Kubernetes client: one client shared by every run would hit client-go's
// default client-side rate limit (5 requests a second after a burst of 10)
// and make each run wait about a second.
func (s *limitsSite) host(check bool, secrets *[]string) *modules.Host {
	h := &modules.Host{Name: "node", Conn: modules.Seal(s.conn), Check: check, Diff: true, Vars: modtest.Vars{}, Cache: &sync.Map{}}
	if secrets != nil {
		h.Secret = func(v string) { *secrets = append(*secrets, v) }
	}
	return h
}

// run runs the module with the site's kubeconfig added to raw.
func (s *limitsSite) run(t *testing.T, h *modules.Host, raw map[string]any) (modules.Result, []string, error) {
	t.Helper()
	args := map[string]any{"kubeconfig": s.kubeconfig}
	for k, v := range raw {
		args[k] = v
	}
	before := len(h.Changes())
	res, _, err := modtest.Run(t, h, "limits", args)
	return res, h.Changes()[before:], err
}

func (s *limitsSite) mustRun(t *testing.T, h *modules.Host, raw map[string]any) (modules.Result, []string) {
	t.Helper()
	res, changes, err := s.run(t, h, raw)
	if err != nil {
		t.Fatalf("limits %v: %v", raw, err)
	}
	return res, changes
}

// addPods creates n pods in ns; phase, when set, is written to their status
// as a kubelet would.
func (s *limitsSite) addPods(t *testing.T, ns string, n int, phase corev1.PodPhase) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "pod-", Namespace: ns},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.local/app:1"}}},
		}
		created, err := s.cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if phase == "" {
			continue
		}
		created.Status.Phase = phase
		if _, err := s.cs.CoreV1().Pods(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *limitsSite) addPVCs(t *testing.T, ns string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		pvc := &corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{GenerateName: "data-", Namespace: ns},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}
		if _, err := s.cs.CoreV1().PersistentVolumeClaims(ns).Create(context.Background(), pvc, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// addNodes adds Nodes with the given allocatable pods, removed at the end
// of the (sub)test.
func (s *limitsSite) addNodes(t *testing.T, allocatable ...int) {
	t.Helper()
	for i, pods := range allocatable {
		s.cluster.AddNode(t, fmt.Sprintf("node-%d", i+1), pods, true)
	}
}

// quotaHard reads the quota's spec.hard as plain numbers; nil when absent.
func (s *limitsSite) quotaHard(t *testing.T, ns, name string) map[string]int64 {
	t.Helper()
	q, err := s.cs.CoreV1().ResourceQuotas(ns).Get(context.Background(), name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for res, qty := range q.Spec.Hard {
		out[string(res)] = qty.Value()
	}
	return out
}

func hardOf(pods, pvcs int64) map[string]int64 {
	return map[string]int64{"pods": pods, "persistentvolumeclaims": pvcs}
}

func TestLimits(t *testing.T) {
	s := newLimitsSite(t)
	t.Run("QuotaCreatedThenUnchanged", s.testQuotaCreatedThenUnchanged)
	t.Run("ChangedLimitUpdatesQuota", s.testChangedLimitUpdatesQuota)
	t.Run("AboveCapacityRefused", s.testAboveCapacityRefused)
	t.Run("AutoFromCapacity", s.testAutoFromCapacity)
	t.Run("CountsPodsAndPVCs", s.testCountsPodsAndPVCs)
	t.Run("CheckModeChangesNothing", s.testCheckModeChangesNothing)
	t.Run("MissingNamespaceRefused", s.testMissingNamespaceRefused)
}

func (s *limitsSite) testQuotaCreatedThenUnchanged(t *testing.T) {
	s.addNodes(t, 200)
	apps, more := s.cluster.Namespace(t), s.cluster.Namespace(t)
	args := map[string]any{"max_pods": 150, "max_pvcs": "40", "namespaces": []any{apps, more}}

	res, changes := s.mustRun(t, s.host(false, nil), args)
	if len(changes) != 2 {
		t.Fatalf("first run made %d changes, want a quota in each of 2 namespaces: %q", len(changes), changes)
	}
	for _, ns := range []string{apps, more} {
		if got := s.quotaHard(t, ns, "ferry-limits"); !reflect.DeepEqual(got, hardOf(150, 40)) {
			t.Errorf("quota in %s has spec.hard %v, want %v", ns, got, hardOf(150, 40))
		}
		q, _ := s.cs.CoreV1().ResourceQuotas(ns).Get(context.Background(), "ferry-limits", metav1.GetOptions{})
		if q.Labels["app.kubernetes.io/managed-by"] != "ferry" {
			t.Errorf("quota in %s is not labelled as ferry's: %v", ns, q.Labels)
		}
	}
	wantStep := "App Manager → Settings → System Limits → Edit System Limits: set pods to 150 and volumes to 40"
	// The quota is said to be a hard Kubernetes limit, not the product's setting.
	if !strings.Contains(res.Msg, "at most 150 pods and 40 volumes, a hard Kubernetes limit (not Dash Enterprise's System Limits; set those by hand: "+wantStep+")") ||
		res.Data["manual_step"] != wantStep {
		t.Errorf("msg %q, manual_step %q; want the hard-limit wording and %q", res.Msg, res.Data["manual_step"], wantStep)
	}
	if _, ok := res.Data["app_manager"]; ok || res.Data["max_pods"] != 150 || res.Data["max_pvcs"] != 40 {
		t.Errorf("result data %v", res.Data)
	}
	if got := res.Data["quota_namespaces"]; !reflect.DeepEqual(got, []any{apps, more}) {
		t.Errorf("quota_namespaces %v", got)
	}
	if before := res.Data["limits_before"].(map[string]any)["quota"].(map[string]any); before[apps] != nil {
		t.Errorf("limits_before of a new quota is %v, want nil", before[apps])
	}

	res, changes = s.mustRun(t, s.host(false, nil), args)
	if len(changes) != 0 {
		t.Errorf("second run changed %q", changes)
	}
	before := res.Data["limits_before"].(map[string]any)["quota"].(map[string]any)
	if want := map[string]any{"pods": 150, "pvcs": 40}; !reflect.DeepEqual(before[more], want) {
		t.Errorf("limits_before of the existing quota is %v, want %v", before[more], want)
	}
	if len(res.Diffs) != 0 {
		t.Errorf("an unchanged run has diffs %v", res.Diffs)
	}
}

func (s *limitsSite) testChangedLimitUpdatesQuota(t *testing.T) {
	s.addNodes(t, 110, 110)
	ns := s.cluster.Namespace(t)
	s.mustRun(t, s.host(false, nil), map[string]any{"max_pods": 150, "max_pvcs": 40, "namespaces": []any{ns}, "quota_name": "de-limits"})

	// Someone adds a CPU limit to ferry's quota: ferry owns it, so it goes.
	q, err := s.cs.CoreV1().ResourceQuotas(ns).Get(context.Background(), "de-limits", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	q.Spec.Hard[corev1.ResourceLimitsCPU] = resource.MustParse("8")
	if _, err := s.cs.CoreV1().ResourceQuotas(ns).Update(context.Background(), q, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}

	res, changes := s.mustRun(t, s.host(false, nil), map[string]any{"max_pods": 120, "max_pvcs": 40, "namespaces": []any{ns}, "quota_name": "de-limits"})
	want := fmt.Sprintf("update ResourceQuota %s/de-limits: limits.cpu 8 -> (removed), pods 150 -> 120", ns)
	if !reflect.DeepEqual(changes, []string{want}) {
		t.Errorf("changes %q, want %q", changes, want)
	}
	if got := s.quotaHard(t, ns, "de-limits"); !reflect.DeepEqual(got, hardOf(120, 40)) {
		t.Errorf("spec.hard after the update is %v, want %v", got, hardOf(120, 40))
	}
	wantDiff := modules.Diff{Path: "ResourceQuota " + ns + "/de-limits spec.hard",
		Before: "limits.cpu=8\npersistentvolumeclaims=40\npods=150\n", After: "persistentvolumeclaims=40\npods=120\n"}
	if !reflect.DeepEqual(res.Diffs, []modules.Diff{wantDiff}) {
		t.Errorf("diffs %+v, want %+v", res.Diffs, wantDiff)
	}
}

func (s *limitsSite) testAboveCapacityRefused(t *testing.T) {
	system := s.cluster.Namespace(t)
	s.addPods(t, system, 5, corev1.PodRunning)
	s.addPods(t, system, 2, corev1.PodSucceeded) // ended: they hold no slot
	cases := []struct {
		name  string
		nodes []int
		args  map[string]any
		want  string
	}{
		{"one node", []int{110}, map[string]any{"max_pods": 250},
			"max_pods 250 exceeds the cluster's allocatable pods 110 (1 node) less 5 pods in system namespaces (" + system + ": 5), which leaves 105 for apps; install kURL with kubernetes-max-pods-per-node=255 or more, or lower max_pods to 105 or less (max_pods: auto picks that)"},
		{"three nodes", []int{110, 110, 110}, map[string]any{"max_pods": 401},
			"max_pods 401 exceeds the cluster's allocatable pods 330 (3 nodes) less 5 pods in system namespaces (" + system + ": 5), which leaves 325 for apps; install kURL with kubernetes-max-pods-per-node=136 or more, or lower max_pods to 325 or less (max_pods: auto picks that)"},
		{"no system pods counted", []int{110}, map[string]any{"max_pods": 111, "system_namespaces": []any{}},
			"max_pods 111 exceeds the cluster's allocatable pods 110 (1 node); install kURL with kubernetes-max-pods-per-node=111 or more, or lower max_pods to 110 or less (max_pods: auto picks that)"},
		{"auto finds no room", []int{4}, map[string]any{"max_pods": "auto"},
			"max_pods auto finds no room for apps: the cluster's allocatable pods 4 (1 node) less 5 pods in system namespaces (" + system + ": 5), which leaves 0 for apps; install kURL with kubernetes-max-pods-per-node=6 or more"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s.addNodes(t, c.nodes...)
			ns := s.cluster.Namespace(t)
			// An existing quota must stay as it is.
			s.mustRun(t, s.host(false, nil), map[string]any{"max_pods": 3, "max_pvcs": 2, "namespaces": []any{ns}, "system_namespaces": []any{}})
			args := map[string]any{"namespaces": []any{ns}, "system_namespaces": []any{system}}
			for k, v := range c.args {
				args[k] = v
			}
			h := s.host(false, nil)
			_, _, err := s.run(t, h, args)
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n got: %v\nwant: %s", err, c.want)
			}
			if len(h.Changes()) != 0 {
				t.Errorf("a refused limit still changed %q", h.Changes())
			}
			if got := s.quotaHard(t, ns, "ferry-limits"); !reflect.DeepEqual(got, hardOf(3, 2)) {
				t.Errorf("the quota became %v", got)
			}
		})
	}
}

func (s *limitsSite) testAutoFromCapacity(t *testing.T) {
	s.addNodes(t, 110, 50)
	system, other, apps := s.cluster.Namespace(t), s.cluster.Namespace(t), s.cluster.Namespace(t)
	s.addPods(t, system, 6, corev1.PodRunning)
	s.addPods(t, system, 1, "") // Pending: it will take a slot
	s.addPods(t, system, 3, corev1.PodFailed)
	s.addPods(t, other, 2, corev1.PodRunning)
	s.addPods(t, apps, 4, corev1.PodRunning) // apps is also listed as a system namespace: its quota counts these
	// auto: 160 allocatable - 7 pods in system (6 running, 1 pending; the
	// failed ones hold no slot) - 2 in other = 151.
	const autoPods = 160 - 7 - 2
	cases := []struct {
		maxPods, pvcAuto   any
		wantPods, wantPVCs int
	}{
		{"auto", nil, autoPods, autoPods / 2}, // default 50%, rounded down
		{"auto", "30", autoPods, 30},
		{"auto", "10%", autoPods, 15},
		{50, "1%", 50, 1}, // 0.5 rounds down to 0, raised to 1
	}
	for _, c := range cases {
		args := map[string]any{"max_pods": c.maxPods, "max_pvcs": "auto", "namespaces": []any{apps},
			"system_namespaces": []any{system, other, apps, "no-such-namespace"}}
		if c.pvcAuto != nil {
			args["pvc_auto"] = c.pvcAuto
		}
		res, _ := s.mustRun(t, s.host(false, nil), args)
		if got := s.quotaHard(t, apps, "ferry-limits"); !reflect.DeepEqual(got, hardOf(int64(c.wantPods), int64(c.wantPVCs))) {
			t.Errorf("max_pods %v, pvc_auto %v: spec.hard %v, want pods %d and PVCs %d", c.maxPods, c.pvcAuto, got, c.wantPods, c.wantPVCs)
		}
		if res.Data["max_pods"] != c.wantPods || res.Data["max_pvcs"] != c.wantPVCs {
			t.Errorf("max_pods %v, pvc_auto %v: result max_pods %v, max_pvcs %v", c.maxPods, c.pvcAuto, res.Data["max_pods"], res.Data["max_pvcs"])
		}
		if res.Data["allocatable_pods"] != 160 || res.Data["nodes"] != 2 || res.Data["system_pods"] != 9 {
			t.Errorf("capacity data: allocatable_pods %v, nodes %v, system_pods %v", res.Data["allocatable_pods"], res.Data["nodes"], res.Data["system_pods"])
		}
	}
}

func (s *limitsSite) testCountsPodsAndPVCs(t *testing.T) {
	s.addNodes(t, 110)
	apps := s.cluster.Namespace(t)
	args := map[string]any{"max_pods": 50, "max_pvcs": 20, "namespaces": []any{apps}, "system_namespaces": []any{}}
	first, _ := s.mustRun(t, s.host(false, nil), args)

	other := s.cluster.Namespace(t)
	s.addPods(t, apps, 3, corev1.PodRunning)
	s.addPods(t, apps, 1, corev1.PodSucceeded)
	s.addPods(t, other, 2, "")
	s.addPVCs(t, apps, 2)
	s.addPVCs(t, other, 1)
	second, _ := s.mustRun(t, s.host(false, nil), args)

	if d := second.Data["current_pods"].(int) - first.Data["current_pods"].(int); d != 5 {
		t.Errorf("current_pods grew by %d, want 5 (3 running and 2 pending; the succeeded pod holds no slot)", d)
	}
	if d := second.Data["current_pvcs"].(int) - first.Data["current_pvcs"].(int); d != 3 {
		t.Errorf("current_pvcs grew by %d, want 3", d)
	}
	want := map[string]any{apps: map[string]any{"pods": 3, "pvcs": 2}}
	if got := second.Data["namespace_usage"]; !reflect.DeepEqual(got, want) {
		t.Errorf("namespace_usage %v, want %v", got, want)
	}
}

func (s *limitsSite) testCheckModeChangesNothing(t *testing.T) {
	s.addNodes(t, 110)
	fresh, existing := s.cluster.Namespace(t), s.cluster.Namespace(t)
	s.mustRun(t, s.host(false, nil), map[string]any{"max_pods": 50, "max_pvcs": 20, "namespaces": []any{existing}})

	h := s.host(true, nil)
	res, changes := s.mustRun(t, h, map[string]any{"max_pods": 60, "max_pvcs": 20, "namespaces": []any{fresh, existing}})
	want := []string{
		fmt.Sprintf("create ResourceQuota %s/ferry-limits (persistentvolumeclaims=20, pods=60)", fresh),
		fmt.Sprintf("update ResourceQuota %s/ferry-limits: pods 50 -> 60", existing),
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("check mode planned %q, want %q", changes, want)
	}
	if got := s.quotaHard(t, fresh, "ferry-limits"); got != nil {
		t.Errorf("check mode created a quota: %v", got)
	}
	if got := s.quotaHard(t, existing, "ferry-limits"); !reflect.DeepEqual(got, hardOf(50, 20)) {
		t.Errorf("check mode updated the quota to %v", got)
	}
	if res.Data["max_pods"] != 60 || !strings.Contains(res.Msg, "set pods to 60 and volumes to 20") {
		t.Errorf("check mode result: msg %q, data %v", res.Msg, res.Data)
	}
}

func (s *limitsSite) testMissingNamespaceRefused(t *testing.T) {
	s.addNodes(t, 110)
	ns := s.cluster.Namespace(t)
	h := s.host(false, nil)
	_, _, err := s.run(t, h, map[string]any{"max_pods": 50, "namespaces": []any{ns, "dash-apps-missing"}})
	want := `namespace "dash-apps-missing" (in namespaces) does not exist in the cluster; give the namespace where Dash Enterprise runs apps (kubectl get namespaces)`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
	if len(h.Changes()) != 0 || s.quotaHard(t, ns, "ferry-limits") != nil {
		t.Errorf("a missing namespace still let changes through: %q", h.Changes())
	}
}

// TestLimitsArguments: bad arguments are refused before the host or the
// cluster is touched, every problem at once.
func TestLimitsArguments(t *testing.T) {
	cases := []struct {
		name string
		args map[string]any
		want []string
	}{
		{"pods not a number", map[string]any{"max_pods": "lots"}, []string{`max_pods: want a whole number, got "lots"; give a whole number or auto`}},
		{"pods zero", map[string]any{"max_pods": 0}, []string{"max_pods is 0; give a number of 1 or more (a limit of 0 would stop Dash Enterprise creating anything), or auto"}},
		{"pvcs decimal", map[string]any{"max_pvcs": 2.5}, []string{"max_pvcs: want a whole number, got a decimal number; give a whole number or auto"}},
		{"pvc_auto percent", map[string]any{"pvc_auto": "150%"}, []string{`pvc_auto "150%" is not a percentage from 1% to 100%`}},
		{"pvc_auto word", map[string]any{"pvc_auto": "half"}, []string{`pvc_auto "half" is neither a number of 1 or more nor a percentage such as 50%`}},
		{"namespace name", map[string]any{"namespaces": []any{"Apps_NS"}}, []string{`namespaces: "Apps_NS" is not a namespace name`}},
		{"namespaces empty", map[string]any{"namespaces": []any{}}, []string{"namespaces is empty; give the namespaces where Dash Enterprise runs apps"}},
		{"namespace not a string", map[string]any{"namespaces": []any{map[string]any{"a": 1}}}, []string{"namespaces: entry map[a:1] is a mapping; give namespace names"}},
		{"quota name", map[string]any{"quota_name": "Bad Name"}, []string{`quota_name "Bad Name" is not a valid object name`}},
		{"two problems at once", map[string]any{"max_pods": -3, "pvc_auto": "0"}, []string{"max_pods is -3", `pvc_auto "0" is neither`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]any{"namespaces": []any{"dash-apps"}, "kubeconfig": "/nonexistent/admin.conf"}
			for k, v := range c.args {
				args[k] = v
			}
			var secrets []string
			h := modtest.NewHost(t)
			h.Secret = func(v string) { secrets = append(secrets, v) }
			_, _, err := modtest.Run(t, h, "limits", args)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error\n%v\ndoes not contain\n%s", err, want)
				}
			}
			if strings.Contains(err.Error(), "/nonexistent/admin.conf") {
				t.Errorf("the arguments were not checked before the kubeconfig was read: %v", err)
			}
		})
	}
}

// TestLimitsDocumented: the argument doc states the facts an operator needs.
func TestLimitsDocumented(t *testing.T) {
	var all []string
	for _, a := range modtest.Lookup(t, "limits").Spec().Args {
		all = append(all, a.Doc)
	}
	doc := strings.Join(all, "\n")
	for _, want := range []string{"Plotly does not document the apps namespace", "kubernetes-max-pods-per-node", "plotly-system"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the limits doc does not mention %q", want)
		}
	}
}
