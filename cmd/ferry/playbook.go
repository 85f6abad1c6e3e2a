package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/ferry-sh/ferry/runner"
)

// playbookFlags are the flags of run and validate, named as ansible-playbook's.
type playbookFlags struct {
	s           runner.Session
	syntaxCheck bool
	list        runner.Listing
	step        bool
	noJournal   bool
	version     bool
	conn        connFlags
}

// connFlags are ansible-playbook's connection and privilege flags.
type connFlags struct {
	user, privateKey, connection, becomeUser string
	askPass, askBecomePass, become           bool
	timeout                                  int
	hostKeyChecking                          *bool // from the config only: no flag turns it off
}

// register adds the flags of run and validate.
func (f *playbookFlags) register(cmd *cobra.Command) {
	s, fs := &f.s, cmd.Flags()
	f.registerCommon(cmd)
	fs.StringSliceVarP(&s.Tags, "tags", "t", nil, "only run tasks with these tags (comma-separated, repeatable)")
	fs.StringSliceVar(&s.SkipTags, "skip-tags", nil, "skip tasks with these tags")
	fs.BoolVar(&s.ForceHandlers, "force-handlers", false, "run notified handlers even on hosts that failed")
	fs.BoolVar(&f.syntaxCheck, "syntax-check", false, "check the playbook and inventory; run nothing (as validate)")
	fs.BoolVar(&f.list.Tasks, "list-tasks", false, "list the tasks that would run; run nothing")
	fs.BoolVar(&f.list.Hosts, "list-hosts", false, "list the hosts each play would run on; run nothing")
	fs.BoolVar(&f.list.Tags, "list-tags", false, "list the tags of the tasks; run nothing")
	fs.StringVar(&s.StartAtTask, "start-at-task", "", "start at the first task of this name")
	fs.BoolVar(&f.step, "step", false, "ask before each task: (N)o/(y)es/(c)ontinue")
	fs.BoolVar(&s.Resume, "resume", false, "continue the last (failed or interrupted) run: each host starts at its first task that did not finish ok")
	fs.BoolVar(&f.noJournal, "no-journal", false, "do not record this run in the site's journal (ferry log)")
}

// ansibleFlagAliases accepts ansible-playbook's other spellings of a flag
// (--inventory-file, --vault-pass-file) without listing them in -h.
func ansibleFlagAliases(_ *pflag.FlagSet, name string) pflag.NormalizedName {
	switch name {
	case "inventory-file":
		name = "inventory"
	case "vault-pass-file":
		name = "vault-password-file"
	}
	return pflag.NormalizedName(name)
}

// registerCommon adds the flags that ad-hoc commands share with run.
func (f *playbookFlags) registerCommon(cmd *cobra.Command) {
	s, fs := &f.s, cmd.Flags()
	fs.SortFlags = false
	fs.StringArrayVarP(&s.Inventories, "inventory", "i", nil, "inventory file or site directory (repeatable)")
	fs.StringArrayVarP(&s.ExtraVars, "extra-vars", "e", nil, "extra variables: key=value, a JSON object, or @file (repeatable)")
	fs.StringArrayVar(&s.SecretFiles, "secrets", nil, "variables file whose every value is secret (repeatable)")
	fs.BoolVarP(&s.Check, "check", "C", false, "dry run: report what would change, change nothing")
	fs.BoolVarP(&s.Diff, "diff", "D", false, "show the differences in changed files")
	fs.StringVarP(&s.Limit, "limit", "l", "", "limit to hosts matching this pattern")
	fs.IntVarP(&s.Forks, "forks", "f", 5, "hosts to run in parallel")
	fs.StringVar(&s.Output, "output", "text", "output format: text, json (one event a line) or junit (a JUnit XML report)")
	addVaultFlags(fs, &s.VaultSources)
	fs.CountVarP(&s.Verbosity, "verbose", "v", "more detail: -v results, -vv task paths, -vvv connections (repeatable)")
	c := &f.conn
	fs.StringVarP(&c.user, "user", "u", "", "connect as this user (ansible_user wins)")
	fs.StringVar(&c.privateKey, "private-key", "", "SSH private key file (ansible_ssh_private_key_file wins)")
	fs.StringVar(&c.privateKey, "key-file", "", "same as --private-key")
	fs.BoolVarP(&c.askPass, "ask-pass", "k", false, "ask for the SSH password")
	fs.BoolVarP(&c.askBecomePass, "ask-become-pass", "K", false, "ask for the privilege escalation (sudo) password")
	fs.BoolVarP(&c.become, "become", "b", false, "run tasks with privilege escalation (sudo)")
	fs.StringVar(&c.becomeUser, "become-user", "", "escalate to this user (default root)")
	fs.StringVarP(&c.connection, "connection", "c", "", "connection type: ssh or local")
	fs.IntVarP(&c.timeout, "timeout", "T", 0, "SSH connection timeout in seconds")
	_ = fs.MarkHidden("key-file")
	fs.SetNormalizeFunc(ansibleFlagAliases)
	_ = cmd.RegisterFlagCompletionFunc("limit", completeHostPatterns)
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json", "junit"}, cobra.ShellCompDirectiveNoFileComp))
}

// session checks the flags and returns the session they describe.
func (f *playbookFlags) session(cmd *cobra.Command, args []string) (*runner.Session, error) {
	s := &f.s
	if len(args) == 1 {
		s.Playbook = args[0]
	}
	cfg, err := loadSettings(cmd)
	if err != nil {
		return nil, err
	}
	f.applySettings(cmd, cfg)
	if s.Output != "text" && s.Output != "json" && s.Output != "junit" {
		return nil, usagef("--output must be text, json or junit, not %q", s.Output)
	}
	if s.Forks < 1 {
		return nil, errors.New("--forks must be at least 1") // argparse's check in ansible-playbook: exit 2
	}
	stdout := cmd.OutOrStdout()
	s.Stdout, s.Stderr = stdout, cmd.ErrOrStderr()
	defaults, err := f.conn.defaults(cmd.InOrStdin(), s.Stderr)
	if err != nil {
		return nil, err
	}
	s.ConnDefaults = defaults
	if f.step {
		s.Step = runner.StepPrompter(cmd.InOrStdin(), stdout)
	}
	if in, ok := cmd.InOrStdin().(*os.File); ok {
		s.Keyboard = runner.TerminalKeyboard(in)
	}
	s.Terminal = stdout == os.Stdout && term.IsTerminal(int(os.Stdout.Fd()))
	if s.Terminal {
		s.Width, _, _ = term.GetSize(int(os.Stdout.Fd()))
	}
	s.Color = useColor(cfg, s.Output, s.Terminal)
	return s, nil
}

// onePlaybook accepts at most one playbook, with ferry's own message.
func onePlaybook(_ *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usagef("one playbook at a time, got %v", args)
	}
	return nil
}

func runCommand() *cobra.Command {
	f := &playbookFlags{}
	cmd := &cobra.Command{
		Use:   "run [PLAYBOOK] -i INVENTORY [flags]",
		Short: "run a playbook (default: the embedded Dash Enterprise one)",
		Long: `Run a playbook, as ansible-playbook does. Without PLAYBOOK, the embedded Dash
Enterprise install runs; a shipped playbook's name (dash-enterprise-upgrade.yml)
runs the embedded one.`,
		Example: `  ferry run --check -i mysite --secrets mysite-secrets.yml
  ferry run site.yml -i hosts.ini -l web -t deploy -e version=2`,
		Args:              onePlaybook,
		ValidArgsFunction: completePlaybooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.version {
				fmt.Fprintln(cmd.OutOrStdout(), versionString())
				return nil
			}
			s, err := f.session(cmd, args)
			if err != nil {
				return err
			}
			if f.syntaxCheck || f.list.Any() {
				return inspect(s, f, cmd.OutOrStdout(), cmd.ErrOrStderr())
			}
			s.Journal, s.Command = !f.noJournal, commandLine(cmd, args)
			return runSession(cmd, s)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.version, "version", false, "print ferry's version, commit and Go version (as ferry --version)")
	return cmd
}

func validateCommand() *cobra.Command {
	f := &playbookFlags{}
	cmd := &cobra.Command{
		Use:               "validate [PLAYBOOK] -i INVENTORY [flags]",
		Short:             "check everything statically; run nothing",
		Args:              onePlaybook,
		ValidArgsFunction: completePlaybooks,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := f.session(cmd, args)
			if err != nil {
				return err
			}
			return validate(s, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f.register(cmd)
	return cmd
}

// inspect is --syntax-check and --list-*: everything is checked as for a
// run, then the playbook is described instead of run.
func inspect(s *runner.Session, f *playbookFlags, stdout, stderr io.Writer) error {
	pb, err := s.Prepare()
	if err != nil {
		return prepareError(s, err, stderr)
	}
	if !f.list.Any() {
		fmt.Fprintf(stdout, "\nplaybook: %s\n", pb.Name())
		return nil
	}
	if err := runner.List(s.Masker.Writer(stdout), pb, s.Options, f.list); err != nil {
		fmt.Fprintf(s.Masker.Writer(stderr), "ERROR: %v\n", err)
		return codeError(runner.ExitError)
	}
	return nil
}

func validate(s *runner.Session, stdout, stderr io.Writer) error {
	pb, err := s.Prepare()
	if err != nil {
		return prepareError(s, err, stderr)
	}
	for _, d := range pb.Deferred {
		fmt.Fprintf(s.Masker.Writer(stderr), "WARNING: %s\n", d.Error())
	}
	fmt.Fprintf(stdout, "%s: %d plays, %d tasks: valid\n", pb.File, len(pb.Plays), pb.TaskCount())
	return nil
}

// prepareError reports an error of Session.Prepare with its exit code: 5 for
// a bad command line, 4 for invalid input, 1 otherwise.
func prepareError(s *runner.Session, err error, stderr io.Writer) error {
	var bad *runner.UsageError
	if errors.As(err, &bad) {
		return usageError{err.Error()}
	}
	fmt.Fprintf(s.Masker.Writer(stderr), "ERROR: %v\n", err)
	if runner.IsValidation(err) {
		return codeError(runner.ExitInvalid)
	}
	return codeError(runner.ExitError)
}

// runSession runs s until done or interrupted; a bad command line found
// late (exit 5) is followed by the command's usage.
func runSession(cmd *cobra.Command, s *runner.Session) error {
	ctx, stop := interruptible()
	defer stop()
	code := s.Run(ctx)
	if code == runner.ExitUsage {
		fmt.Fprint(cmd.ErrOrStderr(), "\n"+cmd.UsageString())
	}
	return codeError(code)
}

// interruptible cancels the context on the first Ctrl-C, so running tasks
// stop and the recap prints; a second Ctrl-C exits at once.
func interruptible() (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt)
	go func() {
		if _, ok := <-sig; !ok {
			return
		}
		cancel()
		if _, ok := <-sig; ok {
			os.Exit(runner.ExitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(sig); close(sig); cancel() }
}

// commandLine is the command as typed, for the journal's header (masked there).
func commandLine(cmd *cobra.Command, args []string) []string {
	out := append([]string{cmd.CommandPath()}, args...)
	cmd.Flags().Visit(func(fl *pflag.Flag) {
		if sv, ok := fl.Value.(pflag.SliceValue); ok {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+fl.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+fl.Name+"="+fl.Value.String())
	})
	return out
}
