// Command ferry runs Ansible-style playbooks over SSH; by default the one
// that installs Dash Enterprise on an airgapped VM. This package is wiring
// only: commands, flags and completion; the work is in runner/, inventory/,
// modules/ and config/.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	_ "github.com/ferry-sh/ferry/modules/all" // every module, registered from its package's init
	"github.com/ferry-sh/ferry/runner"
)

func main() {
	stopProfile := startCPUProfile(os.Getenv("FERRY_CPUPROFILE"))
	code := run(os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	os.Exit(code)
}

// startCPUProfile writes a pprof CPU profile of the whole command to path
// when it is set (FERRY_CPUPROFILE, undocumented: for `make bench`
// investigations, `go tool pprof bin/ferry PATH`).
func startCPUProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferry: FERRY_CPUPROFILE=%s: %v; running without profiling\n", path, err)
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

// run executes one command line and returns the process's exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return runIO(args, os.Stdin, stdout, stderr)
}

// runIO is run with standard input given: prompts (-k, --step) read it.
func runIO(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetIn(stdin)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	return exitStatus(cmd, err, stderr)
}

// codeError is returned by a command's RunE to end with that code; whatever
// the command had to say it has already said.
type codeError int

func (c codeError) Error() string { return fmt.Sprintf("exit %d", int(c)) }

// usageError is a bad command line found by a command itself: said with the
// command's usage, exit 5 as ansible-playbook's.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitStatus maps what a command returned to the exit code. Errors that are
// not codeError come from the command line and are printed with the usage:
// a usageError (a bad option value) exits 5, as ansible-playbook's
// AnsibleOptionsError; the others (unknown flag or command, a flag without
// its value or of the wrong type, wrong argument count) exit 2, as
// ansible-playbook's argparse does.
func exitStatus(cmd *cobra.Command, err error, stderr io.Writer) int {
	var code codeError
	switch {
	case err == nil:
		return runner.ExitOK
	case errors.As(err, &code):
		return int(code)
	}
	fmt.Fprintf(stderr, "ferry: %v\n\n", err)
	if cmd != nil {
		fmt.Fprint(stderr, cmd.UsageString())
	}
	if errors.As(err, new(usageError)) {
		return runner.ExitUsage
	}
	return runner.ExitBadFlags
}

// extraCommands are the subcommands other files add in their init (vault,
// schema): each builds its command when the root is made.
var extraCommands []func() *cobra.Command

// addCommand registers a subcommand built with cobra.
func addCommand(build func() *cobra.Command) { extraCommands = append(extraCommands, build) }

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "ferry",
		Short: "run Ansible-style playbooks, by default the Dash Enterprise airgapped install",
		Long: strings.TrimSpace(`
ferry runs Ansible playbooks (plays, tasks, handlers, roles, Jinja expressions)
over SSH. Without a playbook, ferry run runs the embedded one that installs
Plotly Dash Enterprise 5 on an airgapped VM.`),
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprint(cmd.ErrOrStderr(), cmd.UsageString())
			return codeError(runner.ExitUsage)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.Flags().Bool("version", false, "print ferry's version, commit and Go version") // no -v: that is verbosity
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	root.AddCommand(runCommand(), validateCommand(), adhocCommand(), inventoryCommand(), docCommand(), initCommand(), logCommand())
	for _, build := range extraCommands {
		root.AddCommand(build())
	}
	return root
}
