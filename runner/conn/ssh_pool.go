package conn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ErrUnreachable is matched (errors.Is) by every error that makes a host
// unreachable: connect failure, refused login, refused host key, lost
// connection. The runner marks such hosts UNREACHABLE, as Ansible does.
var ErrUnreachable = errors.New("host unreachable")

// UnreachableError carries the host and the cause.
type UnreachableError struct {
	Host string // inventory name
	Err  error
}

func (e *UnreachableError) Error() string { return e.Err.Error() }

// Unwrap gives both ErrUnreachable and the cause to errors.Is and errors.As.
func (e *UnreachableError) Unwrap() []error { return []error{ErrUnreachable, e.Err} }

func unreachable(cfg SSHConfig, err error) error {
	var u *UnreachableError
	if errors.As(err, &u) {
		return err
	}
	return &UnreachableError{Host: cfg.Name, Err: err}
}

// DefaultKeepAlive is the interval of keepalive@openssh.com requests.
const DefaultKeepAlive = 15 * time.Second

// PoolOptions tune a Pool; the zero value is what ferry uses.
type PoolOptions struct {
	// KeepAlive is the keep-alive interval (DefaultKeepAlive when zero). A
	// link is declared dead when a keep-alive gets no answer within two
	// intervals.
	KeepAlive time.Duration
	// AskPassphrase asks for the passphrase of an encrypted key file when no
	// ferry_ssh_key_passphrase_env is set; nil asks on the terminal when
	// stdin is one, and fails with what to do otherwise.
	AskPassphrase func(keyFile string) (string, error)
}

// Pool holds one SSH connection per endpoint for the whole run. Bastions are
// pooled too, so fifty hosts behind one bastion share one connection to it.
// It is safe for concurrent use.
type Pool struct {
	opts PoolOptions

	mu      sync.Mutex
	conns   map[string]*poolEntry
	closed  bool
	holders holdersOf // for Reset and Release (ssh_reset.go)

	passMu      sync.Mutex
	passphrases map[string]string

	knownHosts knownHostsCache
}

type poolEntry struct {
	mu   sync.Mutex // held while dialling, so one dial serves all waiters
	conn *SSH
}

// NewPool returns an empty pool.
func NewPool(opts PoolOptions) *Pool {
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = DefaultKeepAlive
	}
	return &Pool{opts: opts, conns: map[string]*poolEntry{}, passphrases: map[string]string{}}
}

// Get returns the connection for cfg's endpoint, dialling it (and its
// bastions) when there is none or the previous one was lost. Failures to
// reach or log in are *UnreachableError.
func (p *Pool) Get(ctx context.Context, cfg SSHConfig) (*SSH, error) {
	cfg = withDefaults(cfg)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, errors.New("ssh: connection pool is closed")
	}
	e := p.conns[cfg.Endpoint()]
	if e == nil {
		e = &poolEntry{}
		p.conns[cfg.Endpoint()] = e
	}
	p.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn != nil && e.conn.alive() {
		p.hold(e.conn)
		return e.conn, nil
	}
	client, err := p.dial(ctx, cfg)
	if err != nil && ctx.Err() != nil {
		return nil, err // the run was stopped: that says nothing about the host
	}
	if err != nil {
		return nil, unreachable(cfg, err)
	}
	e.conn = newSSH(client, cfg, p.opts.KeepAlive)
	p.hold(e.conn)
	return e.conn, nil
}

// Close ends every pooled connection.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.conns
	p.conns = map[string]*poolEntry{}
	retired := p.retiredHeld()
	p.mu.Unlock()
	var errs []error
	for _, s := range retired {
		if err := s.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for _, e := range entries {
		e.mu.Lock()
		if e.conn != nil {
			if err := e.conn.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				errs = append(errs, err)
			}
		}
		e.mu.Unlock()
	}
	return errors.Join(errs...)
}

func withDefaults(cfg SSHConfig) SSHConfig {
	if cfg.Port == 0 {
		cfg.Port = 22
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.HostKeyChecking == "" {
		cfg.HostKeyChecking = HostKeyStrict
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Host
	}
	return cfg
}

// dial connects to cfg, through its last bastion (itself pooled, reached
// through the bastions before it) when it has any.
func (p *Pool) dial(ctx context.Context, cfg SSHConfig) (*ssh.Client, error) {
	var via *ssh.Client
	if n := len(cfg.ProxyJump); n > 0 {
		bastion := cfg.ProxyJump[n-1]
		bastion.ProxyJump = cfg.ProxyJump[:n-1]
		b, err := p.Get(ctx, bastion)
		if err != nil {
			return nil, fmt.Errorf("%w (bastion for %s)", err, hostPort(cfg))
		}
		via = b.client
	}
	return p.dialOne(ctx, cfg, via)
}

// dialOne opens the TCP connection (directly or through via), verifies the
// host key and logs in, all within cfg.ConnectTimeout.
func (p *Pool) dialOne(ctx context.Context, cfg SSHConfig, via *ssh.Client) (*ssh.Client, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	addr := hostPort(cfg)
	var conn net.Conn
	var err error
	if via == nil {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		conn, err = via.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("ssh: cannot connect to %s: %w%s", addr, err, timeoutHint(ctx, cfg))
	}
	keys, err := newHostKeyChecker(cfg, &p.knownHosts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	auth := newAuthFlow(p, cfg)
	defer auth.close()
	clientCfg := &ssh.ClientConfig{
		User:              cfg.User,
		AuthCallback:      auth.callback,
		HostKeyCallback:   keys.check,
		HostKeyAlgorithms: keys.algorithms(),
	}
	// A handshake has no context: closing the connection ends it.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	sconn, chans, reqs, err := ssh.NewClientConn(conn, addr, clientCfg)
	if !stop() {
		if err == nil {
			sconn.Close()
		}
		return nil, fmt.Errorf("ssh: connecting to %s: %w%s", addr, ctx.Err(), timeoutHint(ctx, cfg))
	}
	switch {
	case err == nil:
		return ssh.NewClient(sconn, chans, reqs), nil
	case keys.err != nil:
		return nil, keys.err
	case auth.fatal != nil:
		return nil, auth.fatal
	case strings.Contains(err.Error(), "unable to authenticate"):
		return nil, auth.failure()
	}
	return nil, fmt.Errorf("ssh: handshake with %s: %w", addr, err)
}

func timeoutHint(ctx context.Context, cfg SSHConfig) string {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf(" (connect timeout %s: raise ansible_timeout if the host is slow)", cfg.ConnectTimeout)
	}
	return ""
}

func hostPort(cfg SSHConfig) string {
	return net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
}
