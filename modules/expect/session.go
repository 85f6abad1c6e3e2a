package expect

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-sh/ferry/internal/pyrepr"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// session is one run of the command: the terminal's output as it comes,
// the prompts it answers, and how it ended.
type session struct {
	prompts []*prompt
	timeout time.Duration // 0: none

	mu       sync.Mutex
	output   bytes.Buffer // everything the terminal printed
	pending  []byte       // printed since the last prompt matched
	answers  *io.PipeWriter
	timer    *time.Timer
	stop     context.CancelFunc
	timedOut atomic.Bool
	failure  string // expect.py's fail_json message, when no answer is left
}

// wrapper changes into the directory $2 (when given), finds the program
// $3 as pexpect's which() does (PATH only; a name with a slash as it is),
// runs the command line $4 under script(1) with the program's path in
// FERRY_PROG, and says how it ended on stderr, after the marker $1, so
// that ferry stops feeding answers: "nochdir", "notfound", "noscript" (no
// util-linux script), or the exit status.
const wrapper = `m=$1
if [ -n "$2" ] && ! cd "$2"; then printf '\n%s nochdir\n' "$m" >&2; exit 1; fi
case $3 in */*) p=$3 ;; *) p=; IFS=:; for d in ${PATH:-/usr/bin:/bin}; do
  if [ -n "$3" ] && [ -f "$d/$3" ] && [ -x "$d/$3" ]; then p=$d/$3; break; fi; done; unset IFS ;; esac
if [ -z "$p" ] || [ ! -f "$p" ] || [ ! -x "$p" ]; then printf '\n%s notfound\n' "$m" >&2; exit 127; fi
command -v script >/dev/null 2>&1 || { printf '\n%s noscript\n' "$m" >&2; exit 127; }
FERRY_PROG=$p FERRY_SHELL=${SHELL-} SHELL=/bin/sh script -qec "$4" /dev/null
rc=$?; printf '\n%s %d\n' "$m" "$rc" >&2; exit $rc`

// inner is what script(1) runs in the terminal: the terminal set as
// pexpect sets it (24 rows, 80 columns, echo off unless asked), the
// environment as the host's, then the program with its arguments.
func inner(args []string, echo bool) string {
	stty := "stty -echo rows 24 cols 80 2>/dev/null"
	if echo {
		stty = "stty rows 24 cols 80 2>/dev/null"
	}
	return stty + `
if [ -n "$FERRY_SHELL" ]; then SHELL=$FERRY_SHELL; export SHELL; else unset SHELL; fi
p=$FERRY_PROG; unset FERRY_PROG FERRY_SHELL
exec "$p" ` + hostcmd.Quote(args...)
}

// run runs the command through the gate and answers its prompts; rc is
// its exit status.
func (s *session) run(ctx context.Context, h *modules.Host, o expectOptions) (int, error) {
	argv := splitCommandLine(o.Command)
	if len(argv) == 0 {
		argv = []string{""}
	}
	marker := newMarker()
	script := "sh -c " + hostcmd.Quote(wrapper) + " sh " + hostcmd.Quote(marker, o.Chdir, argv[0], inner(argv[1:], o.Echo))
	ctx, s.stop = context.WithCancel(ctx)
	defer s.stop()
	answers, feed := io.Pipe()
	s.answers = feed
	// The input ends with the command (the wrapper's last words), when the
	// run is stopped, and at the latest here: an SSH session's copy of it
	// would wait for ever.
	defer feed.Close()
	context.AfterFunc(ctx, func() { feed.Close() })
	if s.timeout > 0 {
		s.timer = time.AfterFunc(s.timeout, s.expire)
		defer s.timer.Stop()
	}
	end := &endWatch{marker: marker, done: func() { feed.Close() }}
	var out modules.Output
	err := h.Change("run: "+o.Command, func(w modules.Writer) error {
		var err error
		out, err = w.Run(ctx, modules.Command{Shell: script, Become: h.Become, Stdin: answers, Stdout: writerFunc(s.read), Stderr: end})
		return err
	})
	if s.timedOut.Load() || s.failed() {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	return end.rc(o.Chdir, argv[0], out)
}

// expire is the timeout: pexpect's expect gave up waiting for a prompt or
// the end.
func (s *session) expire() {
	s.timedOut.Store(true)
	s.stop()
}

func (s *session) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failure != ""
}

// read takes the terminal's output: every prompt it now shows is answered,
// the earliest first (pexpect's searcher: the match that starts first, the
// prompt given first on a tie).
func (s *session) read(p []byte) (int, error) {
	// One goroutine calls read, in the output's order: the answers are
	// written in the order of their prompts, outside the lock (a write
	// waits for the host to take it).
	for _, a := range s.take(p) {
		if _, err := io.WriteString(s.answers, a); err != nil {
			break
		}
	}
	return len(p), nil
}

// take adds output and returns the answers to its prompts.
func (s *session) take(p []byte) (answers []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.output.Write(p)
	s.pending = append(s.pending, p...)
	for s.failure == "" && !s.timedOut.Load() {
		best, loc := s.match()
		if best == nil {
			break
		}
		chunk := pyrepr.Bytes(s.pending[:loc[1]])
		s.pending = s.pending[loc[1]:]
		if s.timer != nil {
			s.timer.Reset(s.timeout)
		}
		if best.next >= len(best.answers) {
			s.failure = fmt.Sprintf("No remaining responses for '%s', output was '%s'", best.question, chunk)
			s.stop()
			break
		}
		answers = append(answers, best.answers[best.next])
		if best.list {
			best.next++
		}
	}
	return answers
}

// match finds the prompt whose pattern matches first in pending. An empty
// match is no prompt (pexpect would answer it again and again).
func (s *session) match() (*prompt, []int) {
	var best *prompt
	var bestLoc []int
	for _, pr := range s.prompts {
		loc := pr.pattern.FindIndex(s.pending)
		if loc == nil || loc[0] == loc[1] {
			continue
		}
		if best == nil || loc[0] < bestLoc[0] {
			best, bestLoc = pr, loc
		}
	}
	return best, bestLoc
}

// endWatch reads the wrapper's stderr for the marker line that tells how
// the command ended, then stops the answers.
type endWatch struct {
	marker string
	done   func()
	buf    bytes.Buffer
	status string
}

// rc is the exit status the wrapper reported, or why there is none.
func (e *endWatch) rc(chdir, program string, out modules.Output) (int, error) {
	switch e.status {
	case "nochdir":
		return 0, fmt.Errorf("cannot change into chdir %s: %s", chdir, strings.TrimSpace(strings.SplitN(out.Stderr, "\n"+e.marker, 2)[0]))
	case "notfound":
		return 0, errors.New("The command was not found or was not executable: " + program + ".")
	case "noscript":
		return 0, errors.New("expect runs the command under script(1) on the host, which is missing: install util-linux (bsdutils on Debian)")
	case "":
		return 0, fmt.Errorf("the command under script(1) ended without its status: %s", strings.TrimSpace(out.Stderr))
	}
	return strconv.Atoi(e.status)
}

func (e *endWatch) Write(p []byte) (int, error) {
	e.buf.Write(p)
	text := e.buf.String()
	if i := strings.Index(text, "\n"+e.marker+" "); i >= 0 {
		if line, _, ok := strings.Cut(text[i+len(e.marker)+2:], "\n"); ok && e.status == "" {
			e.status = line
			e.done()
		}
	}
	return len(p), nil
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func newMarker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "ferry-expect-" + hex.EncodeToString(b)
}

// splitCommandLine is pexpect's split_command_line: words split at
// whitespace, with quotes and backslashes as a shell has them (no
// expansion of any kind).
func splitCommandLine(line string) []string {
	const (
		basic = iota
		escaped
		single
		double
		space
	)
	var args []string
	var arg strings.Builder
	state := basic
	for _, c := range line {
		switch state {
		case basic, space:
			switch {
			case c == '\\':
				state = escaped
			case c == '\'':
				state = single
			case c == '"':
				state = double
			case isSpace(c):
				if state != space {
					args = append(args, arg.String())
					arg.Reset()
					state = space
				}
			default:
				arg.WriteRune(c)
				state = basic
			}
		case escaped:
			arg.WriteRune(c)
			state = basic
		case single, double:
			if c == '\'' && state == single || c == '"' && state == double {
				state = basic
			} else {
				arg.WriteRune(c)
			}
		}
	}
	if arg.Len() > 0 {
		args = append(args, arg.String())
	}
	return args
}

func isSpace(c rune) bool { return strings.ContainsRune(" \t\n\r\v\f", c) }
