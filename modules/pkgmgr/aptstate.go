package pkgmgr

import (
	"fmt"
	"math/rand/v2"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// cacheState is what the result says of the package lists.
type cacheState struct {
	asked   bool // update_cache or cache_valid_time was given
	updated bool
	time    int64 // the lists' mtime, Unix seconds
}

func (c cacheState) data() map[string]any {
	return map[string]any{"cache_updated": c.updated, "cache_update_time": c.time}
}

// cacheTime is Ansible's get_cache_mtime: the update-success stamp if there
// is one, else the lists directory; with the host's clock. Both keep their
// fraction of a second, as Python's datetime does: with cache_valid_time 0,
// lists written earlier in the same second are still older than now.
func (a *aptTask) cacheTime() (mtime, now time.Time, err error) {
	out, err := query(a.ctx, a.h, "stat -c %.9Y /var/lib/apt/periodic/update-success-stamp 2>/dev/null || "+
		"stat -c %.9Y /var/lib/apt/lists 2>/dev/null || echo 0; date +%s.%N")
	if err != nil {
		return mtime, now, err
	}
	f := strings.Fields(out.Stdout)
	if len(f) != 2 {
		return mtime, now, fmt.Errorf("reading the apt cache's time: unexpected %q", out.Stdout)
	}
	mtime, err1 := unixTime(f[0])
	now, err2 := unixTime(f[1])
	if err1 != nil || err2 != nil {
		return mtime, now, fmt.Errorf("reading the apt cache's time: unexpected %q", out.Stdout)
	}
	return mtime, now, nil
}

// stale is apt.py's "not mtimestamp + tdelta >= now".
func stale(mtime, now time.Time, valid time.Duration) bool {
	return mtime.Add(valid).Before(now)
}

// unixTime reads seconds since the epoch with an optional fraction
// ("1796421329.940695618").
func unixTime(s string) (time.Time, error) {
	secs, frac, _ := strings.Cut(s, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	var nsec int64
	if frac != "" {
		frac = (frac + "000000000")[:9]
		if nsec, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return time.Time{}, err
		}
	}
	return time.Unix(sec, nsec), nil
}

// updateCache runs apt-get update when asked and the lists are older than
// cache_valid_time, retrying with Ansible's backoff.
func (a *aptTask) updateCache() (cacheState, modules.Result, error) {
	var c cacheState
	mtime, now, err := a.cacheTime()
	if err != nil {
		return c, modules.Result{}, err
	}
	c.time = mtime.Unix()
	valid := time.Duration(a.o.CacheValidTime) * time.Second
	if !a.o.UpdateCache && valid == 0 {
		return c, modules.Result{}, nil
	}
	c.asked = true
	if !stale(mtime, now, valid) {
		return c, modules.Result{}, nil
	}
	var last modules.Output
	planned := true // check mode: the gate plans the update without running it
	err = a.h.Change("apt-get update", func(w modules.Writer) error {
		planned = false
		for try := 0; ; try++ {
			out, err := hostcmd.Write(a.ctx, w, a.h, aptEnv+"apt-get update --error-on=any", nil)
			if err != nil || out.RC == 0 || try+1 >= a.o.UpdateCacheRetries {
				last = out
				return err
			}
			if err := a.backoff(try); err != nil {
				return err
			}
		}
	})
	if err != nil {
		return c, modules.Result{}, err
	}
	if last.RC != 0 {
		return c, failed("Failed to update apt cache: "+strings.TrimSpace(last.Stderr+" "+last.Stdout), nil), nil
	}
	after, _, err := a.cacheTime()
	if err != nil {
		return c, modules.Result{}, err
	}
	c.updated = planned || !after.Equal(mtime)
	c.time = after.Unix()
	return c, modules.Result{}, nil
}

// backoff waits 2^try seconds plus up to one, at most
// update_cache_retry_max_delay (plus the same fraction), as Ansible does.
func (a *aptTask) backoff(try int) error {
	jitter := rand.Float64()
	delay := float64(int(1)<<min(try, 20)) + jitter
	if limit := float64(a.o.UpdateCacheRetryMaxDelay); delay > limit {
		delay = limit + jitter
	}
	t := time.NewTimer(time.Duration(delay * float64(time.Second)))
	defer t.Stop()
	select {
	case <-a.ctx.Done():
		return a.ctx.Err()
	case <-t.C:
		return nil
	}
}

// pkgStatus is what dpkg and apt know of one package name.
type pkgStatus struct {
	known     bool   // apt-cache knows the name (a real or a virtual package)
	installed bool   // dpkg's current state is installed
	hasFiles  bool   // installed, or removed with its configuration files kept
	version   string // the installed version
	candidate string // apt's candidate, "" for none
	versions  []string
}

var versionLine = regexp.MustCompile(`^ (?:\*\*\*|   ) (\S+) -?\d+$`)

// status asks dpkg-query and apt-cache policy about names, in one probe.
func (a *aptTask) status(names []string) (map[string]*pkgStatus, error) {
	policy := "apt-cache policy"
	if rel := a.o.DefaultRelease; rel != "" {
		policy = "apt-cache -o " + quote([]string{"APT::Default-Release=" + rel}) + " policy"
	}
	q := quote(names)
	out, err := query(a.ctx, a.h, aptEnv+"dpkg-query -W -f='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' -- "+q+
		" 2>/dev/null; echo '--policy--'; "+aptEnv+policy+" -- "+q)
	if err != nil {
		return nil, err
	}
	dpkg, pol, _ := strings.Cut(out.Stdout, "--policy--\n")
	st := map[string]*pkgStatus{}
	get := func(name string) *pkgStatus {
		name, _, _ = strings.Cut(name, ":")
		if st[name] == nil {
			st[name] = &pkgStatus{}
		}
		return st[name]
	}
	for _, line := range strings.Split(dpkg, "\n") {
		f := strings.Split(line, "\t")
		if len(f) != 3 || len(f[1]) < 2 {
			continue
		}
		s := get(f[0])
		s.installed = f[1][1] == 'i'
		s.hasFiles = s.installed || f[1][1] == 'c'
		if s.installed {
			s.version = f[2]
		}
	}
	var cur *pkgStatus
	for _, line := range strings.Split(pol, "\n") {
		switch {
		case line != "" && line[0] != ' ' && strings.HasSuffix(line, ":"):
			cur = get(strings.TrimSuffix(line, ":"))
			cur.known = true
		case cur == nil:
		case strings.HasPrefix(line, "  Candidate: "):
			if c := strings.TrimPrefix(line, "  Candidate: "); c != "(none)" {
				cur.candidate = c
			}
		default:
			if m := versionLine.FindStringSubmatch(line); m != nil && !strings.HasPrefix(line, "        ") {
				cur.versions = append(cur.versions, m[1])
			}
		}
	}
	return st, nil
}

// compareVersions is dpkg --compare-versions a op b on the host.
func (a *aptTask) compareVersions(x, op, y string) (bool, error) {
	out, err := query(a.ctx, a.h, "dpkg --compare-versions "+quote([]string{x, op, y}))
	return err == nil && out.RC == 0, err
}

// spec is a package name with an optional version constraint.
type spec struct{ name, op, version string }

func splitSpec(s string) spec {
	if i := strings.Index(s, "="); i > 0 {
		if s[i-1] == '>' {
			return spec{s[:i-1], ">=", s[i+1:]}
		}
		return spec{s[:i], "=", s[i+1:]}
	}
	return spec{name: s}
}

// expand replaces fnmatch patterns by the names in apt's cache that match
// them, as Ansible's expand_pkgspec_from_fnmatches does.
func (a *aptTask) expand(specs []string) ([]string, string, error) {
	var out []string
	var names []string
	for _, s := range specs {
		sp := splitSpec(s)
		if !strings.ContainsAny(sp.name, "*?[]!") {
			out = append(out, s)
			continue
		}
		if names == nil {
			all, err := query(a.ctx, a.h, aptEnv+"apt-cache pkgnames")
			if err != nil {
				return nil, "", err
			}
			names = strings.Fields(all.Stdout)
		}
		var matched []string
		for _, n := range names {
			if ok, _ := path.Match(sp.name, n); ok && (strings.Contains(sp.name, ":") || !strings.Contains(n, ":")) {
				matched = append(matched, n)
			}
		}
		if len(matched) == 0 {
			return nil, fmt.Sprintf("No package(s) matching '%s' available", sp.name), nil
		}
		out = append(out, matched...)
	}
	return out, "", nil
}

// wanted decides, as Ansible's package_status does, whether the installed
// version satisfies the spec and which version could be installed ("" for
// none; virtual for a name only apt can resolve).
func (a *aptTask) wanted(sp spec, s *pkgStatus) (satisfied bool, installable string, err error) {
	best := s.candidate
	if sp.op == "=" { // a pin on the version wins over every other
		best = ""
		for _, v := range s.versions {
			if ok, _ := path.Match(sp.version, v); ok {
				best = v
				break
			}
		}
	}
	if !s.installed {
		if best == "" && len(s.versions) == 0 {
			return false, virtual, nil
		}
		return false, best, nil
	}
	differs := best != "" && s.version != best
	switch sp.op {
	case "=":
		satisfied, _ = path.Match(sp.version, s.version)
		if differs {
			installable = best
		}
	case ">=":
		if satisfied, err = a.compareVersions(s.version, "ge", sp.version); err != nil {
			return false, "", err
		}
		if differs {
			ok, err := a.compareVersions(best, "ge", sp.version)
			if err != nil {
				return false, "", err
			}
			if ok {
				installable = best
			}
		}
	default:
		satisfied = true
		if differs {
			installable = best
		}
	}
	return satisfied, installable, nil
}

// virtual marks a name apt knows only as provided by other packages.
const virtual = "\x00virtual"

func (a *aptTask) install(specs []string) (modules.Result, error) {
	specs, msg, err := a.expand(specs)
	if err != nil || msg != "" {
		return failed(msg, nil), err
	}
	if len(specs) == 0 {
		return modules.Result{Data: map[string]any{}}, nil
	}
	var names []string
	for _, s := range specs {
		names = append(names, splitSpec(s).name)
	}
	st, err := a.status(names)
	if err != nil {
		return modules.Result{}, err
	}
	latest, onlyUpgrade := a.o.State == "latest", a.o.OnlyUpgrade
	var list []string
	for _, raw := range specs {
		sp := splitSpec(raw)
		s := st[sp.name]
		if s == nil || !s.known {
			return failed(fmt.Sprintf("No package matching '%s' is available", sp.name), nil), nil
		}
		satisfied, installable, err := a.wanted(sp, s)
		if err != nil {
			return modules.Result{}, err
		}
		switch {
		case !s.installed && onlyUpgrade:
		case !satisfied && installable == "":
			return failed("no available installation candidate for "+raw, nil), nil
		case installable != "" && ((!s.installed && !onlyUpgrade) || latest || !satisfied):
			switch {
			case installable != virtual:
				list = append(list, sp.name+"="+installable)
			case sp.version != "":
				list = append(list, sp.name+"="+sp.version)
			default:
				list = append(list, sp.name)
			}
		case satisfied && installable != "" && sp.op == "=":
			list = append(list, sp.name+"="+sp.version)
		}
	}
	res := modules.Result{Data: map[string]any{}}
	if len(list) > 0 {
		command := append([]string{"install"}, quotedWords(list)...)
		if a.o.Autoremove {
			command = append(command, "--auto-remove")
		}
		if onlyUpgrade {
			command = append(command, "--only-upgrade")
		}
		res, _, err = a.simulateThenRun("install "+strings.Join(list, " "),
			fmt.Sprintf("'apt-get install %s' failed", strings.Join(list, " ")), command...)
		if err != nil || res.Failed {
			return res, err
		}
	}
	return res, a.markManual(names)
}

// markManual marks packages the task named as installed by hand (Ansible
// runs apt-mark manual after every install), so that autoremove keeps them.
// As in Ansible's apt, this is no change of the task's (a package that was
// installed as a dependency stays ok) and is not done under --check.
func (a *aptTask) markManual(names []string) error {
	if a.h.Check {
		return nil
	}
	out, err := query(a.ctx, a.h, aptEnv+"apt-mark showauto -- "+quote(names))
	if err != nil || strings.TrimSpace(out.Stdout) == "" {
		return err
	}
	auto := strings.Fields(out.Stdout)
	mark, err := hostcmd.Act(a.ctx, a.h, aptEnv+"apt-mark manual -- "+quote(auto))
	if err == nil && mark.RC != 0 {
		err = fmt.Errorf("apt-mark manual %s: %s", strings.Join(auto, " "), strings.TrimSpace(mark.Stderr))
	}
	return err
}

func quotedWords(words []string) []string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = quote([]string{w})
	}
	return q
}

func (a *aptTask) remove(specs []string) (modules.Result, error) {
	specs, msg, err := a.expand(specs)
	if err != nil || msg != "" {
		return failed(msg, nil), err
	}
	if len(specs) == 0 {
		return modules.Result{}, nil
	}
	var names []string
	for _, s := range specs {
		names = append(names, splitSpec(s).name)
	}
	st, err := a.status(names)
	if err != nil {
		return modules.Result{}, err
	}
	purge := a.o.Purge
	var list []string
	for _, raw := range specs {
		sp := splitSpec(raw)
		s := st[sp.name]
		if s == nil {
			continue
		}
		satisfied := s.installed
		if s.installed && sp.op != "" {
			if satisfied, _, err = a.wanted(sp, s); err != nil {
				return modules.Result{}, err
			}
		}
		if satisfied || (s.hasFiles && purge) {
			list = append(list, raw)
		}
	}
	if len(list) == 0 {
		return modules.Result{}, nil
	}
	command := []string{"-q", "remove"}
	if purge {
		command = append(command, "--purge")
	}
	if a.o.Autoremove {
		command = append(command, "--auto-remove")
	}
	command = append(command, quotedWords(list)...)
	res, _, err := a.simulateThenRun("remove "+strings.Join(list, " "),
		fmt.Sprintf("'apt-get remove %s' failed", strings.Join(list, " ")), command...)
	return res, err
}

// installDebs installs .deb files from the host's disk through apt-get,
// which takes their dependencies from the repositories; a file whose
// version is the one installed is left alone.
func (a *aptTask) installDebs() (modules.Result, error) {
	if a.o.State != "present" {
		return failed("deb only supports state=present", nil), nil
	}
	var files, names []string
	fields := map[string][2]string{}
	for _, f := range strings.Split(a.o.Deb, ",") {
		f = strings.TrimSpace(f)
		out, err := query(a.ctx, a.h, "dpkg-deb -f "+quote([]string{f})+" Package Version")
		if err != nil {
			return modules.Result{}, err
		}
		if out.RC != 0 {
			return failed(fmt.Sprintf("Unable to install package: %s: %s", f, strings.TrimSpace(out.Stderr)), nil), nil
		}
		var pkg, ver string
		for _, line := range strings.Split(out.Stdout, "\n") {
			k, v, _ := strings.Cut(line, ": ")
			switch k {
			case "Package":
				pkg = v
			case "Version":
				ver = v
			}
		}
		files = append(files, f)
		names = append(names, pkg)
		fields[f] = [2]string{pkg, ver}
	}
	st, err := a.status(names)
	if err != nil {
		return modules.Result{}, err
	}
	var todo []string
	for _, f := range files {
		s := st[fields[f][0]]
		if s != nil && s.installed {
			same, err := a.compareVersions(fields[f][1], "eq", s.version)
			if err != nil {
				return modules.Result{}, err
			}
			if same {
				continue
			}
		}
		todo = append(todo, f)
	}
	if len(todo) == 0 {
		return modules.Result{Data: map[string]any{"stdout": "", "stderr": ""}}, nil
	}
	command := append([]string{"install"}, quotedWords(todo)...)
	res, ran, err := a.simulateThenRun("install "+strings.Join(todo, " "), "'apt-get install "+strings.Join(todo, " ")+"' failed", command...)
	if err != nil || res.Failed || !ran || a.h.Check {
		return res, err
	}
	// Ansible's apt installs a .deb's missing dependencies by name, and so
	// marks them installed by hand: autoremove keeps them.
	var deps []string
	for _, m := range settingUp.FindAllStringSubmatch(res.Data["stdout"].(string), -1) {
		if name, _, _ := strings.Cut(m[1], ":"); !slices.Contains(names, name) {
			deps = append(deps, name)
		}
	}
	if len(deps) == 0 {
		return res, nil
	}
	return res, a.markManual(deps)
}

// settingUp is dpkg's line for each package it configures.
var settingUp = regexp.MustCompile(`(?m)^Setting up (\S+) \(`)
