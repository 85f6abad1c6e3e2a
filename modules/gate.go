package modules

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// A module sees its host through three verbs, so that a dry run cannot lie
// by construction:
//
//   - probes, methods of Host that only read: Stat, Open, Query (a command
//     that only reads: id -u, dpkg-query, cat of a kubeconfig) and Dialer (to
//     reach services on the host's side, for port probes and API clients
//     whose transport is a ReadOnlyTransport);
//   - the gate, Host.Change(what, apply): apply receives the Writer, the only
//     handle that runs a mutating command, writes a file or authorizes a
//     mutating API request. In check mode apply is never called and what
//     becomes a plan line;
//   - Host.Plan(what), a plan line for a change that cannot be probed yet (in
//     --check, the cluster a task before would have created);
//   - Host.Act(apply), the gate for an effect Ansible does not report as a
//     change (the request a uri task sends): the Writer without a plan line,
//     refused in check mode;
//   - Host.Report(what), a change the task reports that no write of its own
//     makes (a background job's, or a check-mode prediction): no Writer.
//
// Host holds its connection sealed (SealedConn), so a module, which lives
// outside this package (modules/all's tests see that none is registered
// here), cannot reach it but through these verbs: writing outside the gate
// does not compile. Every call is tagged with its origin (probe or write) so that
// a recording connection can tell a dry run's commands apart.

// SealedConn is the host's connection as Host keeps it: only this package
// can open it. The runner seals the connection it opens (Seal).
type SealedConn struct{ conn Conn }

// Seal wraps c for Host.Conn.
func Seal(c Conn) SealedConn { return SealedConn{conn: c} }

// errNoConn is what a probe or a write returns on a controller module's Host.
var errNoConn = errors.New("this task has no connection to a host")

func (h *Host) connection() (Conn, error) {
	if h.Conn.conn == nil {
		return nil, errNoConn
	}
	return h.Conn.conn, nil
}

// Stat describes path on the host (a probe).
func (h *Host) Stat(ctx context.Context, path string) (FileInfo, error) {
	c, err := h.connection()
	if err != nil {
		return FileInfo{}, err
	}
	return c.Stat(withOrigin(ctx, OriginProbe), path)
}

// Open reads a file on the host as a stream (a probe).
func (h *Host) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	c, err := h.connection()
	if err != nil {
		return nil, err
	}
	return c.Open(withOrigin(ctx, OriginProbe), path)
}

// Query runs a command that only reads (id -u, stat, dpkg-query, cat of a
// kubeconfig). It runs in check mode too: a command that changes anything
// belongs in a Change, run by its Writer.
func (h *Host) Query(ctx context.Context, cmd Command) (Output, error) {
	c, err := h.connection()
	if err != nil {
		return Output{}, err
	}
	return c.Run(withOrigin(ctx, OriginProbe), cmd)
}

// Dialer opens TCP connections from the host's side of the link (through
// SSH for a remote host), when the connection can: for port probes, TLS
// handshakes and API clients. An HTTP client over it must use a
// ReadOnlyTransport, so that only a Writer can make it change anything.
func (h *Host) Dialer() (Dialer, bool) {
	d, ok := h.Conn.conn.(Dialer)
	return d, ok
}

// Change is the one gate for every change a module makes to a host. In check
// mode it records what as a plan line and does not call apply; otherwise it
// calls apply with the Writer, valid until apply returns. Either way the
// task reports changed, so the dry run and the real run cannot disagree
// about what would change.
func (h *Host) Change(what string, apply func(w Writer) error) error {
	h.record(what, h.Check)
	if h.Check {
		return nil
	}
	if err := h.withWriter(apply); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Report records a change that no write of this task makes but that the
// task reports, as Ansible's module does: a change a background job made
// when it ran (async_status), a setting Ansible counts as changed though
// nothing is written (the running SELinux policy), or, in check mode, what
// a module predicts before its Change would run. It is a plan line in
// check mode and the task's changed either way; it grants no Writer.
func (h *Host) Report(what string) { h.record(what, h.Check) }

// ErrCheckMode is Act's answer in check mode.
var ErrCheckMode = errors.New("an effect that cannot be planned was refused in check mode")

// Act is the gate for an effect that Ansible does not report as a change: a
// uri task's POST reports changed=false unless changed_when says otherwise.
// apply gets the Writer as in Change, but nothing is recorded, so the task's
// changed stays the module's to say. In check mode Act refuses: a module
// that acts declares check mode unsupported (Spec.Check), and the runner
// skips it there.
func (h *Host) Act(apply func(w Writer) error) error {
	if h.Check {
		return ErrCheckMode
	}
	return h.withWriter(apply)
}

// withWriter calls apply with a Writer that is live until apply returns.
func (h *Host) withWriter(apply func(w Writer) error) error {
	w := Writer{h: h, live: new(atomic.Bool)}
	w.live.Store(true)
	defer w.live.Store(false)
	return apply(w)
}

// Plan is the gate for a change that cannot be probed yet, because of cause:
// in --check, work on a cluster that an earlier task of the dry run would
// have created, a file into a directory it would have made. In check mode it
// records what as a plan line (the task reports changed) and returns nil; in
// a real run the change cannot be made, and it returns cause.
func (h *Host) Plan(what string, cause error) error {
	if !h.Check {
		return cause
	}
	h.record(what, true)
	return nil
}

func (h *Host) record(what string, only bool) {
	h.mu.Lock()
	h.planned = append(h.planned, what)
	h.onlyPlanned = h.onlyPlanned || only
	h.mu.Unlock()
}

// pending reports whether a change of this task was planned and not made:
// then the host does not show it, and a module reports the state it
// predicted instead of reading the host back.
func (h *Host) pending() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.onlyPlanned
}

// Changes returns the changes made (or, in check mode, planned) so far.
func (h *Host) Changes() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.planned...)
}

// Writer is the only handle that changes a host: it exists only inside
// Host.Change's apply, never in check mode, and refuses everything once
// apply has returned (a module cannot keep it for later). The zero Writer
// refuses too.
type Writer struct {
	h    *Host
	live *atomic.Bool
}

// ErrOutsideGate is the error of a change attempted without a live Writer.
var ErrOutsideGate = errors.New("a change outside the gate (Host.Change) was refused")

func (w Writer) connection() (Conn, error) {
	if w.h == nil || !w.live.Load() {
		return nil, ErrOutsideGate
	}
	return w.h.connection()
}

// Run runs a command that may change the host.
func (w Writer) Run(ctx context.Context, cmd Command) (Output, error) {
	c, err := w.connection()
	if err != nil {
		return Output{}, err
	}
	return c.Run(w.Context(ctx), cmd)
}

// Context returns ctx carrying the Writer's permission: an API request made
// with it passes a ReadOnlyTransport (client-go and gocloak pass their
// context to the request). The permission ends with the Change.
func (w Writer) Context(ctx context.Context) context.Context {
	ctx = withOrigin(ctx, OriginWrite)
	return context.WithValue(ctx, writerKey{}, w)
}

// Origin says which verb a request to the host came from, for a connection
// that records them (the gate test): a probe, the Writer, or "" for neither.
type Origin string

const (
	OriginProbe Origin = "probe"
	OriginWrite Origin = "write"
)

type originKey struct{}
type writerKey struct{}

func withOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginOf returns the verb that made a request with ctx.
func OriginOf(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// mayWrite reports whether ctx carries a live Writer's permission.
func mayWrite(ctx context.Context) bool {
	w, ok := ctx.Value(writerKey{}).(Writer)
	return ok && w.h != nil && w.live.Load()
}

// ReadOnlyTransport wraps rt so that a request that may change something
// (any method but GET, HEAD and OPTIONS) is refused with ErrOutsideGate
// unless its context comes from Writer.Context, or readOnly declares it a
// read (Keycloak's token endpoint is a POST that only reads). Every API
// client a module builds on the host's services goes through one, so a
// client built by a probe cannot mutate.
func ReadOnlyTransport(rt http.RoundTripper, readOnly func(*http.Request) bool) http.RoundTripper {
	return guardTransport{rt: rt, readOnly: readOnly}
}

type guardTransport struct {
	rt       http.RoundTripper
	readOnly func(*http.Request) bool
}

func (g guardTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, "":
		return g.rt.RoundTrip(req)
	}
	if mayWrite(req.Context()) || g.readOnly != nil && g.readOnly(req) {
		return g.rt.RoundTrip(req)
	}
	if req.Body != nil {
		req.Body.Close() // RoundTrip must close the body, also on error
	}
	return nil, fmt.Errorf("%w: %s %s is a mutating request; make it inside Change with the Writer's context", ErrOutsideGate, req.Method, req.URL.Redacted())
}
