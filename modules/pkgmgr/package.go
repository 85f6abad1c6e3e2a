package pkgmgr

import (
	"context"
	"strings"

	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(packageModule{}) }

// packageModule is Ansible's package action: it runs the host's package
// manager module with the task's arguments (less use). ferry has apt and
// dnf (yum is dnf's alias).
type packageModule struct{}

// backends are the package manager modules package can hand a task to.
var backends = map[string]modules.Module{"apt": apt{}, "dnf": dnf{}, "yum": yum{}}

// packageOptions are package's own options; every other argument goes to
// the package manager module, which checks it when the task runs.
type packageOptions struct {
	// Neither name nor state is required: Ansible's package action hands
	// the task to the backend as it is, so `package: {update_cache: true}`
	// is apt's cache update (geerlingguy roles' converge playbooks).
	Name  []string `opt:"name" doc:"Package names or specifiers, in the package manager's syntax (name=1.0 for apt, name-1.0 for dnf). The package manager module decides whether it is needed (apt's update_cache alone needs none)."`
	State string   `opt:"state" doc:"present or absent; latest where the package manager supports it. The package manager module's default when unset."`
	Use   string   `opt:"use" default:"auto" doc:"The package manager module (apt, dnf, yum); auto: the pkg_mgr fact, else what the host has."`
}

func (packageModule) Spec() modules.Spec {
	return modules.Spec{
		Name:    "package",
		Returns: []string{"changed", "msg", "stdout", "stderr", "diff", "cache_updated", "cache_update_time", "stdout_lines", "stderr_lines"}, // the order of Ansible's result
		Summary: "Install or remove packages with the host's package manager (apt on Debian and Ubuntu, dnf on RHEL and Fedora)",
		Args:    modules.OptionsOf[packageOptions](),
		// Every other argument goes to the package manager module, which
		// checks it when the task runs.
		Dynamic: true,
		Check:   modules.CheckSupported,
	}
}

func (packageModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, rest, err := modules.DecodeDynamic[packageOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	use := o.Use
	if use == "auto" {
		if use, err = pkgMgr(ctx, h); err != nil {
			return modules.Result{}, err
		}
	}
	if use == "" {
		return failed(`Could not detect which package manager to use. Try gathering facts or setting the "use" option.`, nil), nil
	}
	backend, ok := backends[use]
	if !ok {
		return failed("Could not find a module for "+use+".", nil), nil // ferry has apt and dnf
	}
	for _, k := range []string{"name", "state"} { // as given, for the backend to bind
		if v, ok := args[k]; ok {
			rest[k] = v
		}
	}
	bound, err := backend.Spec().Bind(rest)
	if err != nil {
		return failed(err.Error(), nil), nil
	}
	return backend.Run(ctx, h, bound)
}

// pkgMgr is the pkg_mgr fact when facts were gathered, else the first
// package manager the host has, as Ansible's fact would name it.
func pkgMgr(ctx context.Context, h *modules.Host) (string, error) {
	if h.Vars != nil { // an error here is facts not gathered: ask the host
		if v, err := h.Vars.Eval("ansible_facts.pkg_mgr"); err == nil {
			if s, ok := v.(string); ok && s != "" {
				return s, nil
			}
		}
	}
	out, err := query(ctx, h, "for m in apt-get dnf yum zypper apk pacman; do command -v $m >/dev/null && { echo $m; break; }; done; true")
	if err != nil {
		return "", err
	}
	m := strings.TrimSpace(out.Stdout)
	if m == "apt-get" {
		m = "apt"
	}
	return m, nil
}
