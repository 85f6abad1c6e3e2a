package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// built is the ferry binary the tests that run it as a process share:
// linking it takes seconds of CPU, once per package is enough.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

// buildFerry returns the ferry binary, built on first use.
func buildFerry(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "ferry-bin-"); built.err != nil {
			return
		}
		built.bin = filepath.Join(built.dir, "ferry")
		if out, err := exec.Command("go", "build", "-o", built.bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// TestMain removes the shared binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// marker is a number given to sleep as an extra duration (sleep adds its
// arguments), so that the test finds exactly its own processes.
func marker(t *testing.T) string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	must(t, err)
	return fmt.Sprint(1_000_000 + n.Int64())
}

// lockedBuffer collects the child's stdout while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// startSleeping starts ferry on a playbook whose first task runs script on
// three local hosts, and returns once those processes are running.
func startSleeping(t *testing.T, script, mark string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	pb, inv := site(t, fmt.Sprintf("- hosts: web\n  gather_facts: false\n  tasks:\n    - name: sleep\n      shell: %q\n    - name: never\n      command: 'true'\n", script))
	cmd := exec.Command(buildFerry(t), "run", pb, "-i", inv)
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	out := &lockedBuffer{}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out.mu.Lock()
			out.b.WriteString(sc.Text() + "\n")
			out.mu.Unlock()
		}
	}()
	for i := 0; countProcs(mark) < 3; i++ {
		if i > 1500 {
			t.Fatalf("the task never started:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, out
}

// countProcs counts live (not zombie) processes with mark in their argv.
func countProcs(mark string) int {
	out, _ := exec.Command("ps", "-eo", "stat=,args=").Output()
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.TrimSpace(l)
		if strings.Contains(l, "sleep") && strings.Contains(l, mark) && !strings.HasPrefix(l, "Z") {
			n++
		}
	}
	return n
}

func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// One Ctrl-C: running tasks are stopped (their processes too), no new task
// starts, the recap prints and ferry exits 99.
func TestInterruptStopsTasksPrintsRecapExits99(t *testing.T) {
	mark := marker(t)
	cmd, out := startSleeping(t, "sleep 300 "+mark, mark)
	must(t, cmd.Process.Signal(syscall.SIGINT))
	if code := exitCode(cmd.Wait()); code != 99 {
		t.Errorf("exit %d, want 99\n%s", code, out)
	}
	if !strings.Contains(out.String(), "PLAY RECAP") || strings.Contains(out.String(), "TASK [never]") {
		t.Errorf("want the recap and no new task:\n%s", out)
	}
	if n := countProcs(mark); n > 0 {
		t.Errorf("%d task processes still run after the interrupt", n)
	}
}

// A second Ctrl-C exits at once, without waiting for tasks that resist
// being stopped (here: processes that ignore SIGTERM).
func TestSecondInterruptExitsAtOnce(t *testing.T) {
	mark := marker(t)
	cmd, out := startSleeping(t, "trap '' TERM; while :; do sleep 1 "+mark+"; done", mark)
	must(t, cmd.Process.Signal(syscall.SIGINT))
	time.Sleep(100 * time.Millisecond)
	must(t, cmd.Process.Signal(syscall.SIGINT))
	if code := exitCode(cmd.Wait()); code != 99 {
		t.Errorf("exit %d, want 99", code)
	}
	if strings.Contains(out.String(), "PLAY RECAP") {
		t.Errorf("the second interrupt waited for the run to end:\n%s", out)
	}
	// The stubborn processes get SIGKILL from nobody now; clean them up.
	_ = exec.Command("pkill", "-KILL", "-f", "sleep 1 "+mark).Run()
	_ = exec.Command("pkill", "-KILL", "-f", "while :; do sleep 1 "+mark).Run()
}
