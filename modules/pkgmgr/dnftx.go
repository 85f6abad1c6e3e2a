package pkgmgr

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// dnfEnv makes dnf and rpm answer in the language we parse.
const dnfEnv = "LC_ALL=C LANG=C "

// dnfReport is what the task's transactions did, in Ansible's words.
type dnfReport struct {
	results []string // "Installed /path.rpm", "Installed: nevra", "Removed: nevra"
	changed bool
}

// result is the module's result once every transaction is done: Ansible's
// msg says "Nothing to do" when nothing was, and in check mode that
// nothing was done.
func (r dnfReport) result(check bool) modules.Result {
	msg := ""
	switch {
	case !r.changed:
		msg = "Nothing to do"
	case check:
		msg = "Check mode: No changes made, but would have if not in check mode"
	}
	results := make([]any, len(r.results))
	for i, s := range r.results {
		results[i] = s
	}
	return modules.Result{Msg: msg, Data: map[string]any{"msg": msg, "rc": 0, "results": results}}
}

// rpmPackage is one installed or file package, as rpm names it.
type rpmPackage struct{ name, epoch, version, release, arch string }

// nevra is dnf's name for the package (its str()): the epoch only when
// it is not 0.
func (p rpmPackage) nevra() string {
	return p.name + "-" + p.evr() + "." + p.arch
}

func (p rpmPackage) evr() string {
	if p.epoch != "" && p.epoch != "0" {
		return p.epoch + ":" + p.version + "-" + p.release
	}
	return p.version + "-" + p.release
}

// rpmFormat is the query format rpmPackages reads.
const rpmFormat = `'%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\n'`

// rpmQuery asks rpm about each word in one probe: query is rpm's query
// option for a word ("-q", "-qp", "-q --whatprovides"), and the answer
// maps each word to its packages (none: not installed, or not a package).
func (d *dnfTask) rpmQuery(words []string, option func(word string) string) (map[string][]rpmPackage, error) {
	out := map[string][]rpmPackage{}
	if len(words) == 0 {
		return out, nil
	}
	var script strings.Builder
	for i, w := range words {
		fmt.Fprintf(&script, "echo '--%d'; %srpm %s %s --qf %s -- %s 2>/dev/null; ", i, dnfEnv, d.rpmRoot(), option(w), rpmFormat, quote([]string{w}))
	}
	res, err := query(d.ctx, d.h, script.String()+"true")
	if err != nil {
		return nil, err
	}
	cur := -1
	for _, line := range strings.Split(res.Stdout, "\n") {
		if n, ok := strings.CutPrefix(line, "--"); ok {
			cur, _ = strconv.Atoi(n)
			continue
		}
		f := strings.Split(line, "\t")
		if cur < 0 || len(f) != 5 {
			continue
		}
		out[words[cur]] = append(out[words[cur]], rpmPackage{f[0], f[1], f[2], f[3], f[4]})
	}
	return out, nil
}

func (d *dnfTask) rpmRoot() string {
	if d.o.InstallRoot != "/" {
		return "--root " + quote([]string{d.o.InstallRoot})
	}
	return ""
}

// installedOf maps each name to its installed packages: by name (or
// name-version...) as rpm -q reads it, a path by what provides it.
func (d *dnfTask) installedOf(names []string) (map[string][]rpmPackage, error) {
	return d.rpmQuery(names, func(w string) string {
		if strings.HasPrefix(w, "/") {
			return "-q --whatprovides"
		}
		return "-q"
	})
}

// localFiles reads the task's .rpm files: each is reported as Ansible's
// dnf reports it ("Installed /path"), and installed unless a newer version
// of its package is (unless allow_downgrade).
func (d *dnfTask) localFiles(files []string, rep *dnfReport) ([]string, *modules.Result, error) {
	pkgs, err := d.rpmQuery(files, func(string) string { return "-qp" })
	if err != nil {
		return nil, nil, err
	}
	var names []string
	d.files = map[string]rpmPackage{}
	for _, f := range files {
		if len(pkgs[f]) != 1 {
			res := failed("Error occurred attempting remote rpm operation: Could not open: "+f, map[string]any{"results": []any{}, "rc": 1})
			return nil, &res, nil
		}
		names = append(names, pkgs[f][0].name)
		d.files[f] = pkgs[f][0]
	}
	installed, err := d.installedOf(names)
	if err != nil {
		return nil, nil, err
	}
	var args []string
	for _, f := range files {
		rep.results = append(rep.results, "Installed "+f)
		p := pkgs[f][0]
		newer, err := d.newerInstalled(p, installed[p.name])
		if err != nil {
			return nil, nil, err
		}
		if !newer || d.o.AllowDowngrade {
			args = append(args, f)
		}
	}
	return args, nil, nil
}

// newerInstalled compares p with the first installed package of its name
// by rpm's own version comparison, as Ansible's _is_newer_version_installed.
func (d *dnfTask) newerInstalled(p rpmPackage, installed []rpmPackage) (bool, error) {
	if len(installed) == 0 {
		return false, nil
	}
	lua := fmt.Sprintf(`%%{lua: print(rpm.vercmp(%q, %q))}`, installed[0].epoch+":"+installed[0].version+"-"+installed[0].release,
		p.epoch+":"+p.version+"-"+p.release)
	out, err := query(d.ctx, d.h, dnfEnv+"rpm --eval "+quote([]string{lua}))
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(out.Stdout) == "1", nil
}

// command is a dnf command line with the task's options; simulate asks
// dnf for the transaction and stops before it (--assumeno).
func (d *dnfTask) command(simulate bool, verb string, args ...string) string {
	o := d.o
	w := []string{"dnf"}
	if simulate {
		w = append(w, "--assumeno")
	} else {
		w = append(w, "-y")
	}
	if o.ConfFile != "" {
		w = append(w, "-c", o.ConfFile)
	}
	if o.InstallRoot != "/" {
		w = append(w, "--installroot="+o.InstallRoot)
	}
	if o.ReleaseVer != "" {
		w = append(w, "--releasever="+o.ReleaseVer)
	}
	w = append(w, "--setopt=clean_requirements_on_remove="+pyBool(o.Autoremove),
		"--setopt=install_weak_deps="+pyBool(o.InstallWeakDeps))
	if o.DisableGPGCheck {
		w = append(w, "--nogpgcheck")
	} else { // Ansible checks local files' signatures too
		w = append(w, "--setopt=gpgcheck=True", "--setopt=localpkg_gpgcheck=True")
	}
	if !o.SSLVerify {
		w = append(w, "--setopt=sslverify=False")
	}
	for _, r := range o.DisableRepo {
		w = append(w, "--disablerepo="+r)
	}
	for _, r := range o.EnableRepo {
		w = append(w, "--enablerepo="+r)
	}
	for _, x := range o.Exclude {
		w = append(w, "--exclude="+x)
	}
	if o.DisableExcludes != "" {
		w = append(w, "--disableexcludes="+o.DisableExcludes)
	}
	for _, p := range o.DisablePlugin {
		w = append(w, "--disableplugin="+p)
	}
	for _, p := range o.EnablePlugin {
		w = append(w, "--enableplugin="+p)
	}
	for _, flag := range []struct {
		on   bool
		flag string
	}{{o.SkipBroken, "--skip-broken"}, {o.NoBest, "--nobest"}, {o.State == "latest" && !o.NoBest, "--best"},
		{o.AllowErasing, "--allowerasing"}, {o.Cacheonly, "-C"}, {o.Security, "--security"}, {o.Bugfix, "--bugfix"},
		{o.UpdateCache && !d.h.Check, "--refresh"}} {
		if flag.on {
			w = append(w, flag.flag)
		}
	}
	w = append(w, verb, "--")
	return dnfEnv + quote(append(w, args...))
}

func pyBool(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// noRepos is dnf's refusal of names when no repository is enabled (the
// airgapped host with local files only).
const noRepos = "There are no enabled repositories"

var noMatch = regexp.MustCompile(`(?m)^No match for argument: (.*)$`)

// transact runs one dnf transaction: dnf's simulation says what it would
// do; in check mode that is the report, else dnf runs it through the gate.
// A non-nil result is the task's failure.
func (d *dnfTask) transact(rep *dnfReport, verb string, args []string) (*modules.Result, error) {
	sim, err := query(d.ctx, d.h, d.command(true, verb, args...))
	if err != nil {
		return nil, err
	}
	text := sim.Stdout + "\n" + sim.Stderr
	if strings.Contains(text, noRepos) {
		return d.withoutRepos(verb, args), nil
	}
	if verb == "remove" {
		// A pattern that matches nothing installed is no failure (Ansible's
		// _sanitize_dnf_error_msg_remove).
		for _, m := range noMatch.FindAllStringSubmatch(text, -1) {
			rep.results = append(rep.results, strings.TrimSpace(m[1])+" is not installed")
		}
	}
	if verb == "install" {
		if m := noMatch.FindAllStringSubmatch(text, -1); m != nil {
			var failures []any
			for _, x := range m {
				failures = append(failures, "No package "+strings.TrimSpace(x[1])+" available.")
			}
			res := failed("Failed to install some of the specified packages", map[string]any{"failures": failures, "results": []any{}, "rc": 1})
			return &res, nil
		}
	}
	tx := parseTransaction(sim.Stdout)
	if len(tx.install)+len(tx.remove) == 0 {
		if sim.RC != 0 && !strings.Contains(text, "Operation aborted") {
			res := dnfFailure(sim)
			return &res, nil
		}
		return nil, nil
	}
	if err := d.report(rep, tx); err != nil {
		return nil, err
	}
	what := "dnf " + verb + " " + strings.Join(args, " ")
	if d.h.Check {
		d.h.Report(what)
		return nil, nil
	}
	if res, err := d.checkSignatures(args, tx); err != nil || res != nil {
		return res, err
	}
	out, err := change(d.ctx, d.h, what, d.command(false, verb, args...))
	if err != nil {
		return nil, err
	}
	if out.RC != 0 {
		res := dnfFailure(out)
		return &res, nil
	}
	return nil, nil
}

// withoutRepos answers for dnf when no repository is enabled: a name it
// was to install is not available; there is nothing to upgrade from.
func (d *dnfTask) withoutRepos(verb string, args []string) *modules.Result {
	if verb != "install" {
		return nil
	}
	var failures []any
	for _, a := range args {
		failures = append(failures, "No package "+a+" available.")
	}
	res := failed("Failed to install some of the specified packages", map[string]any{"failures": failures, "results": []any{}, "rc": 1})
	return &res
}

// report adds a transaction's packages to the report as Ansible lists
// dnf's install_set and remove_set: an upgraded package's old version is
// removed.
func (d *dnfTask) report(rep *dnfReport, tx transaction) error {
	old, err := d.installedOf(tx.replaced)
	if err != nil {
		return err
	}
	removed := slices.Clone(tx.remove)
	for _, name := range tx.replaced {
		for _, p := range old[name] {
			removed = append(removed, p.nevra())
		}
	}
	slices.Sort(removed)
	installed := slices.Sorted(slices.Values(tx.install))
	for _, p := range installed {
		rep.results = append(rep.results, "Installed: "+p)
	}
	for _, p := range removed {
		rep.results = append(rep.results, "Removed: "+p)
	}
	rep.changed = true
	return nil
}

// checkSignatures checks the signatures of the local files the
// transaction installs before it runs, as Ansible's dnf does before
// do_transaction: an unsigned file fails the task, which changed nothing.
func (d *dnfTask) checkSignatures(args []string, tx transaction) (*modules.Result, error) {
	if d.o.DisableGPGCheck {
		return nil, nil
	}
	for _, f := range args {
		p, ok := d.files[f]
		if !ok || !slices.Contains(tx.install, p.nevra()) {
			continue
		}
		out, err := query(d.ctx, d.h, dnfEnv+"rpm "+d.rpmRoot()+" -K -- "+quote([]string{f}))
		if err != nil {
			return nil, err
		}
		if problem := signatureProblem(out.Stdout, f[strings.LastIndex(f, "/")+1:]); problem != "" {
			res := failed(fmt.Sprintf("Failed to validate GPG signature for %s: %s", p.nevra(), problem), nil)
			return &res, nil
		}
	}
	return nil, nil
}

// signatureProblem reads rpm -K's verdict on file base as dnf's
// _sig_check_pkg words it ("" when the signature checks).
func signatureProblem(verdict, base string) string {
	switch {
	case strings.Contains(verdict, "signatures OK"):
		return ""
	case strings.Contains(verdict, "NOKEY") || strings.Contains(verdict, "MISSING KEYS"):
		return "Public key for " + base + " is not installed"
	case strings.Contains(verdict, "NOTTRUSTED") || strings.Contains(verdict, "NOT TRUSTED"):
		return "Public key for " + base + " is not trusted"
	case strings.Contains(verdict, "digests OK"):
		return "Package " + base + " is not signed"
	}
	return "Problem opening package " + base
}

// gpgFailed is dnf's error when a package's signature does not check.
const gpgFailed = "Error: GPG check FAILED"

// gpgProblem is what dnf said of the package before gpgFailed (the last
// line naming a .rpm file: "Package x-1.0-1.noarch.rpm is not signed")
// and the package's name as dnf prints it.
func gpgProblem(text string) (problem, nevra string, ok bool) {
	before, _, found := strings.Cut(text, gpgFailed)
	if !found {
		return "", "", false
	}
	lines := strings.Split(before, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		for _, word := range strings.Fields(lines[i]) {
			if name, ok := strings.CutSuffix(word, ".rpm"); ok {
				return strings.TrimSpace(lines[i]), name[strings.LastIndex(name, "/")+1:], true
			}
		}
	}
	return "", "", false
}

// dnfFailure is a failed dnf command as Ansible's dnf reports the error.
func dnfFailure(out modules.Output) modules.Result {
	if problem, nevra, ok := gpgProblem(out.Stdout + "\n" + out.Stderr); ok {
		return failed(fmt.Sprintf("Failed to validate GPG signature for %s: %s", nevra, problem), nil)
	}
	msg := dnfError(out)
	if strings.Contains(msg, "Problem") {
		msg = "Depsolve Error occurred: " + msg
	} else {
		msg = "Unknown Error occurred: " + msg
	}
	return failed(msg, map[string]any{"failures": []any{}, "results": []any{}, "rc": 1})
}

// dnfError is dnf's error: what follows "Error: " up to a blank line (a
// hint follows), or the last line.
func dnfError(out modules.Output) string {
	text := out.Stderr + "\n" + out.Stdout
	if _, after, ok := strings.Cut(text, "Error: "); ok {
		after, _, _ = strings.Cut(after, "\n\n")
		return strings.TrimRight(after, "\n ")
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return lines[len(lines)-1]
}

// transaction is dnf's transaction table: the packages it installs
// (nevra), removes (nevra), and the names whose installed version it
// replaces (upgrade, downgrade, reinstall).
type transaction struct {
	install, remove, replaced []string
}

// section is a heading of dnf's table ("Installing dependencies:").
var section = regexp.MustCompile(`^([A-Z][a-z]+)[A-Za-z /,-]*:$`)

// parseTransaction reads the table dnf prints before it asks to go on.
// A row is "name arch [epoch:]version-release repo size"; a name too long
// for its column is wrapped onto a line of its own. "replacing" lines
// under a row name the packages it obsoletes.
func parseTransaction(out string) transaction {
	var tx transaction
	verb := ""
	var row []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Transaction Summary") {
			break
		}
		if m := section.FindStringSubmatch(line); m != nil {
			verb, row = m[1], nil
			continue
		}
		if verb == "" || !strings.HasPrefix(line, " ") {
			continue
		}
		f := strings.Fields(line)
		if len(f) >= 3 && f[0] == "replacing" {
			name, arch, _ := cutLast(f[1], ".")
			tx.remove = append(tx.remove, name+"-"+f[2]+"."+arch)
			continue
		}
		row = append(row, f...)
		if len(row) < 4 {
			continue
		}
		nevra := row[0] + "-" + row[2] + "." + row[1]
		switch verb {
		case "Installing", "Upgrading", "Downgrading", "Reinstalling":
			tx.install = append(tx.install, nevra)
			if verb != "Installing" {
				tx.replaced = append(tx.replaced, row[0])
			}
		case "Removing":
			tx.remove = append(tx.remove, nevra)
		}
		row = nil
	}
	return tx
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// hostcmdWrite runs a command with the gate's Writer.
func hostcmdWrite(ctx context.Context, w modules.Writer, h *modules.Host, script string) (modules.Output, error) {
	return hostcmd.Write(ctx, w, h, script, strings.NewReader(""))
}
