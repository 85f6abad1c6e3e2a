// Package hostcmd is how the system modules (pkgmgr, account, ...) reach a
// host with shell commands: a probe that only reads, and a change through
// the gate, which check mode turns into a plan line. It registers no
// module; module packages share it instead of copying it.
package hostcmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// Query runs a read-only script as the task's become user.
func Query(ctx context.Context, h *modules.Host, script string) (modules.Output, error) {
	return wrap(script)(h.Query(ctx, modules.Command{Shell: script, Become: h.Become}))
}

// wrap names the script in a transport error.
func wrap(script string) func(modules.Output, error) (modules.Output, error) {
	return func(out modules.Output, err error) (modules.Output, error) {
		if err != nil {
			return out, fmt.Errorf("running `%s`: %w", script, err)
		}
		return out, nil
	}
}

// Write runs a script that changes the host with the gate's Writer (inside
// a Change of the caller's), with its standard input.
func Write(ctx context.Context, w modules.Writer, h *modules.Host, script string, stdin io.Reader) (modules.Output, error) {
	return wrap(script)(w.Run(ctx, modules.Command{Shell: script, Become: h.Become, Stdin: stdin}))
}

// Change runs a script that changes the host, through the gate. In check
// mode it does not run and returns an empty output.
func Change(ctx context.Context, h *modules.Host, what, script string) (modules.Output, error) {
	return ChangeWithInput(ctx, h, what, script, "")
}

// ChangeWithInput is Change with the script's standard input: the way to
// hand a secret (a password hash) to a command without putting it in argv.
func ChangeWithInput(ctx context.Context, h *modules.Host, what, script, input string) (modules.Output, error) {
	var out modules.Output
	err := h.Change(what, func(w modules.Writer) error {
		var err error
		out, err = Write(ctx, w, h, script, strings.NewReader(input))
		return err
	})
	return out, err
}

// Act runs a script whose effect Ansible does not report as a change,
// through Host.Act: no plan line, and in check mode it does not run and
// returns modules.ErrCheckMode.
func Act(ctx context.Context, h *modules.Host, script string) (modules.Output, error) {
	var out modules.Output
	err := h.Act(func(w modules.Writer) error {
		var err error
		out, err = Write(ctx, w, h, script, nil)
		return err
	})
	return out, err
}

// Quote quotes each word for the host's shell and joins them with spaces
// (shellquote.Join, variadic for the modules' short call sites).
func Quote(words ...string) string { return shellquote.Join(words) }

// Found reads the key=value lines a probe script prints (the tools it
// found, the flags it set), the first = splitting each; other lines are
// left out.
func Found(stdout string) map[string]string {
	found := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			found[k] = v
		}
	}
	return found
}
