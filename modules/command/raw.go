package command

import (
	"context"
	"github.com/ferry-sh/ferry/internal/anylist"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(rawModule{}) }

// rawModule runs a command line through the host's shell with nothing else
// around it (Ansible's raw): no creates/removes, no output stripping, always
// changed. It is how a host without anything installed is bootstrapped.
type rawModule struct{}

type rawOptions struct {
	// A tag that holds backquotes is written as a quoted string.
	FreeForm   string "opt:\"free_form,required,nonempty\" doc:\"The command line, run with `/bin/sh -c` (or executable -c). The free-form `raw: ...` text.\""
	Executable string `opt:"executable" doc:"The shell to run the command line with (an absolute path, e.g. /bin/bash)."`
}

func (rawModule) Spec() modules.Spec {
	return modules.Spec{
		Name:          "raw",
		Returns:       []string{"rc", "stdout", "stdout_lines", "stderr", "stderr_lines", "changed"}, // the order of Ansible's result
		Summary:       "Run a command line through the host's shell, unprocessed (always changed; skipped under --check)",
		Args:          modules.OptionsOf[rawOptions](),
		FreeForm:      "free_form",
		Check:         modules.CheckSkip,
		CheckSkipData: map[string]any{}, // action/raw.py: skipped, no msg
	}
}

// Run mirrors ansible-core 2.14's action/raw.py: skipped in check mode
// whatever the arguments (by the runner: Spec.Check), changed whenever it
// runs, failed with "non-zero return code" on a non-zero exit, stdout and
// stderr as the command left them.
func (rawModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[rawOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	line := o.FreeForm
	cmd := modules.Command{Shell: line, Become: h.Become}
	if o.Executable != "" {
		cmd = modules.Command{Argv: []string{o.Executable, "-c", line}, Become: h.Become}
	}
	out, _, err := runGated(ctx, h, "run: "+line, cmd)
	if err != nil {
		return modules.Result{}, err
	}
	return rawResult(out), nil
}

// runGated runs a mutating command through the gate, streaming its output
// lines as events. ran is false when the gate only planned it (check mode).
func runGated(ctx context.Context, h *modules.Host, what string, cmd modules.Command) (out modules.Output, ran bool, err error) {
	stdoutLines, stderrLines := modules.NewLineEmitters(h)
	cmd.Stdout, cmd.Stderr = stdoutLines, stderrLines
	err = h.Change(what, func(w modules.Writer) error {
		var err error
		out, err = w.Run(ctx, cmd)
		ran = true
		return err
	})
	stdoutLines.Flush()
	stderrLines.Flush()
	return out, ran, err
}

// rawResult is the result raw and script register: the output as it came,
// with Ansible's line lists.
func rawResult(out modules.Output) modules.Result {
	data := map[string]any{
		"rc":     out.RC,
		"stdout": out.Stdout, "stdout_lines": anylist.Lines(out.Stdout),
		"stderr": out.Stderr, "stderr_lines": anylist.Lines(out.Stderr),
	}
	res := modules.Result{Data: data}
	if out.RC != 0 {
		res.Failed, res.Msg = true, "non-zero return code"
		data["msg"] = res.Msg
	}
	return res
}
