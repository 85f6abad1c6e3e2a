package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestURLLookupAgainstAnsible runs lookup('url') against a loopback HTTP
// and HTTPS server through ferry and ansible-playbook and compares the
// whole output: lines, split_lines, headers, basic auth (on the server's
// challenge and forced), redirects, validate_certs, and the failures
// (a 404, an untrusted certificate, a 401, a closed port).
func TestURLLookupAgainstAnsible(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "line1\nline2\r\nline3") })
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"a": 1, "b": [true, null]}`) })
	mux.HandleFunc("/headers", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s", r.Header.Get("X-Test"), r.Header.Get("User-Agent"))
	})
	mux.HandleFunc("/auth", func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); ok && user == "ann" && pw == "pw" {
			fmt.Fprint(w, "welcome")
			return
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/text", http.StatusFound) })
	plain := httptest.NewServer(mux)
	defer plain.Close()
	tlsSrv := httptest.NewTLSServer(mux)
	defer tlsSrv.Close()

	dir, err := filepath.Abs("testdata")
	must(t, err)
	inv := filepath.Join(t.TempDir(), "inventory.ini")
	must(t, os.WriteFile(inv, []byte("localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n"), 0o644))
	c := comparison{dir: dir, playbook: "url-lookup.yml", inventory: inv, args: []string{"-e", "base=" + plain.URL, "-e", "tls=" + tlsSrv.URL}}
	_, stdout, stderr, work := c.ferry(t)
	got := normalizeOutput(stdout, dir, work)
	_, want, awork, ran := c.ansible(t)
	if !ran {
		t.Skip("ansible-playbook is not installed")
	}
	if !strings.Contains(got, "PLAY RECAP") {
		t.Fatalf("ferry did not run the playbook:\n%s%s", got, stderr)
	}
	if want = normalizeOutput(want, dir, awork); got != want {
		t.Errorf("ferry's output differs from ansible-playbook's:\n%s\nstderr:\n%s", lineDiff(got, want), stderr)
	}
}
