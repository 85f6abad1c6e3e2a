package runner

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/modules"
)

// reconnect reaches h again for wait_for_connection: a connection that
// still answers is kept; a broken one (the host rebooted) or one never made
// (the host was down when the play began) is opened anew. It succeeds once a
// command that only reads runs there.
func (r *Runner) reconnect(ctx context.Context, h *hostState, sc *scope) error {
	h.connOnce.Do(func() {}) // from here on h.conn is opened here, not by openOnce
	if h.conn != nil {
		if out, err := h.conn.Run(ctx, modules.Command{Argv: []string{"true"}}); err == nil && out.RC == 0 {
			return nil
		}
		_ = h.conn.Close()
	}
	vars, err := r.connectionVars(sc, h)
	if err != nil {
		return err
	}
	c, err := r.opts.Connect.Open(ctx, h.name, vars)
	if err != nil {
		h.conn, h.connErr = nil, err // Open's nil *SSH must not become a non-nil Conn
		return err
	}
	h.conn, h.connErr = c, nil
	out, err := c.Run(ctx, modules.Command{Argv: []string{"true"}})
	if err == nil && out.RC != 0 {
		err = fmt.Errorf("the host answers but cannot run a command (rc %d): %s", out.RC, out.Stderr)
	}
	return err
}

// resealingReconnect is Host.Reconnect for a module that also works on the
// host (reboot): once the connection is opened anew, the module's probes
// and writes go over the new one, with the task's become and environment.
func (r *Runner) resealingReconnect(mh *modules.Host, h *hostState, sc *scope, env map[string]string) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := r.reconnect(ctx, h, sc); err != nil {
			return err
		}
		mh.Conn = modules.Seal(&taskConn{Conn: h.conn, become: mh.Become, env: env, masker: r.opts.Masker})
		return nil
	}
}
