package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// defaults turns the connection flags into the ansible_* variables they
// stand for; -k and -K ask for the passwords here, before anything runs.
func (c *connFlags) defaults(stdin io.Reader, stderr io.Writer) (map[string]any, error) {
	out := map[string]any{}
	set := func(key, value string) {
		if value != "" {
			out[key] = value
		}
	}
	set("ansible_user", c.user)
	set("ansible_ssh_private_key_file", c.privateKey)
	set("ansible_connection", c.connection)
	set("ansible_become_user", c.becomeUser)
	if c.become {
		out["ansible_become"] = true
	}
	if c.hostKeyChecking != nil {
		out["ansible_host_key_checking"] = *c.hostKeyChecking
	}
	if c.timeout < 0 {
		return nil, usagef("--timeout must be a number of seconds, not %d", c.timeout)
	}
	if c.timeout > 0 {
		out["ansible_timeout"] = c.timeout
	}
	in := bufio.NewReader(stdin)
	if c.askPass {
		pw, err := askPassword(in, stdin, stderr, "SSH password: ")
		if err != nil {
			return nil, err
		}
		out["ansible_password"] = pw
	}
	if c.askBecomePass {
		pw, err := askPassword(in, stdin, stderr, "BECOME password[defaults to SSH password]: ")
		if err != nil {
			return nil, err
		}
		if pw == "" {
			pw, _ = out["ansible_password"].(string)
		}
		out["ansible_become_password"] = pw
	}
	return out, nil
}

// askPassword prompts on stderr and reads without echo from a terminal, or
// one line from any other standard input (a pipe, a test).
func askPassword(in *bufio.Reader, stdin io.Reader, stderr io.Writer, prompt string) (string, error) {
	fmt.Fprint(stderr, prompt)
	defer fmt.Fprintln(stderr)
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err := term.ReadPassword(int(f.Fd()))
		if err != nil {
			return "", fmt.Errorf("reading the password: %w", err)
		}
		return string(pw), nil
	}
	line, err := in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
