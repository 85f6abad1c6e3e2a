package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// terminalRun is ferry running on a pseudo-terminal, as someone at a
// terminal runs it.
type terminalRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File
	mu   sync.Mutex
	out  bytes.Buffer
	more chan struct{} // a signal each time output arrives
	done chan struct{} // the output ended
}

func startOnTerminal(t *testing.T, args ...string) *terminalRun {
	t.Helper()
	cmd := exec.Command(buildFerry(t), args...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 100})
	must(t, err)
	r := &terminalRun{t: t, cmd: cmd, tty: tty, more: make(chan struct{}, 1), done: make(chan struct{})}
	go r.collect()
	hang := time.AfterFunc(2*time.Minute, func() { _ = cmd.Process.Kill() }) // ends the output: waitFor then fails
	t.Cleanup(func() { hang.Stop(); _ = cmd.Process.Kill(); _ = cmd.Wait(); tty.Close() })
	return r
}

func (r *terminalRun) collect() {
	defer close(r.done)
	buf := make([]byte, 4096)
	for {
		n, err := r.tty.Read(buf)
		r.mu.Lock()
		r.out.Write(buf[:n])
		r.mu.Unlock()
		select {
		case r.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (r *terminalRun) output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.out.String()
}

// waitFor returns once the output holds text; it fails the test when the
// output ends without it.
func (r *terminalRun) waitFor(text string) {
	r.t.Helper()
	for !strings.Contains(r.output(), text) {
		select {
		case <-r.more:
		case <-r.done:
			if !strings.Contains(r.output(), text) {
				r.t.Fatalf("the output ended without %q:\n%s", text, r.output())
			}
		}
	}
}

// finish types nothing more and returns the exit code and the whole output.
func (r *terminalRun) finish() (int, string) {
	r.t.Helper()
	err := r.cmd.Wait()
	<-r.done
	return exitCode(err), r.output()
}

func (r *terminalRun) typeText(s string) {
	r.t.Helper()
	_, err := io.WriteString(r.tty, s)
	must(r.t, err)
}

const promptPlaybook = `- hosts: web1,web2
  gather_facts: false
  tasks:
    - pause: {prompt: Type something}
      register: typed
    - pause: {prompt: Password please, echo: false}
      register: hidden
    - debug: {msg: "typed [{{ typed.user_input }}] hidden [{{ hidden.user_input }}]"}
      when: typed is defined
`

// On a terminal, pause's prompt waits for Enter and registers what was
// typed, once for all hosts; a prompt with echo off shows nothing typed and
// the answer is masked from then on.
func TestPausePromptWaitsForEnterOnATerminal(t *testing.T) {
	pb, inv := site(t, promptPlaybook)
	r := startOnTerminal(t, "run", pb, "-i", inv, "--no-journal")
	r.waitFor("[pause]\r\nType something:")
	r.typeText("hello there\r")
	r.waitFor("Password please (output is hidden):")
	r.typeText("s3cr3t-typed\r")
	code, out := r.finish()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, `"msg": "typed [hello there] hidden [********]"`) {
		t.Errorf("the answers were not registered (or the hidden one not masked):\n%s", out)
	}
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("the hidden answer shows:\n%s", out)
	}
	if n := strings.Count(out, "Type something:"); n != 1 {
		t.Errorf("the prompt showed %d times for two hosts, want once:\n%s", n, out)
	}
}

// Without a terminal the prompt does not wait, as Ansible's: a warning says
// so (on stderr, as Display.warning) and nothing was typed.
func TestPausePromptWithoutATerminal(t *testing.T) {
	pb, inv := site(t, promptPlaybook)
	var stdout, stderr bytes.Buffer
	code := runIO([]string{"run", pb, "-i", inv, "--no-journal"}, strings.NewReader("not read\n"), &stdout, &stderr)
	out := stdout.String()
	if code != 0 || !strings.Contains(out, "[pause]\nType something:\n") ||
		!strings.Contains(stderr.String(), "[WARNING]: Not waiting for response to prompt as stdin is not interactive\n") ||
		!strings.Contains(out, `"msg": "typed [] hidden []"`) {
		t.Errorf("exit %d\n%s%s", code, out, stderr.String())
	}
}

// On a terminal a timed pause counts down the time left, and Enter ends it
// early.
func TestPauseCountsDownAndEnterContinues(t *testing.T) {
	pb, inv := site(t, `- hosts: web1
  gather_facts: false
  tasks:
    - pause: {minutes: 30}
      register: waited
    - debug: {var: waited.stdout}
`)
	r := startOnTerminal(t, "run", pb, "-i", inv, "--no-journal")
	r.waitFor("Pausing for 1800 seconds\r\n(Enter = continue early, ctrl+C = abort)")
	r.waitFor("\x1b[K30m0s left")
	r.typeText("\r")
	code, out := r.finish()
	if code != 0 || !strings.Contains(out, `"waited.stdout": "Paused for 0.`) || !strings.Contains(out, "minutes\"") {
		t.Errorf("exit %d\n%q", code, out)
	}
}
