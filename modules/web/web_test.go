package web_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ferry-sh/ferry/internal/ansiblecmp"
	"github.com/ferry-sh/ferry/internal/sshtest"
)

// testServers are the plain and TLS servers the playbooks talk to, with the
// files a host needs to trust the TLS one and to show a client certificate.
type testServers struct {
	base, tls     string
	ca, cert, key string
}

func startServers(t *testing.T) testServers {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name": "ferry", "n": 1, "method": "`+r.Method+`"}`)
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "body": string(body),
			"content_type": r.Header.Get("Content-Type"), "x_test": r.Header.Get("X-Test"), "agent": r.Header.Get("User-Agent")})
	})
	mux.HandleFunc("/status/201", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	mux.HandleFunc("/basic", func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "alice" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, "welcome")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/json", http.StatusFound) })
	mux.HandleFunc("/file.txt", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "file content\n")
	})
	mux.HandleFunc("/SHA256SUMS", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, fileSum+"  file.txt\n"+strings.Repeat("0", 64)+"  other.txt\n")
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			w.WriteHeader(401)
			return
		}
		io.WriteString(w, r.TLS.PeerCertificates[0].Subject.CommonName)
	})
	plain := httptest.NewServer(mux)
	t.Cleanup(plain.Close)

	dir := t.TempDir()
	clientCA, caKey := newCA(t)
	secure := httptest.NewUnstartedServer(mux)
	secure.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: poolOf(clientCA)}
	secure.StartTLS()
	t.Cleanup(secure.Close)
	s := testServers{base: plain.URL, tls: secure.URL, ca: filepath.Join(dir, "ca.pem"),
		cert: filepath.Join(dir, "client.pem"), key: filepath.Join(dir, "client.key")}
	writePEM(t, s.ca, "CERTIFICATE", secure.Certificate().Raw)
	certDER, key := newClientCert(t, clientCA, caKey)
	writePEM(t, s.cert, "CERTIFICATE", certDER)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, s.key, "EC PRIVATE KEY", keyDER)
	return s
}

func (s testServers) vars() map[string]string {
	return map[string]string{"base": s.base, "tls": s.tls, "ca": s.ca, "cert": s.cert, "key": s.key, "sum": fileSum}
}

// fileSum is the sha256 of /file.txt's body.
var fileSum = func() string {
	sum := sha256.Sum256([]byte("file content\n"))
	return hex.EncodeToString(sum[:])
}()

func newCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

func newClientCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) ([]byte, *ecdsa.PrivateKey) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client-one"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return der, key
}

func poolOf(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestURICompareWithAnsible runs one playbook of uri requests (JSON, forms,
// status lists, basic auth, redirects, dest, TLS with a private CA and a
// client certificate) through ferry and ansible-playbook from the same sshd
// host: same recap, every registered field the same, same file written.
func TestURICompareWithAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	servers := startServers(t)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "uri.yml"))
	r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, ExtraVars: servers.vars()}
	f, a, ran := ansiblecmp.Both(t, r)
	if !ran {
		return
	}
	ansiblecmp.SameRecap(t, f, a)
	// Every field, the response's headers among them (connection: close,
	// which net/http takes out of its headers), except the clock's and
	// the TLS library's words for an unknown authority.
	ansiblecmp.AllFields(t, f, a, "date", "elapsed", "msg@tls untrusted")
	ansiblecmp.SameFields(t, f, a, "tls untrusted", "node", "status", "failed")
	for _, o := range []ansiblecmp.Outcome{f, a} {
		got, err := os.ReadFile(filepath.Join(o.Workdir, "got.txt"))
		if err != nil || string(got) != "file content\n" {
			t.Errorf("dest in %s: %q, %v", o.Workdir, got, err)
		}
	}
}

// TestGetURLCompareWithAnsible downloads with and without checksums (inline
// and from a checksums file), into a directory, with a wrong checksum and a
// missing URL, through ferry and ansible-playbook from the same sshd host,
// for real and under --check: same recap, same fields, same files and modes.
func TestGetURLCompareWithAnsible(t *testing.T) {
	srv := sshtest.Start(t, sshtest.Options{})
	servers := startServers(t)
	playbook, _ := filepath.Abs(filepath.Join("testdata", "get_url.yml"))
	for _, check := range []bool{false, true} {
		r := ansiblecmp.Run{Playbook: playbook, Server: srv, Hosts: map[string]int{"node": 0}, ExtraVars: servers.vars(), Check: check}
		f, a, ran := ansiblecmp.Both(t, r)
		if !ran {
			return
		}
		ansiblecmp.SameRecap(t, f, a)
		fields := map[string][]string{
			"download":         {"changed", "dest"},
			"download again":   {"changed"},
			"without checksum": {"changed"},
			"into a directory": {"changed", "dest"},
			"checksum file":    {"changed", "dest"},
			"not found":        {"failed", "status_code", "msg", "changed", "response"},
		}
		if !check {
			fields["wrong checksum"] = []string{"failed", "changed"}
			fields["download"] = append(fields["download"], "checksum_src", "checksum_dest", "md5sum", "mode", "size", "msg", "state")
			fields["download again"] = []string{"changed", "msg"}
			fields["without checksum"] = []string{"changed", "checksum_src", "checksum_dest"}
		}
		for task, fs := range fields {
			ansiblecmp.SameFields(t, f, a, task, "node", fs...)
		}
		for _, name := range []string{"a.txt", "b.txt", "c.txt", "d.txt", "file.txt"} {
			fi, ferr := os.Stat(filepath.Join(f.Workdir, name))
			ai, aerr := os.Stat(filepath.Join(a.Workdir, name))
			if (ferr == nil) != (aerr == nil) || ferr == nil && fi.Mode() != ai.Mode() {
				t.Errorf("check=%v: %s after ferry: %v %v; after ansible: %v %v", check, name, fi, ferr, ai, aerr)
			}
		}
	}
}
