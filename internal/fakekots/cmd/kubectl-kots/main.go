// Command kubectl-kots is a stand-in for Replicated's KOTS CLI plugin in
// ferry's tests: the subcommands ferry drives, with the real CLI's flags,
// messages, exit codes and prompts (a prompt with no terminal hangs, as
// promptui does), keeping the Admin Console's state in the Kubernetes API
// server reached through --kubeconfig. Sources for each behaviour are named
// where it is implemented (replicatedhq/kots, cmd/kots/cli).
//
// What the real CLI does through kotsadm's HTTP API (behind a port-forward to
// the kotsadm pod), this one does directly on the cluster: apps and versions
// live in Secrets named fakekots-app-<slug>. Deploys finish after
// FAKEKOTS_READY_AFTER (a Go duration, default 2s), so that callers must
// wait for the app to become ready as they would for real.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// flagSet keeps the flag declarations short.
type flagSet = pflag.FlagSet

// readyAfterEnv names the variable holding how long a deploy takes.
const readyAfterEnv = "FAKEKOTS_READY_AFTER"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError ends the program with a code; silent ones print nothing more
// (the real CLI printed its own message and called os.Exit, or told cobra
// to keep quiet).
type exitError struct {
	code   int
	silent bool
	err    error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

// command is one leaf of the real CLI's cobra tree that the fake implements.
type command struct {
	path  string // "install", "upstream upgrade", ...
	use   string // cobra's Use line, printed by help
	flags func(fs *flagSet)
	run   func(c *invocation) error
}

var commands = []command{
	{path: "install", use: "install [upstream uri]", flags: installFlags, run: runInstall},
	{path: "upstream upgrade", use: "upgrade [appSlug]", flags: upgradeFlags, run: runUpgrade},
	{path: "get apps", use: "apps", flags: outputFlag, run: runGetApps},
	{path: "get app", use: "apps", flags: outputFlag, run: runGetApps},
	{path: "get versions", use: "versions [appSlug]", flags: versionsFlags, run: runGetVersions},
	{path: "get config", use: "config --sequence=1 --appslug=my-app", flags: getConfigFlags, run: runGetConfig},
	{path: "set config", use: "config [appSlug] [KEY_1=VAL_1 ... KEY_N=VAL_N]", flags: setConfigFlags, run: runSetConfig},
	{path: "reset-password", use: "reset-password [namespace]", flags: func(*flagSet) {}, run: runResetPassword},
	{path: "admin-console push-images", use: "push-images [airgap filename] [registry host]", flags: pushImagesFlags, run: runPushImages},
	{path: "admin-console upgrade", use: "upgrade", flags: adminConsoleUpgradeFlags, run: runAdminConsoleUpgrade},
	{path: "version", use: "version", flags: func(fs *flagSet) { fs.StringP("output", "o", "", "output format (currently supported: json)") }, run: runVersion},
}

// invocation is one run of a command: its parsed flags and arguments.
type invocation struct {
	cmd    command
	flags  *pflag.FlagSet
	args   []string
	argv   []string // everything after the program name, as given
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func run(argv []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd, rest, ok := findCommand(argv)
	if !ok {
		fmt.Fprintf(stderr, "Error: fake kubectl-kots implements only: %s\n", commandPaths())
		return 1
	}
	fs := pflag.NewFlagSet("kots "+cmd.path, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	globalFlags(fs)
	cmd.flags(fs)
	if err := fs.Parse(rest); err != nil {
		// cobra prints "Error: <pflag's message>" and exits 1.
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
	applyEnv(fs)
	inv := &invocation{cmd: cmd, flags: fs, args: fs.Args(), argv: argv, stdin: stdin, stdout: stdout, stderr: stderr}
	err := cmd.run(inv)
	var exit *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		if !exit.silent {
			fmt.Fprintf(stderr, "Error: %v\n", exit)
		}
		return exit.code
	default:
		fmt.Fprintf(stderr, "Error: %v\n", err)
		return 1
	}
}

// findCommand finds the command named by the leading words of argv, skipping
// flags as cobra does, and returns argv without those words.
func findCommand(argv []string) (command, []string, bool) {
	var words []int // positions of the non-flag tokens
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			if takesValue(a) && !strings.Contains(a, "=") {
				i++
			}
			continue
		}
		words = append(words, i)
	}
	for _, c := range commands {
		parts := strings.Fields(c.path)
		if len(words) < len(parts) {
			continue
		}
		match := true
		for j, p := range parts {
			if argv[words[j]] != p {
				match = false
				break
			}
		}
		if match {
			return c, without(argv, words[:len(parts)]), true
		}
	}
	return command{}, nil, false
}

// takesValue tells whether a global flag consumes the next token; it only
// matters for flags placed before the command's words.
func takesValue(flag string) bool {
	name := strings.TrimLeft(flag, "-")
	switch name {
	case "n", "namespace", "kubeconfig", "context", "cluster", "user", "token", "server", "s",
		"certificate-authority", "client-certificate", "client-key", "as", "as-group", "as-uid",
		"request-timeout", "cache-dir", "tls-server-name":
		return true
	}
	return false
}

func without(argv []string, drop []int) []string {
	skip := map[int]bool{}
	for _, i := range drop {
		skip[i] = true
	}
	var out []string
	for i, a := range argv {
		if !skip[i] {
			out = append(out, a)
		}
	}
	return out
}

func commandPaths() string {
	var paths []string
	for _, c := range commands {
		paths = append(paths, c.path)
	}
	return strings.Join(paths, ", ")
}

// globalFlags are k8sutil.AddFlags's genericclioptions.ConfigFlags, the
// persistent flags of the real root command.
func globalFlags(fs *pflag.FlagSet) {
	fs.String("kubeconfig", "", "Path to the kubeconfig file to use for CLI requests.")
	fs.String("context", "", "The name of the kubeconfig context to use")
	fs.StringP("namespace", "n", "", "If present, the namespace scope for this CLI request")
	for _, name := range []string{"cluster", "user", "token", "server", "certificate-authority", "client-certificate",
		"client-key", "as", "as-uid", "request-timeout", "cache-dir", "tls-server-name"} {
		fs.String(name, "", "")
	}
	fs.StringSlice("as-group", nil, "")
	fs.Bool("insecure-skip-tls-verify", false, "")
	fs.Bool("disable-compression", false, "")
}

// applyEnv does what viper.AutomaticEnv with the KOTS prefix and the "-" to
// "_" replacer does in the real root command (cmd/kots/cli/root.go): a flag
// left unset takes its value from KOTS_<FLAG>, e.g. --shared-password from
// KOTS_SHARED_PASSWORD. The real CLI reads the kubeconfig flags through
// genericclioptions, not viper, so those take no environment value.
func applyEnv(fs *pflag.FlagSet) {
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || isKubeconfigFlag(f.Name) {
			return
		}
		key := "KOTS_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(key); ok {
			_ = fs.Set(f.Name, v)
		}
	})
}

func isKubeconfigFlag(name string) bool {
	switch name {
	case "kubeconfig", "context", "cluster", "user", "token", "server", "certificate-authority",
		"client-certificate", "client-key", "as", "as-uid", "as-group", "request-timeout", "cache-dir",
		"tls-server-name", "insecure-skip-tls-verify", "disable-compression":
		return true
	}
	return false
}

// help prints the command's usage as cmd.Help() does; the real commands
// then exit 1 when a required argument is missing.
func (c *invocation) help() error {
	fmt.Fprintf(c.stdout, "Usage:\n  kubectl kots %s [flags]\n\nFlags:\n%s", c.usePath(), c.flags.FlagUsages())
	return &exitError{code: 1, silent: true}
}

func (c *invocation) usePath() string {
	parts := strings.Fields(c.cmd.path)
	parts[len(parts)-1] = c.cmd.use
	return strings.Join(parts, " ")
}

func (c *invocation) str(name string) string {
	v, _ := c.flags.GetString(name)
	return v
}

func (c *invocation) boolean(name string) bool {
	v, _ := c.flags.GetBool(name)
	return v
}

// action prints as the real CLILogger's ActionWithoutSpinner does.
func (c *invocation) action(format string, args ...any) {
	if format == "" {
		fmt.Fprintln(c.stdout)
		return
	}
	fmt.Fprintf(c.stdout, "  • "+format+"\n", args...)
}

// child prints a finished ChildActionWithSpinner line.
func (c *invocation) child(format string, args ...any) {
	fmt.Fprintf(c.stdout, "    • "+format+" ✓\n", args...)
}

// info prints as the real CLILogger's Info does.
func (c *invocation) info(format string, args ...any) {
	fmt.Fprintf(c.stdout, "    "+format+"\n\n", args...)
}
