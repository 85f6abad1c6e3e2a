package web

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ferry-sh/ferry/internal/modtest"
	"github.com/ferry-sh/ferry/modules"
)

// uri's requests reach the server only through the gate: its client refuses
// a POST made without a Writer's context, and the module's own POST goes
// through Host.Act, reported unchanged as Ansible reports it.
func TestURIRequestsGoThroughTheGate(t *testing.T) {
	var posts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			posts.Add(1)
		}
	}))
	defer srv.Close()
	h := modtest.SSHHost(t)
	raw := map[string]any{"url": srv.URL + "/things", "method": "POST", "body": "{}"}
	o, err := modules.Decode[uriOptions](raw)
	if err != nil {
		t.Fatal(err)
	}
	client, err := newClient(context.Background(), h, o.request())
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/things", strings.NewReader("{}"))
	if _, err := client.Do(req); !errors.Is(err, modules.ErrOutsideGate) {
		t.Errorf("a POST outside the gate: %v", err)
	}
	res, changes := modtest.MustRun(t, h, "uri", raw)
	if posts.Load() != 1 || res.Failed || len(changes) != 0 {
		t.Errorf("uri POST: server saw %d posts, failed %v (%s), plan %v; want 1, ok, no change", posts.Load(), res.Failed, res.Msg, changes)
	}
}
