package tls

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"maps"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

func init() { modules.Register(tlsModule{}) }

// tlsModule checks Dash Enterprise's TLS certificate, key and internal CA on
// the controller, renders them as a KOTS ConfigValues fragment, optionally
// writes that fragment to the host and checks what the ingress serves.
//
// Everything is validated before the host is touched: a bad certificate
// found after `kots install` has started costs a redeploy, one found here
// costs nothing.
type tlsModule struct{}

// Default KOTS Config item names. Plotly does not publish them: they are
// ferry's guesses and must be checked against the release's `kind: Config`.
const (
	defaultCertItem       = "tls_cert"
	defaultKeyItem        = "tls_key"
	defaultInternalCAItem = "internal_ca_certificate"
)

// File names reported to KOTS for the file items (the Admin Console shows
// them; the internal CA must be a .crt file).
const (
	certItemFilename       = "tls.crt"
	keyItemFilename        = "tls.key"
	internalCAItemFilename = "ca.crt"
)

// tlsArgs are the module's arguments as a playbook gives them;
// tlsOptionsOf turns them into tlsOptions.
type tlsArgs struct {
	Server           string         `opt:"server,required" kind:"dnsname" doc:"Dash Enterprise's host name, e.g. dash.example.com. The certificate must also cover auth-<server> (Keycloak) and admin-<server> (KOTS Admin Console). These are siblings, not sub-domains: *.example.com covers all three, *.dash.example.com does not."`
	CertFile         string         `opt:"cert_file,required" doc:"PEM file on the controller: the server certificate first, then its intermediates in order. A relative path is looked up in <playbook dir>/files, then in the playbook dir."`
	KeyFile          string         `opt:"key_file,required" doc:"PEM file on the controller with the certificate's private key, unencrypted; looked up like cert_file. Its content is masked in every output."`
	InternalCAFile   string         `opt:"internal_ca_file" doc:"PEM file on the controller with your organization's root CA (exactly one self-signed certificate), for INTERNAL_CA_CERTIFICATE. Checked on its own (a single valid root); the certificate chain must verify against it only when the chain says it was issued under it, so a public certificate beside an internal CA is fine. Looked up like cert_file."`
	ExtraNames       []string       `opt:"extra_names" doc:"More host names the certificate must cover. A wildcard name (*.apps.example.com) demands that wildcard in the certificate."`
	MinDays          int            `opt:"min_days" default:"30" doc:"Fail when the certificate or an intermediate expires in fewer days than this."`
	ConfigKeys       map[string]any "opt:\"config_keys\" doc:\"The KOTS Config item names to render, as a mapping with keys cert, key and internal_ca; keys not given keep their defaults: cert=tls_cert, key=tls_key, internal_ca=internal_ca_certificate. The defaults are ferry's guesses, NOT Plotly's published names: check them against the `kind: Config` of your release (app.tar.gz inside the .airgap bundle, or `kubectl kots get config` on an installed instance). A wrong name makes `kots set config` fail with a validation error.\""
	ConfigValuesDest string         "opt:\"config_values_dest\" doc:\"A file on the host to write the ConfigValues fragment to (mode 0600), for kots_upload or `kubectl kots set config --merge --deploy`. Written only when its content differs.\""
	VerifyAddress    string         `opt:"verify_address" aliases:"verify_url" doc:"host:port (or https://host[:port]) of the ingress, reached from the host's side of the connection. For every name, the certificate served must be this leaf. Read-only; fails until a deploy has rolled out the new certificate."`
	ConnectTimeout   int            `opt:"connect_timeout" default:"10" kind:"seconds" doc:"Seconds allowed for each verify_address connection and TLS handshake."`
}

// OptionChecks are the rules beyond each argument's type.
func (tlsArgs) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{
		"extra_names":     checkExtraNames,
		"min_days":        checkMinDays,
		"config_keys":     checkConfigKeys,
		"verify_address":  checkVerifyAddress,
		"connect_timeout": checkConnectTimeout,
	}
}

func (tlsModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "tls",
		Summary: "Check Dash Enterprise's TLS certificate, key and internal CA and render them as KOTS ConfigValues",
		Args:    modules.OptionsOf[tlsArgs](),
		Check:   modules.CheckSupported,
	}
}

// tlsOptions are the module's arguments, checked and normalised.
type tlsOptions struct {
	server     string
	names      []string // every host name the certificate must cover
	certFile   string
	keyFile    string
	caFile     string
	minDays    int
	items      configItems
	dest       string
	verifyAddr string
	timeout    time.Duration
}

// configItems are the KOTS Config item names the files are rendered under.
type configItems struct{ cert, key, internalCA string }

func (tlsModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a, err := modules.Decode[tlsArgs](args)
	if err != nil {
		return modules.Result{}, err
	}
	opts, err := tlsOptionsOf(a)
	if err != nil {
		return modules.Result{}, err
	}
	dialer, canDial := h.Dialer()
	if opts.verifyAddr != "" {
		if !canDial {
			return modules.Result{}, fmt.Errorf("the connection to %s cannot open TCP connections from the host's side, which verify_address needs", modules.HostLabel(h))
		}
	}
	files, err := loadTLSFiles(h, opts)
	if err != nil {
		return modules.Result{}, err
	}
	now := time.Now()
	leaf, err := checkTLSFiles(files, opts, now)
	if err != nil {
		return modules.Result{}, err
	}
	fragment, text, err := renderConfigValues(files, opts.items)
	if err != nil {
		return modules.Result{}, err
	}
	res := modules.Result{Data: leafData(leaf, now), Msg: fmt.Sprintf("certificate for %s is valid until %s (%d days left) and covers %s",
		opts.server, day(leaf.NotAfter), daysLeft(leaf, now), strings.Join(opts.names, ", "))}
	res.Data["names"] = opts.names
	res.Data["config_values"] = fragment
	res.Data["config_values_dest"] = opts.dest
	if opts.dest != "" {
		written, err := modules.WritePrivateFile(ctx, h, opts.dest, text)
		if err != nil {
			return modules.Result{}, err
		}
		res.Diffs = written.Diffs
		res.Data["config_values_dest"] = written.Data["dest"]
	}
	if opts.verifyAddr != "" {
		served, problems := verifyServed(ctx, dialer, opts, leaf)
		res.Data["served"] = served
		if problems != nil {
			res.Failed, res.Msg = true, problems.Error()
		}
	}
	return res, nil
}

// tlsOptionsOf normalises the decoded arguments (their checks ran when they
// were bound): host names lower-cased without a trailing dot, the names the
// certificate must cover, the config items over their defaults.
func tlsOptionsOf(a tlsArgs) (tlsOptions, error) {
	o := tlsOptions{
		server:   hostName(a.Server),
		certFile: a.CertFile,
		keyFile:  a.KeyFile,
		caFile:   a.InternalCAFile,
		minDays:  a.MinDays,
		dest:     a.ConfigValuesDest,
		timeout:  time.Duration(a.ConnectTimeout) * time.Second,
	}
	o.names = []string{o.server, "auth-" + o.server, "admin-" + o.server}
	for _, n := range a.ExtraNames {
		if name := hostName(n); !slices.Contains(o.names, name) {
			o.names = append(o.names, name)
		}
	}
	var errs [2]error
	o.items, errs[0] = configItemsFrom(a.ConfigKeys)
	if a.VerifyAddress != "" {
		o.verifyAddr, errs[1] = parseVerifyAddress(a.VerifyAddress)
	}
	return o, errors.Join(errs[:]...)
}

// hostName is a host name as the certificate's names are compared: trimmed,
// lower case, without the root's trailing dot.
func hostName(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}

// configItemsFrom merges the config_keys argument over the defaults.
func configItemsFrom(m map[string]any) (configItems, error) {
	items := configItems{cert: defaultCertItem, key: defaultKeyItem, internalCA: defaultInternalCAItem}
	fields := map[string]*string{"cert": &items.cert, "key": &items.key, "internal_ca": &items.internalCA}
	var problems []error
	for _, k := range slices.Sorted(maps.Keys(m)) {
		field, ok := fields[k]
		if !ok {
			problems = append(problems, fmt.Errorf("config_keys has no entry %q; its entries are cert, key and internal_ca", k))
			continue
		}
		name, ok := m[k].(string)
		if !ok {
			problems = append(problems, fmt.Errorf("config_keys.%s must be a string (a KOTS Config item name), got %s", k, modules.TypeName(m[k])))
			continue
		}
		if strings.TrimSpace(name) == "" {
			problems = append(problems, fmt.Errorf("config_keys.%s is empty; give the KOTS Config item name", k))
			continue
		}
		*field = strings.TrimSpace(name)
	}
	if len(problems) == 0 && (items.cert == items.key || items.cert == items.internalCA || items.key == items.internalCA) {
		problems = append(problems, fmt.Errorf("config_keys names the same item twice (cert=%s, key=%s, internal_ca=%s); each file needs its own Config item",
			items.cert, items.key, items.internalCA))
	}
	return items, errors.Join(problems...)
}

// parseVerifyAddress accepts host:port, a bare host (port 443) or an
// https:// URL, and returns host:port.
func parseVerifyAddress(v string) (string, error) {
	bad := fmt.Errorf("verify_address %q is not host:port (e.g. 10.0.0.5:443 or https://10.0.0.5)", v)
	hostport := strings.TrimSpace(v)
	if strings.Contains(hostport, "://") {
		u, err := url.Parse(hostport)
		if err != nil || u.Scheme != "https" || u.Host == "" {
			return "", bad
		}
		hostport = u.Host
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), "443"
	}
	if host == "" || strings.ContainsAny(host, "/ ") || port == "" {
		return "", bad
	}
	return net.JoinHostPort(host, port), nil
}

// tlsFiles are the PEM files as read from the controller.
type tlsFiles struct {
	certPath, keyPath, caPath string
	cert, key, ca             []byte // ca is nil without internal_ca_file
}

// loadTLSFiles reads the PEM files and registers the key as a secret before
// anything could print it.
func loadTLSFiles(h *modules.Host, o tlsOptions) (tlsFiles, error) {
	var f tlsFiles
	var err error
	if f.keyPath, f.key, err = modules.ReadPEMFile(h, "key_file", o.keyFile); err != nil {
		return f, err
	}
	h.AddSecret(string(f.key))
	h.AddSecret(strings.TrimSpace(string(f.key)))
	h.AddSecret(base64.StdEncoding.EncodeToString(f.key))
	if f.certPath, f.cert, err = modules.ReadPEMFile(h, "cert_file", o.certFile); err != nil {
		return f, err
	}
	if o.caFile != "" {
		if f.caPath, f.ca, err = modules.ReadPEMFile(h, "internal_ca_file", o.caFile); err != nil {
			return f, err
		}
	}
	return f, nil
}

// checkTLSFiles validates the certificate chain, the key and the internal CA
// and returns the leaf. Every problem found is reported, not only the first;
// checks that depend on an earlier one (the names of a leaf that is not a
// leaf) are left out when it fails.
func checkTLSFiles(f tlsFiles, o tlsOptions, now time.Time) (*x509.Certificate, error) {
	chain, problems := parseCertChain(f.certPath, f.cert)
	keyBlock, err := findKeyBlock(f.keyPath, f.key)
	if err != nil {
		problems = append(problems, err)
	}
	var ca *x509.Certificate
	if f.ca != nil {
		var caProblems []error
		ca, caProblems = parseInternalCA(f.caPath, f.ca)
		problems = append(problems, caProblems...)
	}
	if len(chain) == 0 {
		return nil, errors.Join(problems...)
	}
	for i, c := range chain {
		what := "certificate"
		if i > 0 {
			what = fmt.Sprintf("intermediate certificate %d in %s (%s)", i+1, f.certPath, subjectOf(c))
		}
		if err := checkValidity(what, c, now, o.minDays); err != nil {
			problems = append(problems, err)
		}
	}
	if ca != nil {
		what := fmt.Sprintf("the internal CA certificate in %s (%s)", f.caPath, subjectOf(ca))
		if err := checkValidity(what, ca, now, o.minDays); err != nil {
			problems = append(problems, err)
		}
	}
	leaf := chain[0]
	if leaf.IsCA {
		problems = append(problems, fmt.Errorf("the first certificate in %s is a CA (%s), not the server certificate; put the server certificate first, then its intermediates",
			f.certPath, subjectOf(leaf)))
		return nil, errors.Join(problems...)
	}
	if keyBlock != nil {
		if err := checkKeyMatches(f, keyBlock); err != nil {
			problems = append(problems, err)
		}
	}
	if err := checkChainOrder(f.certPath, chain); err != nil {
		problems = append(problems, err)
	}
	if err := checkNames(leaf, o.names); err != nil {
		problems = append(problems, err)
	}
	if ca != nil && issuedUnder(chain, ca) {
		if err := checkChainTrust(f, chain, ca, now); err != nil {
			problems = append(problems, err)
		}
	}
	return leaf, errors.Join(problems...)
}

// parseCertChain reads every certificate of the cert file, in order. A
// parse failure leaves the chain empty: its order and trust cannot be judged
// with a certificate missing.
func parseCertChain(path string, data []byte) ([]*x509.Certificate, []error) {
	var chain []*x509.Certificate
	var problems []error
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			problems = append(problems, fmt.Errorf("cert_file %s: PEM block %d is a %s, not a CERTIFICATE; the file must hold only certificates: the server certificate, then its intermediates",
				path, n, block.Type))
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			problems = append(problems, fmt.Errorf("cert_file %s: PEM block %d does not parse as a certificate: %v", path, n, err))
			return nil, problems
		}
		chain = append(chain, c)
	}
	if len(chain) == 0 && len(problems) == 0 {
		problems = append(problems, fmt.Errorf("cert_file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----); convert a DER file with: openssl x509 -inform der -in %s -out %s.pem",
			path, path, path))
	}
	return chain, problems
}

// findKeyBlock returns the key file's private key block, refusing an
// encrypted one: Dash Enterprise cannot ask for its passphrase.
func findKeyBlock(path string, data []byte) (*pem.Block, error) {
	rest := data
	for {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			return nil, fmt.Errorf("key_file %s holds no PEM private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY)", path)
		}
		if block.Type != "PRIVATE KEY" && !strings.HasSuffix(block.Type, " PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fmt.Errorf("the key in %s is encrypted; Dash Enterprise needs an unencrypted key: %s -in %s -out %s (asks for the passphrase)",
				path, decryptCommand(block.Type), path, unencryptedName(path))
		}
		return block, nil
	}
}

// decryptCommand is the openssl command that writes a key unencrypted in the
// same format: rsa and ec keep the traditional formats, pkey handles PKCS#8.
func decryptCommand(blockType string) string {
	switch blockType {
	case "RSA PRIVATE KEY":
		return "openssl rsa"
	case "EC PRIVATE KEY":
		return "openssl ec"
	}
	return "openssl pkey"
}

func unencryptedName(path string) string {
	ext := filepath.Ext(path)
	return strings.TrimSuffix(path, ext) + "-unencrypted" + ext
}

// checkKeyMatches parses the key (so that a broken key is not reported as a
// mismatch) and checks it against the leaf with tls.X509KeyPair. No message
// carries key material.
func checkKeyMatches(f tlsFiles, block *pem.Block) error {
	if err := parsePrivateKey(block); err != nil {
		return fmt.Errorf("key_file %s: the %s does not parse: %v", f.keyPath, block.Type, err)
	}
	if _, err := tls.X509KeyPair(f.cert, pem.EncodeToMemory(block)); err != nil {
		return fmt.Errorf("the key in %s does not match the certificate in %s (%v); give the key the certificate was issued for",
			f.keyPath, f.certPath, err)
	}
	return nil
}

func parsePrivateKey(block *pem.Block) error {
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		_, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		_, err = x509.ParseECPrivateKey(block.Bytes)
	case "PRIVATE KEY":
		_, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	default:
		err = fmt.Errorf("unsupported key type %s; use PKCS#8 (openssl pkey -in KEY -out KEY.pem)", block.Type)
	}
	return err
}

// checkValidity checks one certificate of the chain against the clock and
// min_days.
func checkValidity(what string, c *x509.Certificate, now time.Time, minDays int) error {
	switch left := c.NotAfter.Sub(now); {
	case now.Before(c.NotBefore):
		return fmt.Errorf("%s is not valid before %s (in %d days); check the controller's clock or wait", what, day(c.NotBefore), wholeDays(c.NotBefore.Sub(now)))
	case left < 0:
		return fmt.Errorf("%s expired on %s (%d days ago); renew it", what, day(c.NotAfter), wholeDays(-left))
	case left < time.Duration(minDays)*24*time.Hour:
		return fmt.Errorf("%s expires on %s, in %d days; min_days is %d: renew it or lower min_days", what, day(c.NotAfter), wholeDays(left), minDays)
	}
	return nil
}

// checkChainOrder checks that each certificate is signed by the next one;
// only the first break is reported, the rest follow from it.
func checkChainOrder(path string, chain []*x509.Certificate) error {
	for i := 0; i+1 < len(chain); i++ {
		child, parent := chain[i], chain[i+1]
		if err := child.CheckSignatureFrom(parent); err != nil {
			return fmt.Errorf("the chain in %s is out of order: certificate %d (%s, issued by %s) is not signed by certificate %d (%s); list the server certificate first, then each certificate's issuer",
				path, i+1, subjectOf(child), issuerOf(child), i+2, subjectOf(parent))
		}
	}
	return nil
}

// checkNames checks the leaf against every host name with x509's own rules,
// so wildcards match exactly as clients will match them.
func checkNames(leaf *x509.Certificate, names []string) error {
	var missing []string
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("certificate does not cover %s; SANs: %s", strings.Join(missing, ", "), sanText(leaf))
}

func sanText(c *x509.Certificate) string {
	sans := certSANs(c)
	if len(sans) > 0 {
		return strings.Join(sans, ", ")
	}
	if c.Subject.CommonName != "" {
		return fmt.Sprintf("none (the Common Name %s is not used for host names by current clients; reissue the certificate with subjectAltName)", c.Subject.CommonName)
	}
	return "none"
}

func certSANs(c *x509.Certificate) []string {
	sans := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		sans = append(sans, ip.String())
	}
	return sans
}

// parseInternalCA checks that the internal CA file holds one self-signed CA
// certificate: Dash Enterprise wants the root only, not a chain.
func parseInternalCA(path string, data []byte) (*x509.Certificate, []error) {
	var blocks []*pem.Block
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, []error{fmt.Errorf("the internal CA file %s holds a %s; give only the root CA certificate", path, block.Type)}
		}
		blocks = append(blocks, block)
	}
	switch {
	case len(blocks) == 0:
		return nil, []error{fmt.Errorf("the internal CA file %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path)}
	case len(blocks) > 1:
		return nil, []error{fmt.Errorf("the internal CA file %s holds %d certificates; give only the root CA", path, len(blocks))}
	}
	ca, err := x509.ParseCertificate(blocks[0].Bytes)
	if err != nil {
		return nil, []error{fmt.Errorf("the internal CA file %s does not parse as a certificate: %v", path, err)}
	}
	var problems []error
	if !ca.IsCA {
		problems = append(problems, fmt.Errorf("the internal CA certificate in %s (%s) is not a CA certificate (basicConstraints CA:FALSE); give the root CA", path, subjectOf(ca)))
	} else if issuerOf(ca) != subjectOf(ca) {
		problems = append(problems, fmt.Errorf("the internal CA certificate in %s (%s) is not a root: it is issued by %s; give the root CA at the top of the chain",
			path, subjectOf(ca), issuerOf(ca)))
	} else if err := ca.CheckSignatureFrom(ca); err != nil {
		problems = append(problems, fmt.Errorf("the internal CA certificate in %s (%s) does not verify its own signature (%v); give an intact root CA certificate",
			path, subjectOf(ca), err))
	}
	return ca, problems
}

// checkChainTrust verifies the chain from the cert file against the internal
// CA as the only root.
// issuedUnder tells whether the top of the site's chain names the internal
// CA as its issuer. Only then must the chain verify against it: the internal
// CA is what Dash Enterprise trusts for internal services (INTERNAL_CA_CERTIFICATE),
// and a site may well serve a public certificate beside it (issue 12, item 6).
func issuedUnder(chain []*x509.Certificate, ca *x509.Certificate) bool {
	return bytes.Equal(chain[len(chain)-1].RawIssuer, ca.RawSubject)
}

func checkChainTrust(f tlsFiles, chain []*x509.Certificate, ca *x509.Certificate, now time.Time) error {
	roots, intermediates := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(ca)
	for _, c := range chain[1:] {
		intermediates.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: roots, Intermediates: intermediates, CurrentTime: trustTime(append([]*x509.Certificate{ca}, chain...), now)}
	_, err := chain[0].Verify(opts)
	var invalid x509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == x509.Expired {
		// No moment when every certificate is valid: checkValidity has
		// reported which ones are not, and the trust path cannot be judged.
		return nil
	}
	if err != nil {
		return fmt.Errorf("the certificate chain in %s does not verify against the internal CA in %s (%s): %v; add the missing intermediates to %s or give the CA that issued them",
			f.certPath, f.caPath, subjectOf(ca), err, f.certPath)
	}
	return nil
}

// trustTime is when to judge the trust path: now, or, when a certificate is
// not valid now (checkValidity reports that on its own), a moment when all
// of them are, so that an expired leaf does not hide a wrong CA.
func trustTime(certs []*x509.Certificate, now time.Time) time.Time {
	start, end := certs[0].NotBefore, certs[0].NotAfter
	for _, c := range certs[1:] {
		if c.NotBefore.After(start) {
			start = c.NotBefore
		}
		if c.NotAfter.Before(end) {
			end = c.NotAfter
		}
	}
	if now.Before(start) || now.After(end) {
		if !start.After(end) {
			return start
		}
	}
	return now
}

func subjectOf(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "no subject"
}

func issuerOf(c *x509.Certificate) string {
	if s := c.Issuer.String(); s != "" {
		return s
	}
	return "no issuer"
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

func wholeDays(d time.Duration) int { return int(d / (24 * time.Hour)) }

func daysLeft(c *x509.Certificate, now time.Time) int { return wholeDays(c.NotAfter.Sub(now)) }

func leafSHA256(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// leafData is what the result reports about the certificate.
func leafData(leaf *x509.Certificate, now time.Time) map[string]any {
	return map[string]any{
		"leaf_sha256": leafSHA256(leaf),
		"not_after":   leaf.NotAfter.UTC().Format(time.RFC3339),
		"sans":        certSANs(leaf),
		"issuer":      issuerOf(leaf),
		"days_left":   daysLeft(leaf, now),
	}
}

// renderConfigValues renders the files as a KOTS ConfigValues document with
// one file item each (filename and base64 value, as KOTS stores file items).
// The map is what the result reports; the text is what lands on the host.
// yaml.v3 sorts map keys, so the same input always renders the same bytes.
func renderConfigValues(f tlsFiles, items configItems) (map[string]any, string, error) {
	values := map[string]any{
		items.cert: fileItem(certItemFilename, f.cert),
		items.key:  fileItem(keyItemFilename, f.key),
	}
	if f.ca != nil {
		values[items.internalCA] = fileItem(internalCAItemFilename, f.ca)
	}
	doc := map[string]any{
		"apiVersion": "kots.io/v1beta1",
		"kind":       "ConfigValues",
		"spec":       map[string]any{"values": values},
	}
	var text strings.Builder
	enc := yaml.NewEncoder(&text)
	enc.SetIndent(2) // as KOTS and kubectl write YAML
	if err := enc.Encode(doc); err != nil {
		return nil, "", fmt.Errorf("rendering the ConfigValues fragment: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, "", fmt.Errorf("rendering the ConfigValues fragment: %w", err)
	}
	return doc, text.String(), nil
}

func fileItem(filename string, content []byte) map[string]any {
	return map[string]any{"filename": filename, "value": base64.StdEncoding.EncodeToString(content)}
}

// verifyServed connects to the ingress once per host name (SNI) and compares
// the served leaf with the wanted one. Wildcard names cannot be sent as SNI
// and are skipped. It returns what was served and every mismatch.
func verifyServed(ctx context.Context, d modules.Dialer, o tlsOptions, leaf *x509.Certificate) ([]any, error) {
	want := leafSHA256(leaf)
	var served []any
	var problems []error
	for _, name := range o.names {
		if strings.HasPrefix(name, "*.") {
			continue
		}
		entry := map[string]any{"name": name}
		served = append(served, entry)
		got, err := servedLeaf(ctx, d, o.verifyAddr, name, o.timeout)
		if err != nil {
			entry["error"] = err.Error()
			problems = append(problems, fmt.Errorf("verify_address %s for %s: %w", o.verifyAddr, name, err))
			continue
		}
		sum := leafSHA256(got)
		entry["sha256"], entry["matches"] = sum, sum == want
		if sum != want {
			problems = append(problems, fmt.Errorf("%s serves another certificate for %s (%s, SANs: %s, sha256 %s, expires %s), not the one in cert_file (sha256 %s); the ingress serves the new certificate once a deploy has rolled it out",
				o.verifyAddr, name, subjectOf(got), strings.Join(certSANs(got), ", "), sum, day(got.NotAfter), want))
		}
	}
	return served, errors.Join(problems...)
}

// servedLeaf returns the leaf certificate the server at addr presents for
// name. The chain is deliberately not verified here: the served leaf is
// compared byte for byte with the wanted one, which is stricter, and works
// without the internal CA on the controller.
func servedLeaf(ctx context.Context, d modules.Dialer, addr, name string, timeout time.Duration) (*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot connect: %w", err)
	}
	defer raw.Close()
	conn := tls.Client(raw, &tls.Config{ServerName: name, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12})
	if err := conn.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake failed: %w", err)
	}
	certs := conn.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, fmt.Errorf("the server presented no certificate")
	}
	return certs[0], nil
}
