package modules_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
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
	"github.com/ferry-sh/ferry/internal/sshtest"
	"github.com/ferry-sh/ferry/modules"
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
	kubeconfig := writeKubeconfig(t, cluster)
	c := sshConnTo(t, srv)
	return &limitsSite{cluster: cluster, cs: cluster.Clientset(), kubeconfig: kubeconfig, conn: c}
}

// host is a fresh task's view of the node; secrets it registers are added
// to *secrets when that is not nil. Each host gets its own cache, so its own
// Kubernetes client: one client shared by every run would hit client-go's
// default client-side rate limit (5 requests a second after a burst of 10)
// and make each run wait about a second.
func (s *limitsSite) host(check bool, secrets *[]string) *modules.Host {
	h := &modules.Host{Name: "node", Conn: s.conn, Check: check, Diff: true, Vars: testVars{}, Cache: &sync.Map{}}
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
	res, err := run(t, h, "limits", args)
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
	t.Run("AppManager", s.testAppManager)
	t.Run("AppManagerWithoutGet", s.testAppManagerWithoutGet)
	t.Run("AppManagerFailures", s.testAppManagerFailures)
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
	if res.Msg != wantStep || res.Data["manual_step"] != wantStep {
		t.Errorf("msg %q, manual_step %q; want both %q", res.Msg, res.Data["manual_step"], wantStep)
	}
	if res.Data["app_manager"] != "off" || res.Data["max_pods"] != 150 || res.Data["max_pvcs"] != 40 {
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

// appManager stands in for Dash Enterprise's App Manager and Keycloak's
// token endpoint. The real System Limits API is not public, so its shape
// (paths, JSON) is the test's choice: what the test asserts is that ferry
// sends what it is configured to send, authenticated with the token it got
// from a password grant.
type appManager struct {
	srv      *httptest.Server
	username string
	password string

	mu        sync.Mutex
	pods      int
	pvcs      int
	tokens    map[string]int // token -> uses left (0: unlimited)
	logins    int
	requests  []amRequest
	ignore    bool // accept PUTs without storing them
	tokenUses int  // calls each new token is good for; 0: unlimited
}

type amRequest struct {
	method, path, auth, contentType, body string
}

const tokenPath = "/auth/realms/dash/protocol/openid-connect/token"

func newAppManager(t *testing.T, pods, pvcs int) *appManager {
	am := &appManager{username: "de-admin", password: " S3cret admin-pw ", pods: pods, pvcs: pvcs, tokens: map[string]int{}}
	am.srv = httptest.NewUnstartedServer(http.HandlerFunc(am.serve))
	am.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate case's handshake error is expected
	am.srv.StartTLS()
	t.Cleanup(am.srv.Close)
	return am
}

// caFile writes the server's certificate as a PEM file for ca_file.
func (am *appManager) caFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "ca.crt")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: am.srv.Certificate().Raw})
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func (am *appManager) serve(w http.ResponseWriter, r *http.Request) {
	am.mu.Lock()
	defer am.mu.Unlock()
	if r.URL.Path == tokenPath {
		am.token(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	am.requests = append(am.requests, amRequest{r.Method, r.URL.Path, r.Header.Get("Authorization"), r.Header.Get("Content-Type"), string(body)})
	if !am.authorized(r.Header.Get("Authorization")) {
		http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
		return
	}
	switch {
	case r.URL.Path == "/api/system-limits" && r.Method == http.MethodGet:
		fmt.Fprintf(w, `{"data":{"limits":{"pods":%d,"volumes":%d}}}`, am.pods, am.pvcs)
	case r.URL.Path == "/api/system-limits" && r.Method == http.MethodPut:
		var in struct {
			Limits struct{ Pods, Volumes int } `json:"limits"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			http.Error(w, `{"error":"bad json"}`, http.StatusBadRequest)
			return
		}
		if !am.ignore {
			am.pods, am.pvcs = in.Limits.Pods, in.Limits.Volumes
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		http.Error(w, `{"error":"not found"}`, http.StatusNotFound)
	}
}

// token answers a password grant as Keycloak does.
func (am *appManager) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = r.ParseForm() // a bad form leaves PostForm empty: refused below
	f := r.PostForm
	if f.Get("grant_type") != "password" || f.Get("client_id") != "dash" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"unauthorized_client","error_description":"Client not allowed for direct access grants"}`)
		return
	}
	if f.Get("username") != am.username || f.Get("password") != am.password {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_grant","error_description":"Invalid user credentials"}`)
		return
	}
	am.logins++
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	tok := "tok-" + hex.EncodeToString(b)
	am.tokens[tok] = am.tokenUses
	fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":300}`, tok)
}

// authorized checks the bearer token and uses it up when it is limited.
func (am *appManager) authorized(header string) bool {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	left, known := am.tokens[tok]
	if !ok || !known {
		return false
	}
	switch left {
	case 0:
	case 1:
		delete(am.tokens, tok)
	default:
		am.tokens[tok] = left - 1
	}
	return true
}

func (am *appManager) state() (pods, pvcs, logins int, reqs []amRequest) {
	am.mu.Lock()
	defer am.mu.Unlock()
	return am.pods, am.pvcs, am.logins, append([]amRequest(nil), am.requests...)
}

func (am *appManager) clearRequests() {
	am.mu.Lock()
	defer am.mu.Unlock()
	am.requests = nil
}

func (am *appManager) args(t *testing.T, withGet bool) map[string]any {
	m := map[string]any{
		"url":       am.srv.URL + "/api/system-limits",
		"body":      `{"limits": {"pods": ${max_pods}, "volumes": ${ max_pvcs }}}`,
		"token_url": am.srv.URL + tokenPath,
		"username":  am.username,
		"password":  am.password,
		"ca_file":   am.caFile(t),
	}
	if withGet {
		m["get_url"] = am.srv.URL + "/api/system-limits"
		m["pods_field"] = "data.limits.pods"
		m["pvcs_field"] = "data.limits.volumes"
	}
	return m
}

func (s *limitsSite) testAppManager(t *testing.T) {
	s.addNodes(t, 110)
	ns := s.cluster.Namespace(t)
	am := newAppManager(t, 10, 5)
	args := map[string]any{"max_pods": 90, "max_pvcs": 30, "namespaces": []any{ns}, "system_namespaces": []any{}, "app_manager": am.args(t, true)}

	// Check mode reads the current limits and sends nothing.
	res, changes := s.mustRun(t, s.host(true, nil), args)
	if pods, pvcs, _, reqs := am.state(); pods != 10 || pvcs != 5 || len(reqs) != 1 || reqs[0].method != http.MethodGet {
		t.Errorf("check mode: App Manager at %d/%d after requests %+v", pods, pvcs, reqs)
	}
	if len(changes) != 2 || res.Data["app_manager"] != "changed" {
		t.Errorf("check mode planned %q, app_manager %v", changes, res.Data["app_manager"])
	}
	am.clearRequests()

	var secrets []string
	res, changes = s.mustRun(t, s.host(false, &secrets), args)
	pods, pvcs, _, reqs := am.state()
	if pods != 90 || pvcs != 30 {
		t.Errorf("App Manager limits are %d/%d, want 90/30", pods, pvcs)
	}
	if len(reqs) != 3 || reqs[0].method != http.MethodGet || reqs[2].method != http.MethodGet {
		t.Fatalf("requests %+v, want GET, PUT, GET (read, set, verify)", reqs)
	}
	put := reqs[1]
	if put.method != http.MethodPut || put.path != "/api/system-limits" || put.contentType != "application/json" ||
		put.body != `{"limits": {"pods": 90, "volumes": 30}}` {
		t.Errorf("the set request was %+v", put)
	}
	token := strings.TrimPrefix(put.auth, "Bearer ")
	if !strings.HasPrefix(token, "tok-") || !containsAll(secrets, am.password, token) {
		t.Errorf("authorization %q; secrets registered %q, want the password and the token", put.auth, secrets)
	}
	wantChange := fmt.Sprintf("set the App Manager's System Limits to pods 90 and volumes 30 (PUT %s/api/system-limits)", am.srv.URL)
	if len(changes) != 2 || changes[1] != wantChange {
		t.Errorf("changes %q, want the quota and %q", changes, wantChange)
	}
	if res.Data["manual_step"] != "" || res.Data["app_manager"] != "changed" {
		t.Errorf("with the HTTP step: manual_step %q, app_manager %v", res.Data["manual_step"], res.Data["app_manager"])
	}
	before := res.Data["limits_before"].(map[string]any)["app_manager"]
	if !reflect.DeepEqual(before, map[string]any{"pods": 10, "pvcs": 5}) {
		t.Errorf("limits_before.app_manager %v", before)
	}

	am.clearRequests()
	res, changes = s.mustRun(t, s.host(false, nil), args)
	if _, _, _, reqs := am.state(); len(changes) != 0 || len(reqs) != 1 || reqs[0].method != http.MethodGet {
		t.Errorf("second run: changes %q, requests %+v; want no change and one GET", changes, reqs)
	}
	if res.Data["app_manager"] != "unchanged" {
		t.Errorf("second run: app_manager %v", res.Data["app_manager"])
	}
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, s := range list {
			found = found || s == w
		}
		if !found {
			return false
		}
	}
	return true
}

func (s *limitsSite) testAppManagerWithoutGet(t *testing.T) {
	s.addNodes(t, 110)
	ns := s.cluster.Namespace(t)
	am := newAppManager(t, 0, 0)
	amArgs := am.args(t, false)
	// A mapping body: a string that is only a placeholder becomes a number.
	amArgs["body"] = map[string]any{"limits": map[string]any{"pods": "${max_pods}", "volumes": "${max_pvcs}"}, "note": "set by ferry (${max_pods})"}
	amArgs["method"] = "put"
	amArgs["via_host"] = true
	args := map[string]any{"max_pods": 80, "max_pvcs": 8, "namespaces": []any{ns}, "system_namespaces": []any{}, "app_manager": amArgs}

	for run := 1; run <= 2; run++ {
		am.clearRequests()
		res, changes := s.mustRun(t, s.host(false, nil), args)
		_, _, _, reqs := am.state()
		if len(reqs) != 1 || reqs[0].method != http.MethodPut {
			t.Fatalf("run %d: requests %+v, want one PUT", run, reqs)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(reqs[0].body), &got); err != nil {
			t.Fatalf("run %d: body %q: %v", run, reqs[0].body, err)
		}
		want := map[string]any{"limits": map[string]any{"pods": 80.0, "volumes": 8.0}, "note": "set by ferry (80)"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("run %d: body %v, want %v", run, got, want)
		}
		// Without a GET, ferry cannot know the current values: every run sets them.
		if res.Data["app_manager"] != "changed" || len(changes) == 0 {
			t.Errorf("run %d: app_manager %v, changes %q", run, res.Data["app_manager"], changes)
		}
	}
	if pods, pvcs, _, _ := am.state(); pods != 80 || pvcs != 8 {
		t.Errorf("App Manager limits %d/%d, want 80/8", pods, pvcs)
	}

	// A token that expires between two calls is renewed: with tokens good
	// for one call, the GET, the PUT and the verifying GET each need a login.
	renew := newAppManager(t, 1, 1)
	renew.tokenUses = 1
	args["app_manager"] = renew.args(t, true)
	s.mustRun(t, s.host(false, nil), args)
	if pods, pvcs, logins, _ := renew.state(); pods != 80 || pvcs != 8 || logins != 3 {
		t.Errorf("with expiring tokens: limits %d/%d after %d logins, want 80/8 after 3", pods, pvcs, logins)
	}
}

func (s *limitsSite) testAppManagerFailures(t *testing.T) {
	s.addNodes(t, 110)
	ns := s.cluster.Namespace(t)
	am := newAppManager(t, 1, 1)
	cases := []struct {
		name   string
		change func(m map[string]any)
		want   string
	}{
		{"wrong password", func(m map[string]any) { m["password"] = "wrong-password" },
			"logging in to " + am.srv.URL + tokenPath + " as de-admin was refused: invalid_grant (Invalid user credentials); check app_manager.username and app_manager.password"},
		{"client without direct grants", func(m map[string]any) { m["client_id"] = "other" },
			"client other does not allow the password grant"},
		{"untrusted certificate", func(m map[string]any) { delete(m, "ca_file") },
			"certificate signed by unknown authority"},
		{"wrong url", func(m map[string]any) { m["get_url"] = am.srv.URL + "/api/nope" },
			"App Manager GET " + am.srv.URL + "/api/nope answered HTTP 404"},
		{"wrong field", func(m map[string]any) { m["pods_field"] = "data.pods" },
			`app_manager.pods_field "data.pods": the answer of GET ` + am.srv.URL + `/api/system-limits has no "pods" (its keys: limits)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			amArgs := am.args(t, true)
			c.change(amArgs)
			var secrets []string
			h := s.host(false, &secrets)
			_, _, err := s.run(t, h, map[string]any{"max_pods": 50, "namespaces": []any{ns}, "system_namespaces": []any{}, "app_manager": amArgs})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want it to contain %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), amArgs["password"].(string)) {
				t.Errorf("the error shows the password: %v", err)
			}
			if len(h.Changes()) != 0 || s.quotaHard(t, ns, "ferry-limits") != nil {
				t.Errorf("a failed App Manager read still let changes through: %q", h.Changes())
			}
			if len(secrets) == 0 || secrets[0] != amArgs["password"] {
				t.Errorf("the password was not registered as a secret first: %q", secrets)
			}
		})
	}

	t.Run("set not taken", func(t *testing.T) {
		am.mu.Lock()
		am.ignore = true
		am.mu.Unlock()
		_, _, err := s.run(t, s.host(false, nil), map[string]any{"max_pods": 50, "max_pvcs": 5, "namespaces": []any{ns}, "system_namespaces": []any{}, "app_manager": am.args(t, true)})
		want := fmt.Sprintf("the App Manager accepted PUT %[1]s/api/system-limits, but GET %[1]s/api/system-limits still reports pods 1 and volumes 1: check app_manager.body against Plotly's API", am.srv.URL)
		if err == nil || !strings.HasSuffix(err.Error(), want) {
			t.Errorf("error %v, want it to end with %q", err, want)
		}
	})
}

// TestLimitsArguments: bad arguments are refused before the host or the
// cluster is touched, every problem at once, and app_manager's password is
// masked even when another key is wrong.
func TestLimitsArguments(t *testing.T) {
	am := func(change map[string]any) map[string]any {
		m := map[string]any{"url": "https://dash.example.com/api/limits", "body": `{"pods": ${max_pods}}`,
			"token_url": "https://auth-dash.example.com" + tokenPath, "username": "admin", "password": "pw-never-shown"}
		return withArgs(m, change)
	}
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
		{"unknown app_manager key", map[string]any{"app_manager": am(map[string]any{"passwrd": "x"})},
			[]string{`app_manager has no key "passwrd" (its keys are url, method, body, get_url, pods_field, pvcs_field, token_url, server, client_id, username, password, ca_file, via_host, timeout); did you mean ` + "`password`?"}},
		{"unknown placeholder", map[string]any{"app_manager": am(map[string]any{"body": `{"pods": ${max_pod}}`})},
			[]string{"app_manager.body uses ${max_pod}; the placeholders are ${max_pods} and ${max_pvcs}"}},
		{"body not JSON", map[string]any{"app_manager": am(map[string]any{"body": `{"pods": ${max_pods}`})},
			[]string{"app_manager.body is not valid JSON once ${max_pods} and ${max_pvcs} are filled in: unexpected end of JSON input"}},
		{"body missing", map[string]any{"app_manager": am(map[string]any{"body": nil})},
			[]string{"app_manager needs key body: the JSON the endpoint expects, with ${max_pods} and ${max_pvcs} where the numbers go"}},
		{"no token url", map[string]any{"app_manager": am(map[string]any{"token_url": nil})},
			[]string{"app_manager needs token_url (the OIDC token endpoint of realm dash) or server (then https://auth-<server>/auth/realms/dash/protocol/openid-connect/token is used)"}},
		{"bad server", map[string]any{"app_manager": am(map[string]any{"token_url": nil, "server": "https://dash.example.com"})},
			[]string{`app_manager.server "https://dash.example.com" is not a host name; give the bare name, e.g. dash.example.com`}},
		{"get without fields", map[string]any{"app_manager": am(map[string]any{"get_url": "https://dash.example.com/api/limits"})},
			[]string{"app_manager needs key pods_field", "app_manager needs key pvcs_field"}},
		{"method", map[string]any{"app_manager": am(map[string]any{"method": "delete"})}, []string{`app_manager.method "DELETE" is not PUT, POST or PATCH`}},
		{"url scheme", map[string]any{"app_manager": am(map[string]any{"url": "ftp://dash.example.com/x"})}, []string{`app_manager.url "ftp://dash.example.com/x" is not an http(s) URL`}},
		{"no password", map[string]any{"app_manager": am(map[string]any{"password": nil})}, []string{"app_manager needs key password"}},
		{"timeout", map[string]any{"app_manager": am(map[string]any{"timeout": "soon"})}, []string{"app_manager.timeout must be a whole number of 1 or more, got soon"}},
		{"via_host", map[string]any{"app_manager": am(map[string]any{"via_host": "maybe"})}, []string{`app_manager.via_host: want a boolean (yes/no, true/false), got "maybe"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := map[string]any{"namespaces": []any{"dash-apps"}, "kubeconfig": "/nonexistent/admin.conf"}
			for k, v := range c.args {
				args[k] = v
			}
			var secrets []string
			h := newHost(t)
			h.Secret = func(v string) { secrets = append(secrets, v) }
			_, err := run(t, h, "limits", args)
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
			if m, ok := args["app_manager"].(map[string]any); ok && m["password"] != nil && !containsAll(secrets, "pw-never-shown") {
				t.Errorf("the password was not registered as a secret: %q", secrets)
			}
		})
	}
}

// TestLimitsDocumented: the argument doc states the facts an operator needs.
func TestLimitsDocumented(t *testing.T) {
	var all []string
	for _, a := range mustLookup(t, "limits").Spec().Args {
		all = append(all, a.Doc)
	}
	doc := strings.Join(all, "\n")
	for _, want := range []string{"Plotly does not document the apps namespace", "${max_pods}", "kubernetes-max-pods-per-node", "plotly-system", "every run"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the limits doc does not mention %q", want)
		}
	}
}
