// Package kube is the Kubernetes facade the cluster modules share (kurl,
// kots_upload, keycloak_user, limits): a client for the cluster on a host,
// carried over the host's connection, with typed Get, List, Create and
// Update. It is a library, not a module: it registers nothing.
package kube

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/modules"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultKubeconfig is where kURL writes the cluster-admin kubeconfig.
const DefaultKubeconfig = "/etc/kubernetes/admin.conf"

// ErrNoCluster means the host has no cluster yet (no kubeconfig). In check
// mode on a fresh site that is expected: the kurl task before would create
// it, so a module plans its work instead of failing.
var ErrNoCluster = errors.New("the cluster is not installed yet")

// Client is a client for the Kubernetes cluster on a host. All API traffic,
// port-forward and exec included, is carried over the host's connection
// (SSH): nothing but SSH has to be reachable from the operator's machine.
//
// Modules read through Get and List and write through Create, Update and
// UpdateStatus (kube_objects.go), which take the gate's modules.Writer and the
// k8s.io/api structs; any other mutating request is refused. Kube deliberately has
// no typed clientset: k8s.io/client-go/kubernetes and its all-groups scheme
// double ferry's memory at start (docs/benchmarks.md).
type Client struct {
	Config *rest.Config
	API    rest.Interface
	relay  *relay
}

// For returns the cluster client of h, built once per host and
// kubeconfig path and cached for the run. The kubeconfig is read on the host
// (with become when the task has it: admin.conf is root's); its credentials
// are registered as secrets so that no output shows them.
func For(ctx context.Context, h *modules.Host, kubeconfig string) (*Client, error) {
	if kubeconfig == "" {
		kubeconfig = DefaultKubeconfig
	}
	key := "kube:" + kubeconfig
	if h.Cache != nil {
		if k, ok := h.Cache.Load(key); ok {
			return k.(*Client), nil
		}
	}
	k, err := newClient(ctx, h, kubeconfig)
	if err != nil {
		return nil, err
	}
	if h.Cache != nil {
		if prev, loaded := h.Cache.LoadOrStore(key, k); loaded {
			k.relay.close()
			return prev.(*Client), nil
		}
	}
	return k, nil
}

func newClient(ctx context.Context, h *modules.Host, kubeconfig string) (*Client, error) {
	out, err := h.Query(ctx, modules.Command{Argv: []string{"cat", kubeconfig}, Become: h.Become})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", kubeconfig, err)
	}
	if out.RC != 0 && strings.Contains(out.Stderr, "No such file") {
		return nil, fmt.Errorf("%w: %s does not exist on %s", ErrNoCluster, kubeconfig, h.Name)
	}
	if out.RC != 0 {
		return nil, fmt.Errorf("cannot read the cluster's kubeconfig %s on %s: %s (is the cluster installed? does the task need become: true?)",
			kubeconfig, h.Name, strings.TrimSpace(out.Stderr))
	}
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(out.Stdout))
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s on %s: %w", kubeconfig, h.Name, err)
	}
	registerKubeSecrets(h, cfg)
	// One client serves every task of the run; client-go's default of 5
	// requests a second would make later tasks wait on earlier ones.
	cfg.QPS, cfg.Burst = 50, 100
	// A client built by a probe cannot mutate: Create, Update and
	// UpdateStatus take the modules.Writer, whose context lets them through.
	cfg.WrapTransport = func(rt http.RoundTripper) http.RoundTripper { return modules.ReadOnlyTransport(rt, nil) }
	dialer, ok := h.Dialer()
	if !ok {
		return nil, fmt.Errorf("the connection to %s cannot carry Kubernetes traffic", h.Name)
	}
	rl, err := relayTo(cfg, dialer)
	if err != nil {
		return nil, err
	}
	api, err := restClientFor(cfg)
	if err != nil {
		rl.close()
		return nil, err
	}
	return &Client{Config: cfg, API: api, relay: rl}, nil
}

func registerKubeSecrets(h *modules.Host, cfg *rest.Config) {
	h.AddSecret(cfg.BearerToken)
	h.AddSecret(cfg.Password)
	h.AddSecret(string(cfg.KeyData))
}

// relay is a local TCP listener whose connections are carried to the API
// server through the host's connection, like `ssh -L`. client-go's
// port-forward and exec ignore rest.Config.Dial, so a relay is the one way
// that every client-go path travels over SSH. TLS still verifies the API
// server: ServerName keeps the address the certificate was issued for.
type relay struct {
	ln     net.Listener
	target string
	dialer modules.Dialer
	once   sync.Once
}

func relayTo(cfg *rest.Config, dialer modules.Dialer) (*relay, error) {
	u, err := url.Parse(cfg.Host)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("kubeconfig server %q is not a URL", cfg.Host)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "443")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &relay{ln: ln, target: target, dialer: dialer}
	go r.serve()
	if cfg.TLSClientConfig.ServerName == "" {
		cfg.TLSClientConfig.ServerName = u.Hostname()
	}
	cfg.Host = "https://" + ln.Addr().String()
	return r, nil
}

func (r *relay) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		go r.pipe(c)
	}
}

func (r *relay) pipe(local net.Conn) {
	defer local.Close()
	remote, err := r.dialer.DialContext(context.Background(), "tcp", r.target)
	if err != nil {
		return
	}
	defer remote.Close()
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(remote, local); done <- struct{}{} }()
	go func() { _, _ = io.Copy(local, remote); done <- struct{}{} }()
	<-done
}

func (r *relay) close() {
	if r != nil {
		r.once.Do(func() { r.ln.Close() })
	}
}

// planWithoutCluster is what a cluster module does on a fresh site: in
// check mode the kurl task before it would create the cluster, so there is
// nothing to read yet and the gate plans what the module would do (Plan); in
// a real run ErrNoCluster stands. ok is false when err is another error or
// none, which then stands.
func PlanWithoutCluster(h *modules.Host, err error, would string) (res modules.Result, ok bool, _ error) {
	if !errors.Is(err, ErrNoCluster) {
		return modules.Result{}, false, nil
	}
	what := would + " (once the cluster exists: it is not installed yet)"
	if err := h.Plan(what, err); err != nil {
		return modules.Result{}, true, err
	}
	return modules.Result{Msg: what, Data: map[string]any{"cluster": "not installed yet"}}, true, nil
}
