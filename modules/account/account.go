// Package account holds the modules that manage local accounts: user,
// group and authorized_key, as ansible-core 2.14's (modules/user.py,
// group.py) on Linux's shadow tools (useradd, usermod, groupadd...).
package account

import (
	"context"
	"github.com/ferry-sh/ferry/internal/anylist"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// entry is one line of a colon-separated database (passwd, group, shadow)
// as getent prints it; nil when there is none.
type entry []string

// lookup asks getent for the entry of key in db.
func lookup(ctx context.Context, h *modules.Host, db, key string) (entry, error) {
	out, err := hostcmd.Query(ctx, h, "getent "+hostcmd.Quote(db, key)+" || true")
	if err != nil {
		return nil, err
	}
	line := strings.TrimRight(out.Stdout, "\n")
	if line == "" {
		return nil, nil
	}
	return strings.Split(strings.SplitN(line, "\n", 2)[0], ":"), nil
}

// field returns the i-th field, "" past the end.
func (e entry) field(i int) string {
	if i < len(e) {
		return e[i]
	}
	return ""
}

func (e entry) id(i int) int {
	n, _ := strconv.Atoi(e.field(i))
	return n
}

// failed is a failed result with Ansible's fields.
func failed(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}

// commandResult adds a command's output to data as Ansible's user and
// group modules do (only when there was some), or fails the task with its
// stderr.
func commandResult(name string, out modules.Output, data map[string]any) (modules.Result, bool) {
	if out.RC != 0 {
		return failed(strings.TrimSpace(out.Stderr), map[string]any{"name": name, "rc": out.RC}), true
	}
	// Ansible adds the _lines forms of every stdout and stderr it returns.
	if out.Stdout != "" {
		data["stdout"], data["stdout_lines"] = out.Stdout, anylist.Lines(out.Stdout)
	}
	if out.Stderr != "" {
		data["stderr"], data["stderr_lines"] = out.Stderr, anylist.Lines(out.Stderr)
	}
	return modules.Result{}, false
}
