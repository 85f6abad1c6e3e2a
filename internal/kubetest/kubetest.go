// Package kubetest runs a real Kubernetes control plane (etcd and
// kube-apiserver, nothing else) for tests that talk to the Kubernetes API.
//
// Binaries: kube-apiserver from $FERRY_KUBE_APISERVER, else the cache path
// that tools/kube-apiserver/build.sh writes
// (${XDG_CACHE_HOME:-$HOME/.cache}/ferry/kube-apiserver-<KubeVersion>);
// etcd from $FERRY_ETCD, else `etcd` on PATH. When one is missing the test
// FAILS with a pointer to tools/kube-apiserver/ci-setup.sh, unless
// FERRY_SKIP_KUBE=1, when it is skipped: CI must never silently skip these.
//
// Two ways to get a cluster:
//   - Start(t): a private cluster for one test, stopped at t.Cleanup
//     (~2-3 s to start, ~300 MB of memory while it runs).
//   - Shared(t): one cluster per test binary, started on first use and
//     stopped by Main, which the package's TestMain must call:
//     func TestMain(m *testing.M) { kubetest.Main(m) }
//
// Only the API server runs, so nothing reconciles: Deployments never become
// available (see MarkDeploymentAvailable), ResourceQuota status is never
// computed (see SetQuotaStatus), and a deleted namespace stays Terminating.
// On a shared cluster each test must therefore work in its own namespace
// (see Namespace). The ServiceAccount admission plugin is off, so Pods can be
// created without a service account; Namespace creates `default` anyway.
package kubetest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// KubeVersion is the kube-apiserver version tools/kube-apiserver builds; it
// must match the k8s.io/kubernetes requirement in tools/kube-apiserver/go.mod
// (a test checks).
const KubeVersion = "v1.31.14"

// DefaultPrivateIP is always in the serving certificate's IP SANs besides
// 127.0.0.1. It stands for a node's private address, as in kURL's
// admin.conf: a kubeconfig whose server is https://192.0.2.10:PORT (see
// KubeconfigFor) verifies against this cluster when the connection is
// relayed to Addr. 192.0.2.0/24 is TEST-NET-1, never routed, so a test that
// reaches the server there proves it went through the relay.
const DefaultPrivateIP = "192.0.2.10"

// serviceIP is the first address of --service-cluster-ip-range, the
// in-cluster `kubernetes` Service's address, which kubeadm puts in the SANs.
const serviceIP = "10.96.0.1"

// Options adjusts a private cluster (StartWith).
type Options struct {
	// ExtraIPs are added to the serving certificate's IP SANs.
	ExtraIPs []net.IP
}

// Cluster is a running etcd + kube-apiserver pair.
type Cluster struct {
	Host       string // https://127.0.0.1:PORT
	Addr       string // 127.0.0.1:PORT, what a relay must dial
	CACert     []byte // PEM of the CA that signed the serving certificate
	AdminToken string // bearer token of a system:masters (cluster-admin) user
	UserToken  string // bearer token of an authenticated user with no RBAC grants
	Dir        string // holds the logs (etcd.log, kube-apiserver.log) and keys

	port       int
	kubeconfig []byte
	pki        pkiFiles
	clientset  kubernetes.Interface
	etcd       *process
	apiserver  *process
}

// Start runs etcd and kube-apiserver on free loopback ports for the test,
// stopped at t.Cleanup. Logs go to files under t.TempDir().
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Cluster {
	t.Helper()
	bins := requireBinaries(t)
	dir := t.TempDir() // registered first, so removed after the cluster stops
	began := time.Now()
	c, err := startCluster(dir, bins, opts)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Logf("kubetest: kube-apiserver %s ready at %s in %s", KubeVersion, c.Host, time.Since(began).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kubetest: last lines of %s:\n%s", c.apiserver.logPath, logTail(c.apiserver.logPath, 20))
		}
		c.stop()
	})
	return c
}

// binaries are the paths of the two programs a cluster runs.
type binaries struct{ apiserver, etcd string }

// requireBinaries finds the binaries, or ends the test: skipped under
// FERRY_SKIP_KUBE=1, failed otherwise.
func requireBinaries(t testing.TB) binaries {
	t.Helper()
	bins, err := findBinaries()
	if err == nil {
		return bins
	}
	if errors.Is(err, errBinaryMissing) && os.Getenv("FERRY_SKIP_KUBE") == "1" {
		t.Skipf("kubetest: %v (skipped because FERRY_SKIP_KUBE=1)", err)
	}
	t.Fatalf("kubetest: %v; run tools/kube-apiserver/ci-setup.sh to install etcd and build kube-apiserver, or set FERRY_SKIP_KUBE=1 to skip real-cluster tests", err)
	return binaries{}
}

func findBinaries() (binaries, error) {
	apiserver, err := findAPIServer()
	if err != nil {
		return binaries{}, err
	}
	etcd, err := findEtcd()
	if err != nil {
		return binaries{}, err
	}
	return binaries{apiserver: apiserver, etcd: etcd}, nil
}

func findAPIServer() (string, error) {
	if p := os.Getenv("FERRY_KUBE_APISERVER"); p != "" {
		return p, checkExecutable("FERRY_KUBE_APISERVER", p)
	}
	p, err := CachedAPIServerPath()
	if err != nil {
		return "", fmt.Errorf("%w: kube-apiserver: %v", errBinaryMissing, err)
	}
	if err := checkExecutable("kube-apiserver", p); err != nil {
		return "", err
	}
	return p, nil
}

// CachedAPIServerPath is where tools/kube-apiserver/build.sh puts the binary.
func CachedAPIServerPath() (string, error) {
	cache, err := os.UserCacheDir() // $XDG_CACHE_HOME, else $HOME/.cache
	if err != nil {
		return "", err
	}
	return filepath.Join(cache, "ferry", "kube-apiserver-"+KubeVersion), nil
}

func findEtcd() (string, error) {
	if p := os.Getenv("FERRY_ETCD"); p != "" {
		return p, checkExecutable("FERRY_ETCD", p)
	}
	p, err := exec.LookPath("etcd")
	if err != nil {
		return "", fmt.Errorf("%w: etcd is not on PATH", errBinaryMissing)
	}
	return p, nil
}

func checkExecutable(what, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", errBinaryMissing, what, path, err)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return fmt.Errorf("%w: %s %s is not an executable file", errBinaryMissing, what, path)
	}
	return nil
}

// startCluster starts etcd then kube-apiserver with files in dir. A port taken
// by another process between choosing and binding it is retried with new
// ports.
func startCluster(dir string, bins binaries, opts Options) (*Cluster, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		c, err := startClusterOnce(dir, bins, opts)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, errPortInUse) || attempt == attempts {
			return nil, err
		}
	}
}

var errPortInUse = errors.New("port taken by another process")

func startClusterOnce(dir string, bins binaries, opts Options) (*Cluster, error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]

	etcd, err := startEtcd(dir, bins.etcd, etcdClient, etcdPeer)
	if err != nil {
		return nil, err
	}
	c, err := newCluster(dir, apiPort, opts)
	if err != nil {
		etcd.stop(time.Second)
		return nil, err
	}
	c.etcd = etcd
	c.apiserver, err = c.startAPIServer(bins.apiserver, etcdClient)
	if err != nil {
		etcd.stop(time.Second)
		return nil, err
	}
	return c, nil
}

func startEtcd(dir, bin string, clientPort, peerPort int) (*process, error) {
	dataDir := filepath.Join(dir, "etcd-data")
	if err := os.RemoveAll(dataDir); err != nil { // left by a failed attempt
		return nil, fmt.Errorf("clear %s: %w", dataDir, err)
	}
	client := "http://" + hostPort(clientPort)
	peer := "http://" + hostPort(peerPort)
	args := []string{
		"--name=kubetest", "--data-dir=" + dataDir,
		"--listen-client-urls=" + client, "--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=kubetest=" + peer,
		// Test data need not survive a crash; fsync would slow every write.
		"--unsafe-no-fsync",
	}
	p, err := startProcess("etcd", bin, args, filepath.Join(dir, "etcd.log"))
	if err != nil {
		return nil, err
	}
	httpClient := &http.Client{Timeout: 2 * time.Second}
	err = p.waitReady(30*time.Second, func(ctx context.Context) error {
		return expectOK(ctx, httpClient, client+"/health", "", `"health":"true"`)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// newCluster writes the keys and token file and fills in everything but the
// processes.
func newCluster(dir string, apiPort int, opts Options) (*Cluster, error) {
	ips := append([]net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(DefaultPrivateIP), net.ParseIP(serviceIP)}, opts.ExtraIPs...)
	caPEM, pki, err := writePKI(dir, ips)
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Host:       "https://" + hostPort(apiPort),
		Addr:       hostPort(apiPort),
		CACert:     caPEM,
		AdminToken: randomToken(),
		UserToken:  randomToken(),
		Dir:        dir,
		port:       apiPort,
	}
	if c.kubeconfig, err = c.kubeconfigFor(c.Host); err != nil {
		return nil, err
	}
	if c.clientset, err = kubernetes.NewForConfig(c.RESTConfig()); err != nil {
		return nil, fmt.Errorf("build clientset: %w", err)
	}
	// Token file format: token,user,uid,"group1,group2".
	tokens := fmt.Sprintf("%s,kubetest-admin,kubetest-admin,\"system:masters\"\n%s,kubetest-user,kubetest-user\n",
		c.AdminToken, c.UserToken)
	if err := os.WriteFile(filepath.Join(dir, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, fmt.Errorf("write token file: %w", err)
	}
	c.pki = pki
	return c, nil
}

func (c *Cluster) startAPIServer(bin string, etcdPort int) (*process, error) {
	args := []string{
		"--etcd-servers=http://" + hostPort(etcdPort),
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port=" + strconv.Itoa(c.port),
		"--tls-cert-file=" + c.pki.servingCert, "--tls-private-key-file=" + c.pki.servingKey,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file=" + c.pki.saPub, "--service-account-signing-key-file=" + c.pki.saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--token-auth-file=" + filepath.Join(c.Dir, "tokens.csv"),
		"--authorization-mode=RBAC",
		// No controller-manager runs to create `default` service accounts.
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		// No kubelets or controllers to reconcile endpoints or to need fairness.
		"--endpoint-reconciler-type=none", "--enable-priority-and-fairness=false", "--profiling=false",
	}
	audit, err := c.auditArgs()
	if err != nil {
		return nil, err
	}
	args = append(args, audit...)
	p, err := startProcess("kube-apiserver", bin, args, filepath.Join(c.Dir, "kube-apiserver.log"))
	if err != nil {
		return nil, err
	}
	httpClient, err := c.httpClient()
	if err != nil {
		p.stop(time.Second)
		return nil, err
	}
	// Generous: on a loaded 2-core CI machine start-up has taken far longer
	// than the usual 2 s.
	err = p.waitReady(120*time.Second, func(ctx context.Context) error {
		return expectOK(ctx, httpClient, c.Host+"/readyz", c.AdminToken, "ok")
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// httpClient trusts only the cluster's CA, as the kubeconfig does.
func (c *Cluster) httpClient() (*http.Client, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(c.CACert) {
		return nil, errors.New("kubetest: generated CA certificate does not parse")
	}
	return &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}, nil
}

// expectOK GETs url and wants status 200 with want in the body.
func expectOK(ctx context.Context, client *http.Client, url, token, want string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body := make([]byte, 512)
	n, _ := resp.Body.Read(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body[:n]), want) {
		return fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body[:n])
	}
	return nil
}

// stop ends kube-apiserver, then etcd (the reverse of starting).
func (c *Cluster) stop() {
	c.apiserver.stop(5 * time.Second)
	c.etcd.stop(5 * time.Second)
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // documented never to return an error since Go 1.24
	return hex.EncodeToString(b)
}

// RESTConfig is a cluster-admin client configuration that verifies TLS
// against CACert.
func (c *Cluster) RESTConfig() *rest.Config {
	return c.configFor(c.AdminToken)
}

// UserRESTConfig authenticates as a user with no RBAC grants, for tests of
// Forbidden answers.
func (c *Cluster) UserRESTConfig() *rest.Config {
	return c.configFor(c.UserToken)
}

func (c *Cluster) configFor(token string) *rest.Config {
	return &rest.Config{
		Host:            c.Host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), c.CACert...)},
		// client-go's default of 5 requests/s only slows tests down.
		QPS:   100,
		Burst: 200,
	}
}

// Clientset is a cluster-admin clientset.
func (c *Cluster) Clientset() kubernetes.Interface {
	return c.clientset
}

// Kubeconfig is an admin.conf-style kubeconfig (cluster-admin bearer token,
// CA data, no insecure-skip-verify) whose server is Host.
func (c *Cluster) Kubeconfig() []byte {
	return append([]byte(nil), c.kubeconfig...)
}

// KubeconfigFor is Kubeconfig with another server URL, such as
// "https://192.0.2.10:6443" for a kubeconfig as a node would hold it (see
// DefaultPrivateIP). Connections to that server must be relayed to Addr.
func (c *Cluster) KubeconfigFor(t testing.TB, server string) []byte {
	t.Helper()
	data, err := c.kubeconfigFor(server)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return data
}

func (c *Cluster) kubeconfigFor(server string) ([]byte, error) {
	const cluster, user, context = "kubernetes", "kubernetes-admin", "kubernetes-admin@kubernetes"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[cluster] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: c.CACert}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: c.AdminToken}
	cfg.Contexts[context] = &clientcmdapi.Context{Cluster: cluster, AuthInfo: user}
	cfg.CurrentContext = context
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, fmt.Errorf("encode kubeconfig for %s: %w", server, err)
	}
	return data, nil
}

// Port is the API server's port on 127.0.0.1, for URLs with another host
// such as DefaultPrivateIP.
func (c *Cluster) Port() int {
	return c.port
}
