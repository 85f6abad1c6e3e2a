package command

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

func init() {
	modules.Register(commandModule{})
	modules.Register(shellModule{})
}

// commandModule runs a program without a shell (Ansible's command).
type commandModule struct{}

// shellModule runs a script through /bin/sh -c (Ansible's shell).
type shellModule struct{}

// checkSkipMsg is Ansible's message for command and shell in check mode
// when nothing (creates/removes) lets them predict their effect; the runner
// reports it (Spec.Check) without running the module.
const checkSkipMsg = "Command would have run if not in check mode"

// runOptions are the options command and shell share.
type runOptions struct {
	Chdir           string  `opt:"chdir" doc:"Change into this directory on the host before running."`
	Creates         string  `opt:"creates" doc:"A path or glob on the host; when it matches, the command is not run."`
	Removes         string  `opt:"removes" doc:"A path or glob on the host; when it matches nothing, the command is not run."`
	Stdin           *string `opt:"stdin" doc:"Text fed to the command's standard input."`
	StdinAddNewline bool    `opt:"stdin_add_newline" default:"true" doc:"Append a newline to stdin."`
	StripEmptyEnds  bool    `opt:"strip_empty_ends" default:"true" doc:"Strip trailing newlines from stdout and stderr in the result."`
}

type commandOptions struct {
	Cmd  string   "opt:\"cmd,nonempty\" doc:\"The command line, split into words like a shell would (quotes, backslashes) but with no shell: no pipes, redirects, variables or globs. The free-form `command: ...` text.\""
	Argv []string `opt:"argv" doc:"The program and its arguments as a list, instead of cmd; nothing is split."`
	runOptions
}

func (commandOptions) OptionChecks() map[string]func(any) error {
	return map[string]func(any) error{"argv": checkArgv}
}

type shellOptions struct {
	Cmd        string "opt:\"cmd,required,nonempty\" doc:\"The script, run with `/bin/sh -c` (or executable -c). The free-form `shell: ...` text.\""
	Executable string `opt:"executable" doc:"The shell to run the script with, instead of /bin/sh (an absolute path, e.g. /bin/bash)."`
	runOptions
}

func (commandModule) Spec() modules.Spec {
	return modules.Spec{
		Name:     "command",
		Summary:  "Run a program on the host, without a shell",
		Args:     modules.OptionsOf[commandOptions](),
		FreeForm: "cmd",
		OneOf:    [][]string{{"cmd", "argv"}},
		Check:    modules.CheckIfDecided,
		Deciders: []string{"creates", "removes"},
		Returns:  commandReturns,
	}
}

// commandReturns is the order of the command module's dict r (fail_json
// moves msg after failed), then what the action plugin adds (stdout_lines).
var commandReturns = []string{"changed", "stdout", "stderr", "rc", "cmd", "start", "end", "delta", "failed", "msg",
	"skipped", "stdout_lines", "stderr_lines"}

func (shellModule) Spec() modules.Spec {
	return modules.Spec{
		Name:     "shell",
		Summary:  "Run a script on the host through a shell",
		Args:     modules.OptionsOf[shellOptions](),
		FreeForm: "cmd",
		Check:    modules.CheckIfDecided,
		Deciders: []string{"creates", "removes"},
		Returns:  commandReturns,
	}
}

// CheckSkipped is command's whole result when check mode skips it, as
// Ansible's command module returns it: nothing ran, and cmd is the words.
func (commandModule) CheckSkipped(args modules.Args) map[string]any {
	var cmd any
	if o, err := modules.Decode[commandOptions](args); err == nil {
		cmd = anylist.Of(o.Argv)
		if o.Argv == nil {
			words, _ := shellquote.Split(o.Cmd)
			cmd = anylist.Of(words)
		}
	}
	return skippedResult(cmd)
}

// CheckSkipped is shell's whole result when check mode skips it.
func (shellModule) CheckSkipped(args modules.Args) map[string]any {
	cmd, _ := args["cmd"].(string)
	return skippedResult(cmd)
}

func skippedResult(cmd any) map[string]any {
	data := notRun(map[string]any{"cmd": cmd})
	data["changed"], data["msg"], data["skipped"] = false, checkSkipMsg, true
	return data
}

// notRun fills a result of a command that did not run: rc 0, no output,
// null times, as Ansible's command module leaves them.
func notRun(data map[string]any) map[string]any {
	data["rc"], data["stdout"], data["stderr"] = 0, "", ""
	data["stdout_lines"], data["stderr_lines"] = []any{}, []any{}
	data["start"], data["end"], data["delta"] = nil, nil, nil
	return data
}

func (commandModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[commandOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	argv := o.Argv
	if argv == nil {
		words, err := shellquote.Split(o.Cmd)
		if err != nil {
			return modules.Result{}, fmt.Errorf("cannot split command %q into words: %w", o.Cmd, err)
		}
		argv = words
	}
	if len(argv) == 0 {
		return modules.Result{}, fmt.Errorf("no command given: cmd or argv is empty")
	}
	data := map[string]any{"cmd": anylist.Of(argv)}
	return runCommand(ctx, h, o.runOptions, modules.Command{Argv: argv}, shellquote.Join(argv), data)
}

func (shellModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[shellOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	script := o.Cmd
	if strings.TrimSpace(script) == "" {
		return modules.Result{}, fmt.Errorf("no command given: cmd is empty")
	}
	cmd := modules.Command{Shell: script}
	if exe := o.Executable; exe != "" {
		cmd = modules.Command{Argv: []string{exe, "-c", script}}
	}
	return runCommand(ctx, h, o.runOptions, cmd, script, map[string]any{"cmd": script})
}

// runCommand is what command and shell share: creates/removes, running
// through the gate, and the result fields Ansible users register. Check mode
// without creates/removes never gets here: the runner skips the task
// (Spec.Check).
func runCommand(ctx context.Context, h *modules.Host, o runOptions, cmd modules.Command, display string, data map[string]any) (modules.Result, error) {
	if skip, msg, err := skipByCreatesRemoves(ctx, h, o); err != nil || skip {
		if skip {
			// As Ansible: ok and unchanged, not skipped.
			notRun(data)
			data["stdout"], data["stdout_lines"] = msg.stdout, []any{msg.stdout}
			data["msg"] = msg.msg
			return modules.Result{Msg: msg.msg, Data: data}, nil
		}
		return modules.Result{}, err
	}
	cmd.Dir = o.Chdir
	cmd.Become = h.Become
	if o.Stdin != nil {
		in := *o.Stdin
		if o.StdinAddNewline {
			in += "\n"
		}
		cmd.Stdin = strings.NewReader(in)
	}
	start := time.Now()
	out, ran, err := runGated(ctx, h, "run: "+display, cmd)
	end := time.Now()
	if err != nil {
		return modules.Result{}, err
	}
	if !ran { // check mode: the gate planned it
		notRun(data)["msg"] = checkSkipMsg
		return modules.Result{Msg: checkSkipMsg, Data: data}, nil
	}
	return commandResult(o, out, start, end, data), nil
}

func commandResult(o runOptions, out modules.Output, start, end time.Time, data map[string]any) modules.Result {
	stdout, stderr := out.Stdout, out.Stderr
	if o.StripEmptyEnds {
		stdout, stderr = strings.TrimRight(stdout, "\r\n"), strings.TrimRight(stderr, "\r\n")
	}
	data["rc"] = out.RC
	data["stdout"], data["stdout_lines"] = stdout, anylist.Lines(stdout)
	data["stderr"], data["stderr_lines"] = stderr, anylist.Lines(stderr)
	data["start"], data["end"] = modules.FormatTime(start), modules.FormatTime(end)
	data["delta"] = modules.FormatDelta(end.Sub(start))
	res := modules.Result{Data: data}
	if out.RC != 0 {
		res.Failed, res.Msg = true, "non-zero return code"
		data["msg"] = res.Msg
	} else {
		data["msg"] = ""
	}
	return res
}

type skipReason struct{ msg, stdout string }

// skipByCreatesRemoves decides whether creates/removes make the run
// unnecessary. A relative path is taken from chdir, as Ansible does.
func skipByCreatesRemoves(ctx context.Context, h *modules.Host, o runOptions) (bool, skipReason, error) {
	shoulda := "Did"
	if h.Check { // only the wording: Ansible's message says Would in check mode
		shoulda = "Would"
	}
	if p := o.Creates; p != "" {
		found, err := globMatches(ctx, h, inDir(o.Chdir, p))
		if err != nil || found {
			return found, skipReason{fmt.Sprintf("%s not run command since '%s' exists", shoulda, p), fmt.Sprintf("skipped, since %s exists", p)}, err
		}
	}
	if p := o.Removes; p != "" {
		found, err := globMatches(ctx, h, inDir(o.Chdir, p))
		if err != nil || !found {
			return !found && err == nil, skipReason{fmt.Sprintf("%s not run command since '%s' does not exist", shoulda, p), fmt.Sprintf("skipped, since %s does not exist", p)}, err
		}
	}
	return false, skipReason{}, nil
}

func inDir(dir, p string) string {
	if dir == "" || path.IsAbs(p) {
		return p
	}
	return path.Join(dir, p)
}

// globMatches tells whether pattern matches an existing path on the host.
// The shell expands the glob characters; everything else is quoted, so a
// path with spaces or quotes means itself.
func globMatches(ctx context.Context, h *modules.Host, pattern string) (bool, error) {
	script := "for f in " + globWord(pattern) + `; do if [ -e "$f" ] || [ -L "$f" ]; then exit 0; fi; done; exit 1`
	out, err := h.Query(ctx, modules.Command{Shell: script, Become: h.Become})
	if err != nil {
		return false, fmt.Errorf("checking whether %s exists on %s: %w", pattern, modules.HostLabel(h), err)
	}
	return out.RC == 0, nil
}

// globWord quotes pattern for the shell except its * and ? wildcards and
// simple [...] classes, which stay live.
func globWord(pattern string) string {
	var b strings.Builder
	literal := strings.Builder{}
	flush := func() {
		if literal.Len() > 0 {
			b.WriteString(shellquote.Quote(literal.String()))
			literal.Reset()
		}
	}
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch {
		case c == '*' || c == '?':
			flush()
			b.WriteByte(c)
		case c == '[':
			end := strings.IndexByte(pattern[i+1:], ']')
			class := ""
			if end > 0 {
				class = pattern[i+1 : i+1+end]
			}
			if class != "" && strings.Trim(class, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!^-") == "" {
				flush()
				b.WriteString("[" + class + "]")
				i += end + 1
				continue
			}
			literal.WriteByte(c)
		default:
			literal.WriteByte(c)
		}
	}
	flush()
	return b.String()
}

func checkArgv(v any) error {
	if l, _ := v.([]any); len(l) == 0 {
		return errors.New("argv is empty; give the program and its arguments, one per item")
	}
	return nil
}
