package conn

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-sh/ferry/transport"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// SSH is one connection to a host, shared by all its tasks: a new session per
// command, at most MaxSessions at once, one SFTP session for files. Get it
// from a Pool. It implements transport.Conn and transport.Dialer.
type SSH struct {
	cfg      SSHConfig
	client   *ssh.Client
	sessions chan struct{} // semaphore: commands running now
	killSlot chan struct{} // one spare session to stop a cancelled command
	marker   string        // tags the line that reports a command's process group
	shell    atomic.Int32  // shellUnknown, shellPOSIX or shellForeign: see direct

	done    chan struct{} // closed when the connection has ended
	mu      sync.Mutex
	lostErr error
	closing bool
	retired atomic.Bool // a host reset it: no host takes it anew (ssh_reset.go)

	sftpMu sync.Mutex
	sftp   *sftp.Client
}

var (
	_ transport.Conn   = (*SSH)(nil)
	_ transport.Dialer = (*SSH)(nil)
)

func newSSH(client *ssh.Client, cfg SSHConfig, keepAlive time.Duration) *SSH {
	s := &SSH{
		cfg:      cfg,
		client:   client,
		sessions: make(chan struct{}, cfg.MaxSessions),
		killSlot: make(chan struct{}, 1),
		marker:   "ferry-pgid-" + randomHex(8),
		done:     make(chan struct{}),
	}
	go s.watch()
	go s.keepAlive(keepAlive)
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// Config is what the connection was made with.
func (s *SSH) Config() SSHConfig { return s.cfg }

// watch records why the connection ended.
func (s *SSH) watch() {
	err := s.client.Wait()
	s.setLost(fmt.Errorf("ssh: connection to %s lost: %v", s.describe(), err))
	close(s.done)
}

func (s *SSH) describe() string { return s.cfg.User + "@" + hostPort(s.cfg) }

func (s *SSH) setLost(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lostErr != nil {
		return
	}
	if s.closing {
		err = fmt.Errorf("ssh: connection to %s was closed", s.describe())
	}
	s.lostErr = err
}

// keepAlive sends keepalive@openssh.com every interval; no answer within two
// intervals means the link is dead: the connection is closed so that every
// waiting operation fails at once instead of hanging.
func (s *SSH) keepAlive(interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			_, _, err := s.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timeout := time.NewTimer(2 * interval)
		select {
		case <-s.done:
			timeout.Stop()
			return
		case err := <-reply:
			timeout.Stop()
			if err == nil {
				continue
			}
			s.setLost(fmt.Errorf("ssh: connection to %s lost: keep-alive failed: %v", s.describe(), err))
		case <-timeout.C:
			s.setLost(fmt.Errorf("ssh: connection to %s lost: no answer to keep-alive within %s", s.describe(), 2*interval))
		}
		s.client.Close()
		return
	}
}

func (s *SSH) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// lost is the unreachable error once the connection has ended.
func (s *SSH) lost() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return unreachable(s.cfg, s.lostErr)
}

// transportError turns err into the unreachable error when the connection
// has ended. A failed operation may see the end of the stream slightly before
// the connection watcher does, hence the short wait.
func (s *SSH) transportError(err error) error {
	select {
	case <-s.done:
		return s.lost()
	case <-time.After(time.Second):
		return err
	}
}

// Close ends the connection (and its SFTP session).
func (s *SSH) Close() error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.sftpMu.Lock()
	if s.sftp != nil {
		s.sftp.Close()
	}
	s.sftpMu.Unlock()
	err := s.client.Close()
	<-s.done
	return err
}

// DialContext opens a TCP connection from the host's side (direct-tcpip).
func (s *SSH) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !s.alive() {
		return nil, s.lost()
	}
	c, err := s.client.DialContext(ctx, network, addr)
	if err != nil && !s.alive() {
		return nil, s.lost()
	}
	return c, err
}

// Run runs cmd in a new session. The remote side first reports its process
// group (on stderr, tagged with a marker this connection filters out), so
// that a cancelled command can be ended with everything it started.
func (s *SSH) Run(ctx context.Context, cmd transport.Command) (transport.Output, error) {
	if !s.alive() {
		return transport.Output{}, s.lost()
	}
	if len(cmd.Argv) == 0 && cmd.Shell == "" {
		return transport.Output{}, errors.New("empty command")
	}
	if err := acquire(ctx, s.sessions); err != nil {
		return transport.Output{}, err
	}
	defer func() { <-s.sessions }()

	if !s.direct(cmd) {
		out, _, err := s.runSession(ctx, cmd, false)
		return out, err
	}
	out, reported, err := s.runSession(ctx, cmd, true)
	switch {
	case reported:
		s.shell.Store(shellPOSIX)
	case err == nil && out.RC != 0:
		// The login shell did not run the line's first step: it is not a
		// POSIX shell, and nothing ran. Use the /bin/sh wrapper from now on.
		s.shell.Store(shellForeign)
		out, _, err = s.runSession(ctx, cmd, false)
	}
	return out, err
}

// Login shell kinds, learnt from the first command run directly.
const (
	shellUnknown int32 = iota
	shellPOSIX
	shellForeign
)

// direct reports whether cmd can run as a line for the login shell itself,
// without the /bin/sh wrapper: one exec less per command, which is a good
// part of a short command's cost on the host. Only without sudo (the login
// shell's pid is then the process group, as sshd made it a session leader),
// and, until the login shell is known to be POSIX, only without stdin, so
// that a command can be run again through the wrapper when it was not.
func (s *SSH) direct(cmd transport.Command) bool {
	if needsSudo(cmd.Become, s.cfg.User == "root") {
		return false
	}
	switch s.shell.Load() {
	case shellPOSIX:
		return true
	case shellUnknown:
		return cmd.Stdin == nil
	}
	return false
}

// runSession runs cmd once in a new session; reported says whether the
// remote side reported the process group.
func (s *SSH) runSession(ctx context.Context, cmd transport.Command, direct bool) (out transport.Output, reported bool, err error) {
	session, err := s.client.NewSession()
	if err != nil {
		return transport.Output{}, false, s.transportError(fmt.Errorf("ssh: new session on %s: %w", s.describe(), err))
	}
	defer session.Close()
	command := s.remoteCommand
	if direct {
		command = s.directCommand
	}
	line, stdin := command(cmd)
	var stdout, stderr bytes.Buffer
	session.Stdout = pooledCopy{teeTo(&stdout, cmd.Stdout)}
	pgid := newPgidFilter(s.marker, teeTo(&stderr, cmd.Stderr))
	session.Stderr = pooledCopy{pgid}
	endInput, err := attachInput(session, stdin, pgid)
	if err != nil {
		return transport.Output{}, false, s.transportError(fmt.Errorf("ssh: input of a command on %s: %w", s.describe(), err))
	}
	defer endInput()
	if err := session.Start(line); err != nil {
		return transport.Output{}, false, s.transportError(fmt.Errorf("ssh: starting a command on %s: %w", s.describe(), err))
	}
	done := make(chan error, 1)
	go func() { done <- session.Wait() }()
	select {
	case err := <-done:
		pgid.flush()
		out, err := s.outputOf(err, &stdout, &stderr)
		if _, su := stdin.(*suInput); su && err == nil {
			out, err = suResult(out, pgid.seen)
		}
		return out, pgid.seen, err
	case <-ctx.Done():
		if !s.stop(session, pgid, cmd.Become, done) {
			// Output is still being written: it cannot be read safely.
			return transport.Output{RC: -1}, true, ctx.Err()
		}
		pgid.flush()
		return transport.Output{RC: -1, Stdout: stdout.String(), Stderr: stderr.String()}, true, ctx.Err()
	}
}

func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// remoteCommand is the command line for the remote login shell: become and
// environment from commandLine around a /bin/sh wrapper that reports its
// process group, changes directory and execs the command.
func (s *SSH) remoteCommand(cmd transport.Command) (string, io.Reader) {
	inner := cmd.Argv
	if cmd.Shell != "" {
		inner = []string{"/bin/sh", "-c", cmd.Shell}
	}
	// /proc/$$/stat field 5 is the process group: $$ itself when sshd made
	// the shell a session leader, sudo's new group when sudo uses a pty.
	script := `{ read -r _ _ _ _ g _ < /proc/$$/stat; } 2>/dev/null || g=$$; printf '%s %s\n' ` + s.marker + ` "$g" >&2; `
	if cmd.Dir != "" {
		script += "cd " + ShellQuote(cmd.Dir) + " || exit 1; "
	}
	script += `exec "$@"`
	wrapped := transport.Command{
		Argv:   append([]string{"/bin/sh", "-c", script, "sh"}, inner...),
		Env:    cmd.Env,
		Become: cmd.Become,
		Stdin:  cmd.Stdin,
	}
	argv, stdin := commandLine(wrapped, s.cfg.User == "root")
	return JoinArgv(argv), stdin
}

// directCommand is the line for a POSIX login shell without sudo: report
// its own pid (the process group), change directory, exec the command. Each
// step runs only when the one before succeeded, so a shell that cannot run
// the first has run nothing.
func (s *SSH) directCommand(cmd transport.Command) (string, io.Reader) {
	line := `printf '%s %s\n' ` + s.marker + ` "$$" >&2 && `
	if cmd.Dir != "" {
		line += "cd " + ShellQuote(cmd.Dir) + " && "
	}
	argv, stdin := commandLine(cmd, s.cfg.User == "root")
	return line + "exec " + JoinArgv(argv), stdin
}

func (s *SSH) outputOf(err error, stdout, stderr *bytes.Buffer) (transport.Output, error) {
	out := transport.Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *ssh.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		out.RC = exit.ExitStatus()
	default:
		return out, s.transportError(fmt.Errorf("ssh: command on %s: %w", s.describe(), err))
	}
	return out, nil
}

// stop ends a cancelled command's whole process group: TERM, then KILL after
// two seconds, sent from a new session as the same (become) user, since a
// signal from the login user cannot reach processes sudo started as root.
// It reports whether the command's session has ended.
func (s *SSH) stop(session *ssh.Session, pgid *pgidFilter, become *transport.Become, done <-chan error) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var group int
	select {
	case group = <-pgid.found:
	case <-done:
		return true
	case <-time.After(2 * time.Second):
		// The wrapper never ran (sudo waiting for a password?): end what we can.
		_ = session.Signal(ssh.SIGKILL)
		_ = session.Close()
		return waitDone(ctx, done)
	}
	if err := acquire(ctx, s.killSlot); err != nil {
		return false
	}
	if err := s.startKiller(group, become); err != nil {
		<-s.killSlot
		_ = session.Close()
	}
	return waitDone(ctx, done)
}

func waitDone(ctx context.Context, done <-chan error) bool {
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// startKiller runs the TERM-then-KILL script for the process group in a new
// session and lets it finish on its own, releasing the kill slot after: the
// command is over as soon as its own session ends.
func (s *SSH) startKiller(group int, become *transport.Become) error {
	g := strconv.Itoa(group)
	script := `kill -s TERM -- -` + g + ` 2>/dev/null || exit 0; i=0; ` +
		`while [ $i -lt 20 ]; do kill -s 0 -- -` + g + ` 2>/dev/null || exit 0; sleep 0.1; i=$((i+1)); done; ` +
		`kill -s KILL -- -` + g + ` 2>/dev/null; exit 0`
	argv, stdin := commandLine(transport.Command{Argv: []string{"/bin/sh", "-c", script}, Become: become}, s.cfg.User == "root")
	if in, ok := stdin.(*suInput); ok { // the script reads no input: nothing to watch
		stdin = in.upFront(s.cfg.User == "root")
	}
	killer, err := s.client.NewSession()
	if err != nil {
		return err
	}
	if stdin != nil {
		killer.Stdin = stdin
	}
	if err := killer.Start(JoinArgv(argv)); err != nil {
		killer.Close()
		return err
	}
	go func() {
		_ = killer.Wait()
		killer.Close()
		<-s.killSlot
	}()
	return nil
}

// copyBuffers serve pooledCopy. x/crypto/ssh copies a session's stdout and
// stderr with io.Copy, which allocates 32 KiB per stream unless the writer
// reads for itself: at one session per command that was three quarters of
// everything ferry allocated in `make bench`'s 50x10 cell, and the garbage
// collector's work with it.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// pooledCopy is a writer that reads for itself through a pooled buffer.
type pooledCopy struct{ io.Writer }

func (w pooledCopy) ReadFrom(r io.Reader) (int64, error) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	return io.CopyBuffer(w.Writer, r, *buf)
}

// pgidFilter passes stderr through, taking out the wrapper's marker line and
// reporting the process group it names. Lines before it (a noisy login rc
// file) pass through unchanged, but for su's password prompt, which it
// takes out and reports to su's input (su), as it reports the marker.
type pgidFilter struct {
	marker  []byte
	out     io.Writer
	pending []byte
	seen    bool
	found   chan int
	su      *suInput
}

func newPgidFilter(marker string, out io.Writer) *pgidFilter {
	return &pgidFilter{marker: []byte(marker + " "), out: out, found: make(chan int, 1)}
}

func (f *pgidFilter) Write(p []byte) (int, error) {
	if f.seen {
		return f.out.Write(p)
	}
	f.pending = append(f.pending, p...)
	for {
		nl := bytes.IndexByte(f.pending, '\n')
		if nl < 0 {
			if f.su != nil && suPrompt.Match(f.pending) {
				f.pending = nil
				f.su.ask()
			}
			return len(p), nil
		}
		line := f.pending[:nl]
		rest := f.pending[nl+1:]
		if bytes.HasPrefix(line, f.marker) {
			if g, err := strconv.Atoi(string(line[len(f.marker):])); err == nil && g > 1 {
				f.found <- g
			}
			f.seen = true
			f.pending = nil
			if f.su != nil {
				f.su.start()
			}
			if len(rest) > 0 {
				if _, err := f.out.Write(rest); err != nil {
					return len(p), err
				}
			}
			return len(p), nil
		}
		if _, err := f.out.Write(f.pending[:nl+1]); err != nil {
			return len(p), err
		}
		f.pending = rest
	}
}

// flush passes on a partial line left before the marker was seen.
func (f *pgidFilter) flush() {
	if !f.seen && len(f.pending) > 0 {
		_, _ = f.out.Write(f.pending)
		f.pending = nil
	}
}

// sftpClient opens the connection's SFTP session on first use. Concurrent
// writes with many requests in flight are what makes SFTP as fast as scp.
func (s *SSH) sftpClient() (*sftp.Client, error) {
	s.sftpMu.Lock()
	defer s.sftpMu.Unlock()
	if s.sftp != nil {
		return s.sftp, nil
	}
	c, err := sftp.NewClient(s.client,
		sftp.UseConcurrentWrites(true),
		sftp.UseConcurrentReads(true),
		sftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		return nil, s.transportError(fmt.Errorf("ssh: starting sftp on %s: %w", s.describe(), err))
	}
	s.sftp = c
	return c, nil
}

// fileError adds the host and path, and turns a transport failure into the
// unreachable error. SFTP status errors are the server's answer, not a
// transport failure.
func (s *SSH) fileError(op, path string, err error) error {
	var status *sftp.StatusError
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.As(err, &status) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s %s on %s: %w", op, path, s.cfg.Name, err)
	}
	return s.transportError(fmt.Errorf("%s %s on %s: %w", op, path, s.cfg.Name, err))
}

// Stat describes path (following symlinks); a missing path is FileInfo{}.
func (s *SSH) Stat(ctx context.Context, path string) (transport.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return transport.FileInfo{}, err
	}
	c, err := s.sftpClient()
	if err != nil {
		return transport.FileInfo{}, err
	}
	fi, err := c.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return transport.FileInfo{}, nil
	}
	if err != nil {
		return transport.FileInfo{}, s.fileError("stat", path, err)
	}
	return transport.FileInfo{Exists: true, IsDir: fi.IsDir(), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}, nil
}

// Open streams a file from the host.
func (s *SSH) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c, err := s.sftpClient()
	if err != nil {
		return nil, err
	}
	f, err := c.Open(path)
	if err != nil {
		return nil, s.fileError("open", path, err)
	}
	return &remoteFile{File: f, ctx: ctx}, nil
}

// remoteFile stops reading when ctx ends; WriteTo keeps SFTP's concurrent
// reads for io.Copy.
type remoteFile struct {
	*sftp.File
	ctx context.Context
}

func (f *remoteFile) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f *remoteFile) WriteTo(w io.Writer) (int64, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.WriteTo(writerWithContext(f.ctx, w))
}

func writerWithContext(ctx context.Context, w io.Writer) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		return w.Write(p)
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// attachInput gives a session its input: su's through a pipe, fed as su
// asks for the password and as the command starts (which the stderr filter
// sees), any other as it is. The returned func ends su's feeding.
func attachInput(session *ssh.Session, stdin io.Reader, pgid *pgidFilter) (func(), error) {
	in, ok := stdin.(*suInput)
	if !ok {
		if stdin != nil {
			session.Stdin = stdin
		}
		return func() {}, nil
	}
	w, err := session.StdinPipe()
	if err != nil {
		return nil, err
	}
	pgid.su = in
	ended := make(chan struct{})
	go in.feed(w, ended)
	return func() { close(ended) }, nil
}
