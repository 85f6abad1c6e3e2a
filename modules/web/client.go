// Package web holds uri and get_url. Their requests leave from the host, as
// Ansible's do (the module runs there): ferry opens each TCP connection from
// the host's side of the SSH link (the connection's Dialer, a direct-tcpip
// channel), so names resolve and routes go as the host sees them, and
// speaks HTTP and TLS itself. Nothing is needed on the host (no curl, no
// Python): that suits airgapped hosts. Certificates are the host's: the CA
// bundle, ca_path, client_cert and client_key are read from the host.
// Environment proxies (http_proxy on the host) are not used.
package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

// connOptions and agentOptions are the options both modules share, as
// Ansible's url_argument_spec declares them; each module declares timeout
// between them, with its own default.
type connOptions struct {
	URL            string         `opt:"url,required" doc:"The http:// or https:// URL, requested from the host's side."`
	Headers        map[string]any `opt:"headers,secretkeys" default:"{}" doc:"Request headers; the values of credential headers (Authorization, Cookie, *token*, *api-key*...) are secrets."`
	URLUsername    string         `opt:"url_username" aliases:"user,username" doc:"User for HTTP basic authentication."`
	URLPassword    string         `opt:"url_password,secret" aliases:"password" doc:"Password for HTTP basic authentication."`
	ForceBasicAuth bool           `opt:"force_basic_auth" default:"false" doc:"Send the credentials with the first request instead of after a 401 challenge."`
	ValidateCerts  bool           `opt:"validate_certs" default:"true" doc:"Verify the server's certificate against the host's CA bundle (and ca_path)."`
	CAPath         string         `opt:"ca_path" kind:"abspath" doc:"A PEM file on the host with more CA certificates to trust."`
	ClientCert     string         `opt:"client_cert" kind:"abspath" doc:"A PEM client certificate on the host (it may hold the key too)."`
	ClientKey      string         `opt:"client_key" kind:"abspath" doc:"The PEM private key of client_cert, on the host."`
}

type agentOptions struct {
	HTTPAgent       string `opt:"http_agent" default:"ansible-httpget" doc:"The User-Agent header."`
	UseProxy        bool   `opt:"use_proxy" default:"true" doc:"Accepted for Ansible compatibility; ferry connects directly from the host."`
	FollowRedirects string `opt:"follow_redirects" default:"safe" choices:"all,no,none,safe,urllib2,yes" doc:"Which redirects to follow: safe (GET and HEAD only), all/yes/urllib2, none/no."`
}

// request is what the client and send need of either module's options.
type request struct {
	connOptions
	agentOptions
	timeout time.Duration
}

// caBundles are where Linux distributions keep the system CA bundle.
var caBundles = []string{"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/ca-bundle.pem", "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem"}

// maxPEM bounds a certificate or key file read from the host.
const maxPEM = 4 << 20

// newClient is an HTTP client whose connections leave from the host.
func newClient(ctx context.Context, h *modules.Host, o request) (*http.Client, error) {
	dialer, ok := h.Dialer()
	if !ok {
		return nil, errors.New("this connection cannot open network connections from the host")
	}
	tlsConfig, err := hostTLS(ctx, h, o.connOptions)
	if err != nil {
		return nil, err
	}
	transport := &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tlsConfig,
		DisableKeepAlives: true, ForceAttemptHTTP2: false, ResponseHeaderTimeout: o.timeout}
	// Only a Writer's context (Host.Act) may send a request that can change
	// something.
	client := &http.Client{Transport: modules.ReadOnlyTransport(transport, nil), Timeout: o.timeout}
	follow := o.FollowRedirects
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		switch {
		case follow == "none" || follow == "no":
			return http.ErrUseLastResponse
		case follow == "safe" && via[0].Method != http.MethodGet && via[0].Method != http.MethodHead:
			return http.ErrUseLastResponse
		case len(via) >= 10:
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return client, nil
}

// hostTLS reads the trust and client certificates from the host.
func hostTLS(ctx context.Context, h *modules.Host, o connOptions) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if !o.ValidateCerts {
		cfg.InsecureSkipVerify = true // the playbook asked for it: validate_certs: false
	} else {
		pool := x509.NewCertPool()
		for _, p := range caBundles {
			if pem, err := hostRead(ctx, h, p); err == nil {
				pool.AppendCertsFromPEM(pem)
				break
			}
		}
		if p := o.CAPath; p != "" {
			pem, err := hostRead(ctx, h, p)
			if err != nil {
				return nil, fmt.Errorf("ca_path: %w", err)
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("ca_path %s holds no PEM certificate", p)
			}
		}
		cfg.RootCAs = pool
	}
	if cert := o.ClientCert; cert != "" {
		certPEM, err := hostRead(ctx, h, cert)
		if err != nil {
			return nil, fmt.Errorf("client_cert: %w", err)
		}
		keyPEM := certPEM
		if key := o.ClientKey; key != "" {
			if keyPEM, err = hostRead(ctx, h, key); err != nil {
				return nil, fmt.Errorf("client_key: %w", err)
			}
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client_cert %s and its key: %w", cert, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// hostRead reads a small file on the host, as the become user when there is
// one (a client key is often root's only).
func hostRead(ctx context.Context, h *modules.Host, path string) ([]byte, error) {
	out, err := h.Query(ctx, modules.Command{Argv: []string{"head", "-c", fmt.Sprint(maxPEM + 1), "--", path}, Become: h.Become})
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		return nil, fmt.Errorf("cannot read %s on the host: %s", path, strings.TrimSpace(out.Stderr))
	}
	if len(out.Stdout) > maxPEM {
		return nil, fmt.Errorf("%s on the host is larger than %d bytes; not a certificate", path, maxPEM)
	}
	return []byte(out.Stdout), nil
}

// send makes the request with the module's headers and credentials. Without
// force_basic_auth the credentials go only after a 401 asking for Basic, as
// urllib's HTTPBasicAuthHandler does; body is sent again then.
func send(ctx context.Context, client *http.Client, o request, method, url string, body []byte) (*http.Response, error) {
	do := func(auth bool) (*http.Response, error) {
		var r io.Reader
		if body != nil {
			r = strings.NewReader(string(body))
		}
		req, err := http.NewRequestWithContext(ctx, method, url, r)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", o.HTTPAgent)
		for k, v := range o.Headers {
			req.Header.Set(k, fmt.Sprint(v))
		}
		if auth {
			req.SetBasicAuth(o.URLUsername, o.URLPassword)
		}
		return client.Do(req)
	}
	user := o.URLUsername
	resp, err := do(user != "" && o.ForceBasicAuth)
	if err != nil || user == "" || o.ForceBasicAuth || resp.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(strings.ToLower(resp.Header.Get("WWW-Authenticate")), "basic") {
		return resp, err
	}
	resp.Body.Close()
	return do(true)
}

// responseFields are Ansible's result fields from a response's headers:
// lower case, dashes as underscores, values of a repeated header joined.
func responseFields(resp *http.Response, data map[string]any) {
	for k, vs := range resp.Header {
		data[strings.ReplaceAll(strings.ToLower(k), "-", "_")] = strings.Join(vs, ", ")
	}
	if closedByHeader(resp) {
		data["connection"] = "close"
	}
	if resp.ContentLength >= 0 {
		data["content_length"] = fmt.Sprint(resp.ContentLength)
	}
	cookies := map[string]any{}
	var parts []string
	for _, c := range resp.Cookies() {
		cookies[c.Name] = c.Value
		parts = append(parts, c.Name+"="+c.Value)
	}
	data["cookies"], data["cookies_string"] = cookies, strings.Join(parts, "; ")
}

// okMsg is urllib's message for a response: OK (N bytes) for a success,
// HTTP Error N: Reason for an error status.
func okMsg(resp *http.Response) string {
	if resp.StatusCode >= 400 {
		return fmt.Sprintf("HTTP Error %d: %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	n := "unknown"
	if v := resp.Header.Get("Content-Length"); v != "" {
		n = v
	} else if resp.ContentLength >= 0 && resp.Header.Get("Transfer-Encoding") == "" {
		n = fmt.Sprint(resp.ContentLength)
	}
	return fmt.Sprintf("OK (%s bytes)", n)
}

// isDir tells whether path is a directory on the host.
func isDir(ctx context.Context, h *modules.Host, path string) bool {
	out, err := h.Query(ctx, modules.Command{Argv: []string{"test", "-d", path}, Become: h.Become})
	return err == nil && out.RC == 0
}

// urlFileName is the file name a response is saved under in a directory:
// Content-Disposition's filename, else the URL path's last part, else def.
func urlFileName(resp *http.Response, def string) string {
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		if name := path.Base(params["filename"]); params["filename"] != "" && name != "/" && name != ".." {
			return name
		}
	}
	if name := path.Base(resp.Request.URL.Path); name != "/" && name != "." && name != "" {
		return name
	}
	return def
}

// closedByHeader reports whether an HTTP/1.1 response said "Connection:
// close", which net/http takes out of the headers once it has read it
// (resp.Close stands for it). Python's urllib keeps the header, and
// Ansible's uri returns it: connection: close, the header's usual value.
func closedByHeader(resp *http.Response) bool {
	return resp.Close && resp.ProtoAtLeast(1, 1) && resp.Header.Get("Connection") == ""
}
