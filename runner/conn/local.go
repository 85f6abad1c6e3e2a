package conn

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ferry-sh/ferry/transport"
)

// Local runs commands on the machine ferry runs on (ansible_connection=local).
type Local struct{}

// NewLocal returns the local connection.
func NewLocal() *Local { return &Local{} }

// Run starts the command in its own process group so that a timeout or an
// interrupt ends everything it started, not only the shell.
func (l *Local) Run(ctx context.Context, cmd transport.Command) (transport.Output, error) {
	root := os.Geteuid() == 0
	argv, stdin := commandLine(cmd, root)
	if len(argv) == 0 {
		return transport.Output{}, errors.New("empty command")
	}
	su, isSu := stdin.(*suInput)
	if isSu { // su asks for the password when ferry is not root
		stdin = su.upFront(root)
	}
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = cmd.Dir
	c.Stdin = stdin
	var stdout, stderr bytes.Buffer
	c.Stdout = teeTo(&stdout, cmd.Stdout)
	c.Stderr = teeTo(&stderr, cmd.Stderr)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		return transport.Output{RC: 127, Stderr: err.Error()}, nil
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		out, err := outputOf(err, &stdout, &stderr)
		if isSu && !root && err == nil {
			out.Stderr = trimSuPrompt(out.Stderr)
			return suResult(out, !strings.Contains(out.Stderr, suFailure))
		}
		return out, err
	case <-ctx.Done():
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-done
		}
		return transport.Output{RC: -1, Stdout: stdout.String(), Stderr: stderr.String()}, ctx.Err()
	}
}

func teeTo(buf *bytes.Buffer, w io.Writer) io.Writer {
	if w == nil {
		return buf
	}
	return io.MultiWriter(buf, w)
}

func outputOf(err error, stdout, stderr *bytes.Buffer) (transport.Output, error) {
	out := transport.Output{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		out.RC = exit.ExitCode()
		if out.RC < 0 { // killed by a signal
			out.RC = 128 + int(exit.Sys().(syscall.WaitStatus).Signal())
		}
	default:
		return out, err
	}
	return out, nil
}

// Stat describes a local path.
func (l *Local) Stat(_ context.Context, path string) (transport.FileInfo, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return transport.FileInfo{}, nil
	}
	if err != nil {
		return transport.FileInfo{}, err
	}
	return transport.FileInfo{Exists: true, IsDir: fi.IsDir(), Size: fi.Size(), Mode: fi.Mode(), ModTime: fi.ModTime()}, nil
}

// Open opens a local file.
func (l *Local) Open(_ context.Context, path string) (io.ReadCloser, error) {
	return os.Open(path)
}

// Close does nothing: there is no connection to end.
func (l *Local) Close() error { return nil }

// DialContext opens a TCP connection from this machine.
func (l *Local) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}
