package kubetest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestMain(m *testing.M) { Main(m) }

func TestSecretAndNodeRoundTrip(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	want := map[string][]byte{"password": []byte("s3cret"), "empty": {}}
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"}, Data: want}
	if _, err := c.Clientset().CoreV1().Secrets(ns).Create(t.Context(), secret, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	got, err := c.Clientset().CoreV1().Secrets(ns).Get(t.Context(), "creds", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get secret: %v", err)
	}
	if len(got.Data) != len(want) || !bytes.Equal(got.Data["password"], want["password"]) {
		t.Errorf("secret data = %q, want %q", got.Data, want)
	}

	for _, tc := range []struct {
		name  string
		pods  int
		ready bool
		want  corev1.ConditionStatus
	}{
		{"node-ready", 110, true, corev1.ConditionTrue},
		{"node-not-ready", 7, false, corev1.ConditionFalse},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodeName := tc.name + "-" + ns
			c.AddNode(t, nodeName, tc.pods, tc.ready)
			node, err := c.Clientset().CoreV1().Nodes().Get(t.Context(), nodeName, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get node: %v", err)
			}
			if pods := node.Status.Allocatable.Pods().Value(); pods != int64(tc.pods) {
				t.Errorf("allocatable pods = %d, want %d", pods, tc.pods)
			}
			if got := readyCondition(node); got != tc.want {
				t.Errorf("Ready condition = %q, want %q", got, tc.want)
			}
		})
	}
}

func readyCondition(node *corev1.Node) corev1.ConditionStatus {
	for _, cond := range node.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			return cond.Status
		}
	}
	return ""
}

// TestKubeconfigVerifiesTLS reads the kubeconfig back with client-go, as ferry
// reads admin.conf, and checks TLS verification both ways: through 127.0.0.1
// and through a relay for a private address, which verifies only when the
// address is in the certificate.
func TestKubeconfigVerifiesTLS(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	port := strconv.Itoa(c.Port())
	for _, tc := range []struct {
		name       string
		kubeconfig []byte
		relay      bool // dial Addr whatever the address, as an SSH relay would
		wantErr    string
	}{
		{"loopback", c.Kubeconfig(), false, ""},
		{"private IP in SANs via relay", c.KubeconfigFor(t, "https://"+DefaultPrivateIP+":"+port), true, ""},
		{"address not in SANs via relay", c.KubeconfigFor(t, "https://192.0.2.99:"+port), true, "x509"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := clientcmd.RESTConfigFromKubeConfig(tc.kubeconfig)
			if err != nil {
				t.Fatalf("RESTConfigFromKubeConfig: %v", err)
			}
			if cfg.Insecure || len(cfg.CAData) == 0 || cfg.BearerToken != c.AdminToken {
				t.Fatalf("kubeconfig gives insecure=%v, %d bytes of CA, token match %v; want verified TLS with the admin token",
					cfg.Insecure, len(cfg.CAData), cfg.BearerToken == c.AdminToken)
			}
			if tc.relay {
				cfg.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
					return (&net.Dialer{}).DialContext(ctx, network, c.Addr)
				}
			}
			client, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				t.Fatalf("clientset: %v", err)
			}
			_, err = client.CoreV1().Namespaces().Get(t.Context(), ns, metav1.GetOptions{})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("get namespace: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("get namespace: error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestUserWithoutGrantsIsForbidden(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	client, err := kubernetes.NewForConfig(c.UserRESTConfig())
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	_, err = client.CoreV1().Secrets(ns).List(t.Context(), metav1.ListOptions{})
	if !apierrors.IsForbidden(err) {
		t.Fatalf("list secrets as kubetest-user: error %v, want Forbidden", err)
	}
}

func TestServerReportsStampedVersion(t *testing.T) {
	c := Shared(t)
	info, err := c.Clientset().Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if info.GitVersion != KubeVersion {
		t.Errorf("server GitVersion = %q, want %q (build.sh's -ldflags stamp)", info.GitVersion, KubeVersion)
	}
}

// TestKubeVersionMatchesBuildModule keeps KubeVersion (the cache path the
// tests look in) equal to the version tools/kube-apiserver builds.
func TestKubeVersionMatchesBuildModule(t *testing.T) {
	data, err := os.ReadFile("../../tools/kube-apiserver/go.mod")
	if err != nil {
		t.Fatalf("read build module: %v", err)
	}
	var built string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "k8s.io/kubernetes" {
			built = f[1]
		}
	}
	if built != KubeVersion {
		t.Errorf("tools/kube-apiserver/go.mod requires k8s.io/kubernetes %q, KubeVersion is %q", built, KubeVersion)
	}
}

func TestMarkDeploymentAvailable(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	for _, replicas := range []*int32{nil, ptr(int32(3))} {
		name := "web-default"
		wantReplicas := int32(1)
		if replicas != nil {
			name, wantReplicas = "web-"+strconv.Itoa(int(*replicas)), *replicas
		}
		t.Run(name, func(t *testing.T) {
			if _, err := c.Clientset().AppsV1().Deployments(ns).Create(t.Context(), deployment(name, replicas), metav1.CreateOptions{}); err != nil {
				t.Fatalf("create deployment: %v", err)
			}
			c.MarkDeploymentAvailable(t, ns, name)
			d, err := c.Clientset().AppsV1().Deployments(ns).Get(t.Context(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get deployment: %v", err)
			}
			if d.Status.ObservedGeneration < d.Generation {
				t.Errorf("observedGeneration %d < generation %d", d.Status.ObservedGeneration, d.Generation)
			}
			if d.Status.AvailableReplicas != wantReplicas || d.Status.ReadyReplicas != wantReplicas {
				t.Errorf("available/ready replicas = %d/%d, want %d", d.Status.AvailableReplicas, d.Status.ReadyReplicas, wantReplicas)
			}
			if !hasTrueCondition(d, appsv1.DeploymentAvailable) {
				t.Errorf("conditions %+v lack Available=True", d.Status.Conditions)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func deployment(name string, replicas *int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
			},
		},
	}
}

func hasTrueCondition(d *appsv1.Deployment, typ appsv1.DeploymentConditionType) bool {
	for _, cond := range d.Status.Conditions {
		if cond.Type == typ && cond.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// TestSetQuotaStatusMakesAdmissionEnforceQuota creates pods against a quota of
// one pod: with status.hard set, the second pod is refused.
func TestSetQuotaStatusMakesAdmissionEnforceQuota(t *testing.T) {
	c := Shared(t)
	ns := c.Namespace(t)
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "pods"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}},
	}
	if _, err := c.Clientset().CoreV1().ResourceQuotas(ns).Create(t.Context(), quota, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create quota: %v", err)
	}
	q := c.SetQuotaStatus(t, ns, "pods", nil)
	if hard := q.Status.Hard.Pods(); hard.Value() != 1 {
		t.Fatalf("status.hard.pods = %s, want 1", hard)
	}
	waitForQuotaAdmission(t, c, ns)
	for i, wantForbidden := range []bool{false, true} {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "pod-" + strconv.Itoa(i)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx"}}},
		}
		_, err := c.Clientset().CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{})
		refused := apierrors.IsForbidden(err) && strings.Contains(err.Error(), "exceeded quota")
		if wantForbidden != refused || (!wantForbidden && err != nil) {
			t.Errorf("create pod %d: error %v, want forbidden=%v", i, err, wantForbidden)
		}
	}
}

// waitForQuotaAdmission returns once the API server's quota admission sees
// the quotas written so far in ns. It reads them from an informer cache: a pod
// admitted before the cache has the status is not charged, and the next one
// then passes too. A probe quota written last, scoped to pods that ask for
// resources (the test's pods do not), refuses a dry-run pod once the cache has
// it, and so everything written before it.
func waitForQuotaAdmission(t *testing.T, c *Cluster, ns string) {
	t.Helper()
	probe := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: "admission-probe"},
		Spec: corev1.ResourceQuotaSpec{
			Hard:   corev1.ResourceList{corev1.ResourcePods: resource.MustParse("0")},
			Scopes: []corev1.ResourceQuotaScope{corev1.ResourceQuotaScopeNotBestEffort},
		},
	}
	if _, err := c.Clientset().CoreV1().ResourceQuotas(ns).Create(t.Context(), probe, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create probe quota: %v", err)
	}
	c.SetQuotaStatus(t, ns, probe.Name, nil)
	requests := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1m")}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "admission-probe"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx",
			Resources: corev1.ResourceRequirements{Requests: requests}}}},
	}
	giveUp := time.After(time.Minute) // a bound against hanging, not a measurement
	for {
		_, err := c.Clientset().CoreV1().Pods(ns).Create(t.Context(), pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), probe.Name) {
			return
		}
		if err != nil && !apierrors.IsForbidden(err) {
			t.Fatalf("dry-run probe pod: %v", err)
		}
		select {
		case <-giveUp:
			t.Fatal("the quota admission never saw the probe quota")
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestStartWithExtraIP runs a private cluster whose certificate carries an
// extra address, and checks its logs are where Dir says.
func TestStartWithExtraIP(t *testing.T) {
	const extra = "10.11.12.13"
	c := StartWith(t, Options{ExtraIPs: []net.IP{net.ParseIP(extra)}})
	cfg, err := clientcmd.RESTConfigFromKubeConfig(c.KubeconfigFor(t, "https://"+extra+":"+strconv.Itoa(c.Port())))
	if err != nil {
		t.Fatalf("RESTConfigFromKubeConfig: %v", err)
	}
	cfg.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, c.Addr)
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatalf("clientset: %v", err)
	}
	if _, err := client.CoreV1().Namespaces().Get(t.Context(), "kube-system", metav1.GetOptions{}); err != nil {
		t.Fatalf("get kube-system through %s: %v", extra, err)
	}
	for _, log := range []string{"etcd.log", "kube-apiserver.log"} {
		if info, err := os.Stat(c.Dir + "/" + log); err != nil || info.Size() == 0 {
			t.Errorf("%s in %s: %v (want a non-empty log)", log, c.Dir, err)
		}
	}
}

func TestNamespaceName(t *testing.T) {
	for _, testName := range []string{
		"TestX",
		"TestSecretAndNodeRoundTrip/node_ready",
		strings.Repeat("TestVeryLongName_", 10),
		"Test--__//",
	} {
		a, b := namespaceName(testName), namespaceName(testName)
		if errs := validation.IsDNS1123Label(a); len(errs) > 0 {
			t.Errorf("namespaceName(%q) = %q: %v", testName, a, errs)
		}
		if a == b {
			t.Errorf("namespaceName(%q) gave %q twice; want unique names", testName, a)
		}
	}
}

// TestMissingBinaryFailsUnlessSkipRequested runs this test binary again with
// a missing kube-apiserver: the test must fail and name ci-setup.sh, or be
// skipped when FERRY_SKIP_KUBE=1.
func TestMissingBinaryFailsUnlessSkipRequested(t *testing.T) {
	for _, tc := range []struct {
		skipEnv  string
		wantExit bool
		want     string
	}{
		{"", true, "run tools/kube-apiserver/ci-setup.sh"},
		{"1", false, "--- SKIP: TestHelperStartWithMissingBinary"},
	} {
		t.Run("FERRY_SKIP_KUBE="+tc.skipEnv, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartWithMissingBinary$", "-test.v")
			cmd.Env = append(os.Environ(), "KUBETEST_HELPER=1",
				"FERRY_KUBE_APISERVER="+t.TempDir()+"/no-such-kube-apiserver", "FERRY_SKIP_KUBE="+tc.skipEnv)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tc.wantExit || !strings.Contains(string(out), tc.want) {
				t.Errorf("exit error %v, output:\n%s\nwant failure=%v and %q", err, out, tc.wantExit, tc.want)
			}
		})
	}
}

// TestHelperStartWithMissingBinary is run by the test above only.
func TestHelperStartWithMissingBinary(t *testing.T) {
	if os.Getenv("KUBETEST_HELPER") != "1" {
		t.Skip("helper for TestMissingBinaryFailsUnlessSkipRequested")
	}
	Start(t)
	t.Error("Start returned although kube-apiserver is missing")
}
