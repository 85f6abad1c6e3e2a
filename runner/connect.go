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
