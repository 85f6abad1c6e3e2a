package git

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// job is one run of the module against a host.
type job struct {
	ctx context.Context
	h   *modules.Host
	o   gitOptions

	git     string // the git program
	repo    string // the repository's address, a path made a file:// URL
	dest    string // dest, absolute ("" when not given)
	prelude string // what every git command runs after: umask, locale, GIT_SSH_COMMAND

	data     map[string]any // the result, as git.py's result dict
	warnings []any
	effects  []string // what the run did to the host, for the plan lines
	diffs    []modules.Diff
	changed  bool // git.py's result['changed']
}

// failure is git.py's fail_json: the task fails with msg and data, and
// the result so far when git.py passes it (**result).
type failure struct {
	msg        string
	data       map[string]any
	withResult bool
}

func (f *failure) Error() string { return f.msg }

// fail returns a failure whose data are key/value pairs.
func fail(msg string, pairs ...any) error {
	data := map[string]any{}
	for i := 0; i+1 < len(pairs); i += 2 {
		data[pairs[i].(string)] = pairs[i+1]
	}
	return &failure{msg: msg, data: data}
}

// commandFailure is fail_json with a command's output: stdout, stderr and
// their lines (the action plugin's split), rc, and the command when given.
func commandFailure(msg string, out modules.Output, cmd any) error {
	f := fail(msg, "rc", out.RC, "stdout", out.Stdout, "stderr", out.Stderr).(*failure)
	f.data["stdout_lines"] = anylist.Lines(out.Stdout)
	f.data["stderr_lines"] = anylist.Lines(out.Stderr)
	if cmd != nil {
		f.data["cmd"] = cmd
	}
	return f
}

// result turns the run's end into the module's Result: the result dict,
// the change (reported through the gate when no Change made it), or the
// failure with its data.
func (j *job) result(err error) (modules.Result, error) {
	if len(j.warnings) > 0 {
		j.data["warnings"] = j.warnings
	}
	var f *failure
	if errors.As(err, &f) {
		data := f.data
		if f.withResult {
			data = j.data
			maps.Copy(data, f.data)
		} else if len(j.warnings) > 0 {
			data["warnings"] = j.warnings
		}
		data["msg"] = f.msg
		return modules.Result{Failed: true, Msg: f.msg, Data: data}, nil
	}
	if err != nil {
		return modules.Result{}, err
	}
	if j.changed {
		j.reportChanges()
	}
	msg, _ := j.data["msg"].(string)
	return modules.Result{Msg: msg, Data: j.data, Diffs: j.diffs}, nil
}

func (j *job) warn(msg string) { j.warnings = append(j.warnings, msg) }

// script is a git command line run in dir (when dir is a directory, as
// run_command's cwd: else where the module runs), after the prelude.
func (j *job) script(dir string, args ...string) string {
	var b strings.Builder
	if dir != "" {
		fmt.Fprintf(&b, "cd %s 2>/dev/null; ", hostcmd.Quote(dir))
	}
	b.WriteString(j.prelude)
	b.WriteString(hostcmd.Quote(append([]string{j.git}, args...)...))
	return b.String()
}

// query runs a git command that only reads.
func (j *job) query(dir string, args ...string) (modules.Output, error) {
	return hostcmd.Query(j.ctx, j.h, j.script(dir, args...))
}

// mustQuery is query with run_command's check_rc: a failure is the task's.
func (j *job) mustQuery(dir string, args ...string) (modules.Output, error) {
	out, err := j.query(dir, args...)
	if err == nil && out.RC != 0 {
		err = j.checkRC(out, args)
	}
	return out, err
}

// write runs a git command that changes the repository, with the Writer.
func (j *job) write(w modules.Writer, dir string, args ...string) (modules.Output, error) {
	return hostcmd.Write(j.ctx, w, j.h, j.script(dir, args...), nil)
}

// act runs a git command that changes the repository without being, by
// itself, a change of the task (a fetch that finds nothing new): whether
// the task changed is git.py's comparison at the end.
func (j *job) act(dir string, args ...string) (modules.Output, error) {
	var out modules.Output
	err := j.h.Act(func(w modules.Writer) error {
		var err error
		out, err = j.write(w, dir, args...)
		return err
	})
	return out, err
}

// mustAct is act with check_rc.
func (j *job) mustAct(dir string, args ...string) (modules.Output, error) {
	out, err := j.act(dir, args...)
	if err == nil && out.RC != 0 {
		err = j.checkRC(out, args)
	}
	return out, err
}

// checkRC is run_command's failure under check_rc: msg is stderr, cmd
// the command line as Ansible quotes it, both log-sanitized.
func (j *job) checkRC(out modules.Output, args []string) error {
	cmd := hostcmd.CleanArgs(append([]string{j.git}, args...))
	return commandFailure(hostcmd.LogSanitize(strings.TrimRight(out.Stderr, " \t\n\r")), out, cmd)
}

// exists tests a path on the host, as the task's user.
func (j *job) exists(test, path string) (bool, error) {
	out, err := hostcmd.Query(j.ctx, j.h, hostcmd.Quote("test", test, path))
	return err == nil && out.RC == 0, err
}

// firstLine reads a file's first line (with its newline); ok is false
// when there is no such file.
func (j *job) firstLine(path string) (line string, ok bool, err error) {
	out, err := hostcmd.Query(j.ctx, j.h, fmt.Sprintf("test -e %[1]s || exit 3; head -n 1 -- %[1]s", hostcmd.Quote(path)))
	if err != nil || out.RC == 3 {
		return "", false, err
	}
	if out.RC != 0 {
		return "", true, fail("Unable to read " + path)
	}
	return out.Stdout, true, nil
}

// readFile reads a small file of the repository (.gitmodules, a .git file).
func (j *job) readFile(path string) (string, error) {
	out, err := hostcmd.Query(j.ctx, j.h, "cat -- "+hostcmd.Quote(path))
	if err == nil && out.RC != 0 {
		err = fail(fmt.Sprintf("Unable to read %s: %s", path, strings.TrimSpace(out.Stderr)))
	}
	return out.Stdout, err
}

// effect makes a change through the gate's Act: git.py decides at its end
// whether the task changed (a clone that failed did not), and so does the
// run (reportChanges); what is the change's plan line.
func (j *job) effect(what string, apply func(w modules.Writer) error) error {
	if err := j.h.Act(apply); err != nil {
		return err
	}
	j.effects = append(j.effects, what)
	return nil
}

// reportChanges tells the gate that the task changed the host: the
// effects made, or under --check the commit it would check out.
func (j *job) reportChanges() {
	for _, what := range j.effects {
		j.h.Report(what)
	}
	if len(j.effects) == 0 {
		j.h.Report(fmt.Sprintf("%s at %v in %s", j.repo, j.data["after"], j.dest))
	}
}
