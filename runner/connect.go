package runner

import (
	"context"
	"fmt"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
)

// Connect opens a host's connection as its ansible_connection says.
func Connect(ctx context.Context, host string, vars map[string]any) (modules.Conn, error) {
	switch kind := fmt.Sprint(vars["ansible_connection"]); kind {
	case "local":
		return conn.NewLocal(), nil
	case "<nil>", "ssh", "smart":
		return nil, unreachableError{fmt.Errorf("ssh connection to %s: not available in this build", host)}
	default:
		return nil, fmt.Errorf("ansible_connection %q is not supported (use ssh or local)", kind)
	}
}

type unreachableError struct{ error }

func (unreachableError) Unreachable() bool { return true }
func (e unreachableError) Unwrap() error   { return e.error }
