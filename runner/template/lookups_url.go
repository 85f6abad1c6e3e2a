package template

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
)

// The url lookup fetches a URL from the controller, as Ansible's
// lib/ansible/plugins/lookup/url.py does with open_url: each term's body,
// split into lines unless split_lines=False.

func init() {
	lookupPlugins["url"] = lookupSpec{kw: urlOptions, run: lookupURL}
}

var urlOptions = []string{"validate_certs", "split_lines", "use_proxy", "username", "password", "headers", "force",
	"timeout", "http_agent", "force_basic_auth", "follow_redirects", "ca_path", "unredirected_headers",
	"use_gssapi", "use_netrc", "unix_socket", "ciphers"}

// maxURLBody bounds what one url lookup reads into memory.
const maxURLBody = maxStringLen

func lookupURL(c *lookupCall, terms []any) ([]any, error) {
	for _, name := range []string{"use_gssapi", "unix_socket", "ciphers"} {
		if truthy(c.kw[name]) {
			return nil, fmt.Errorf("lookup('url'): %s is not supported by ferry (fetch the file with get_url on a host instead)", name)
		}
	}
	client, err := c.urlClient()
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, t := range terms {
		body, err := c.fetchURL(client, pyStr(t))
		if err != nil {
			return nil, err
		}
		if !c.option("split_lines", true) {
			out = append(out, strings.ToValidUTF8(string(body), "\uFFFD"))
			continue
		}
		for _, line := range splitByteLines(body) {
			out = append(out, strings.ToValidUTF8(line, "\uFFFD"))
		}
	}
	return out, nil
}

// option is a boolean keyword argument with its default.
func (c *lookupCall) option(name string, def bool) bool {
	v, ok := c.kw[name]
	if !ok || v == nil {
		return def
	}
	b, _ := fBool(v, &fargs{})
	return b.(bool)
}

// urlClient is the HTTP client the options ask for: certificates checked
// against the system's roots and ca_path unless validate_certs=False,
// proxies from the environment unless use_proxy=False, redirects followed
// as follow_redirects says.
func (c *lookupCall) urlClient() (*http.Client, error) {
	tlsConf := &tls.Config{InsecureSkipVerify: !c.option("validate_certs", true)} //nolint:gosec // validate_certs=False asks for it
	if caPath, ok := c.kw["ca_path"]; ok && caPath != nil {
		pem, err := os.ReadFile(pyStr(caPath))
		if err != nil {
			return nil, fmt.Errorf("lookup('url'): ca_path: %v", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("lookup('url'): ca_path %s holds no PEM certificate", pyStr(caPath))
		}
		tlsConf.RootCAs = pool
	}
	transport := &http.Transport{TLSClientConfig: tlsConf}
	if c.option("use_proxy", true) {
		transport.Proxy = http.ProxyFromEnvironment
	}
	timeout := 10 * time.Second
	if t, ok := c.kw["timeout"]; ok && t != nil {
		_, secs, _, isNum := number(t)
		if !isNum || secs <= 0 {
			return nil, fmt.Errorf("lookup('url'): timeout must be a positive number of seconds, not %s", pyRepr(t))
		}
		timeout = time.Duration(secs * float64(time.Second))
	}
	redirect, err := redirectPolicy(pyStr(c.kwOr("follow_redirects", "urllib2")))
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: transport, Timeout: timeout, CheckRedirect: redirect}, nil
}

func (c *lookupCall) kwOr(name string, def any) any {
	if v, ok := c.kw[name]; ok && v != nil {
		return v
	}
	return def
}

// redirectPolicy is open_url's follow_redirects: urllib2, all, yes and
// safe follow (safe only GET and HEAD, which is all a lookup sends); none,
// no and false do not.
func redirectPolicy(mode string) (func(*http.Request, []*http.Request) error, error) {
	switch strings.ToLower(mode) {
	case "urllib2", "all", "yes", "safe", "true":
		return nil, nil
	case "none", "no", "false":
		return func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, nil
	}
	return nil, fmt.Errorf("lookup('url'): follow_redirects must be one of urllib2, all, safe, none, not '%s'", mode)
}

// fetchURL GETs url with the options' headers and credentials.
func (c *lookupCall) fetchURL(client *http.Client, url string) ([]byte, error) {
	req, err := c.urlRequest(url, c.option("force_basic_auth", false))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized && c.kw["username"] != nil && req.Header.Get("Authorization") == "" {
		resp.Body.Close() // as urllib's basic auth handler: the credentials answer the server's challenge
		if req, err = c.urlRequest(url, true); err == nil {
			resp, err = client.Do(req)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("Failed lookup url for %s : %v", url, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, fmt.Errorf("Received HTTP error for %s : HTTP Error %d: %s", url, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxURLBody+1))
	if err != nil {
		return nil, fmt.Errorf("Failed lookup url for %s : %v", url, err)
	}
	if len(body) > maxURLBody {
		return nil, fmt.Errorf("lookup('url'): %s is larger than %d bytes (fetch it with get_url instead)", url, maxURLBody)
	}
	return body, nil
}

func (c *lookupCall) urlRequest(url string, basicAuth bool) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("Failed lookup url for %s : %v", url, err)
	}
	req.Header.Set("User-Agent", pyStr(c.kwOr("http_agent", "ansible-httpget")))
	if c.option("force", false) {
		req.Header.Set("Cache-control", "no-cache")
	}
	if h, ok := c.kw["headers"]; ok && h != nil {
		m, isMap := asMap(h)
		if !isMap {
			return nil, fmt.Errorf("lookup('url'): headers must be a dictionary, not '%s'", typeName(h))
		}
		for _, k := range dictKeys(m) {
			req.Header.Set(k, pyStr(m[k]))
		}
	}
	if user, ok := c.kw["username"]; ok && user != nil && basicAuth {
		req.SetBasicAuth(pyStr(user), pyStr(c.kwOr("password", "")))
	}
	return req, nil
}

// splitByteLines is Python's bytes.splitlines(): \n, \r and \r\n end a line.
func splitByteLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			out = append(out, string(b))
			break
		}
		out = append(out, string(b[:i]))
		if b[i] == '\r' && i+1 < len(b) && b[i+1] == '\n' {
			i++
		}
		b = b[i+1:]
	}
	return out
}
