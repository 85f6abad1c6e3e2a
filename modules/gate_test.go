package modules_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// A module outside this package cannot write around the gate: Host.Conn is a
// SealedConn with no methods, and the only Writer is the one Change passes
// to apply. These lines do not compile, which is the point (no test can
// show it better than the compiler):
//
//	h.Conn.Run(ctx, cmd)                 // SealedConn has no Run
//	modules.Writer{}.Run(ctx, cmd)       // compiles, and refuses: ErrOutsideGate
//	k.Create(ctx, kube.Secrets, s)       // Create needs a Writer

// recordingConn records which verb each request came from.
type recordingConn struct {
	modules.Conn
	origins []modules.Origin
}

func (c *recordingConn) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	c.origins = append(c.origins, modules.OriginOf(ctx))
	return c.Conn.Run(ctx, cmd)
}

func TestGateCheckModeNeverApplies(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "made")
	rec := &recordingConn{Conn: conn.NewLocal()}
	h := &modules.Host{Name: "local", Conn: modules.Seal(rec), Check: true}
	ctx := context.Background()
	if _, err := h.Query(ctx, modules.Command{Argv: []string{"true"}}); err != nil {
		t.Fatal(err)
	}
	err := h.Change("touch "+marker, func(w modules.Writer) error {
		_, err := w.Run(ctx, modules.Command{Argv: []string{"touch", marker}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Errorf("check mode ran apply")
	}
	if got := h.Changes(); len(got) != 1 || got[0] != "touch "+marker {
		t.Errorf("plan = %v", got)
	}
	if len(rec.origins) != 1 || rec.origins[0] != modules.OriginProbe {
		t.Errorf("origins = %v, want one probe", rec.origins)
	}

	h.Check = false
	if err := h.Change("touch "+marker, func(w modules.Writer) error {
		_, err := w.Run(ctx, modules.Command{Argv: []string{"touch", marker}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("a real run did not apply: %v", err)
	}
	if last := rec.origins[len(rec.origins)-1]; last != modules.OriginWrite {
		t.Errorf("the Writer's command came as %q", last)
	}
}

func TestWriterRefusesOutsideItsChange(t *testing.T) {
	ctx := context.Background()
	h := &modules.Host{Name: "local", Conn: modules.Seal(conn.NewLocal())}
	if _, err := (modules.Writer{}).Run(ctx, modules.Command{Argv: []string{"true"}}); !errors.Is(err, modules.ErrOutsideGate) {
		t.Errorf("the zero Writer ran a command: %v", err)
	}
	var kept modules.Writer
	if err := h.Change("keep the writer", func(w modules.Writer) error { kept = w; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Run(ctx, modules.Command{Argv: []string{"true"}}); !errors.Is(err, modules.ErrOutsideGate) {
		t.Errorf("a Writer kept after its Change ran a command: %v", err)
	}
}

func TestPlanIsCheckModeOnly(t *testing.T) {
	cause := errors.New("no cluster yet")
	h := &modules.Host{Check: true}
	if err := h.Plan("install the app", cause); err != nil || len(h.Changes()) != 1 {
		t.Errorf("check mode: %v, plan %v", err, h.Changes())
	}
	h = &modules.Host{}
	if err := h.Plan("install the app", cause); !errors.Is(err, cause) || len(h.Changes()) != 0 {
		t.Errorf("real run: %v, plan %v; want the cause and no change", err, h.Changes())
	}
}

// A client built by a probe cannot mutate: its ReadOnlyTransport refuses
// POST, PUT, PATCH and DELETE unless the request's context is the live
// Writer's, or the request is declared a read (a login).
func TestReadOnlyTransport(t *testing.T) {
	var reached []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = append(reached, r.Method+" "+r.URL.Path)
	}))
	defer srv.Close()
	isLogin := func(r *http.Request) bool { return r.URL.Path == "/token" }
	client := &http.Client{Transport: modules.ReadOnlyTransport(http.DefaultTransport, isLogin)}
	send := func(ctx context.Context, method, path string) error {
		req, _ := http.NewRequestWithContext(ctx, method, srv.URL+path, strings.NewReader("{}"))
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	ctx := context.Background()
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if err := send(ctx, m, "/things"); !errors.Is(err, modules.ErrOutsideGate) || !strings.Contains(err.Error(), "mutating request") {
			t.Errorf("%s outside the gate: %v", m, err)
		}
	}
	if err := send(ctx, http.MethodGet, "/things"); err != nil {
		t.Errorf("GET: %v", err)
	}
	if err := send(ctx, http.MethodPost, "/token"); err != nil {
		t.Errorf("the declared read-only POST: %v", err)
	}
	h := &modules.Host{}
	var kept modules.Writer
	if err := h.Change("post", func(w modules.Writer) error { kept = w; return send(w.Context(ctx), http.MethodPost, "/things") }); err != nil {
		t.Errorf("POST with the Writer's context: %v", err)
	}
	if err := send(kept.Context(ctx), http.MethodDelete, "/things"); !errors.Is(err, modules.ErrOutsideGate) {
		t.Errorf("DELETE with a Writer kept after its Change: %v", err)
	}
	want := []string{"GET /things", "POST /token", "POST /things"}
	if strings.Join(reached, ",") != strings.Join(want, ",") {
		t.Errorf("the server saw %v, want %v", reached, want)
	}
	h.Check = true
	if err := h.Change("post", func(w modules.Writer) error { return send(w.Context(ctx), http.MethodPost, "/things") }); err != nil || len(reached) != 3 {
		t.Errorf("check mode sent a request: %v, %v", err, reached)
	}
}

// Act hands the Writer without recording a change, and refuses in check
// mode: the request a uri task sends.
func TestActWritesWithoutReportingAChange(t *testing.T) {
	h := &modules.Host{}
	var kept modules.Writer
	live := false
	if err := h.Act(func(w modules.Writer) error {
		kept, live = w, modules.MayWrite(w.Context(context.Background()))
		return nil
	}); err != nil || !live {
		t.Fatalf("Act: %v, writer live inside: %v", err, live)
	}
	if len(h.Changes()) != 0 {
		t.Errorf("Act recorded a change: %v", h.Changes())
	}
	if modules.MayWrite(kept.Context(context.Background())) {
		t.Error("the Writer outlived its Act")
	}
	h.Check = true
	called := false
	if err := h.Act(func(modules.Writer) error { called = true; return nil }); !errors.Is(err, modules.ErrCheckMode) || called {
		t.Errorf("Act in check mode: %v, apply called: %v", err, called)
	}
}
