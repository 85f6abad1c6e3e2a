// Command ferry runs Ansible-style playbooks over SSH; by default the one
// that installs Dash Enterprise on an airgapped VM. This file is wiring only:
// flags and subcommands; the work is in runner/, inventory/ and modules/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"

	"github.com/fatih/color"
	"golang.org/x/term"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner"
)

const usage = `ferry: run Ansible-style playbooks, by default the Dash Enterprise airgapped install.

Usage:
  ferry run [PLAYBOOK] -i INVENTORY [flags]    run a playbook (default: the embedded Dash Enterprise one)
  ferry validate [PLAYBOOK] -i INVENTORY      check everything statically; run nothing
  ferry inventory -i INVENTORY --list | --graph [GROUP] | --host NAME
  ferry doc [MODULE]                          list modules, or one module's arguments
  ferry init DIR                              copy the example site inventory to DIR

Run 'ferry run -h' for the flags of run and validate.
`

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

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return runner.ExitUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run", "validate":
		return runPlaybook(cmd, rest, stdout, stderr)
	case "inventory":
		return inventoryCmd(rest, stdout, stderr)
	case "doc":
		return docCmd(rest, stdout, stderr)
	case "init":
		return initCmd(rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return runner.ExitOK
	}
	fmt.Fprintf(stderr, "ferry: unknown command %q\n\n%s", cmd, usage)
	return runner.ExitUsage
}

// listFlag is a repeatable flag; comma-separated values split when split is set.
type listFlag struct {
	values *[]string
	split  bool
}

func (l listFlag) String() string { return "" }
func (l listFlag) Set(v string) error {
	if l.split {
		for _, part := range strings.Split(v, ",") {
			if p := strings.TrimSpace(part); p != "" {
				*l.values = append(*l.values, p)
			}
		}
		return nil
	}
	*l.values = append(*l.values, v)
	return nil
}

func runPlaybook(cmd string, args []string, stdout, stderr io.Writer) int {
	s := &runner.Session{Stdout: stdout, Stderr: stderr}
	fs := flag.NewFlagSet("ferry "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(listFlag{&s.Inventories, false}, "i", "inventory file or directory (repeatable)")
	fs.Var(listFlag{&s.Inventories, false}, "inventory", "same as -i")
	fs.Var(listFlag{&s.ExtraVars, false}, "e", "extra variables: key=value, JSON, or @file (repeatable)")
	fs.Var(listFlag{&s.ExtraVars, false}, "extra-vars", "same as -e")
	fs.Var(listFlag{&s.SecretFiles, false}, "secrets", "variables file whose every value is secret (repeatable)")
	fs.BoolVar(&s.Check, "check", false, "dry run: report what would change, change nothing")
	fs.BoolVar(&s.Check, "C", false, "same as --check")
	fs.BoolVar(&s.Diff, "diff", false, "show the differences in changed files")
	fs.BoolVar(&s.Diff, "D", false, "same as --diff")
	fs.StringVar(&s.Limit, "l", "", "limit to hosts matching this pattern")
	fs.StringVar(&s.Limit, "limit", "", "same as -l")
	fs.Var(listFlag{&s.Tags, true}, "t", "only run tasks with these tags")
	fs.Var(listFlag{&s.Tags, true}, "tags", "same as -t")
	fs.Var(listFlag{&s.SkipTags, true}, "skip-tags", "skip tasks with these tags")
	fs.IntVar(&s.Forks, "f", 5, "hosts to run in parallel")
	fs.IntVar(&s.Forks, "forks", 5, "same as -f")
	fs.BoolVar(&s.ForceHandlers, "force-handlers", false, "run notified handlers even on hosts that failed")
	fs.StringVar(&s.Output, "output", "text", "output format: text or json")
	verbosity := map[string]*bool{}
	for _, v := range []string{"v", "vv", "vvv", "vvvv"} {
		verbosity[v] = fs.Bool(v, false, "verbosity "+fmt.Sprint(len(v)))
	}
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(stderr, err)
	}
	for v, on := range verbosity {
		if *on && len(v) > s.Verbosity {
			s.Verbosity = len(v)
		}
	}
	if len(positional) > 1 {
		return usageError(stderr, fmt.Errorf("one playbook at a time, got %s", strings.Join(positional, " ")))
	}
	if len(positional) == 1 {
		s.Playbook = positional[0]
	}
	if s.Output != "text" && s.Output != "json" {
		return usageError(stderr, fmt.Errorf("--output must be text or json, not %q", s.Output))
	}
	if s.Forks < 1 {
		return usageError(stderr, fmt.Errorf("--forks must be at least 1"))
	}
	s.Terminal = stdout == os.Stdout && term.IsTerminal(int(os.Stdout.Fd()))
	s.Color = !color.NoColor && s.Output == "text" && s.Terminal

	if cmd == "validate" {
		return validate(s, stdout, stderr)
	}
	ctx, stop := interruptible()
	defer stop()
	code := s.Run(ctx)
	if code == runner.ExitUsage {
		fmt.Fprint(stderr, "\n"+usage)
	}
	return code
}

func validate(s *runner.Session, stdout, stderr io.Writer) int {
	pb, err := s.Prepare()
	if err != nil {
		var bad *runner.UsageError
		if errors.As(err, &bad) {
			return usageError(stderr, err)
		}
		fmt.Fprintf(s.Masker.Writer(stderr), "ERROR: %v\n", err)
		if runner.IsValidation(err) {
			return runner.ExitInvalid
		}
		return runner.ExitError
	}
	fmt.Fprintf(stdout, "%s: %d plays, %d tasks: valid\n", pb.File, len(pb.Plays), pb.TaskCount())
	return runner.ExitOK
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

// parseInterspersed lets flags come after positional arguments, as
// ansible-playbook users write them (`ferry run site.yml -i inv --check`).
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func usageError(stderr io.Writer, err error) int {
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "ferry: %v\n\n", err)
	}
	fmt.Fprint(stderr, usage)
	if errors.Is(err, flag.ErrHelp) {
		return runner.ExitOK
	}
	return runner.ExitUsage
}

func inventoryCmd(args []string, stdout, stderr io.Writer) int {
	var sources []string
	var list bool
	var graph, host string
	fs := flag.NewFlagSet("ferry inventory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Var(listFlag{&sources, false}, "i", "inventory file or directory (repeatable)")
	fs.Var(listFlag{&sources, false}, "inventory", "same as -i")
	fs.BoolVar(&list, "list", false, "print the whole inventory as JSON (like ansible-inventory --list)")
	fs.StringVar(&host, "host", "", "print one host's variables as JSON")
	graphFlag := fs.Bool("graph", false, "print the group tree")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError(stderr, err)
	}
	if *graphFlag {
		graph = "all"
		if len(positional) == 1 {
			graph = positional[0]
		}
	}
	if len(sources) == 0 || (!list && host == "" && graph == "") {
		return usageError(stderr, errors.New("inventory needs -i and one of --list, --graph, --host"))
	}
	inv, err := inventory.Load(sources...)
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return runner.ExitInvalid
	}
	var out []byte
	switch {
	case list:
		out, err = inv.ListJSON()
	case host != "":
		out, err = inv.HostJSON(host)
	default:
		var g string
		g, err = inv.Graph(graph)
		out = []byte(g)
	}
	if err != nil {
		fmt.Fprintf(stderr, "ERROR: %v\n", err)
		return runner.ExitError
	}
	masked := runner.NewMasker(inv.Secrets()...).String(string(out))
	fmt.Fprintln(stdout, strings.TrimRight(masked, "\n"))
	return runner.ExitOK
}

func docCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stdout, modules.Index())
		return runner.ExitOK
	}
	m, ok := modules.Lookup(args[0])
	if !ok {
		fmt.Fprintf(stderr, "ferry: no module %q; `ferry doc` lists them\n", args[0])
		return runner.ExitUsage
	}
	fmt.Fprint(stdout, modules.Doc(m.Spec()))
	return runner.ExitOK
}

func initCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		return usageError(stderr, errors.New("init needs the directory to create"))
	}
	dir := args[0]
	if err := runner.InitSite(dir); err != nil {
		fmt.Fprintf(stderr, "ferry: %v\n", err)
		return runner.ExitError
	}
	fmt.Fprintf(stdout, "Created %s: edit its inventory.yml and group_vars, then run\n  ferry run --check -i %s\n", dir, dir)
	return runner.ExitOK
}
