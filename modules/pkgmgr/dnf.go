package pkgmgr

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(dnf{}) }

// dnf is Ansible's dnf module (ansible-core 2.14, modules/dnf.py) on the
// dnf and rpm commands: what a run would do is decided by rpm's queries and
// by dnf's own resolver (--assumeno prints the transaction and aborts), so
// check mode predicts with dnf itself. Local .rpm files are the airgapped
// case: their dependencies come from the other files of the task or the
// enabled repositories.
type dnf struct{}

type dnfOptions struct {
	Name             []string `opt:"name" aliases:"pkg" doc:"Package names or specs (name, name-1.0, name-1.0-1.x86_64, globs such as ferry-*), paths of local .rpm files on the host, or a path a package provides. With state latest, '*' upgrades everything."`
	State            string   `opt:"state" choices:"absent,installed,latest,present,removed" doc:"present (installed): installed; latest: installed and upgraded; absent (removed): removed, with the packages that need them. Default present, or absent with autoremove."`
	EnableRepo       []string `opt:"enablerepo" doc:"Repository ids (globs) to enable for this task only."`
	DisableRepo      []string `opt:"disablerepo" doc:"Repository ids (globs) to disable for this task only ('*' for all: local files alone)."`
	ConfFile         string   `opt:"conf_file" doc:"The dnf configuration file to use (dnf -c)."`
	DisableGPGCheck  bool     `opt:"disable_gpg_check" default:"false" doc:"Install packages whose signature cannot be checked (unsigned local files)."`
	InstallRoot      string   `opt:"installroot" default:"/" kind:"abspath" doc:"The root the packages are installed into (dnf --installroot)."`
	ReleaseVer       string   `opt:"releasever" doc:"The release version for the repositories' $releasever."`
	Autoremove       bool     `opt:"autoremove" default:"false" doc:"Remove the packages nothing needs any more (alone or with state absent)."`
	Exclude          []string `opt:"exclude" doc:"Package names (globs) never to install or upgrade."`
	SkipBroken       bool     `opt:"skip_broken" default:"false" doc:"Skip the packages whose dependencies cannot be met."`
	UpdateCache      bool     `opt:"update_cache" default:"false" aliases:"expire-cache" doc:"Refresh the repositories' metadata first (alone: dnf makecache)."`
	UpdateOnly       bool     `opt:"update_only" default:"false" doc:"With present or latest: upgrade the named packages that are installed, install none."`
	AllowDowngrade   bool     `opt:"allow_downgrade" default:"false" doc:"Install an older version than the one installed (a local file or name-version)."`
	InstallWeakDeps  bool     `opt:"install_weak_deps" default:"true" doc:"Install the packages that the named ones recommend."`
	LockTimeout      int      `opt:"lock_timeout" default:"30" doc:"Accepted for compatibility: dnf waits for its own lock."`
	AllowErasing     bool     `opt:"allowerasing" default:"false" doc:"Remove installed packages that conflict with the ones installed."`
	NoBest           bool     `opt:"nobest" default:"false" doc:"Do not insist on the best candidate when it cannot be installed."`
	Cacheonly        bool     `opt:"cacheonly" default:"false" doc:"Use the metadata cache only (dnf -C)."`
	SSLVerify        bool     `opt:"sslverify" default:"true" doc:"Check the repositories' TLS certificates."`
	ValidateCerts    bool     `opt:"validate_certs" default:"true" doc:"Accepted for compatibility (Ansible's dnf ignores it too)."`
	DisableExcludes  string   `opt:"disable_excludes" doc:"Ignore the excludes of the configuration: all, main or a repository id."`
	DisablePlugin    []string `opt:"disable_plugin" doc:"dnf plugins to disable for this task."`
	EnablePlugin     []string `opt:"enable_plugin" doc:"dnf plugins to enable for this task."`
	Security         bool     `opt:"security" default:"false" doc:"With latest: only security updates."`
	Bugfix           bool     `opt:"bugfix" default:"false" doc:"With latest: only bug-fix updates."`
	List             string   `opt:"list" doc:"Not supported by ferry: use package_facts or command: dnf list."`
	DownloadOnly     bool     `opt:"download_only" default:"false" doc:"Not supported by ferry: fails when true."`
	DownloadDir      string   `opt:"download_dir" doc:"Not supported by ferry: fails when given."`
	InstallRepoquery bool     `opt:"install_repoquery" default:"true" doc:"Accepted for compatibility (yum only)."`
}

func (dnf) Spec() modules.Spec {
	return modules.Spec{
		Name:      "dnf",
		Summary:   "Install, upgrade and remove RPM packages (names, local .rpm files) with dnf",
		Args:      modules.OptionsOf[dnfOptions](),
		Exclusive: [][]string{{"name", "list"}},
		Check:     modules.CheckSupported,
	}
}

// dnfTask is one run of the module.
type dnfTask struct {
	ctx   context.Context
	h     *modules.Host
	o     dnfOptions
	files map[string]rpmPackage // the task's .rpm files, as rpm reads them
}

func (dnf) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[dnfOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	// Ansible's required_one_of (name, list, update_cache) never fails:
	// name defaults to [], which counts as given.
	o.Name, o.EnableRepo = listify(o.Name), listify(o.EnableRepo)
	o.DisableRepo, o.Exclude = listify(o.DisableRepo), listify(o.Exclude)
	d := &dnfTask{ctx: ctx, h: h, o: o}
	if msg := d.refused(); msg != "" {
		var data map[string]any
		if strings.HasPrefix(msg, "Autoremove") {
			data = map[string]any{"results": []any{}}
		}
		return failed(msg, data), nil
	}
	return d.run()
}

// listify splits the items that hold commas, as Ansible's
// listify_comma_sep_strings_in_list does: their parts go to the end.
func listify(items []string) []string {
	var out, split []string
	for _, it := range items {
		if strings.Contains(it, ",") {
			for _, part := range strings.Split(it, ",") {
				split = append(split, strings.TrimSpace(part))
			}
			continue
		}
		out = append(out, strings.TrimSpace(it))
	}
	out = append(out, split...)
	if len(out) == 1 && out[0] == "" {
		return nil
	}
	return out
}

// refused names what the task asks that Ansible's dnf refuses, or that
// ferry's does not do.
func (d *dnfTask) refused() string {
	for _, n := range d.o.Name {
		if strings.Contains(n, " ") && !strings.ContainsAny(n, "@><=") {
			return "It appears that a space separated string of packages was passed in as an argument. " +
				"To operate on several packages, pass a comma separated string of packages or a list of packages."
		}
	}
	switch {
	case d.o.State == "":
		d.o.State = "present"
		if d.o.Autoremove {
			d.o.State = "absent"
		}
	case d.o.Autoremove && d.o.State != "absent" && d.o.State != "removed":
		return "Autoremove should be used alone or with state=absent"
	}
	switch {
	case d.o.List != "":
		return "list is not supported by ferry's dnf: use package_facts, or command: dnf list"
	case d.o.DownloadOnly || d.o.DownloadDir != "":
		return "download_only and download_dir are not supported by ferry's dnf: run dnf download through command"
	}
	for _, n := range d.o.Name {
		switch {
		case strings.Contains(n, "://"):
			return "a package URL is not supported by ferry's dnf: fetch the file first (get_url or copy), as an airgapped site does anyway"
		case strings.HasPrefix(n, "@") || (strings.Contains(n, "/") && !strings.HasPrefix(n, "/")):
			return "groups and modules (" + n + ") are not supported by ferry's dnf: run dnf group install through command"
		}
	}
	return ""
}

func (d *dnfTask) run() (modules.Result, error) {
	if d.o.UpdateCache && len(d.o.Name) == 0 {
		return d.makecache()
	}
	var files, names []string
	for _, n := range d.o.Name {
		if strings.HasSuffix(n, ".rpm") {
			files = append(files, n)
		} else {
			names = append(names, n)
		}
	}
	switch d.o.State {
	case "absent", "removed":
		if len(files) > 0 {
			return failed("Cannot remove paths -- please specify package name.", map[string]any{"results": []any{}}), nil
		}
		return d.remove(names)
	case "latest":
		if len(names) == 1 && names[0] == "*" && len(files) == 0 {
			return d.only("upgrade", nil)
		}
	}
	return d.install(files, names)
}

// makecache refreshes the repositories' metadata, which Ansible reports as
// no change. Check mode leaves the cache as it is.
func (d *dnfTask) makecache() (modules.Result, error) {
	res := modules.Result{Msg: "Cache updated", Data: map[string]any{"msg": "Cache updated", "results": []any{}, "rc": 0}}
	if d.h.Check {
		return res, nil
	}
	var out modules.Output
	err := d.h.Act(func(w modules.Writer) error {
		var err error
		out, err = hostcmdWrite(d.ctx, w, d.h, d.command(false, "makecache"))
		return err
	})
	if err != nil {
		return modules.Result{}, err
	}
	if out.RC != 0 {
		msg := dnfError(out)
		return failed(msg, map[string]any{"results": []any{}, "rc": 1}), nil
	}
	return res, nil
}

// install makes sure files and names are installed (latest: upgraded).
func (d *dnfTask) install(files, names []string) (modules.Result, error) {
	var rep dnfReport
	args, res, err := d.localFiles(files, &rep)
	if err != nil {
		return modules.Result{}, err
	} else if res != nil {
		return *res, nil
	}
	installed, err := d.installedOf(names)
	if err != nil {
		return modules.Result{}, err
	}
	var upgrade []string
	for _, n := range names {
		switch {
		case installed[n] != nil:
			if d.o.State == "latest" || d.o.UpdateOnly { // Ansible's _update_only upgrades what is installed
				upgrade = append(upgrade, n)
			}
		case d.o.UpdateOnly:
			rep.results = append(rep.results, "Packages providing "+n+" not installed due to update_only specified")
		default:
			args = append(args, n)
		}
	}
	// dnf's command line has no transaction that installs some names and
	// upgrades others: the install goes first, then the upgrade.
	for _, step := range []struct {
		verb string
		args []string
	}{{"install", args}, {"upgrade", upgrade}} {
		if len(step.args) == 0 {
			continue
		}
		if res, err := d.transact(&rep, step.verb, step.args); err != nil {
			return modules.Result{}, err
		} else if res != nil {
			return *res, nil
		}
	}
	return rep.result(d.h.Check), nil
}

// remove removes the installed packages that names match, and with
// autoremove what nothing needs any more.
func (d *dnfTask) remove(names []string) (modules.Result, error) {
	installed, err := d.installedOf(names)
	if err != nil {
		return modules.Result{}, err
	}
	var args []string
	for _, n := range names {
		if strings.ContainsAny(n, "*?[") {
			args = append(args, n) // dnf matches the pattern, as Ansible's base.remove does
			continue
		}
		for _, p := range installed[n] {
			args = append(args, p.nevra())
		}
	}
	switch {
	case len(args) > 0:
		return d.only("remove", args)
	case d.o.Autoremove:
		return d.only("autoremove", nil)
	}
	return dnfReport{}.result(d.h.Check), nil
}

// only is a task of one dnf transaction.
func (d *dnfTask) only(verb string, args []string) (modules.Result, error) {
	var rep dnfReport
	if res, err := d.transact(&rep, verb, args); err != nil {
		return modules.Result{}, err
	} else if res != nil {
		return *res, nil
	}
	return rep.result(d.h.Check), nil
}
