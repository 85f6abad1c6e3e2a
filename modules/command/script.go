package command

import (
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(scriptModule{}) }

// scriptModule copies a script from the controller to the host and runs it
// there (Ansible's script).
type scriptModule struct{}

type scriptOptions struct {
	Cmd        string "opt:\"cmd,required,nonempty\" doc:\"The script's path on the controller (relative: looked up in files/, then beside the playbook), then its arguments as a shell reads them. The free-form `script: ...` text.\""
	Creates    string `opt:"creates" doc:"A path on the host; when it exists, the script is not run."`
	Removes    string `opt:"removes" doc:"A path on the host; when it does not exist, the script is not run."`
	Chdir      string `opt:"chdir" kind:"abspath" doc:"Change into this directory on the host before running the script."`
	Executable string `opt:"executable" doc:"The program that runs the script (e.g. /usr/bin/python3); without it the script runs by its #! line."`
	Decrypt    bool   `opt:"decrypt" default:"true" doc:"Decrypt a vault-encrypted script on the controller before sending it."`
}

func (scriptModule) Spec() modules.Spec {
	return modules.Spec{
		Name:     "script",
		Returns:  []string{"changed", "rc", "stdout", "stdout_lines", "stderr", "stderr_lines"}, // the order of Ansible's result
		Summary:  "Copy a script from the controller to the host and run it there",
		Args:     modules.OptionsOf[scriptOptions](),
		FreeForm: "cmd",
		// action/script.py: in check mode creates/removes predict the
		// change; without them the task is skipped.
		Check:         modules.CheckIfDecided,
		Deciders:      []string{"creates", "removes"},
		CheckSkipData: map[string]any{"msg": "Check mode is not supported for this task."},
	}
}

// Run mirrors ansible-core 2.14's action/script.py: creates/removes first
// (skipped, with its messages), then the script is found; in check mode
// creates/removes predict a change (without them the runner skips the task:
// Spec.Check); a run is always changed and a non-zero exit fails it.
func (scriptModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[scriptOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if skip, msg, err := scriptSkip(ctx, h, o); err != nil || skip {
		return modules.Result{Skipped: skip, Msg: msg, Data: map[string]any{"msg": msg}}, err
	}
	line := strings.TrimSpace(o.Cmd)
	words, err := shellquote.Split(line)
	if err != nil || len(words) == 0 {
		return modules.Result{}, fmt.Errorf("cannot split %q into the script's path and arguments: %v", line, err)
	}
	local, err := h.ControllerFile("files", words[0])
	if err != nil {
		return modules.Result{}, err
	}
	body, size, err := modules.OpenControllerFile(h, local, o.Decrypt)
	if err != nil {
		return modules.Result{}, err
	}
	defer body.Close()
	// The script's own arguments stay as written, for the shell to read,
	// as Ansible replaces only the path in the line it runs.
	rest := afterFirstWord(line)
	cmd := modules.Command{Shell: scriptRunner(path.Base(filepath.ToSlash(words[0])), o.Executable, rest),
		Stdin: io.LimitReader(body, size), Dir: o.Chdir, Become: h.Become}
	out, ran, err := runGated(ctx, h, "run script "+words[0], cmd)
	if err != nil || !ran {
		return modules.Result{}, err
	}
	return rawResult(out), nil
}

// scriptSkip applies creates and removes with Ansible's messages.
func scriptSkip(ctx context.Context, h *modules.Host, o scriptOptions) (bool, string, error) {
	if p := o.Creates; p != "" {
		found, err := modules.PathExists(ctx, h, p)
		if err != nil || found {
			return found, p + " exists, matching creates option", err
		}
	}
	if p := o.Removes; p != "" {
		found, err := modules.PathExists(ctx, h, p)
		if err != nil || !found {
			return !found && err == nil, p + " does not exist, matching removes option", err
		}
	}
	return false, "", nil
}

// scriptRunner is the shell script that receives the script on stdin into a
// fresh private directory (mktemp -d: nothing another user planted is
// followed), runs it with its arguments, and removes it, keeping its exit
// status.
func scriptRunner(name, executable, args string) string {
	run := `"$d"/` + shellquote.Quote(name) + args
	if executable != "" {
		run = shellquote.Quote(executable) + " " + run
	}
	return `d=$(mktemp -d) || exit 1
cat > "$d"/` + shellquote.Quote(name) + ` && chmod 0700 "$d"/` + shellquote.Quote(name) + ` || { rm -rf "$d"; exit 1; }
` + run + ` </dev/null
rc=$?
rm -rf "$d"
exit $rc
`
}

// afterFirstWord is line without its first shell word (which may be quoted),
// beginning with the blank that ended it.
func afterFirstWord(line string) string {
	for i := 1; i <= len(line); i++ {
		if i < len(line) && line[i] != ' ' && line[i] != '\t' {
			continue
		}
		if words, err := shellquote.Split(line[:i]); err == nil && len(words) == 1 {
			return line[i:]
		}
	}
	return ""
}
