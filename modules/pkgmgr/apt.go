package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
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

type aptOptions struct {
	Name                     []string `opt:"name" aliases:"package,pkg" doc:"Package names, each optionally with a version (foo=1.0, foo=1.0*, foo>=1.0); fnmatch patterns select from the cache. With state latest, '*' upgrades everything installed."`
	State                    string   `opt:"state" default:"present" choices:"absent,build-dep,fixed,latest,present" doc:"present: installed; latest: installed at the candidate version; absent: removed. build-dep and fixed are not supported by ferry."`
	UpdateCache              bool     `opt:"update_cache" aliases:"update-cache" doc:"Run apt-get update first (see cache_valid_time)."`
	UpdateCacheRetries       int      `opt:"update_cache_retries" default:"5" doc:"Tries of apt-get update before failing."`
	UpdateCacheRetryMaxDelay int      `opt:"update_cache_retry_max_delay" default:"12" doc:"Longest wait between tries, seconds."`
	CacheValidTime           int      `opt:"cache_valid_time" default:"0" doc:"Update the cache only if it is older than this many seconds (implies update_cache)."`
	Purge                    bool     `opt:"purge" default:"false" doc:"With state absent, also remove configuration files (--purge)."`
	Deb                      string   `opt:"deb" kind:"abspath" doc:"Comma-separated paths of .deb files on the host to install; their dependencies come from the configured repositories (airgapped sites: copy the files first)."`
	DefaultRelease           string   `opt:"default_release" aliases:"default-release" doc:"Release to prefer (apt-get -t)."`
	InstallRecommends        *bool    `opt:"install_recommends" aliases:"install-recommends" doc:"Install recommended packages too (default: the host's apt setting)."`
	Force                    bool     `opt:"force" default:"false" doc:"--force-yes (and dpkg --force-all for deb): dangerous."`
	Upgrade                  string   `opt:"upgrade" default:"no" choices:"dist,full,no,safe,yes" doc:"Upgrade every package: yes/safe apt-get upgrade --with-new-pkgs, dist/full apt-get dist-upgrade (ferry has no aptitude)."`
	DpkgOptions              string   `opt:"dpkg_options" default:"force-confdef,force-confold" doc:"Comma-separated dpkg options, each passed as -o Dpkg::Options::=--OPTION."`
	Autoremove               bool     `opt:"autoremove" default:"false" doc:"Remove packages no longer needed (--auto-remove; alone: apt-get autoremove)."`
	Autoclean                bool     `opt:"autoclean" default:"false" doc:"Remove downloaded packages that can no longer be downloaded (apt-get autoclean)."`
	FailOnAutoremove         bool     `opt:"fail_on_autoremove" default:"false" doc:"Fail instead of removing packages (--no-remove)."`
	PolicyRcD                *int     `opt:"policy_rc_d" doc:"Not supported by ferry: fails when given."`
	OnlyUpgrade              bool     `opt:"only_upgrade" default:"false" doc:"Only upgrade packages already installed; install none."`
	ForceAptGet              bool     `opt:"force_apt_get" default:"false" doc:"Accepted for compatibility: ferry always uses apt-get."`
	Clean                    bool     `opt:"clean" default:"false" doc:"Run apt-get clean (the local package cache) first."`
	AllowUnauthenticated     bool     `opt:"allow_unauthenticated" default:"false" aliases:"allow-unauthenticated" doc:"--allow-unauthenticated"`
	AllowDowngrade           bool     `opt:"allow_downgrade" default:"false" aliases:"allow-downgrade,allow_downgrades,allow-downgrades" doc:"--allow-downgrades"`
	AllowChangeHeldPackages  bool     `opt:"allow_change_held_packages" default:"false" doc:"--allow-change-held-packages"`
	LockTimeout              int      `opt:"lock_timeout" default:"60" doc:"Seconds to wait for the dpkg lock (DPkg::Lock::Timeout)."`
}

func (apt) Spec() modules.Spec {
	return modules.Spec{
		Name:      "apt",
		Returns:   []string{"changed", "msg", "stdout", "stderr", "diff", "cache_updated", "cache_update_time", "stdout_lines", "stderr_lines"}, // the order of Ansible's result
		Summary:   "Install, upgrade and remove Debian packages (names, local .deb files) with apt-get",
		Args:      modules.OptionsOf[aptOptions](),
		Exclusive: [][]string{{"deb", "name", "upgrade"}},
		Check:     modules.CheckSupported,
	}
}

// aptTask is one run of the module.
type aptTask struct {
	ctx context.Context
	h   *modules.Host
	o   aptOptions
}

func (apt) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[aptOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	a := &aptTask{ctx: ctx, h: h, o: o}
	if msg := a.unsupported(); msg != "" {
		return failed(msg, nil), nil
	}
	if o.Name == nil && o.Deb == "" && !o.UpdateCache && !o.Autoremove &&
		o.Upgrade == "no" && o.CacheValidTime == 0 && !o.Clean {
		return failed("one of the following is required: autoremove, deb, package, update_cache, upgrade", nil), nil
	}
	return a.run()
}

// unsupported names what Ansible's apt does that ferry's does not.
func (a *aptTask) unsupported() string {
	switch {
	case a.o.State == "build-dep" || a.o.State == "fixed":
		return "state " + a.o.State + " is not supported by ferry's apt: run apt-get through command"
	case a.o.PolicyRcD != nil:
		return "policy_rc_d is not supported by ferry's apt: write /usr/sbin/policy-rc.d with copy around the task"
	case strings.Contains(a.o.Deb, "://"):
		return "deb must be a file on the host: fetch it first (get_url or copy), as an airgapped site does anyway"
	}
	return ""
}

func (a *aptTask) run() (modules.Result, error) {
	if a.o.Clean {
		out, err := change(a.ctx, a.h, "apt-get clean", aptEnv+"apt-get clean")
		if res, done := a.commandFailed("apt-get clean failed", out, err); done {
			return res, err
		}
		if a.o.Name == nil && a.o.Upgrade == "no" && a.o.Deb == "" {
			return modules.Result{Data: map[string]any{"msg": out.Stdout, "stdout": out.Stdout, "stderr": out.Stderr}}, nil
		}
	}
	cache, res, err := a.updateCache()
	if err != nil || res.Failed {
		return res, err
	}
	if cache.asked && a.o.Name == nil && a.o.Upgrade == "no" && a.o.Deb == "" {
		return modules.Result{Data: cache.data()}, nil
	}
	if mode := a.o.Upgrade; mode != "no" {
		return a.upgrade(mode)
	}
	if a.o.Deb != "" {
		return a.installDebs()
	}
	names, all := packageNames(a.o.Name)
	if all && a.o.State == "latest" {
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
	if a.o.State == "absent" {
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
	for _, opt := range strings.Split(a.o.DpkgOptions, ",") {
		b.WriteString(" -o " + quote([]string{"Dpkg::Options::=--" + strings.TrimSpace(opt)}))
	}
	fmt.Fprintf(&b, " -o DPkg::Lock::Timeout=%d", a.o.LockTimeout)
	for _, flag := range []struct {
		given bool
		flag  string
	}{{a.o.Force, "--force-yes"}, {a.o.FailOnAutoremove, "--no-remove"}, {a.o.AllowUnauthenticated, "--allow-unauthenticated"},
		{a.o.AllowDowngrade, "--allow-downgrades"}, {a.o.AllowChangeHeldPackages, "--allow-change-held-packages"}} {
		if flag.given {
			b.WriteString(" " + flag.flag)
		}
	}
	if rel := a.o.DefaultRelease; rel != "" {
		b.WriteString(" -t " + quote([]string{rel}))
	}
	if a.o.InstallRecommends != nil {
		fmt.Fprintf(&b, " -o APT::Install-Recommends=%t", *a.o.InstallRecommends)
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
	// In check mode the gate plans the command and the simulation stands
	// for its output, as Ansible's check mode reports it.
	out := sim
	err = a.h.Change(what, func(w modules.Writer) error {
		var err error
		out, err = hostcmd.Write(a.ctx, w, a.h, a.aptGet(false, command...), strings.NewReader(""))
		return err
	})
	if res, done := a.commandFailed(failMsg, out, err); done {
		return res, true, err
	}
	res := modules.Result{Data: map[string]any{"stdout": out.Stdout, "stderr": out.Stderr}}
	a.addDiff(&res, out.Stdout)
	return res, true, nil
}

// addDiff gives a result of apt-get Ansible's diff: under --diff the plan
// in stdout (diff.prepared), else an empty one.
func (a *aptTask) addDiff(res *modules.Result, stdout string) {
	res.Data["diff"] = map[string]any{}
	if a.h.Diff {
		prepared := aptPrepared(stdout)
		res.Data["diff"] = map[string]any{"prepared": prepared}
		res.Diffs = []modules.Diff{{Prepared: prepared}}
	}
}

// aptPrepared is Ansible's parse_diff: apt-get's plan, from the line after
// "Reading state information..." to its count line ("1 upgraded, ...").
func aptPrepared(stdout string) string {
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	start := slices.Index(lines, "Reading state information...")
	if i := slices.Index(lines, "Resolving dependencies..."); i >= 0 {
		start = i
	}
	end := slices.IndexFunc(lines, aptCountLine.MatchString)
	if end < 0 {
		end = len(lines) - 1
	}
	if start+1 > end+1 {
		return ""
	}
	return strings.Join(lines[start+1:end+1], "\n")
}

// aptCountLine is the line parse_diff ends at (re.match: at the start).
var aptCountLine = regexp.MustCompile(`^[0-9]+ (packages )?upgraded`)

func (a *aptTask) upgrade(mode string) (modules.Result, error) {
	command := []string{"upgrade", "--with-new-pkgs"}
	if mode == "dist" || mode == "full" {
		command = []string{"dist-upgrade"}
	}
	if a.o.Autoremove {
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
	for _, op := range []struct {
		given bool
		name  string
	}{{a.o.Autoclean, "autoclean"}, {a.o.Autoremove, "autoremove"}} {
		if !op.given {
			continue
		}
		words := []string{op.name}
		if a.o.Purge {
			words = append(words, "--purge")
		}
		changes := changesSomething
		if op.name == "autoclean" { // it lists what it deletes, as Ansible reads it
			changes = func(stdout string) bool { return strings.Contains(stdout, "Del ") }
		}
		res, changed, err := a.simulateThenRunIf(changes, "apt-get "+op.name, fmt.Sprintf("'apt-get %s' failed", op.name), words...)
		if err == nil && !changed && !res.Failed { // Ansible's cleanup has a diff either way
			a.addDiff(&res, res.Data["stdout"].(string))
		}
		return res, true, err
	}
	return modules.Result{}, false, nil
}
