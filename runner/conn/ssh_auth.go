package conn

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/term"
)

// authFlow offers the login methods one by one, as the server allows them:
// the agent's keys, each key file, the password. It keeps what it tried for
// the failure message, and loads key files only when they are reached, so an
// encrypted key is not asked for when the agent already got in.
type authFlow struct {
	pool    *Pool
	cfg     SSHConfig
	steps   []authStep
	next    int
	tried   []string
	notes   []string
	allowed []string
	fatal   error
	agent   net.Conn
}

type authStep struct {
	method string // the SSH method name the server must allow
	build  func() ssh.AuthMethod
}

func newAuthFlow(p *Pool, cfg SSHConfig) *authFlow {
	a := &authFlow{pool: p, cfg: cfg}
	a.steps = append(a.steps, authStep{"publickey", a.agentKeys})
	for _, f := range a.keyFiles() {
		a.steps = append(a.steps, authStep{"publickey", func() ssh.AuthMethod { return a.keyFile(f) }})
	}
	if cfg.Password != "" {
		a.steps = append(a.steps,
			authStep{"password", a.password},
			authStep{"keyboard-interactive", a.keyboardInteractive})
	}
	return a
}

// keyFiles are the configured keys, or OpenSSH's default ones that exist.
func (a *authFlow) keyFiles() []string {
	if len(a.cfg.KeyFiles) > 0 {
		return a.cfg.KeyFiles
	}
	var found []string
	for _, name := range []string{"id_rsa", "id_ecdsa", "id_ed25519"} {
		p := expandHome("~/.ssh/" + name)
		if _, err := os.Stat(p); err == nil {
			found = append(found, p)
		}
	}
	return found
}

// callback is the ssh.ClientConfig.AuthCallback: it picks the next method.
func (a *authFlow) callback(ctx *ssh.ClientAuthContext) (ssh.AuthMethod, error) {
	a.allowed = ctx.AllowedMethods
	for a.next < len(a.steps) && a.fatal == nil {
		step := a.steps[a.next]
		a.next++
		if !slices.Contains(ctx.AllowedMethods, step.method) {
			continue
		}
		if m := step.build(); m != nil {
			return m, nil
		}
	}
	if a.fatal != nil {
		return nil, a.fatal
	}
	return nil, nil
}

func (a *authFlow) agentKeys() ssh.AuthMethod {
	sock := os.Getenv("SSH_AUTH_SOCK")
	if sock == "" {
		return nil
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		a.notes = append(a.notes, fmt.Sprintf("agent at SSH_AUTH_SOCK=%s: %v", sock, err))
		return nil
	}
	a.agent = c
	signers, err := agent.NewClient(c).Signers()
	if err != nil {
		a.notes = append(a.notes, fmt.Sprintf("agent: %v", err))
		return nil
	}
	if len(signers) == 0 {
		return nil
	}
	a.tried = append(a.tried, fmt.Sprintf("agent (%d keys)", len(signers)))
	return ssh.PublicKeys(signers...)
}

func (a *authFlow) keyFile(path string) ssh.AuthMethod {
	signer, err := a.pool.loadKey(a.cfg, path)
	if err != nil {
		var fatal *passphraseEnvError
		if errors.As(err, &fatal) {
			a.fatal = err
		}
		a.notes = append(a.notes, err.Error())
		return nil
	}
	a.tried = append(a.tried, "key "+tildeHome(path))
	return ssh.PublicKeys(signer)
}

func (a *authFlow) password() ssh.AuthMethod {
	a.tried = append(a.tried, "password")
	return ssh.Password(a.cfg.Password)
}

// keyboardInteractive answers the password to prompts that do not echo: what
// PAM's password prompt looks like.
func (a *authFlow) keyboardInteractive() ssh.AuthMethod {
	a.tried = append(a.tried, "keyboard-interactive")
	return ssh.KeyboardInteractive(func(_, _ string, questions []string, echos []bool) ([]string, error) {
		answers := make([]string, len(questions))
		for i := range questions {
			if !echos[i] {
				answers[i] = a.cfg.Password
			}
		}
		return answers, nil
	})
}

func (a *authFlow) close() {
	if a.agent != nil {
		a.agent.Close()
	}
}

// failure explains a refused login: who, where, what was tried and what the
// server would accept.
func (a *authFlow) failure() error {
	tried := "nothing (no agent keys, no usable key file, no password)"
	if len(a.tried) > 0 {
		tried = strings.Join(a.tried, ", ")
	}
	msg := fmt.Sprintf("ssh: cannot log in to %s@%s: tried: %s; server accepts: %s",
		a.cfg.User, hostPort(a.cfg), tried, strings.Join(a.allowed, ", "))
	if len(a.notes) > 0 {
		msg += "; not usable: " + strings.Join(a.notes, "; ")
	}
	return errors.New(msg)
}

// passphraseEnvError is a configuration mistake that stops the login.
type passphraseEnvError struct{ msg string }

func (e *passphraseEnvError) Error() string { return e.msg }

// loadKey reads a private key file, decrypting it with the passphrase from
// the environment variable named by ferry_ssh_key_passphrase_env, or asked
// once on the terminal. Without either it fails with what to do, never
// waiting for input that cannot come.
func (p *Pool) loadKey(cfg SSHConfig, path string) (ssh.Signer, error) {
	shown := tildeHome(path)
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key %s: %v", shown, err)
	}
	signer, err := ssh.ParsePrivateKey(data)
	var missing *ssh.PassphraseMissingError
	if !errors.As(err, &missing) {
		if err != nil {
			return nil, fmt.Errorf("key %s: %v", shown, err)
		}
		return signer, nil
	}
	pass, source, err := p.passphrase(cfg, path)
	if err != nil {
		return nil, err
	}
	signer, err = ssh.ParsePrivateKeyWithPassphrase(data, []byte(pass))
	if err != nil {
		p.forgetPassphrase(path)
		return nil, fmt.Errorf("key %s: cannot decrypt with the passphrase from %s: %v", shown, source, err)
	}
	return signer, nil
}

func (p *Pool) passphrase(cfg SSHConfig, path string) (pass, source string, err error) {
	if env := cfg.KeyPassphraseEnv; env != "" {
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", "", &passphraseEnvError{fmt.Sprintf("key %s is encrypted and ferry_ssh_key_passphrase_env names %s, which is not set in ferry's environment", tildeHome(path), env)}
		}
		return v, "$" + env, nil
	}
	p.passMu.Lock()
	defer p.passMu.Unlock()
	if v, ok := p.passphrases[path]; ok {
		return v, "the terminal", nil
	}
	ask := p.opts.AskPassphrase
	if ask == nil {
		ask = askOnTerminal
	}
	v, err := ask(path)
	if err != nil {
		return "", "", fmt.Errorf("key %s is encrypted: %v", tildeHome(path), err)
	}
	p.passphrases[path] = v
	return v, "the terminal", nil
}

func (p *Pool) forgetPassphrase(path string) {
	p.passMu.Lock()
	delete(p.passphrases, path)
	p.passMu.Unlock()
}

// errNoTerminal says how to give a passphrase when nobody can be asked.
var errNoTerminal = errors.New("no terminal to ask for its passphrase: set ferry_ssh_key_passphrase_env to the name of an environment variable holding it, or load the key into ssh-agent")

// askOnTerminal prompts on stderr and reads without echo from stdin, when
// stdin is a terminal.
func askOnTerminal(path string) (string, error) {
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errNoTerminal
	}
	fmt.Fprintf(os.Stderr, "Enter passphrase for key %s: ", tildeHome(path))
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func tildeHome(p string) string {
	home := homeDir()
	if home != "/" && strings.HasPrefix(p, home+"/") {
		return "~" + p[len(home):]
	}
	return p
}
