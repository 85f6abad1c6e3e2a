package pip

import (
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// vcsPattern is pip.py's _VCS_RE (re.match: at the start).
var vcsPattern = regexp.MustCompile(`^(svn|git|hg|bzr)\+`)

// listEnv is the locale pip.py gives `pip list` (get_best_parsable_locale).
const listEnv = "LANG=C.UTF-8 LC_ALL=C.UTF-8 LC_MESSAGES=C.UTF-8 "

// createVirtualenv is setup_virtualenv: virtualenv_command (its program
// looked up in PATH), --system-site-packages or, when the program knows
// it, --no-site-packages, -p for virtualenv, then the path. Its output
// starts the task's.
func (t *pipTask) createVirtualenv(env string, out, errOut *string) (*modules.Result, error) {
	cmd, err := shellquote.Split(t.o.VirtualenvCommand)
	if err != nil || len(cmd) == 0 {
		res := failed("virtualenv_command: cannot split "+t.o.VirtualenvCommand, nil)
		return &res, nil
	}
	if path.Base(cmd[0]) == cmd[0] {
		bin, res, err := t.requiredBin(cmd[0])
		if res != nil || err != nil {
			return res, err
		}
		cmd[0] = bin
	}
	if t.o.VirtualenvSitePackages {
		cmd = append(cmd, "--system-site-packages")
	} else {
		help := cmd[0] + " --help"
		h, res, err := t.query([]string{cmd[0], "--help"}, "")
		if res != nil || err != nil {
			return res, err
		}
		if h.RC != 0 {
			res := failed("Could not get output from "+help+": "+h.Stdout+h.Stderr, nil)
			return &res, nil
		}
		if slices.Contains(strings.Fields(h.Stdout), "--no-site-packages") {
			cmd = append(cmd, "--no-site-packages")
		}
	}
	if !isVenvCommand(t.o.VirtualenvCommand) {
		python := ""
		if t.o.VirtualenvPython != nil {
			python = *t.o.VirtualenvPython
		} else if python, err = t.interpreter(); err != nil {
			return nil, err
		}
		if python != "" {
			cmd = append(cmd, "-p"+python)
		}
	}
	cmd = append(cmd, env)
	o, res, err := t.act(cmd, "")
	if res != nil || err != nil {
		return res, err
	}
	*out += o.Stdout
	*errOut += o.Stderr
	if o.RC != 0 {
		res := commandFailed(anylist.Of(cmd), *out, *errOut)
		return &res, nil
	}
	return nil, nil
}

// installed is _get_packages: `pip list --format=freeze`, or `pip freeze`
// where pip is too old for it; the command as one string.
func (t *pipTask) installed(pip []string) (cmd, out, errOut string, res *modules.Result, err error) {
	list := append(slices.Clone(pip), "list", "--format=freeze")
	o, res, err := t.query(list, listEnv)
	if res != nil || err != nil {
		return "", "", "", res, err
	}
	if o.RC != 0 {
		list = append(slices.Clone(pip), "freeze")
		if o, res, err = t.query(list, ""); res != nil || err != nil {
			return "", "", "", res, err
		}
		if o.RC != 0 {
			r := commandFailed(anylist.Of(list), o.Stdout, o.Stderr)
			return "", "", "", &r, nil
		}
	}
	return strings.Join(list, " "), o.Stdout, o.Stderr, nil, nil
}

// checkMode is pip.py's prediction: changed whenever extra_args, a
// requirements file or latest is given; else whether a package is missing
// (present) or there (absent), read from `pip list`.
func (t *pipTask) checkMode(pip []string, packages []pipPackage, extra string) (modules.Result, error) {
	if extra != "" || t.o.Requirements != nil || t.o.State == "latest" || len(t.o.Name) == 0 {
		t.h.Report("run pip " + t.o.State)
		return modules.Result{Data: map[string]any{}}, nil
	}
	cmd, out, errOut, res, err := t.installed(pip)
	if res != nil || err != nil {
		return orEmpty(res), err
	}
	var list []string
	for _, l := range strings.Split(out, "\n") {
		if l != "" && !strings.HasPrefix(l, "You are using") && !strings.HasPrefix(l, "You should consider") {
			list = append(list, l)
		}
	}
	if strings.HasSuffix(cmd, " freeze") {
		for _, special := range []string{"setuptools", "pip"} {
			if slices.Contains(t.o.Name, special) {
				if dep := t.specialVersion(special); dep != "" {
					list = append(list, dep)
					out += dep + "\n"
				}
			}
		}
	}
	for _, p := range packages {
		present := isPresent(p, list)
		if (t.o.State == "present" && !present) || (t.o.State == "absent" && present) {
			t.h.Report("pip " + t.o.State + " " + p.text)
			break
		}
	}
	return modules.Result{Data: withOutput(map[string]any{"cmd": cmd}, out, errOut)}, nil
}

// specialVersion is _get_package_info for pip and setuptools, which an old
// `pip freeze` leaves out: the version the virtualenv's (or PATH's) python
// imports, as name==version.
func (t *pipTask) specialVersion(name string) string {
	checker := map[string]string{
		"setuptools": "import setuptools; print(setuptools.__version__)",
		"pip":        `import pkg_resources; print(pkg_resources.get_distribution("pip").version)`,
	}[name]
	python, _, err := t.binPath("python")
	if env := t.virtualenv(); env != "" {
		if fi, serr := t.h.Stat(t.ctx, env+"/bin/python"); serr == nil && fi.Exists {
			python = env + "/bin/python"
		}
	}
	if err != nil || python == "" {
		return ""
	}
	o, res, err := t.query([]string{python, "-c", checker}, "")
	if err != nil || res != nil || o.RC != 0 {
		return ""
	}
	return name + "==" + strings.TrimSpace(o.Stdout)
}

// isPresent is _is_present: a name==version line of the list whose
// canonical name is the package's and whose version satisfies it.
func isPresent(p pipPackage, list []string) bool {
	for _, line := range list {
		name, v, ok := strings.Cut(line, "==")
		if !ok || strings.Contains(v, "==") {
			continue
		}
		if canonicalName(name) == p.name && p.satisfiedBy(v) {
			return true
		}
	}
	return false
}

// install runs pip (through Act: the task's change is what pip reports)
// and tells the change as pip.py does: "Successfully installed" or
// "Successfully uninstalled" in pip's output, or for a requirements file
// or a VCS address, `pip list` before and after differing.
func (t *pipTask) install(pip, cmd []string, env string, created bool, out, errOut string) (modules.Result, error) {
	before := ""
	compareLists := t.o.Requirements != nil || t.hasVCS()
	if compareLists {
		_, o, _, res, err := t.installed(pip)
		if res != nil || err != nil {
			return orEmpty(res), err
		}
		before = o
	}
	pathPrefix := ""
	if env != "" {
		pathPrefix = env + "/bin"
	}
	o, res, err := t.act(cmd, pathPrefix)
	if res != nil || err != nil {
		return orEmpty(res), err
	}
	out += o.Stdout
	errOut += o.Stderr
	notInstalled := o.RC == 1 && t.o.State == "absent" && (strings.Contains(o.Stdout, "not installed") || strings.Contains(o.Stderr, "not installed"))
	if o.RC != 0 && !notInstalled {
		return commandFailed(anylist.Of(cmd), out, errOut), nil
	}
	var changed bool
	switch {
	case t.o.State == "absent":
		changed = strings.Contains(o.Stdout, "Successfully uninstalled")
	case compareLists:
		_, after, _, res, err := t.installed(pip)
		if res != nil || err != nil {
			return orEmpty(res), err
		}
		changed = before != after
	default:
		changed = strings.Contains(o.Stdout, "Successfully installed")
	}
	if changed || created {
		t.h.Report("pip " + strings.Join(cmd[len(pip):], " "))
	}
	data := map[string]any{"cmd": anylist.Of(cmd), "name": optionalList(t.o.Name), "version": optional(t.o.Version),
		"state": t.o.State, "requirements": optional(t.o.Requirements), "virtualenv": optionalString(env)}
	return modules.Result{Data: withOutput(data, out, errOut)}, nil
}

func optional(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func optionalString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optionalList(names []string) any {
	if names == nil {
		return nil
	}
	return anylist.Of(names)
}
