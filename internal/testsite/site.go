// Package testsite builds a simulated Dash Enterprise site for end-to-end
// tests of the shipped playbooks: a real OpenSSH sshd on loopback stands for
// the VM, a real kube-apiserver + etcd for its cluster, and faithful fakes for
// the vendor parts that cannot run here (the kURL bundle, kubectl-kots,
// Keycloak). Paths a real server has under /etc and /usr/local/bin live in
// the test's sandbox, passed to the playbook as inventory variables.
package testsite

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"maps"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/ferry-sh/ferry/internal/fakekeycloak"
	"github.com/ferry-sh/ferry/internal/fakekots"
	"github.com/ferry-sh/ferry/internal/fakekurl"
	"github.com/ferry-sh/ferry/internal/kubetest"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// Server is the site's DNS name; Keycloak answers as auth-<Server>.
const Server = "dash.example.test"

// AppSlug is the app of the simulated release.
const AppSlug = "dash-enterprise"

// Site is a simulated site ready for `ferry run -i Site.Inventory`.
type Site struct {
	Dir        string // everything the site writes
	Inventory  string // site directory: inventory.yml + group_vars/
	Secrets    string // --secrets file
	Cluster    *kubetest.Cluster
	SSH        *sshtest.Server
	Keycloak   *fakekeycloak.Server
	Kubeconfig string // admin.conf on the "server" (written by the fake kURL install)
	KotsLog    string // the fake kubectl-kots's invocation log, outside Dir (fakekots.Invocations)

	// The secrets, so that tests can look for them in output.
	AdminConsolePassword, AdminPassword string

	files string // the operator's files
}

// Release is the simulated Dash Enterprise release's Config: the item names
// the shipped playbook's defaults use.
func Release(version string) fakekots.Release {
	return fakekots.Release{Slug: AppSlug, Version: version, ConfigItems: []fakekots.Item{
		{Name: "tls_cert", Type: "file", Required: true}, {Name: "tls_key", Type: "file", Required: true},
		{Name: "internal_ca_certificate", Type: "file"}, {Name: "git_ssh_port", Default: "22"},
		{Name: "pip_extra_index_url"},
	}}
}

// New builds a fresh site: nothing installed on the "server" yet.
func New(t *testing.T) *Site {
	t.Helper()
	s := &Site{Dir: t.TempDir(), AdminConsolePassword: "kots-" + random(t), AdminPassword: "admin-" + random(t)}
	s.files = filepath.Join(s.Dir, "operator")
	s.Cluster = kubetest.Start(t)
	s.SSH = sshtest.Start(t, sshtest.Options{Hosts: 1})
	s.Kubeconfig = filepath.Join(s.Dir, "server", "etc", "kubernetes", "admin.conf")
	for _, d := range []string{s.files, filepath.Join(s.Dir, "server", "bin"), filepath.Join(s.Dir, "server", "var", "lib"), filepath.Join(s.Dir, "server", "var", "log")} {
		must(t, os.MkdirAll(d, 0o755))
	}
	writeTLS(t, s.files, Server)
	s.startKeycloak(t)
	s.writeOperatorFiles(t)
	s.writeInventory(t)
	s.createAppsNamespace(t)
	return s
}

// AppsNamespace stands for the namespace where Dash Enterprise runs apps.
const AppsNamespace = "dash-apps"

func (s *Site) createAppsNamespace(t *testing.T) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: AppsNamespace}}
	_, err := s.Cluster.Clientset().CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{})
	must(t, err)
}

func (s *Site) server(parts ...string) string {
	return filepath.Join(append([]string{s.Dir, "server"}, parts...)...)
}

// writeOperatorFiles makes what Plotly delivers (license, app bundle, kURL
// bundle) and the site's TLS certificate.
func (s *Site) writeOperatorFiles(t *testing.T) {
	kots := s.kotsWrapper(t)
	kurl := fakekurl.Build(t, fakekurl.Options{
		Kubeconfig: s.Cluster.Kubeconfig(), KubeconfigPath: s.Kubeconfig,
		ManifestsDir: s.server("etc", "kubernetes", "manifests"), KurlDir: s.server("var", "lib", "kurl"),
		LogDir: s.server("var", "log", "kurl"), BinDir: s.server("bin"), KubectlKots: kots,
		OSRelease: fakekurl.WriteOSRelease(t, s.server()),
	})
	copyFile(t, kurl, filepath.Join(s.files, "kurl-airgap.tar.gz"))
	must(t, fakekots.WriteBundle(filepath.Join(s.files, "dash-enterprise.airgap"), Release("5.0.0")))
	must(t, fakekots.WriteKotsadmBundle(filepath.Join(s.files, "kotsadm.tar.gz")))
	copyFile(t, fakekots.License(t, AppSlug), filepath.Join(s.files, "license.yaml"))
}

// NodeAddress is the simulated node's address: its InternalIP (the fake
// kURL registers the node at private_address) and where its ingress
// answers, on port 443, as on a real single-VM site.
const NodeAddress = "127.0.0.1"

// startKeycloak starts Keycloak where a real site's ingress serves it: on
// the node's address, port 443, with the site's own certificate (signed by
// its internal CA). The playbook finds it by the default path, the node's
// InternalIP read from the cluster, and trusts it through internal_ca_file.
func (s *Site) startKeycloak(t *testing.T) {
	cert, err := tls.LoadX509KeyPair(filepath.Join(s.files, "tls.crt"), filepath.Join(s.files, "tls.key"))
	must(t, err)
	s.Keycloak = fakekeycloak.Start(t, fakekeycloak.Options{Server: Server, Prefix: "/auth", Listener: listenOnIngress(t), Certificate: &cert})
}

// listenOnIngress listens on the node's port 443. One simulated site at a
// time on this machine has it: the others, in this or another test
// process, wait for the lock, which the test holds until its cleanup.
func listenOnIngress(t *testing.T) net.Listener {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "ferry-testsite-ingress.lock"), os.O_CREATE|os.O_RDWR, 0o666)
	must(t, err)
	t.Cleanup(func() { lock.Close() }) // releases the lock, after the listener's cleanup
	must(t, syscall.Flock(int(lock.Fd()), syscall.LOCK_EX))
	addr := net.JoinHostPort(NodeAddress, "443")
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("testsite: the simulated ingress listens on %s, the node's address, as a real site's: %v (binding port 443 needs root or a lower net.ipv4.ip_unprivileged_port_start)", addr, err)
	}
	return l
}

// kotsWrapper is the kubectl-kots the kURL bundle installs: the fake CLI,
// with the environment that stands for the app's release (its Keycloak's
// admin password, a quick deploy) and the tests' record of its runs, kept
// outside the site's directory (the server's files).
func (s *Site) kotsWrapper(t *testing.T) string {
	path := filepath.Join(s.Dir, "kubectl-kots")
	s.KotsLog = filepath.Join(t.TempDir(), "kots-invocations")
	must(t, os.WriteFile(path, s.kotsScript(t, ""), 0o755))
	return path
}

// kotsScript is the fake CLI's wrapper, of KOTS release version ("": the
// version of the Admin Console kURL's add-on deploys).
func (s *Site) kotsScript(t *testing.T, version string) []byte {
	env := fmt.Sprintf("%s=%s %s=1s %s=%s", fakekots.KeycloakPasswordEnv, s.Keycloak.AdminPassword, fakekots.ReadyAfterEnv,
		fakekots.InvocationLogEnv, shellquote.Quote(s.KotsLog))
	if version != "" {
		env += " " + fakekots.VersionEnv + "=" + version
	}
	return []byte(fmt.Sprintf("#!/bin/sh\nexport %s\nexec %s \"$@\"\n", env, fakekots.BuildCLI(t)))
}

// NewKotsRelease writes, among the operator's files, what a newer KOTS
// release (version 1.125.0, say) ships: kots_linux_amd64.tar.gz, whose kots
// is that release's CLI, and the kotsadm.tar.gz of its Admin Console. It
// returns their paths.
func (s *Site) NewKotsRelease(t *testing.T, version string) (cliBundle, kotsadmBundle string) {
	dir := filepath.Join(s.files, "kots-"+version)
	must(t, os.MkdirAll(dir, 0o755))
	cliBundle, kotsadmBundle = filepath.Join(dir, "kots_linux_amd64.tar.gz"), filepath.Join(dir, "kotsadm.tar.gz")
	must(t, fakekots.WriteCLIBundle(cliBundle, s.kotsScript(t, version)))
	must(t, fakekots.WriteKotsadmBundleOf(kotsadmBundle, "v"+version))
	return cliBundle, kotsadmBundle
}

// writeInventory writes the site directory, as `ferry init` would leave it
// after the operator filled it in.
func (s *Site) writeInventory(t *testing.T) {
	s.Inventory = filepath.Join(s.Dir, "site")
	must(t, os.MkdirAll(filepath.Join(s.Inventory, "group_vars"), 0o755))
	host := s.SSH.Vars(0)
	host["private_address"] = NodeAddress
	writeYAMLMap(t, filepath.Join(s.Inventory, "inventory.yml"), "all:\n  children:\n    dash:\n      hosts:\n        dash-vm:\n", "          ", host)
	vars := map[string]any{
		"dash_server": Server, "dash_git_ssh_port": 3022, "dash_pip_index_url": "",
		"dash_license_file": filepath.Join(s.files, "license.yaml"), "dash_app_bundle": filepath.Join(s.files, "dash-enterprise.airgap"),
		"kurl_bundle": filepath.Join(s.files, "kurl-airgap.tar.gz"), "tls_cert_file": filepath.Join(s.files, "tls.crt"),
		"kotsadm_bundle": filepath.Join(s.files, "kotsadm.tar.gz"),
		"tls_key_file":   filepath.Join(s.files, "tls.key"), "internal_ca_file": filepath.Join(s.files, "ca.crt"),
		"dash_admin_username": "admin", "dash_max_pods": "auto", "dash_max_pvcs": "auto",
		"ansible_become": true,
		// The simulated server's sandbox and its stand-ins.
		"dash_check_dns": false, "dash_verify_served_certificate": false,
		"dash_stage_dir": s.server("stage"), "dash_kubeconfig": s.Kubeconfig,
		"kurl_manifests_dir": s.server("etc", "kubernetes", "manifests"), "kurl_dir": s.server("var", "lib", "kurl"),
		"kurl_log_dir": s.server("var", "log", "kurl"), "kots_bin": s.server("bin", "kubectl-kots"),
		"kurl_os_release":    s.server("etc", "os-release"),
		"kots_poll_interval": "500ms", "kots_wait_timeout": "2m", "dash_apps_namespaces": []string{AppsNamespace},
	}
	writeYAMLMap(t, filepath.Join(s.Inventory, "group_vars", "dash.yml"), "", "", vars)
	s.Secrets = filepath.Join(s.Dir, "secrets.yml")
	writeYAMLMap(t, s.Secrets, "", "", map[string]any{"admin_console_password": s.AdminConsolePassword, "dash_admin_password": s.AdminPassword})
}

// SetVar changes one site variable in group_vars (a test's variation).
func (s *Site) SetVar(t *testing.T, name string, value any) {
	t.Helper()
	path := filepath.Join(s.Inventory, "group_vars", "dash.yml")
	data, err := os.ReadFile(path)
	must(t, err)
	var kept []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if !strings.HasPrefix(line, name+":") {
			kept = append(kept, line)
		}
	}
	kept = append(kept, fmt.Sprintf("%s: %s", name, yamlValue(value)))
	must(t, os.WriteFile(path, []byte(strings.Join(kept, "\n")+"\n"), 0o644))
}

// OperatorFile is the path of one of the operator's files.
func (s *Site) OperatorFile(name string) string { return filepath.Join(s.files, name) }

func writeYAMLMap(t *testing.T, path, head, indent string, vars map[string]any) {
	keys := slices.Sorted(maps.Keys(vars))
	var b strings.Builder
	b.WriteString(head)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s%s: %s\n", indent, k, yamlValue(vars[k]))
	}
	must(t, os.WriteFile(path, []byte(b.String()), 0o600))
}

// yamlValue writes a value as JSON, which YAML reads back exactly (strings
// quoted, lists and mappings in flow style).
func yamlValue(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// writeTLS writes a CA (ca.crt) and a certificate for server, auth-server and
// admin-server signed by it (tls.crt, tls.key).
func writeTLS(t *testing.T, dir, server string) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "site CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(2, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	must(t, err)
	caCert, err := x509.ParseCertificate(caDER)
	must(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: server}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().AddDate(1, 0, 0), DNSNames: []string{server, "auth-" + server, "admin-" + server},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	must(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "tls.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
}

// WriteBadTLS replaces the site's certificate with one that does not cover
// auth-<server>.
func (s *Site) WriteBadTLS(t *testing.T) {
	dir := t.TempDir()
	writeTLS(t, dir, "other.example.test")
	copyFile(t, filepath.Join(dir, "tls.crt"), filepath.Join(s.files, "tls.crt"))
	copyFile(t, filepath.Join(dir, "tls.key"), filepath.Join(s.files, "tls.key"))
	copyFile(t, filepath.Join(dir, "ca.crt"), filepath.Join(s.files, "ca.crt"))
}

func copyFile(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, data, 0o644))
}

func random(t *testing.T) string {
	b := make([]byte, 8)
	_, err := rand.Read(b)
	must(t, err)
	return fmt.Sprintf("%x", b)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// KotsBin is the kubectl-kots the fake kURL install put on the "server".
func (s *Site) KotsBin() string { return s.server("bin", "kubectl-kots") }

// RewriteTLS writes a fresh good certificate for the site.
func (s *Site) RewriteTLS(t *testing.T) { writeTLS(t, s.files, Server) }
