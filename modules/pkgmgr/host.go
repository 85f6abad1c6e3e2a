// Package pkgmgr holds the package manager modules: apt, and package, which
// dispatches to the host's package manager as Ansible's does.
package pkgmgr

import (
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// The only two ways these modules reach the host: a probe that only reads
// (dpkg-query, apt-cache policy, apt-get --simulate) and a change through
// the gate, which check mode turns into a plan line.

// aptEnv makes apt and dpkg answer in a language we parse and never ask.
const aptEnv = "DEBIAN_FRONTEND=noninteractive DEBIAN_PRIORITY=critical LC_ALL=C LANG=C "

// query runs a read-only script as the task's become user.
func query(ctx context.Context, h *modules.Host, script string) (modules.Output, error) {
	out, err := h.Conn.Run(ctx, modules.Command{Shell: script, Become: h.Become})
	if err != nil {
		return out, fmt.Errorf("running `%s`: %w", script, err)
	}
	return out, nil
}

// change runs a script that changes the host, through the gate. In check
// mode it does not run and returns an empty output.
func change(ctx context.Context, h *modules.Host, what, script string) (modules.Output, error) {
	var out modules.Output
	err := h.Change(what, func() error {
		var err error
		out, err = query(ctx, h, script)
		return err
	})
	return out, err
}

func quote(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = shellquote.Quote(w)
	}
	return strings.Join(q, " ")
}
