package runner

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// reconnect reaches the task's host again for wait_for_connection and
// reboot, over the connection the task itself uses, as 2.14's actions
// reset the task's own connection: the host's, one with the task's
// connection keywords or variables (remote_user, port, vars:
// ansible_user...), or the delegated host's. A connection that still
// answers is kept; a broken one (the host rebooted) or one never made (the
// host was down when the play began) is opened anew. It succeeds once a
// command that only reads runs there.
func (r *Runner) reconnect(ctx context.Context, t *Task, h *hostState, sc *scope) (modules.Conn, error) {
	if t.DelegateTo != "" {
		d, err := r.delegated(sc, t)
		if err != nil || d.implicit {
			return conn.NewLocal(), err
		}
		return r.reconnectTask(ctx, d.host, d.scope)
	}
	if t.ownConnection() {
		return r.reconnectTask(ctx, h, sc)
	}
	return r.reconnectHost(ctx, h, sc)
}

// reconnectHost reaches h again over its own connection, the one its
// tasks without connection settings share.
func (r *Runner) reconnectHost(ctx context.Context, h *hostState, sc *scope) (modules.Conn, error) {
	h.connOnce.Do(func() {}) // from here on h.conn is opened here, not by openOnce
	if h.conn != nil {
		if answers(ctx, h.conn) == nil {
			return h.conn, nil
		}
		_ = h.conn.Close()
	}
	vars, err := r.connectionVars(sc, h)
	if err != nil {
		return nil, err
	}
	c, err := r.opts.Connect.Open(ctx, h.name, vars)
	if err != nil {
		h.conn, h.connErr = nil, err // Open's nil *SSH must not become a non-nil Conn
		return nil, err
	}
	h.conn, h.connErr = c, nil
	return c, answers(ctx, c)
}

// reconnectTask reaches h again over the connection of the settings sc
// gives (taskConnection's).
func (r *Runner) reconnectTask(ctx context.Context, h *hostState, sc *scope) (modules.Conn, error) {
	vars, err := r.connectionVars(sc, h)
	if err != nil {
		return nil, err
	}
	key, tc := connectionKey(vars), &h.taskConns
	tc.mu.Lock()
	old := tc.conns[key]
	tc.mu.Unlock()
	if old != nil && !retiredConn(old) { // a retired one taskConnection releases
		if answers(ctx, old) == nil {
			return old, nil
		}
		tc.mu.Lock()
		if tc.conns[key] == old {
			delete(tc.conns, key)
		}
		tc.mu.Unlock()
		r.resetConn(old) // broken: ended for every host that shares it
	}
	c, err := r.taskConnection(ctx, h, sc)
	if err != nil {
		return nil, err
	}
	return c, answers(ctx, c)
}

// answers runs a command that only reads over c.
func answers(ctx context.Context, c modules.Conn) error {
	out, err := c.Run(ctx, modules.Command{Argv: []string{"true"}})
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("the host answers but cannot run a command (rc %d): %s", out.RC, out.Stderr)
	}
	return err
}

// resealingReconnect is Host.Reconnect for a module that also works on the
// host (reboot): once the connection is opened anew, the module's probes
// and writes go over the new one, with the task's become and environment.
func (r *Runner) resealingReconnect(mh *modules.Host, t *Task, h *hostState, sc *scope, env map[string]string) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := r.reconnect(ctx, t, h, sc)
		if err != nil {
			return err
		}
		mh.Conn = modules.Seal(&taskConn{Conn: c, become: mh.Become, env: env, masker: r.opts.Masker})
		return nil
	}
}
