package tls_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"github.com/ferry-sh/ferry/internal/modtest"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/modules"
	_ "github.com/ferry-sh/ferry/modules/all" // the modules the tests run
	"github.com/ferry-sh/ferry/runner/conn"
)

// issued is a certificate made for a test, with its key.
type issued struct {
	cert *x509.Certificate
	der  []byte
	key  crypto.Signer
}

// certSpec describes a certificate to issue; zero times mean "valid from an
// hour ago for 90 days and an hour".
type certSpec struct {
	cn        string
	sans      []string
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	key       crypto.Signer // nil: a new P-256 key
}

func newECKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue signs spec with parent's key, or self-signs it when parent is nil.
func issue(t testing.TB, spec certSpec, parent *issued) *issued {
	t.Helper()
	now := time.Now()
	if spec.notBefore.IsZero() {
		spec.notBefore = now.Add(-time.Hour)
	}
	if spec.notAfter.IsZero() {
		spec.notAfter = now.Add(90*24*time.Hour + time.Hour)
	}
	key := spec.key
	if key == nil {
		key = newECKey(t)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.cn},
		DNSNames:              spec.sans,
		NotBefore:             spec.notBefore,
		NotAfter:              spec.notAfter,
		BasicConstraintsValid: true,
		IsCA:                  spec.ca,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if spec.ca {
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageCertSign|x509.KeyUsageCRLSign, nil
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &issued{cert: cert, der: der, key: key}
}

func certBlock(c *issued) *pem.Block { return &pem.Block{Type: "CERTIFICATE", Bytes: c.der} }

func pkcs8Block(t testing.TB, key crypto.Signer) *pem.Block {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
}

func writePEM(t testing.TB, path string, blocks ...*pem.Block) string {
	t.Helper()
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// tlsFixture is a small PKI: a root, an intermediate, and a leaf for
// dash.example.com and its auth- and admin- siblings, written as the files a
// playbook author gives the module.
type tlsFixture struct {
	dir                       string
	root, inter, leaf         *issued
	certFile, keyFile, caFile string
}

const testServer = "dash.example.com"

var testNames = []string{"dash.example.com", "auth-dash.example.com", "admin-dash.example.com"}

func newTLSFixture(t testing.TB) *tlsFixture {
	t.Helper()
	f := &tlsFixture{dir: t.TempDir()}
	f.root = issue(t, certSpec{cn: "Ferry Test Root", ca: true}, nil)
	f.inter = issue(t, certSpec{cn: "Ferry Test Intermediate", ca: true}, f.root)
	f.leaf = issue(t, certSpec{cn: testServer, sans: testNames}, f.inter)
	f.certFile = writePEM(t, f.path("tls.crt"), certBlock(f.leaf), certBlock(f.inter))
	f.keyFile = writePEM(t, f.path("tls.key"), pkcs8Block(t, f.leaf.key))
	f.caFile = writePEM(t, f.path("ca.crt"), certBlock(f.root))
	return f
}

func (f *tlsFixture) path(name string) string { return filepath.Join(f.dir, name) }

func (f *tlsFixture) args() map[string]any {
	return map[string]any{"server": testServer, "cert_file": f.certFile, "key_file": f.keyFile, "internal_ca_file": f.caFile}
}

// leafFiles issues a leaf from the fixture's intermediate and writes its
// chain and key under name.crt and name.key.
func (f *tlsFixture) leafFiles(t testing.TB, name string, spec certSpec) (string, string) {
	t.Helper()
	if spec.cn == "" {
		spec.cn = testServer
	}
	leaf := issue(t, spec, f.inter)
	return writePEM(t, f.path(name+".crt"), certBlock(leaf), certBlock(f.inter)),
		writePEM(t, f.path(name+".key"), pkcs8Block(t, leaf.key))
}

// day is how messages print a date; certificates keep whole seconds, so the
// time is truncated as x509 encodes it.
func day(t time.Time) string { return t.Truncate(time.Second).UTC().Format("2006-01-02") }

var (
	rsaKeyOnce sync.Once
	rsaKey     *rsa.PrivateKey
)

// testRSAKey is generated once: RSA key generation is slow under -race.
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	rsaKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func TestTLSValidationFailures(t *testing.T) {
	f := newTLSFixture(t)
	now := time.Now()
	chainPEM := modtest.ReadFile(t, f.certFile)
	tests := []struct {
		name  string
		setup func(args map[string]any) // adjusts the fixture's arguments
		want  func() string             // the exact error
	}{
		{"key of another certificate", func(a map[string]any) {
			other := issue(t, certSpec{cn: testServer, sans: testNames}, f.inter)
			a["key_file"] = writePEM(t, f.path("other.key"), pkcs8Block(t, other.key))
		}, func() string {
			return "the key in " + f.path("other.key") + " does not match the certificate in " + f.certFile +
				" (tls: private key does not match public key); give the key the certificate was issued for"
		}},
		{"legacy encrypted RSA key", func(a map[string]any) {
			block, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(testRSAKey(t)), []byte("pw"), x509.PEMCipherAES256) //nolint:staticcheck // legacy format on purpose
			if err != nil {
				t.Fatal(err)
			}
			a["key_file"] = writePEM(t, f.path("rsa-enc.key"), block)
		}, func() string {
			k := f.path("rsa-enc.key")
			return "the key in " + k + " is encrypted; Dash Enterprise needs an unencrypted key: openssl rsa -in " + k +
				" -out " + f.path("rsa-enc-unencrypted.key") + " (asks for the passphrase)"
		}},
		{"legacy encrypted EC key", func(a map[string]any) {
			der, err := x509.MarshalECPrivateKey(f.leaf.key.(*ecdsa.PrivateKey))
			if err != nil {
				t.Fatal(err)
			}
			block, err := x509.EncryptPEMBlock(rand.Reader, "EC PRIVATE KEY", der, []byte("pw"), x509.PEMCipherAES128) //nolint:staticcheck // legacy format on purpose
			if err != nil {
				t.Fatal(err)
			}
			a["key_file"] = writePEM(t, f.path("ec-enc.pem"), block)
		}, func() string {
			k := f.path("ec-enc.pem")
			return "the key in " + k + " is encrypted; Dash Enterprise needs an unencrypted key: openssl ec -in " + k +
				" -out " + f.path("ec-enc-unencrypted.pem") + " (asks for the passphrase)"
		}},
		{"PKCS#8 encrypted key", func(a map[string]any) {
			// Go cannot write PBES2; the module recognises the label openssl writes.
			block := pkcs8Block(t, f.leaf.key)
			block.Type = "ENCRYPTED PRIVATE KEY"
			a["key_file"] = writePEM(t, f.path("p8-enc.key"), block)
		}, func() string {
			k := f.path("p8-enc.key")
			return "the key in " + k + " is encrypted; Dash Enterprise needs an unencrypted key: openssl pkey -in " + k +
				" -out " + f.path("p8-enc-unencrypted.key") + " (asks for the passphrase)"
		}},
		{"key file holds a certificate", func(a map[string]any) {
			a["key_file"] = f.certFile
		}, func() string {
			return "key_file " + f.certFile + " holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)"
		}},
		{"intermediate first", func(a map[string]any) {
			a["cert_file"] = writePEM(t, f.path("ca-first.crt"), certBlock(f.inter), certBlock(f.leaf))
		}, func() string {
			return "the first certificate in " + f.path("ca-first.crt") + " is a CA (CN=Ferry Test Intermediate), not the server certificate; put the server certificate first, then its intermediates"
		}},
		{"chain out of order", func(a map[string]any) {
			a["cert_file"] = writePEM(t, f.path("order.crt"), certBlock(f.leaf), certBlock(f.root), certBlock(f.inter))
		}, func() string {
			return "the chain in " + f.path("order.crt") + " is out of order: certificate 1 (CN=dash.example.com, issued by CN=Ferry Test Intermediate) is not signed by certificate 2 (CN=Ferry Test Root); list the server certificate first, then each certificate's issuer"
		}},
		{"no auth- and admin- names", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "bare", certSpec{sans: []string{testServer}})
		}, func() string {
			return "certificate does not cover auth-dash.example.com, admin-dash.example.com; SANs: dash.example.com"
		}},
		{"only auth- missing", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "noauth", certSpec{sans: []string{testServer, "admin-dash.example.com"}})
		}, func() string {
			return "certificate does not cover auth-dash.example.com; SANs: dash.example.com, admin-dash.example.com"
		}},
		{"wildcard on the server's own name covers no sibling", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "subwild", certSpec{sans: []string{"*.dash.example.com"}})
		}, func() string {
			return "certificate does not cover dash.example.com, auth-dash.example.com, admin-dash.example.com; SANs: *.dash.example.com"
		}},
		{"extra name missing", func(a map[string]any) {
			a["extra_names"] = []any{"apps.example.org", "DASH.example.com"}
		}, func() string {
			return "certificate does not cover apps.example.org; SANs: dash.example.com, auth-dash.example.com, admin-dash.example.com"
		}},
		{"common name only", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "cn", certSpec{})
		}, func() string {
			return "certificate does not cover dash.example.com, auth-dash.example.com, admin-dash.example.com; SANs: none (the Common Name dash.example.com is not used for host names by current clients; reissue the certificate with subjectAltName)"
		}},
		{"expired", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "expired", certSpec{sans: testNames, notBefore: now.Add(-100 * 24 * time.Hour), notAfter: now.Add(-3*24*time.Hour - time.Hour)})
		}, func() string {
			return "certificate expired on " + day(now.Add(-3*24*time.Hour-time.Hour)) + " (3 days ago); renew it"
		}},
		{"expires within min_days", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "soon", certSpec{sans: testNames, notAfter: now.Add(20*24*time.Hour + time.Hour)})
		}, func() string {
			return "certificate expires on " + day(now.Add(20*24*time.Hour+time.Hour)) + ", in 20 days; min_days is 30: renew it or lower min_days"
		}},
		{"not yet valid", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "future", certSpec{sans: testNames, notBefore: now.Add(5*24*time.Hour + time.Hour)})
		}, func() string {
			return "certificate is not valid before " + day(now.Add(5*24*time.Hour+time.Hour)) + " (in 5 days); check the controller's clock or wait"
		}},
		{"intermediate expires soon", func(a map[string]any) {
			inter := issue(t, certSpec{cn: "Short Intermediate", ca: true, notAfter: now.Add(10*24*time.Hour + time.Hour)}, f.root)
			leaf := issue(t, certSpec{cn: testServer, sans: testNames}, inter)
			a["cert_file"] = writePEM(t, f.path("short.crt"), certBlock(leaf), certBlock(inter))
			a["key_file"] = writePEM(t, f.path("short.key"), pkcs8Block(t, leaf.key))
		}, func() string {
			return "intermediate certificate 2 in " + f.path("short.crt") + " (CN=Short Intermediate) expires on " +
				day(now.Add(10*24*time.Hour+time.Hour)) + ", in 10 days; min_days is 30: renew it or lower min_days"
		}},
		{"internal CA bundle", func(a map[string]any) {
			a["internal_ca_file"] = writePEM(t, f.path("bundle.crt"), certBlock(f.inter), certBlock(f.root))
		}, func() string {
			return "the internal CA file " + f.path("bundle.crt") + " holds 2 certificates; give only the root CA"
		}},
		{"internal CA is an intermediate", func(a map[string]any) {
			a["internal_ca_file"] = writePEM(t, f.path("inter.crt"), certBlock(f.inter))
		}, func() string {
			return "the internal CA certificate in " + f.path("inter.crt") + " (CN=Ferry Test Intermediate) is not a root: it is issued by CN=Ferry Test Root; give the root CA at the top of the chain"
		}},
		{"intermediate missing under the internal CA", func(a map[string]any) {
			// The leaf is issued by the root directly in name, by another key.
			impostor := issue(t, certSpec{cn: "Ferry Test Root", ca: true}, nil)
			leaf := issue(t, certSpec{cn: testServer, sans: testNames}, impostor)
			a["cert_file"] = writePEM(t, f.path("leaf-only.crt"), certBlock(leaf))
			a["key_file"] = writePEM(t, f.path("leaf-only.key"), pkcs8Block(t, leaf.key))
		}, func() string {
			c := f.path("leaf-only.crt")
			return "the certificate chain in " + c + " does not verify against the internal CA in " + f.caFile +
				" (CN=Ferry Test Root): x509: certificate signed by unknown authority (possibly because of \"x509: ECDSA verification failure\" while trying to verify candidate authority certificate \"Ferry Test Root\"); add the missing intermediates to " + c + " or give the CA that issued them"
		}},
		{"no certificate in cert_file", func(a map[string]any) {
			a["cert_file"] = f.path("empty.crt")
			os.WriteFile(f.path("empty.crt"), []byte("not a certificate\n"), 0o600)
		}, func() string {
			c := f.path("empty.crt")
			return "cert_file " + c + " holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file with: openssl x509 -inform der -in " + c + " -out " + c + ".pem"
		}},
		{"key inside cert_file", func(a map[string]any) {
			a["cert_file"] = writePEM(t, f.path("with-key.crt"), certBlock(f.leaf), certBlock(f.inter), pkcs8Block(t, f.leaf.key))
		}, func() string {
			return "cert_file " + f.path("with-key.crt") + ": PEM block 3 is a PRIVATE KEY, not a CERTIFICATE; the file must hold only certificates: the server certificate, then its intermediates"
		}},
		{"every problem at once", func(a map[string]any) {
			expired := issue(t, certSpec{cn: testServer, sans: []string{testServer}, notBefore: now.Add(-100 * 24 * time.Hour), notAfter: now.Add(-time.Hour)}, f.inter)
			a["cert_file"] = writePEM(t, f.path("all.crt"), certBlock(expired), certBlock(f.inter))
			a["internal_ca_file"] = writePEM(t, f.path("two.crt"), certBlock(f.root), certBlock(f.inter))
		}, func() string {
			return strings.Join([]string{
				"the internal CA file " + f.path("two.crt") + " holds 2 certificates; give only the root CA",
				"certificate expired on " + day(now.Add(-time.Hour)) + " (0 days ago); renew it",
				"the key in " + f.keyFile + " does not match the certificate in " + f.path("all.crt") + " (tls: private key does not match public key); give the key the certificate was issued for",
				"certificate does not cover auth-dash.example.com, admin-dash.example.com; SANs: dash.example.com",
			}, "\n")
		}},
		{"expired and signed by another CA", func(a map[string]any) {
			expired := issue(t, certSpec{cn: testServer, sans: testNames, notBefore: now.Add(-100 * 24 * time.Hour), notAfter: now.Add(-time.Minute)}, f.inter)
			a["cert_file"] = writePEM(t, f.path("expired-other.crt"), certBlock(expired), certBlock(f.inter))
			a["key_file"] = writePEM(t, f.path("expired-other.key"), pkcs8Block(t, expired.key))
			a["internal_ca_file"] = writePEM(t, f.path("other-ca2.crt"), certBlock(issue(t, certSpec{cn: "Other Root", ca: true, notBefore: now.Add(-2 * time.Hour)}, nil)))
		}, func() string {
			// Another organization's CA is no error: the chain does not name it.
			return "certificate expired on " + day(now.Add(-time.Minute)) + " (0 days ago); renew it"
		}},
		{"bad arguments", func(a map[string]any) {
			a["server"] = "https://dash.example.com"
			a["extra_names"] = []any{"bad name"}
			a["min_days"] = -1
			a["config_keys"] = map[string]any{"crt": "x", "key": 5}
			a["verify_address"] = "ftp://host"
		}, func() string {
			return strings.Join([]string{
				`server "https://dash.example.com" is not a host name; give the bare name, e.g. dash.example.com (no scheme, port or wildcard)`,
				`extra_names entry "bad name" is not a host name`,
				"min_days is -1; give a number of days, 0 or more",
				`config_keys has no entry "crt"; its entries are cert, key and internal_ca`,
				"config_keys.key must be a string (a KOTS Config item name), got a number",
				`verify_address "ftp://host" is not host:port (e.g. 10.0.0.5:443 or https://10.0.0.5)`,
			}, "\n")
		}},
		{"one item name for two files", func(a map[string]any) {
			a["config_keys"] = map[string]any{"key": "tls_cert"}
		}, func() string {
			return "config_keys names the same item twice (cert=tls_cert, key=tls_cert, internal_ca=internal_ca_certificate); each file needs its own Config item"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := f.args()
			tt.setup(args)
			h := modtest.NewHost(t)
			dest := f.path("never-written.yaml")
			args["config_values_dest"] = dest
			_, _, err := modtest.Run(t, h, "tls", args)
			if err == nil {
				t.Fatalf("no error; want %q", tt.want())
			}
			if err.Error() != tt.want() {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want())
			}
			assertNoKeyMaterial(t, err.Error(), modtest.ReadFile(t, f.keyFile))
			if len(h.Changes()) != 0 {
				t.Errorf("changes after a validation failure: %q", h.Changes())
			}
			if _, err := os.Stat(dest); !os.IsNotExist(err) {
				t.Errorf("config_values_dest written despite the failure")
			}
		})
	}
	if modtest.ReadFile(t, f.certFile) != chainPEM {
		t.Errorf("the module changed cert_file")
	}
}

// assertNoKeyMaterial fails when text holds a line of the key's PEM body.
func assertNoKeyMaterial(t *testing.T, text, keyPEM string) {
	t.Helper()
	for _, line := range strings.Split(keyPEM, "\n") {
		if len(line) > 8 && !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
			t.Errorf("output holds key material %q", line)
		}
	}
}

func TestTLSAcceptsValidSetups(t *testing.T) {
	f := newTLSFixture(t)
	tests := []struct {
		name  string
		setup func(args map[string]any)
	}{
		{"fixture as is", func(map[string]any) {}},
		{"wildcard on the parent domain", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "wild", certSpec{sans: []string{"*.example.com"}})
			a["extra_names"] = []any{"apps.example.com"}
		}},
		{"wildcard extra name demands the wildcard", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "wildextra", certSpec{sans: append([]string{"*.apps.example.com"}, testNames...)})
			a["extra_names"] = []any{"*.apps.example.com"}
		}},
		{"leaf signed by the root, no intermediates", func(a map[string]any) {
			leaf := issue(t, certSpec{cn: testServer, sans: testNames}, f.root)
			a["cert_file"] = writePEM(t, f.path("direct.crt"), certBlock(leaf))
			a["key_file"] = writePEM(t, f.path("direct.key"), pkcs8Block(t, leaf.key))
		}},
		{"traditional RSA key, no internal CA", func(a map[string]any) {
			leaf := issue(t, certSpec{cn: testServer, sans: testNames, key: testRSAKey(t)}, f.inter)
			a["cert_file"] = writePEM(t, f.path("rsa.crt"), certBlock(leaf), certBlock(f.inter))
			a["key_file"] = writePEM(t, f.path("rsa.key"), &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testRSAKey(t))})
			delete(a, "internal_ca_file")
		}},
		// Issue 12 item 6: a public certificate (its own chain, another
		// root) beside the organization's internal CA is a normal site.
		{"public certificate with an internal CA", func(a map[string]any) {
			public := issue(t, certSpec{cn: "Public Root CA", ca: true}, nil)
			inter := issue(t, certSpec{cn: "Public Intermediate", ca: true}, public)
			leaf := issue(t, certSpec{cn: testServer, sans: testNames}, inter)
			a["cert_file"] = writePEM(t, f.path("public.crt"), certBlock(leaf), certBlock(inter))
			a["key_file"] = writePEM(t, f.path("public.key"), pkcs8Block(t, leaf.key))
		}},
		{"expiring soon with min_days 0", func(a map[string]any) {
			a["cert_file"], a["key_file"] = f.leafFiles(t, "soon-ok", certSpec{sans: testNames, notAfter: time.Now().Add(2 * 24 * time.Hour)})
			a["min_days"] = 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := f.args()
			tt.setup(args)
			res, changes := modtest.MustRun(t, modtest.NewHost(t), "tls", args)
			if len(changes) != 0 {
				t.Errorf("changes without config_values_dest: %q", changes)
			}
			if res.Data["config_values_dest"] != "" {
				t.Errorf("config_values_dest = %v", res.Data["config_values_dest"])
			}
		})
	}
}

func TestTLSResultData(t *testing.T) {
	f := newTLSFixture(t)
	var secrets []string
	h := modtest.NewHost(t)
	h.Secret = func(s string) { secrets = append(secrets, s) }
	res, _ := modtest.MustRun(t, h, "tls", f.args())
	sum := sha256.Sum256(f.leaf.der)
	want := map[string]any{
		"leaf_sha256": hex.EncodeToString(sum[:]),
		"not_after":   f.leaf.cert.NotAfter.UTC().Format(time.RFC3339),
		"sans":        testNames,
		"issuer":      "CN=Ferry Test Intermediate",
		"days_left":   90,
		"names":       testNames,
	}
	for k, v := range want {
		if !reflect.DeepEqual(res.Data[k], v) {
			t.Errorf("%s = %#v, want %#v", k, res.Data[k], v)
		}
	}
	key := modtest.ReadFile(t, f.keyFile)
	for _, s := range []string{key, base64.StdEncoding.EncodeToString([]byte(key))} {
		if !containsStr(secrets, s) {
			t.Errorf("key form not registered as a secret: %.20q...", s)
		}
	}
	if !strings.Contains(res.Msg, "covers dash.example.com, auth-dash.example.com, admin-dash.example.com") {
		t.Errorf("msg = %q", res.Msg)
	}
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseFragment reads a ConfigValues document the way KOTS would.
func parseFragment(t *testing.T, text string) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("fragment is not YAML: %v\n%s", err, text)
	}
	return doc
}

func fragmentItems(t *testing.T, doc map[string]any) map[string]any {
	t.Helper()
	if doc["apiVersion"] != "kots.io/v1beta1" || doc["kind"] != "ConfigValues" {
		t.Fatalf("header = %v %v", doc["apiVersion"], doc["kind"])
	}
	spec, _ := doc["spec"].(map[string]any)
	values, ok := spec["values"].(map[string]any)
	if !ok {
		t.Fatalf("no spec.values in %v", doc)
	}
	return values
}

// fileItemContent decodes a file item's value and returns it with its filename.
func fileItemContent(t *testing.T, items map[string]any, name string) (string, string) {
	t.Helper()
	item, ok := items[name].(map[string]any)
	if !ok {
		t.Fatalf("no item %s in %v", name, items)
	}
	b, err := base64.StdEncoding.DecodeString(item["value"].(string))
	if err != nil {
		t.Fatalf("item %s value is not base64: %v", name, err)
	}
	return string(b), item["filename"].(string)
}

func TestTLSFragmentRendering(t *testing.T) {
	f := newTLSFixture(t)
	tests := []struct {
		name      string
		keys      map[string]any
		withCA    bool
		wantItems map[string]string // item -> filename
	}{
		{"default item names", nil, true, map[string]string{"tls_cert": "tls.crt", "tls_key": "tls.key", "internal_ca_certificate": "ca.crt"}},
		{"one name overridden", map[string]any{"cert": "tls_certificate"}, true, map[string]string{"tls_certificate": "tls.crt", "tls_key": "tls.key", "internal_ca_certificate": "ca.crt"}},
		{"no internal CA", map[string]any{"cert": "c", "key": "k", "internal_ca": "ca"}, false, map[string]string{"c": "tls.crt", "k": "tls.key"}},
	}
	sources := map[string]string{"tls.crt": f.certFile, "tls.key": f.keyFile, "ca.crt": f.caFile}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := f.args()
			if tt.keys != nil {
				args["config_keys"] = tt.keys
			}
			if !tt.withCA {
				delete(args, "internal_ca_file")
			}
			dest := filepath.Join(t.TempDir(), "tls-config.yaml")
			args["config_values_dest"] = dest
			res, _ := modtest.MustRun(t, modtest.NewHost(t), "tls", args)
			written := parseFragment(t, modtest.ReadFile(t, dest))
			if !reflect.DeepEqual(written, res.Data["config_values"]) {
				t.Errorf("result config_values differs from the file:\n%v\n%v", res.Data["config_values"], written)
			}
			items := fragmentItems(t, written)
			if len(items) != len(tt.wantItems) {
				t.Errorf("items = %v, want %v", items, tt.wantItems)
			}
			for item, filename := range tt.wantItems {
				content, gotName := fileItemContent(t, items, item)
				if gotName != filename || content != modtest.ReadFile(t, sources[filename]) {
					t.Errorf("item %s: filename %q, content matches source: %v", item, gotName, content == modtest.ReadFile(t, sources[filename]))
				}
			}
		})
	}
}

func TestTLSConfigValuesDestIdempotent(t *testing.T) {
	f := newTLSFixture(t)
	dest := filepath.Join(t.TempDir(), "tls-config.yaml")
	args := f.args()
	args["config_values_dest"] = dest

	check := modtest.NewHost(t)
	check.Check, check.Diff = true, true
	res, plan := modtest.MustRun(t, check, "tls", args)
	if len(plan) != 1 || !strings.HasPrefix(plan[0], "write "+dest+" (") || !strings.HasSuffix(plan[0], ", mode 0600)") {
		t.Fatalf("check-mode plan = %q", plan)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Fatalf("check mode wrote %s", dest)
	}
	if len(res.Diffs) != 1 || res.Diffs[0].Before != "" || parseFragment(t, res.Diffs[0].After) == nil {
		t.Errorf("check-mode diff = %+v", res.Diffs)
	}

	res, changes := modtest.MustRun(t, modtest.NewHost(t), "tls", args)
	if !reflect.DeepEqual(changes, plan) {
		t.Errorf("real run changes %q, check mode planned %q", changes, plan)
	}
	if modtest.FileMode(t, dest) != 0o600 || res.Data["config_values_dest"] != dest {
		t.Errorf("mode %o, config_values_dest %v", modtest.FileMode(t, dest), res.Data["config_values_dest"])
	}
	first := modtest.ReadFile(t, dest)

	for _, h := range []*modules.Host{modtest.NewHost(t), func() *modules.Host { h := modtest.NewHost(t); h.Check = true; return h }()} {
		if _, changes := modtest.MustRun(t, h, "tls", args); len(changes) != 0 {
			t.Errorf("unchanged run (check %v) changed: %q", h.Check, changes)
		}
	}
	if modtest.ReadFile(t, dest) != first {
		t.Errorf("second run rewrote the fragment")
	}

	os.Chmod(dest, 0o644)
	if _, changes := modtest.MustRun(t, modtest.NewHost(t), "tls", args); len(changes) != 1 || changes[0] != "chmod 0600 "+dest+" (was 0644)" {
		t.Errorf("mode drift: changes %q", changes)
	}

	args["config_keys"] = map[string]any{"key": "tls_private_key"}
	if _, changes := modtest.MustRun(t, modtest.NewHost(t), "tls", args); len(changes) != 1 {
		t.Errorf("new item name: changes %q", changes)
	}
	if _, ok := fragmentItems(t, parseFragment(t, modtest.ReadFile(t, dest)))["tls_private_key"]; !ok {
		t.Errorf("fragment not rewritten with the new item name:\n%s", modtest.ReadFile(t, dest))
	}
}

func TestTLSRelativePathsLikeCopy(t *testing.T) {
	f := newTLSFixture(t)
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "files"), 0o755)
	os.WriteFile(filepath.Join(base, "files", "tls.crt"), []byte(modtest.ReadFile(t, f.certFile)), 0o600)
	os.WriteFile(filepath.Join(base, "tls.key"), []byte(modtest.ReadFile(t, f.keyFile)), 0o600)
	h := modtest.NewHost(t)
	h.BaseDir = base
	modtest.MustRun(t, h, "tls", map[string]any{"server": testServer, "cert_file": "tls.crt", "key_file": "tls.key"})

	_, _, err := modtest.Run(t, h, "tls", map[string]any{"server": testServer, "cert_file": "tls.crt", "key_file": "missing.key"})
	want := `key_file: src "missing.key" not found on the controller (looked for ` + filepath.Join(base, "files", "missing.key") +
		" and " + filepath.Join(base, "missing.key") + "); fix the path or put the file there"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

// serveTLS serves the given certificate for each SNI name (def for others)
// on a loopback port until the test ends.
func serveTLS(t *testing.T, def tls.Certificate, byName map[string]tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if c, ok := byName[hello.ServerName]; ok {
				return &c, nil
			}
			return &def, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func servingCert(leaf, inter *issued) tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{leaf.der, inter.der}, PrivateKey: leaf.key}
}

func TestTLSVerifyAddress(t *testing.T) {
	f := newTLSFixture(t)
	other := issue(t, certSpec{cn: "Kubernetes Ingress Controller Fake Certificate", sans: []string{"ingress.local"}}, f.inter)
	want := sha256.Sum256(f.leaf.der)
	otherSum := sha256.Sum256(other.der)

	t.Run("serves the leaf for every name", func(t *testing.T) {
		addr := serveTLS(t, servingCert(f.leaf, f.inter), nil)
		args := f.args()
		args["verify_url"] = "https://" + addr + "/"
		res, changes := modtest.MustRun(t, modtest.NewHost(t), "tls", args)
		if len(changes) != 0 {
			t.Errorf("verify changed something: %q", changes)
		}
		served, _ := res.Data["served"].([]any)
		if len(served) != 3 {
			t.Fatalf("served = %v", res.Data["served"])
		}
		for i, s := range served {
			e := s.(map[string]any)
			if e["name"] != testNames[i] || e["matches"] != true || e["sha256"] != hex.EncodeToString(want[:]) {
				t.Errorf("served[%d] = %v", i, e)
			}
		}
	})

	t.Run("serves another certificate for one name", func(t *testing.T) {
		addr := serveTLS(t, servingCert(f.leaf, f.inter), map[string]tls.Certificate{"auth-dash.example.com": servingCert(other, f.inter)})
		args := f.args()
		args["verify_address"] = addr
		res, _, err := modtest.Run(t, modtest.NewHost(t), "tls", args)
		if err != nil {
			t.Fatal(err)
		}
		wantMsg := addr + " serves another certificate for auth-dash.example.com (CN=Kubernetes Ingress Controller Fake Certificate, SANs: ingress.local, sha256 " +
			hex.EncodeToString(otherSum[:]) + ", expires " + day(other.cert.NotAfter) + "), not the one in cert_file (sha256 " + hex.EncodeToString(want[:]) +
			"); the ingress serves the new certificate once a deploy has rolled it out"
		if !res.Failed || res.Msg != wantMsg {
			t.Errorf("failed %v, msg:\n%s\nwant:\n%s", res.Failed, res.Msg, wantMsg)
		}
		served := res.Data["served"].([]any)
		matches := []any{served[0].(map[string]any)["matches"], served[1].(map[string]any)["matches"], served[2].(map[string]any)["matches"]}
		if !reflect.DeepEqual(matches, []any{true, false, true}) {
			t.Errorf("matches = %v", matches)
		}
		if res.Data["leaf_sha256"] != hex.EncodeToString(want[:]) {
			t.Errorf("failed result lost its data: %v", res.Data)
		}
	})

	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		args := f.args()
		args["verify_address"] = addr
		args["extra_names"] = []any{"*.apps.example.com"} // not sent as SNI
		args["cert_file"], args["key_file"] = f.leafFiles(t, "wild-extra", certSpec{sans: append([]string{"*.apps.example.com"}, testNames...)})
		res, _, err := modtest.Run(t, modtest.NewHost(t), "tls", args)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(res.Msg, "\n")
		if !res.Failed || len(lines) != 3 || !strings.HasPrefix(lines[0], "verify_address "+addr+" for dash.example.com: cannot connect: ") {
			t.Errorf("failed %v, msg %q", res.Failed, res.Msg)
		}
	})
}

// noDialConn is a connection without the Dialer capability.
type noDialConn struct{ modules.Conn }

func TestTLSVerifyNeedsDialer(t *testing.T) {
	f := newTLSFixture(t)
	h := modtest.NewHost(t)
	h.Conn = modules.Seal(noDialConn{conn.NewLocal()})
	args := f.args()
	args["verify_address"] = "127.0.0.1:443"
	_, _, err := modtest.Run(t, h, "tls", args)
	want := "the connection to local cannot open TCP connections from the host's side, which verify_address needs"
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}

func TestTLSDocGolden(t *testing.T) {
	modtest.DocGolden(t, "tls")
}
