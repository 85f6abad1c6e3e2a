// Package conn implements transport.Conn: the local machine and SSH hosts.
package conn

import (
	"io"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/transport"
)

// commandLine turns a Command into the argv to start and the stdin to feed it,
// applying become (sudo) and the environment. A become password is written to
// sudo's stdin, ahead of the command's own input: never to argv or the
// environment, where other users of the host could read it.
func commandLine(cmd transport.Command, alreadyRoot bool) (argv []string, stdin io.Reader) {
	argv = cmd.Argv
	if cmd.Shell != "" {
		argv = []string{"/bin/sh", "-c", cmd.Shell}
	}
	if len(cmd.Env) > 0 {
		argv = append(append([]string{"env"}, envPairs(cmd.Env)...), argv...)
	}
	stdin = cmd.Stdin
	if b := cmd.Become; needsSudo(b, alreadyRoot) {
		sudo := []string{"sudo", "-H", "-u", becomeUser(b)}
		if b.Password == "" {
			sudo = append(sudo, "-n")
		} else {
			// -S reads the password from stdin; -p '' keeps the prompt out of stderr.
			sudo = append(sudo, "-S", "-p", "")
			stdin = passwordThen(b.Password, stdin)
		}
		argv = append(append(sudo, "--"), argv...)
	}
	return argv, stdin
}

// needsSudo reports whether become asks for sudo: not when the login user is
// already root and root is the become user.
func needsSudo(b *transport.Become, alreadyRoot bool) bool {
	return b != nil && !(alreadyRoot && becomeUser(b) == "root")
}

func becomeUser(b *transport.Become) string {
	if b.User == "" {
		return "root"
	}
	return b.User
}

func envPairs(env map[string]string) []string {
	pairs := make([]string, 0, len(env))
	for k, v := range env {
		pairs = append(pairs, k+"="+v)
	}
	sort.Strings(pairs)
	return pairs
}

func passwordThen(password string, rest io.Reader) io.Reader {
	pw := strings.NewReader(password + "\n")
	if rest == nil {
		return pw
	}
	return io.MultiReader(pw, rest)
}

// ShellQuote quotes s for a POSIX shell.
func ShellQuote(s string) string { return shellquote.Quote(s) }

// JoinArgv quotes each argument and joins them into one shell command line.
func JoinArgv(argv []string) string { return shellquote.Join(argv) }
