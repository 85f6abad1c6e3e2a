// Package expect is ansible-core 2.14's expect module: a command run in a
// terminal, its prompts answered.
//
// Ansible runs the command through pexpect on the host (which must have
// Python and pexpect). ferry needs neither: the command runs on the host
// under util-linux's `script`, which gives it a terminal of its own, and
// ferry reads the terminal's output over its connection, matches the
// prompts (Python regular expressions, as pexpect does) and writes the
// answers to the terminal through the command's standard input. So an answer
// is never in argv, the environment or a file on the host.
package expect

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyre"
	"github.com/ferry-sh/ferry/internal/pyrepr"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(expect{}) }

type expect struct{}

type expectOptions struct {
	Command   string         `opt:"command,required" doc:"The command line, split into words as pexpect splits it (quotes and backslashes), run without a shell."`
	Chdir     string         `opt:"chdir" doc:"Change into this directory before running (and before creates and removes are looked up)."`
	Creates   string         `opt:"creates" doc:"A path on the host; when it exists, the command is not run."`
	Removes   string         `opt:"removes" doc:"A path on the host; when it does not exist, the command is not run."`
	Responses map[string]any `opt:"responses,required,secretkeys" doc:"Prompt (a Python regular expression) to answer (a string, or a list of answers given in turn at each match); an answer whose prompt names a password, passphrase, token or secret is masked in every output."`
	Timeout   *int           `opt:"timeout" default:"30" doc:"Seconds to wait for the next prompt (or the end); null waits for ever."`
	Echo      bool           `opt:"echo" default:"false" doc:"Let the terminal echo the answers (into stdout)."`
}

func (expect) Spec() modules.Spec {
	return modules.Spec{
		Name:    "expect",
		Summary: "Run a command in a terminal on the host and answer its prompts",
		Args:    modules.OptionsOf[expectOptions](),
		// expect.py does not support check mode: Ansible skips it there.
		Check:   modules.CheckSkip,
		Returns: []string{"cmd", "stdout", "rc", "start", "end", "delta", "changed", "failed", "msg", "stdout_lines"},
	}
}

// OptionChecks: every prompt must be a pattern ferry can match, known
// before the run.
func (expectOptions) OptionChecks() map[string]func(v any) error {
	return map[string]func(v any) error{"responses": func(v any) error {
		m, _ := v.(map[string]any)
		for _, q := range keyorder.Keys(m) {
			if _, err := compilePrompt(q); err != nil {
				return err
			}
		}
		return nil
	}}
}

// compilePrompt compiles a prompt as pexpect does: a Python pattern whose
// . matches newlines too.
func compilePrompt(q string) (*regexp.Regexp, error) {
	re, err := pyre.Compile("(?s)" + q)
	if err != nil {
		return nil, fmt.Errorf("the prompt %q is not a regular expression ferry can match (Go's RE2: no look-arounds nor backreferences): %w", q, err)
	}
	return re, nil
}

func (expect) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[expectOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if strings.TrimSpace(o.Command) == "" {
		return failedWith("no command given", map[string]any{"rc": 256}), errors.New("no command given")
	}
	prompts, err := promptsOf(o.Responses)
	if err != nil {
		return modules.Result{}, err
	}
	if skipped, res, err := skipByCreatesRemoves(ctx, h, o); skipped || err != nil {
		return res, err
	}
	s := &session{prompts: prompts, timeout: timeoutOf(o.Timeout)}
	start := time.Now()
	rc, err := s.run(ctx, h, o)
	end := time.Now()
	if err != nil {
		return modules.Result{}, err
	}
	if s.failure != "" {
		return failedWith(s.failure, nil), errors.New(s.failure)
	}
	stdout := strings.TrimRight(s.output.String(), "\r\n")
	data := map[string]any{"cmd": o.Command, "stdout": stdout, "stdout_lines": anylist.Lines(stdout), "rc": rc,
		"start": modules.FormatTime(start), "end": modules.FormatTime(end), "delta": modules.FormatDelta(end.Sub(start))}
	switch {
	case s.timedOut.Load():
		data["rc"] = nil
		return failedWith("command exceeded timeout", data), nil
	case rc != 0:
		return failedWith("non-zero return code", data), nil
	}
	return modules.Result{Data: data}, nil
}

// failedWith is fail_json's result: msg after the data.
func failedWith(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}

func timeoutOf(seconds *int) time.Duration {
	if seconds == nil {
		return 0
	}
	return time.Duration(*seconds) * time.Second
}

// skipByCreatesRemoves is expect.py's creates and removes: a path (no
// glob) looked up from chdir; a skip is ok and unchanged, with rc 0.
func skipByCreatesRemoves(ctx context.Context, h *modules.Host, o expectOptions) (bool, modules.Result, error) {
	for _, c := range []struct {
		path, why string
		skipIf    bool
	}{{o.Creates, "exists", true}, {o.Removes, "does not exist", false}} {
		if c.path == "" {
			continue
		}
		p := c.path
		if !path.IsAbs(p) && o.Chdir != "" {
			p = path.Join(o.Chdir, p)
		}
		out, err := hostcmd.Query(ctx, h, "test -e "+hostcmd.Quote(p))
		if err != nil {
			return false, modules.Result{}, err
		}
		if (out.RC == 0) == c.skipIf {
			stdout := fmt.Sprintf("skipped, since %s %s", c.path, c.why)
			data := map[string]any{"cmd": o.Command, "stdout": stdout, "rc": 0, "stdout_lines": []any{stdout}}
			return true, modules.Result{Data: data, Returns: []string{"cmd", "stdout", "changed", "rc", "stdout_lines"}}, nil
		}
	}
	return false, modules.Result{}, nil
}

// prompt is one of responses: its pattern and answers.
type prompt struct {
	question string
	pattern  *regexp.Regexp
	answers  []string
	list     bool // answers are given once each, in turn
	next     int
}

// promptsOf compiles responses as pexpect does (Python patterns, . matching
// newlines too), in the order the task gives them.
func promptsOf(responses map[string]any) ([]*prompt, error) {
	var out []*prompt
	for _, q := range keyorder.Keys(responses) {
		re, err := compilePrompt(q)
		if err != nil {
			return nil, err
		}
		p := &prompt{question: q, pattern: re}
		if list, ok := responses[q].([]any); ok {
			p.list = true
			for _, a := range list {
				p.answers = append(p.answers, answer(a))
			}
		} else {
			p.answers = []string{answer(responses[q])}
		}
		out = append(out, p)
	}
	return out, nil
}

// answer is what expect.py sends for a value: its text (Python's str),
// one newline ending it.
func answer(v any) string {
	return strings.TrimRight(pyrepr.Str(v), "\n") + "\n"
}
