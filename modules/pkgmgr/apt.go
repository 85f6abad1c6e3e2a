package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(apt{}) }

// apt is Ansible's apt module (ansible-core 2.14, modules/apt.py) on
// apt-get and dpkg alone: the host needs no python3-apt. What a run would
// do is decided by probes (dpkg-query, apt-cache policy) and by apt-get's
// own simulation (-s), so check mode predicts with apt's resolver.
type apt struct{}

// aptSummary is apt-get's count line: "1 upgraded, 2 newly installed,
// 1 downgraded, 0 to remove and 3 not upgraded."
var aptSummary = regexp.MustCompile(`(?m)^\d+ upgraded, .*$`)

func (apt) Spec() modules.Spec {
	return modules.Spec{
		Name:    "apt",
		Summary: "Install, upgrade and remove Debian packages (names, local .deb files) with apt-get",
		Args: []modules.Arg{
			{Name: "name", Type: modules.List, Aliases: []string{"package", "pkg"},
				Doc: "Package names, each optionally with a version (foo=1.0, foo=1.0*, foo>=1.0); fnmatch patterns select from the cache. With state latest, '*' upgrades everything installed."},
			{Name: "state", Type: modules.String, Default: "present", Choices: []string{"absent", "build-dep", "fixed", "latest", "present"},
				Doc: "present: installed; latest: installed at the candidate version; absent: removed. build-dep and fixed are not supported by ferry."},
			{Name: "update_cache", Type: modules.Bool, Aliases: []string{"update-cache"}, Doc: "Run apt-get update first (see cache_valid_time)."},
			{Name: "update_cache_retries", Type: modules.Int, Default: 5, Doc: "Tries of apt-get update before failing."},
			{Name: "update_cache_retry_max_delay", Type: modules.Int, Default: 12, Doc: "Longest wait between tries, seconds."},
			{Name: "cache_valid_time", Type: modules.Int, Default: 0, Doc: "Update the cache only if it is older than this many seconds (implies update_cache)."},
			{Name: "purge", Type: modules.Bool, Default: false, Doc: "With state absent, also remove configuration files (--purge)."},
			{Name: "deb", Kind: modules.AbsPath, Type: modules.String,
				Doc: "Comma-separated paths of .deb files on the host to install; their dependencies come from the configured repositories (airgapped sites: copy the files first)."},
			{Name: "default_release", Type: modules.String, Aliases: []string{"default-release"}, Doc: "Release to prefer (apt-get -t)."},
			{Name: "install_recommends", Type: modules.Bool, Aliases: []string{"install-recommends"}, Doc: "Install recommended packages too (default: the host's apt setting)."},
			{Name: "force", Type: modules.Bool, Default: false, Doc: "--force-yes (and dpkg --force-all for deb): dangerous."},
			{Name: "upgrade", Type: modules.String, Default: "no", Choices: []string{"dist", "full", "no", "safe", "yes"},
				Doc: "Upgrade every package: yes/safe apt-get upgrade --with-new-pkgs, dist/full apt-get dist-upgrade (ferry has no aptitude)."},
			{Name: "dpkg_options", Type: modules.String, Default: "force-confdef,force-confold", Doc: "Comma-separated dpkg options, each passed as -o Dpkg::Options::=--OPTION."},
			{Name: "autoremove", Type: modules.Bool, Default: false, Doc: "Remove packages no longer needed (--auto-remove; alone: apt-get autoremove)."},
			{Name: "autoclean", Type: modules.Bool, Default: false, Doc: "Remove downloaded packages that can no longer be downloaded (apt-get autoclean)."},
			{Name: "fail_on_autoremove", Type: modules.Bool, Default: false, Doc: "Fail instead of removing packages (--no-remove)."},
			{Name: "policy_rc_d", Type: modules.Int, Doc: "Not supported by ferry: fails when given."},
			{Name: "only_upgrade", Type: modules.Bool, Default: false, Doc: "Only upgrade packages already installed; install none."},
			{Name: "force_apt_get", Type: modules.Bool, Default: false, Doc: "Accepted for compatibility: ferry always uses apt-get."},
			{Name: "clean", Type: modules.Bool, Default: false, Doc: "Run apt-get clean (the local package cache) first."},
			{Name: "allow_unauthenticated", Type: modules.Bool, Default: false, Aliases: []string{"allow-unauthenticated"}, Doc: "--allow-unauthenticated"},
			{Name: "allow_downgrade", Type: modules.Bool, Default: false, Aliases: []string{"allow-downgrade", "allow_downgrades", "allow-downgrades"}, Doc: "--allow-downgrades"},
			{Name: "allow_change_held_packages", Type: modules.Bool, Default: false, Doc: "--allow-change-held-packages"},
			{Name: "lock_timeout", Type: modules.Int, Default: 60, Doc: "Seconds to wait for the dpkg lock (DPkg::Lock::Timeout)."},
		},
		Exclusive: [][]string{{"deb", "name", "upgrade"}},
		Check:     modules.CheckSupported,
	}
}

// aptTask is one run of the module.
type aptTask struct {
	ctx  context.Context
	h    *modules.Host
	args modules.Args
}

func (apt) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	a := &aptTask{ctx: ctx, h: h, args: args}
	if msg := a.unsupported(); msg != "" {
		return failed(msg, nil), nil
	}
	if !args.Has("name") && !args.Has("deb") && !args.Bool("update_cache") && !args.Bool("autoremove") &&
		args.String("upgrade") == "no" && args.Int("cache_valid_time") == 0 && !args.Bool("clean") {
		return failed("one of the following is required: autoremove, deb, package, update_cache, upgrade", nil), nil
	}
	return a.run()
}

// unsupported names what Ansible's apt does that ferry's does not.
func (a *aptTask) unsupported() string {
	switch {
	case a.args.String("state") == "build-dep" || a.args.String("state") == "fixed":
		return "state " + a.args.String("state") + " is not supported by ferry's apt: run apt-get through command"
	case a.args.Has("policy_rc_d"):
		return "policy_rc_d is not supported by ferry's apt: write /usr/sbin/policy-rc.d with copy around the task"
	case strings.Contains(a.args.String("deb"), "://"):
		return "deb must be a file on the host: fetch it first (get_url or copy), as an airgapped site does anyway"
	}
	return ""
}

func (a *aptTask) run() (modules.Result, error) {
	if a.args.Bool("clean") {
		out, err := change(a.ctx, a.h, "apt-get clean", aptEnv+"apt-get clean")
		if res, done := a.commandFailed("apt-get clean failed", out, err); done {
			return res, err
		}
		if !a.args.Has("name") && a.args.String("upgrade") == "no" && !a.args.Has("deb") {
			return modules.Result{Data: map[string]any{"msg": out.Stdout, "stdout": out.Stdout, "stderr": out.Stderr}}, nil
		}
	}
	cache, res, err := a.updateCache()
	if err != nil || res.Failed {
		return res, err
	}
	if cache.asked && !a.args.Has("name") && a.args.String("upgrade") == "no" && !a.args.Has("deb") {
		return modules.Result{Data: cache.data()}, nil
	}
	if mode := a.args.String("upgrade"); mode != "no" {
		return a.upgrade(mode)
	}
	if a.args.Has("deb") {
		return a.installDebs()
	}
	names, all := packageNames(a.args.Strings("name"))
	if all && a.args.String("state") == "latest" {
		if len(names) > 0 {
			return failed("unable to install additional packages when upgrading all installed packages", nil), nil
		}
		return a.upgrade("yes")
	}
	for _, n := range names {
		if strings.Count(n, "=") > 1 {
			return failed("invalid package spec: "+n, nil), nil
		}
	}
	if len(names) == 0 {
		if res, done, err := a.cleanup(); done || err != nil {
			return res, err
		}
	}
	if a.args.String("state") == "absent" {
		return a.remove(names)
	}
	res, err = a.install(names)
	// Ansible's install reports the cache with its result, but a name apt
	// does not know fails before that (fail_json in package_status).
	if res.Data != nil && !strings.HasPrefix(res.Msg, "No package") {
		for k, v := range cache.data() {
			res.Data[k] = v
		}
	}
	return res, err
}

// packageNames trims the names and takes '*' out (all installed packages).
func packageNames(raw []string) (names []string, all bool) {
	for _, n := range raw {
		if n == "*" {
			all = true
			continue
		}
		names = append(names, strings.TrimSpace(n))
	}
	return names, all
}

// failed is a failed result with Ansible's fields.
func failed(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}

// commandFailed turns a command that could not run, or exited non-zero,
// into the module's failure.
func (a *aptTask) commandFailed(msg string, out modules.Output, err error) (modules.Result, bool) {
	if err != nil {
		return modules.Result{}, true
	}
	if out.RC != 0 {
		return failed(msg+": "+strings.TrimSpace(out.Stderr), map[string]any{"stdout": out.Stdout, "stderr": out.Stderr, "rc": out.RC}), true
	}
	return modules.Result{}, false
}

// aptGet is an apt-get command line with the options every call shares.
func (a *aptTask) aptGet(simulate bool, words ...string) string {
	var b strings.Builder
	b.WriteString(aptEnv + "apt-get -y")
	for _, opt := range strings.Split(a.args.String("dpkg_options"), ",") {
		b.WriteString(" -o " + quote([]string{"Dpkg::Options::=--" + strings.TrimSpace(opt)}))
	}
	fmt.Fprintf(&b, " -o DPkg::Lock::Timeout=%d", a.args.Int("lock_timeout"))
	flags := map[string]string{"force": "--force-yes", "fail_on_autoremove": "--no-remove",
		"allow_unauthenticated": "--allow-unauthenticated", "allow_downgrade": "--allow-downgrades",
		"allow_change_held_packages": "--allow-change-held-packages"}
	for _, arg := range []string{"force", "fail_on_autoremove", "allow_unauthenticated", "allow_downgrade", "allow_change_held_packages"} {
		if a.args.Bool(arg) {
			b.WriteString(" " + flags[arg])
		}
	}
	if rel := a.args.String("default_release"); rel != "" {
		b.WriteString(" -t " + quote([]string{rel}))
	}
	if a.args.Has("install_recommends") {
		fmt.Fprintf(&b, " -o APT::Install-Recommends=%t", a.args.Bool("install_recommends"))
	}
	if simulate {
		b.WriteString(" --simulate")
	}
	b.WriteString(" " + strings.Join(words, " "))
	return b.String()
}

// simulateThenRun asks apt-get what command would do; if it would do
// something, it runs it for real through the gate. Check mode returns the
// simulation's output, as Ansible's check mode does.
func (a *aptTask) simulateThenRun(what, failMsg string, command ...string) (modules.Result, bool, error) {
	return a.simulateThenRunIf(changesSomething, what, failMsg, command...)
}

// changesSomething reads apt-get's summary line: anything upgraded,
// installed, downgraded, reinstalled or removed. (Ansible reads only its
// first two counts, and so misses a removal.)
func changesSomething(stdout string) bool {
	line := aptSummary.FindString(stdout)
	for _, part := range regexp.MustCompile(`, | and `).Split(strings.TrimSuffix(line, "."), -1) {
		n, what, _ := strings.Cut(part, " ")
		if n != "0" && what != "not upgraded" {
			return true
		}
	}
	return false
}

// simulateThenRunIf is simulateThenRun for a command whose output says
// otherwise whether it changes anything (autoclean has no summary line).
func (a *aptTask) simulateThenRunIf(changes func(stdout string) bool, what, failMsg string, command ...string) (modules.Result, bool, error) {
	sim, err := query(a.ctx, a.h, a.aptGet(true, command...))
	if res, done := a.commandFailed(failMsg, sim, err); done {
		return res, false, err
	}
	if !changes(sim.Stdout) {
		return modules.Result{Data: map[string]any{"stdout": sim.Stdout, "stderr": sim.Stderr}}, false, nil
	}
	out, err := change(a.ctx, a.h, what, a.aptGet(false, command...))
	if a.h.Check {
		out = sim
	}
	if res, done := a.commandFailed(failMsg, out, err); done {
		return res, true, err
	}
	return modules.Result{Data: map[string]any{"stdout": out.Stdout, "stderr": out.Stderr}}, true, nil
}

func (a *aptTask) upgrade(mode string) (modules.Result, error) {
	command := []string{"upgrade", "--with-new-pkgs"}
	if mode == "dist" || mode == "full" {
		command = []string{"dist-upgrade"}
	}
	if a.args.Bool("autoremove") {
		command = append(command, "--auto-remove")
	}
	res, _, err := a.simulateThenRun("apt-get "+strings.Join(command, " "), fmt.Sprintf("'apt-get %s' failed", command[0]), command...)
	if res.Data != nil && !res.Failed {
		res.Data["msg"] = res.Data["stdout"]
	}
	return res, err
}

// cleanup runs autoclean and autoremove when no package is named.
func (a *aptTask) cleanup() (modules.Result, bool, error) {
	for _, op := range []string{"autoclean", "autoremove"} {
		if !a.args.Bool(op) {
			continue
		}
		words := []string{op}
		if a.args.Bool("purge") {
			words = append(words, "--purge")
		}
		changes := changesSomething
		if op == "autoclean" { // it lists what it deletes, as Ansible reads it
			changes = func(stdout string) bool { return strings.Contains(stdout, "Del ") }
		}
		res, _, err := a.simulateThenRunIf(changes, "apt-get "+op, fmt.Sprintf("'apt-get %s' failed", op), words...)
		return res, true, err
	}
	return modules.Result{}, false, nil
}
