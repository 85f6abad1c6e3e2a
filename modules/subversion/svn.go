package subversion

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// svn is subversion.py's Subversion class: the svn commands of one run.
type svn struct {
	ctx  context.Context
	h    *modules.Host
	o    subversionOptions
	dest string
	path string            // the svn program
	env  map[string]string // the parsable locale, as run_command_environ_update
	// auth are the options every command takes; stdin carries the password.
	auth  []string
	stdin string
	// effects are what the run did, reported as the task's change when
	// subversion.py says it changed (a switch that found nothing to do
	// did not).
	effects []string
}

// failure is fail_json: the task fails with msg and data.
type failure struct {
	msg  string
	data map[string]any
}

func (f *failure) Error() string { return f.msg }

// result turns the run's end into the module's Result.
func result(data map[string]any, err error) (modules.Result, error) {
	var f *failure
	if errors.As(err, &f) {
		data := f.data
		if data == nil {
			data = map[string]any{}
		}
		data["msg"] = f.msg
		return modules.Result{Failed: true, Msg: f.msg, Data: data}, nil
	}
	return modules.Result{Data: data}, err
}

func newSvn(ctx context.Context, h *modules.Host, o subversionOptions) (*svn, error) {
	s := &svn{ctx: ctx, h: h, o: o}
	var err error
	if o.Dest != nil {
		if s.dest, err = hostcmd.ExpandUser(ctx, h, *o.Dest); err != nil {
			return nil, err
		}
	}
	loc, err := modules.BestLocale(ctx, h)
	if err != nil {
		return nil, err
	}
	s.env = map[string]string{"LANG": loc, "LC_MESSAGES": loc}
	if s.path, err = s.program(); err != nil {
		return nil, err
	}
	s.auth = []string{"--non-interactive", "--no-auth-cache"}
	if !o.ValidateCerts {
		s.auth = append(s.auth, "--trust-server-cert")
	}
	if o.Username != nil && *o.Username != "" {
		s.auth = append(s.auth, "--username", *o.Username)
	}
	if o.Password != nil && *o.Password != "" {
		if err := s.passwordFromStdin(); err != nil {
			return nil, err
		}
		s.auth = append(s.auth, "--password-from-stdin")
		s.stdin = *o.Password + "\n" // run_command's data gets a newline
	}
	return s, nil
}

// program is executable, or svn found on the host's PATH.
func (s *svn) program() (string, error) {
	if s.o.Executable != nil {
		return hostcmd.ExpandUser(s.ctx, s.h, *s.o.Executable)
	}
	out, err := hostcmd.Query(s.ctx, s.h, "command -v svn")
	if err != nil {
		return "", err
	}
	if out.RC != 0 {
		return "", &failure{msg: `Failed to find required executable "svn" in paths: ` + strings.TrimSpace(out.Stderr)}
	}
	return strings.TrimSpace(out.Stdout), nil
}

// passwordFromStdin is has_option_password_from_stdin: svn 1.10 or later
// reads the password on its standard input. Ansible gives an older svn
// --password, in its command line for every user of the host to read:
// ferry refuses.
func (s *svn) passwordFromStdin() error {
	out, err := s.command(false, "--version", "--quiet")
	if err != nil {
		return err
	}
	if !atLeast(strings.TrimSpace(out.Stdout), 1, 10) {
		return &failure{msg: fmt.Sprintf("svn %s takes a password only in its command line, where other users of the host can read it: upgrade svn to 1.10 or later (--password-from-stdin)", strings.TrimSpace(out.Stdout))}
	}
	return nil
}

// atLeast compares a dotted version with major.minor, as LooseVersion.
func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	n := func(i int) int {
		if i >= len(parts) {
			return 0
		}
		v, _ := strconv.Atoi(parts[i])
		return v
	}
	return n(0) > major || n(0) == major && n(1) >= minor
}

// argv is _exec's command line: svn, the options, args.
func (s *svn) argv(args []string) []string {
	return append(append([]string{s.path}, s.auth...), args...)
}

// command runs svn with args that only read (with the authentication
// options unless bare, for svn --version).
func (s *svn) command(auth bool, args ...string) (modules.Output, error) {
	argv := append([]string{s.path}, args...)
	cmd := modules.Command{Argv: argv, Env: s.env, Become: s.h.Become}
	if auth {
		cmd.Argv = s.argv(args)
		cmd.Stdin = strings.NewReader(s.stdin)
	}
	out, err := s.h.Query(s.ctx, cmd)
	if err == nil && out.RC != 0 && !auth {
		err = s.checkRC(out, argv)
	}
	return out, err
}

// read runs svn with args that only read, with run_command's check_rc:
// a failure is the task's; it returns the output's lines.
func (s *svn) read(args ...string) ([]string, error) {
	out, err := s.command(true, args...)
	if err == nil && out.RC != 0 {
		err = s.checkRC(out, s.argv(args))
	}
	return anylist.Split(out.Stdout), err
}

// write runs svn with args that change dest, through the gate's Act:
// subversion.py decides at its end whether the task changed.
func (s *svn) write(what string, args ...string) ([]string, error) {
	var out modules.Output
	err := s.h.Act(func(w modules.Writer) error {
		var err error
		out, err = w.Run(s.ctx, modules.Command{Argv: s.argv(args), Env: s.env, Become: s.h.Become, Stdin: strings.NewReader(s.stdin)})
		return err
	})
	if err == nil && out.RC != 0 {
		err = s.checkRC(out, s.argv(args))
	}
	if err == nil {
		s.effects = append(s.effects, what)
	}
	return anylist.Split(out.Stdout), err
}

// checkRC is run_command's failure under check_rc: msg is stderr, cmd the
// command line as Ansible cleans it (the word after --password-from-stdin
// masked), both log-sanitized.
func (s *svn) checkRC(out modules.Output, argv []string) error {
	data := map[string]any{"cmd": hostcmd.CleanArgs(argv), "rc": out.RC, "stdout": out.Stdout, "stderr": out.Stderr,
		"stdout_lines": anylist.Lines(out.Stdout), "stderr_lines": anylist.Lines(out.Stderr)}
	return &failure{msg: hostcmd.LogSanitize(strings.TrimRight(out.Stderr, " \t\n\r")), data: data}
}

// revisionRE is REVISION_RE: "Revision: 1889134" in any language.
var revisionRE = regexp.MustCompile(`(?m)^[\p{L}\p{N}_]+\s?:\s+\p{Nd}+$`)

var urlRE = regexp.MustCompile(`(?m)^URL\s?:.*$`)

// changedRE is a line of update's or switch's output that names a change.
var changedRE = regexp.MustCompile(`^[ABDUCGE]\s`)

func anyChanged(lines []string) bool {
	for _, l := range lines {
		if changedRE.MatchString(l) {
			return true
		}
	}
	return false
}

// revisionLine is the first revision line of svn info's output, or
// missing.
func revisionLine(lines []string, missing string) string {
	if m := revisionRE.FindString(strings.Join(lines, "\n")); m != "" {
		return m
	}
	return missing
}

// reverted is revert's answer, as subversion.py reads it: true when a
// line of svn revert's output does not start with "Reverted ".
func reverted(lines []string) bool {
	for _, l := range lines {
		if !strings.HasPrefix(l, "Reverted ") {
			return true
		}
	}
	return false
}

// revisionNumber is the number of a revision line ("Revision: 3").
func revisionNumber(line string) (int, error) {
	_, n, _ := strings.Cut(line, ":")
	return strconv.Atoi(strings.TrimSpace(n))
}

// testCommand tests dest with test(1), as the task's user.
func (s *svn) testCommand(flag string) modules.Command {
	return modules.Command{Argv: []string{"test", flag, s.dest}, Become: s.h.Become}
}
