package remote

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

func init() { modules.Register(reboot{}) }

// reboot is ansible-core 2.14's reboot action: it reads the host's boot id,
// runs shutdown -r, then waits over the same connection settings until the
// boot id has changed and a test command runs.
type reboot struct{}

// rebootOptions are the action's arguments.
type rebootOptions struct {
	RebootTimeout   int      `opt:"reboot_timeout" default:"600" kind:"seconds" doc:"Seconds to wait for the host to come back (for the new boot id, then again for the test command)."`
	ConnectTimeout  int      `opt:"connect_timeout" doc:"Seconds one connection attempt may take while waiting (default: the connection's own)."`
	PreRebootDelay  int      `opt:"pre_reboot_delay" doc:"Seconds before the reboot, handed to shutdown (in whole minutes on Linux)."`
	PostRebootDelay int      `opt:"post_reboot_delay" doc:"Seconds to wait after the reboot command before checking the boot id."`
	TestCommand     string   `opt:"test_command" default:"whoami" doc:"The command that must succeed once the host is back."`
	Msg             string   `opt:"msg" default:"Reboot initiated by Ansible" doc:"The message shutdown shows to logged-in users."`
	BootTimeCommand string   `opt:"boot_time_command" default:"cat /proc/sys/kernel/random/boot_id" doc:"A command whose output changes with every boot."`
	RebootCommand   *string  `opt:"reboot_command" doc:"The command that reboots, with its arguments (default: shutdown -r, found in search_paths)."`
	SearchPaths     []string `opt:"search_paths" doc:"Where to look for shutdown (default: /sbin /bin /usr/sbin /usr/bin /usr/local/sbin)."`
}

func (reboot) Spec() modules.Spec {
	return modules.Spec{
		Name:    "reboot",
		Summary: "Reboot the host and wait until it is back over the same connection settings",
		Args:    modules.OptionsOf[rebootOptions](),
		Check:   modules.CheckSupported,
	}
}

func (reboot) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[rebootOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	if isLocal(h) {
		msg := "Running reboot with local connection would reboot the control node."
		return modules.Result{Failed: true, Msg: msg, Data: map[string]any{"msg": msg, "elapsed": 0, "rebooted": false}}, nil
	}
	if h.Check {
		// Kept: Ansible's action reports the reboot in check mode before it
		// probes anything (action/reboot.py), so its dry run passes where the
		// boot time command or shutdown is missing; probing first would not.
		h.Report("reboot")
		return modules.Result{Data: map[string]any{"elapsed": 0, "rebooted": true}}, nil
	}
	before, err := bootID(ctx, h, o.BootTimeCommand)
	if err != nil {
		return modules.Result{Data: map[string]any{"reboot": false}}, err
	}
	line, err := rebootLine(ctx, h, o)
	if err != nil {
		return modules.Result{}, err
	}
	start := time.Now()
	elapsed := func() int { return int(time.Since(start).Seconds()) }
	if err := runReboot(ctx, h, line); err != nil {
		return modules.Result{Data: map[string]any{"rebooted": false, "elapsed": elapsed()}}, err
	}
	if !pause(ctx, time.Duration(max(o.PostRebootDelay, 0))*time.Second) {
		return modules.Result{}, ctx.Err()
	}
	if err := waitForReboot(ctx, h, o, before); err != nil {
		return modules.Result{Data: map[string]any{"rebooted": true, "elapsed": elapsed()}}, err
	}
	return modules.Result{Data: map[string]any{"rebooted": true, "elapsed": elapsed()}}, nil
}

// isLocal reports whether the task runs over the local connection.
func isLocal(h *modules.Host) bool {
	if h.Vars == nil {
		return false
	}
	v, err := h.Vars.Eval("ansible_connection | default('ssh')")
	return err == nil && fmt.Sprint(v) == "local"
}

// bootID runs the boot time command (the action's get_system_boot_time).
func bootID(ctx context.Context, h *modules.Host, command string) (string, error) {
	out, err := hostcmd.Query(ctx, h, command)
	if err != nil {
		return "", err
	}
	if out.RC != 0 {
		return "", fmt.Errorf("reboot: failed to get host boot time info, rc: %d, stdout: %s, stderr: %s", out.RC, out.Stdout, out.Stderr)
	}
	return strings.TrimSpace(out.Stdout), nil
}

// rebootLine is the reboot command: reboot_command as given, else shutdown
// (reboot on Alpine) found in search_paths, with the action's arguments.
func rebootLine(ctx context.Context, h *modules.Host, o rebootOptions) (string, error) {
	bin, rest := "", ""
	if o.RebootCommand != nil {
		bin, rest, _ = strings.Cut(*o.RebootCommand, " ")
	} else {
		id, err := hostcmd.Query(ctx, h, `. /etc/os-release 2>/dev/null; echo "$ID"`)
		if err != nil {
			return "", err
		}
		bin, rest = "shutdown", fmt.Sprintf(`-r %d "%s"`, max(o.PreRebootDelay, 0)/60, o.Msg)
		if strings.TrimSpace(id.Stdout) == "alpine" {
			bin, rest = "reboot", ""
		}
	}
	if !strings.HasPrefix(bin, "/") {
		path, err := findCommand(ctx, h, bin, o.SearchPaths)
		if err != nil {
			return "", err
		}
		bin = path
	}
	return bin + " " + rest, nil
}

// findCommand is the first search path holding name.
func findCommand(ctx context.Context, h *modules.Host, name string, paths []string) (string, error) {
	if paths == nil {
		paths = []string{"/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"}
	}
	var tries []string
	for _, p := range paths {
		tries = append(tries, hostcmd.Quote(strings.TrimSuffix(p, "/")+"/"+name))
	}
	out, err := hostcmd.Query(ctx, h, `for f in `+strings.Join(tries, " ")+`; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; break; fi; done`)
	if err != nil {
		return "", err
	}
	if found := strings.TrimSpace(out.Stdout); found != "" {
		return found, nil
	}
	quoted := make([]string, len(paths))
	for i, p := range paths {
		quoted[i] = "'" + p + "'"
	}
	return "", fmt.Errorf(`Unable to find command "%s" in search paths: [%s]`, name, strings.Join(quoted, ", "))
}

// runReboot runs the reboot command through the gate; the connection
// dropping under it is the reboot happening, not a failure.
func runReboot(ctx context.Context, h *modules.Host, line string) error {
	var out modules.Output
	ran := false
	err := h.Change("reboot: "+line, func(w modules.Writer) error {
		var err error
		out, err = hostcmd.Write(ctx, w, h, line, nil)
		ran = err == nil
		return nil
	})
	if err != nil || !ran || out.RC == 0 {
		return err
	}
	return fmt.Errorf("Reboot command failed. Error was: '%s, %s'", strings.TrimSpace(out.Stdout), strings.TrimSpace(out.Stderr))
}

// waitForReboot retries, each with a fresh connection when the old one is
// gone, until the boot id differs, then until the test command succeeds,
// each phase within reboot_timeout (the action's validate_reboot).
func waitForReboot(ctx context.Context, h *modules.Host, o rebootOptions, before string) error {
	changed := func(try context.Context) error {
		now, err := bootID(try, h, o.BootTimeCommand)
		if err == nil && (now == "" || now == before) {
			err = fmt.Errorf("boot time has not changed")
		}
		return err
	}
	if err := retry(ctx, h, o, "last boot time check", changed); err != nil {
		return err
	}
	test := func(try context.Context) error {
		out, err := hostcmd.Query(try, h, o.TestCommand)
		if err == nil && out.RC != 0 {
			err = fmt.Errorf("Test command failed: %s %s", out.Stderr, out.Stdout)
		}
		return err
	}
	return retry(ctx, h, o, "post-reboot test command", test)
}

// retry runs try until it succeeds or reboot_timeout passes, reconnecting
// first each time and sleeping as the action does (2^n seconds and a
// random part, at most 12).
func retry(ctx context.Context, h *modules.Host, o rebootOptions, what string, try func(context.Context) error) error {
	deadline := time.Now().Add(time.Duration(o.RebootTimeout) * time.Second)
	for fails := 0; time.Now().Before(deadline); fails++ {
		attempt, cancel := attemptContext(ctx, o.ConnectTimeout)
		err := h.Reconnect(attempt)
		if err == nil {
			err = try(attempt)
		}
		cancel()
		if err == nil {
			return nil
		}
		jitter := time.Duration(rand.IntN(1000)) * time.Millisecond
		sleep := min(time.Duration(1<<min(fails, 4))*time.Second, 12*time.Second) + jitter
		if !pause(ctx, sleep) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("Timed out waiting for %s (timeout=%d)", what, o.RebootTimeout)
}

// attemptContext bounds one attempt by connect_timeout when given.
func attemptContext(ctx context.Context, seconds int) (context.Context, context.CancelFunc) {
	if seconds <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, time.Duration(seconds)*time.Second)
}
