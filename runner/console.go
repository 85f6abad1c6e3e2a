package runner

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// EventDisplay is text a module shows as it is (pause's prompt), as
// Ansible's display.display.
const EventDisplay EventType = "display"

// taskConsole is a task's modules.Console: what it shows goes through the
// run's events (the screen, --output json and the journal, all masked) and
// what it reads comes from the keyboard of the terminal ferry runs on.
type taskConsole struct {
	r    *Runner
	task string
	host string
}

func (r *Runner) console(t *Task, h *hostState) taskConsole {
	return taskConsole{r: r, task: t.Title(), host: h.name}
}

func (c taskConsole) Display(lines ...string) {
	c.r.emit(Event{Type: EventDisplay, Task: c.task, Host: c.host, Msg: strings.Join(lines, "\n")})
}

func (c taskConsole) Warn(msg string) { c.r.emit(Event{Type: EventWarning, Msg: msg}) }

func (c taskConsole) Interactive() bool { return c.r.opts.Keyboard != nil }

// Wait waits d, sending the time left each second as progress in seconds
// (the screen draws it on a terminal); Enter typed at the keyboard ends
// the wait early.
func (c taskConsole) Wait(ctx context.Context, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	var reading sync.WaitGroup
	defer func() { cancel(); reading.Wait() }() // the terminal's echo is back before the next read
	enter := make(chan struct{})
	if kb := c.r.opts.Keyboard; kb != nil {
		kb.drop()
		reading.Go(func() {
			if _, err := kb.ReadLine(ctx, false); err == nil {
				close(enter)
			}
		})
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	total := int64(d / time.Second)
	for done := int64(0); ; {
		if done < total {
			c.r.emit(Event{Type: EventProgress, Task: c.task, Host: c.host, Unit: "seconds", Done: done, Total: total})
		}
		select {
		case <-enter:
			return nil
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return nil
			}
			return ctx.Err()
		case <-tick.C:
			done++
		}
	}
}

// Ask shows prompt and reads the line typed after it at the keyboard
// (echo off from before the prompt shows, when echo is false; then the
// newline the terminal did not show is printed).
func (c taskConsole) Ask(ctx context.Context, prompt string, echo bool) (string, error) {
	kb := c.r.opts.Keyboard
	if kb == nil {
		return "", errors.New("no terminal to read from")
	}
	if !echo {
		restore, err := kb.noEcho()
		if err != nil {
			return "", err
		}
		defer restore()
		defer c.Display("")
	}
	kb.drop()
	c.Display(prompt)
	return kb.ReadLine(ctx, true)
}

// Keyboard reads what is typed at the terminal ferry runs on.
type Keyboard struct{ fd int }

// TerminalKeyboard is f's keyboard when f is a terminal and ferry runs in
// its foreground (Ansible's is_interactive: a background job is not
// asked), else nil.
func TerminalKeyboard(f *os.File) *Keyboard {
	fd := int(f.Fd())
	if !term.IsTerminal(fd) {
		return nil
	}
	if pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP); err != nil || pgrp != unix.Getpgrp() {
		return nil
	}
	return &Keyboard{fd: fd}
}

// drop forgets what was typed so far, so that a key pressed before a
// prompt showed does not answer it (as Ansible's pause).
func (k *Keyboard) drop() { _ = unix.IoctlSetInt(k.fd, unix.TCFLSH, unix.TCIFLUSH) }

// ReadLine reads one line, the terminal's echo off while it reads when echo
// is false. The terminal stays in its line mode, so Ctrl+C still interrupts
// the run, and ctx ending stops the read.
func (k *Keyboard) ReadLine(ctx context.Context, echo bool) (string, error) {
	if !echo {
		restore, err := k.noEcho()
		if err != nil {
			return "", err
		}
		defer restore()
	}
	var line []byte
	buf := make([]byte, 512)
	for {
		if err := k.awaitInput(ctx); err != nil {
			return "", err
		}
		n, err := unix.Read(k.fd, buf)
		if err != nil && !errors.Is(err, unix.EINTR) && !errors.Is(err, unix.EAGAIN) {
			return "", err
		}
		line = append(line, buf[:max(n, 0)]...)
		if i := strings.IndexByte(string(line), '\n'); i >= 0 || n == 0 && err == nil {
			return strings.TrimRight(strings.SplitN(string(line), "\n", 2)[0], "\r"), nil
		}
		if len(line) > 64_000 {
			return "", errors.New("the line typed is longer than 64 kB")
		}
	}
}

// awaitInput returns once the terminal has input, or ctx's error.
func (k *Keyboard) awaitInput(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		fds := []unix.PollFd{{Fd: int32(k.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, 100)
		if err != nil && !errors.Is(err, unix.EINTR) {
			return err
		}
		if n > 0 {
			return nil
		}
	}
}

// noEcho turns the terminal's echo off and returns what turns it back on.
func (k *Keyboard) noEcho() (func(), error) {
	old, err := unix.IoctlGetTermios(k.fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(k.fd, unix.TCSETS, &quiet); err != nil {
		return nil, err
	}
	return func() { _ = unix.IoctlSetTermios(k.fd, unix.TCSETS, old) }, nil
}
