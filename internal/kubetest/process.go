package kubetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is one child (etcd or kube-apiserver) whose output goes to a log file.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the child has exited
	waitErr error         // valid after exited is closed
}

// startProcess starts bin with args, stdout and stderr appended to logPath.
func startProcess(name, bin string, args []string, logPath string) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	// The child dies with the test binary even when no cleanup runs (a
	// panic, os.Exit, a killed `go test`), so no etcd outlives its test.
	cmd.SysProcAttr = dieWithParent()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop asks the child to terminate and kills it if it takes longer than grace.
func (p *process) stop(grace time.Duration) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitReady polls ready until it returns nil, the child exits, or timeout
// passes; the error then carries the tail of the child's log.
//
// A child that does not become ready is stopped; the error wraps
// errPortInUse when it lost its port, so that the caller retries elsewhere.
func (p *process) waitReady(timeout time.Duration, ready func(context.Context) error) error {
	err := p.pollReady(timeout, ready)
	if err == nil {
		return nil
	}
	p.stop(time.Second)
	if p.portInUse() {
		return fmt.Errorf("%w: %v", errPortInUse, err)
	}
	return err
}

func (p *process) pollReady(timeout time.Duration, ready func(context.Context) error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		last = ready(ctx)
		cancel()
		if last == nil {
			return nil
		}
		select {
		case <-p.exited:
			return fmt.Errorf("%s exited before becoming ready (%v); last lines of %s:\n%s",
				p.name, p.waitErr, p.logPath, logTail(p.logPath, 30))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s (last check: %v); last lines of %s:\n%s",
				p.name, timeout, last, p.logPath, logTail(p.logPath, 30))
		}
	}
}

// portInUse reports whether the child's log says a port was taken between
// freePorts choosing it and the child binding it; the caller then retries.
func (p *process) portInUse() bool {
	data, err := os.ReadFile(p.logPath)
	return err == nil && bytes.Contains(data, []byte("address already in use"))
}

// logTail returns the last n lines of the file at path, or a note saying why
// it cannot.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// freePorts returns n distinct TCP ports that are free on 127.0.0.1 right now.
// Another process may take one before the child binds it; startCluster
// retries when that happens.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errBinaryMissing marks a missing or unusable etcd or kube-apiserver, which is a skip
// under FERRY_SKIP_KUBE=1 and a failure otherwise.
var errBinaryMissing = errors.New("missing binary")

func hostPort(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}
