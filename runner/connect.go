package runner

import (
	"context"
	"errors"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// Connector opens hosts' connections for a run and closes them at its end.
type Connector interface {
	// Open returns the connection to host, given its variables
	// (ansible_connection, ansible_host, ansible_user...).
	Open(ctx context.Context, host string, vars map[string]any) (modules.Conn, error)
	Close() error
}

// Connections is the default Connector: the local machine for
// ansible_connection=local, otherwise one pooled SSH connection per host
// (and per bastion) for the whole run.
type Connections struct {
	pool *conn.Pool
}

// NewConnections returns the default connector.
func NewConnections(opts conn.PoolOptions) *Connections {
	return &Connections{pool: conn.NewPool(opts)}
}

// Open implements Connector.
func (c *Connections) Open(ctx context.Context, host string, vars map[string]any) (modules.Conn, error) {
	kind, err := conn.ConnectionType(vars)
	if err != nil {
		return nil, err
	}
	if kind == "local" {
		return conn.NewLocal(), nil
	}
	cfg, err := conn.SSHConfigFromVars(host, vars, "") // "": the user's ~/.ssh/config

	if err != nil {
		return nil, err
	}
	return c.pool.Get(ctx, cfg)
}

// Close ends every connection of the run.
func (c *Connections) Close() error { return c.pool.Close() }

// isUnreachable reports whether err means the host could not be reached.
func isUnreachable(err error) bool { return errors.Is(err, conn.ErrUnreachable) }

// Reset ends a host's connection for meta: reset_connection: a pooled SSH
// connection is retired for every host that shares it, and closed once
// none holds it (conn.Pool.Reset), so that no other host's running
// command is cut.
func (c *Connections) Reset(mc modules.Conn) error {
	if s, ok := mc.(*conn.SSH); ok {
		return c.pool.Reset(s)
	}
	return mc.Close()
}

// Release gives up a host's hold on a connection another host retired.
func (c *Connections) Release(mc modules.Conn) error {
	if s, ok := mc.(*conn.SSH); ok {
		return c.pool.Release(s)
	}
	return nil
}

// resetter is a Connector whose connections hosts may share (Connections).
type resetter interface {
	Reset(modules.Conn) error
	Release(modules.Conn) error
}

// resetConn ends c for one host, leaving it to the hosts that share it.
func (r *Runner) resetConn(c modules.Conn) {
	if rs, ok := r.opts.Connect.(resetter); ok {
		_ = rs.Reset(c)
		return
	}
	_ = c.Close()
}

// retiredConn reports whether another host sharing c reset it: the host
// moves to a new connection before its next task.
func retiredConn(c modules.Conn) bool {
	rc, ok := c.(interface{ Retired() bool })
	return ok && rc.Retired()
}

// releaseConn gives up a host's hold on a retired connection.
func (r *Runner) releaseConn(c modules.Conn) {
	if rs, ok := r.opts.Connect.(resetter); ok {
		_ = rs.Release(c)
	}
}
