package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// sample is one run of one tool: wall time, CPU time (user + system, of the
// process and every child it waited for: Ansible's workers and ssh clients
// count) and peak RSS (the largest of those processes).
type sample struct {
	wall, cpu time.Duration
	rssKB     int64
	rc        int // exit status
}

// command is a child process to measure.
type command struct {
	argv []string
	env  []string // added to the bench's own environment
	dir  string
}

// mustMeasure is measure where anything but exit status 0 stops the bench.
func (b *bench) mustMeasure(tag string, c command) sample {
	s, err := b.measure(tag, c)
	if err == nil && s.rc != 0 {
		err = fmt.Errorf("%s: exit status %d (output in %s):\n%s", strings.Join(c.argv, " "), s.rc, b.logPath(tag), tail(b.logPath(tag), 20))
	}
	if err != nil {
		b.h.Fatalf("%s: %v", tag, err)
	}
	return s
}

func (b *bench) logPath(tag string) string { return filepath.Join(b.work, "logs", tag+".log") }

// measure runs c once, its output into a log file named after tag. An exit
// status other than 0 is in the sample; err is for a command that could not
// run at all.
//
// The command runs under this program's `exec` launcher, which reports the
// command's own rusage: Linux counts in a child's maxrss the RSS of the
// process that started it when that one shares its memory until exec (as Go
// does), so measuring from here would add this program's RSS to every tool.
// A fresh launcher is a few MB, the same for every tool.
func (b *bench) measure(tag string, c command) (sample, error) {
	logPath := b.logPath(tag)
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return sample{}, err
	}
	log, err := os.Create(logPath)
	if err != nil {
		return sample{}, err
	}
	defer log.Close()
	usage := logPath + ".rusage"
	argv := append([]string{b.self, "exec", usage}, c.argv...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = c.dir
	cmd.Env = append(b.childEnv(), c.env...)
	if b.profileDir != "" && c.argv[0] == b.ferry {
		cmd.Env = append(cmd.Env, "FERRY_CPUPROFILE="+filepath.Join(b.profileDir, tag+".pprof"))
	}
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so that an interrupted bench stops all of it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := b.run(cmd); err != nil {
		return sample{}, fmt.Errorf("%s: %v:\n%s", strings.Join(c.argv, " "), err, tail(logPath, 20))
	}
	data, err := os.ReadFile(usage)
	if err != nil {
		return sample{}, err
	}
	var s sample
	if _, err := fmt.Sscanf(string(data), "%d %d %d %d", &s.wall, &s.cpu, &s.rssKB, &s.rc); err != nil {
		return sample{}, fmt.Errorf("%s: %v", usage, err)
	}
	return s, nil
}

// run runs cmd, remembering it for stopRunning.
func (b *bench) run(cmd *exec.Cmd) error {
	b.mu.Lock()
	if err := cmd.Start(); err != nil {
		b.mu.Unlock()
		return err
	}
	b.running = cmd
	b.mu.Unlock()
	err := cmd.Wait()
	b.mu.Lock()
	b.running = nil
	b.mu.Unlock()
	return err
}

// stopRunning kills the process group of the command being measured.
func (b *bench) stopRunning() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.running != nil {
		_ = syscall.Kill(-b.running.Process.Pid, syscall.SIGKILL)
	}
}

// execMain is the launcher: `ferry-bench exec USAGEFILE ARGV...` runs ARGV
// and writes its wall time, CPU time (ns), peak RSS (KB) and exit status to
// USAGEFILE.
func execMain(argv []string) error {
	if len(argv) < 2 {
		return errors.New("usage: ferry-bench exec USAGEFILE COMMAND [ARG...]")
	}
	cmd := exec.Command(argv[1], argv[2:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return err
	}
	var cpu time.Duration
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		rss = ru.Maxrss
	}
	return os.WriteFile(argv[0], fmt.Appendf(nil, "%d %d %d %d\n", wall, cpu, rss, cmd.ProcessState.ExitCode()), 0o644)
}

// childEnv is the environment every measured tool gets: no SSH agent (keys
// come from the inventory), the same HOME and PATH.
func (b *bench) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SSH_AUTH_SOCK=") || strings.HasPrefix(kv, "ANSIBLE_") || strings.HasPrefix(kv, "FERRY_CPUPROFILE=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func tail(path string, lines int) string {
	data, _ := os.ReadFile(path)
	all := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// stats is the median of several samples of one tool, each field on its own.
type stats struct {
	n         int
	wall, cpu time.Duration
	rssKB     int64
}

func median(samples []sample) stats {
	n := len(samples)
	if n == 0 {
		return stats{}
	}
	walls := make([]time.Duration, n)
	cpus := make([]time.Duration, n)
	rss := make([]int64, n)
	for i, s := range samples {
		walls[i], cpus[i], rss[i] = s.wall, s.cpu, s.rssKB
	}
	return stats{n: n, wall: middle(walls), cpu: middle(cpus), rssKB: middle(rss)}
}

// middle is the median; the mean of the two middle values for an even count.
func middle[T int64 | time.Duration](xs []T) T {
	sort.Slice(xs, func(i, j int) bool { return xs[i] < xs[j] })
	m := len(xs) / 2
	if len(xs)%2 == 0 {
		return (xs[m-1] + xs[m]) / 2
	}
	return xs[m]
}
