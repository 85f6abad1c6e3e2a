// Package conn implements transport.Conn: the local machine and SSH hosts.
package conn

import (
	"cmp"
	"io"
	"sort"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/transport"
)

// commandLine turns a Command into the argv to start and the stdin to feed it,
// applying become (sudo, su) and the environment. A become password is
// written to sudo's stdin, ahead of the command's own input, or to su's
// when it asks (suInput): never to argv or the environment, where other
// users of the host could read it.
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
		if b.Method == "su" {
			if b.Password != "" {
				stdin = newSuInput(b.Password, stdin)
			}
			return suLine(b, argv), stdin
		}
		sudo, password := sudoLine(b)
		if password {
			stdin = passwordThen(b.Password, stdin)
		}
		argv = append(append(sudo, "--"), argv...)
	}
	return argv, stdin
}

// sudoLine is the sudo command before the command it runs, and whether
// the password goes to its stdin.
func sudoLine(b *transport.Become) (argv []string, password bool) {
	argv = []string{cmp.Or(b.Exe, "sudo")}
	flags := b.Flags
	if flags == nil {
		flags = []string{"-H"}
	}
	for _, f := range flags {
		// -n would refuse the password; as Ansible's sudo plugin, drop it then.
		if b.Password == "" || f != "-n" && f != "--non-interactive" {
			argv = append(argv, f)
		}
	}
	argv = append(argv, "-u", becomeUser(b))
	if b.Password == "" {
		if b.Flags == nil {
			argv = append(argv, "-n")
		}
		return argv, false
	}
	// -S reads the password from stdin; -p '' keeps the prompt out of stderr.
	return append(argv, "-S", "-p", ""), true
}

// suLine runs argv through su as Ansible's su plugin does: su [flags] user
// -c 'command', the command read by the user's login shell. su reads a
// password from its input when it is not a terminal too (util-linux's su,
// through PAM's conversation), so no terminal is opened: the command's
// output stays apart from its errors.
func suLine(b *transport.Become, argv []string) []string {
	line := append([]string{cmp.Or(b.Exe, "su")}, b.Flags...)
	return append(line, becomeUser(b), "-c", JoinArgv(argv))
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
