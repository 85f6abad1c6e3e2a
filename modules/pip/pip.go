// Package pip is Ansible's pip module (ansible.builtin.pip): Python
// packages installed, upgraded or removed with pip, system-wide or in a
// virtualenv it creates. It follows ansible-core 2.14's modules/pip.py:
// the same pip command line, the same test of what is installed (pip's
// "Successfully installed", or `pip list` before and after), the same
// result.
package pip

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

func init() { modules.Register(pipModule{}) }

type pipModule struct{}

type pipOptions struct {
	Name                   []string `opt:"name" doc:"Packages to install or remove: names with optional version specifiers (flask>=2.0), URLs, local archives or VCS addresses (git+https://...)."`
	Version                *string  `opt:"version" doc:"The version of the one package in name (1.0 means ==1.0; >=1.0 is a specifier)."`
	State                  string   `opt:"state" default:"present" choices:"present,absent,latest,forcereinstall" doc:"present installs, latest upgrades, absent uninstalls, forcereinstall reinstalls."`
	Requirements           *string  `opt:"requirements" doc:"A pip requirements file on the host (relative to chdir)."`
	Virtualenv             *string  `opt:"virtualenv" doc:"The virtualenv to install into, created with virtualenv_command when it has no bin/activate."`
	VirtualenvSitePackages bool     `opt:"virtualenv_site_packages" doc:"Create the virtualenv with --system-site-packages."`
	VirtualenvCommand      string   `opt:"virtualenv_command" default:"virtualenv" doc:"The command that creates the virtualenv (virtualenv, or python3 -m venv)."`
	VirtualenvPython       *string  `opt:"virtualenv_python" doc:"The Python a virtualenv command gets as -p (not with venv or pyvenv)."`
	ExtraArgs              *string  `opt:"extra_args" doc:"More pip arguments (--no-index --find-links DIR)."`
	Editable               bool     `opt:"editable" doc:"Pass -e (install in editable mode)."`
	Chdir                  *string  `opt:"chdir" doc:"The directory pip runs in (default /tmp); a relative virtualenv is under it."`
	Executable             *string  `opt:"executable" doc:"The pip to run (pip3.11, /usr/local/bin/pip); not with virtualenv."`
	Umask                  *string  `opt:"umask" doc:"The umask pip runs under, octal as a string (\"0022\")."`
}

// Returns is pip.py's exit_json order, then fail_json's, then what the
// action plugin adds.
var pipReturns = []string{"rc", "changed", "cmd", "name", "version", "state", "requirements", "virtualenv", "stdout", "stderr",
	"msg", "failed", "stdout_lines", "stderr_lines"}

func (pipModule) Spec() modules.Spec {
	return modules.Spec{
		Name:      "pip",
		Summary:   "Install, upgrade and remove Python packages with pip, in a virtualenv it creates if asked",
		Args:      modules.OptionsOf[pipOptions](),
		OneOf:     [][]string{{"name", "requirements"}},
		Exclusive: [][]string{{"executable", "virtualenv"}},
		Rules:     pipRules,
		Returns:   pipReturns,
		Check:     modules.CheckSupported,
	}
}

// pipRules are pip.py's checks of its arguments, made before anything
// runs (pip.py fails the task when it meets them).
var pipRules = []modules.Rule{
	{Args: []string{"version", "state"}, Check: func(a modules.Args) error {
		if a["version"] != nil && a["state"] == "latest" {
			return errors.New("version is incompatible with state=latest; remove version, or use state present")
		}
		return nil
	}},
	{Args: []string{"version", "name"}, Check: checkVersion},
	{Args: []string{"virtualenv_python", "virtualenv_command"}, Check: func(a modules.Args) error {
		if a["virtualenv_python"] != nil && isVenvCommand(fmt.Sprint(a["virtualenv_command"])) {
			return errors.New("virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command")
		}
		return nil
	}},
	{Args: []string{"umask"}, Check: func(a modules.Args) error {
		if u, ok := a["umask"].(string); ok {
			if _, err := parseUmask(u); err != nil {
				return err
			}
		}
		return nil
	}},
}

// checkVersion: version applies to one package, without a specifier of
// its own.
func checkVersion(a modules.Args) error {
	if a["version"] == nil || a["name"] == nil {
		return nil
	}
	var names []string
	for _, n := range a["name"].([]any) {
		names = append(names, fmt.Sprint(n))
	}
	packages := recoverNames(names)
	if len(packages) > 1 {
		return errors.New("'version' argument is ambiguous when installing multiple package distributions; give each package's version in name (pkg==1.0)")
	}
	if newPackage(packages[0], nil).hasVersionSpecifier() {
		return errors.New("the 'version' argument conflicts with the version specifier given in name; keep the specifier and remove 'version'")
	}
	return nil
}

// isVenvCommand: pip.py passes no -p to venv or pyvenv.
func isVenvCommand(cmd string) bool {
	return strings.Contains(cmd, "pyvenv") || strings.Contains(cmd, "-m venv")
}

// parseUmask is int(umask, 8) in the shell's spelling.
func parseUmask(u string) (string, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(u), 8, 32)
	if err != nil || n < 0 {
		return "", errors.New("umask must be an octal integer (quote it: \"0022\")")
	}
	return fmt.Sprintf("%04o", n), nil
}

// stateArgs are pip's words for each state.
var stateArgs = map[string][]string{
	"present":        {"install"},
	"absent":         {"uninstall", "-y"},
	"latest":         {"install", "-U"},
	"forcereinstall": {"install", "-U", "--force-reinstall"},
}

// pipTask is one run of the module.
type pipTask struct {
	ctx          context.Context
	h            *modules.Host
	o            pipOptions
	umask, chdir string
}

func (pipModule) Run(ctx context.Context, h *modules.Host, args modules.Args) (modules.Result, error) {
	o, err := modules.Decode[pipOptions](args)
	if err != nil {
		return modules.Result{}, err
	}
	t := &pipTask{ctx: ctx, h: h, o: o, chdir: "/tmp"} // pip.py's tempfile.gettempdir()
	if o.Umask != nil {
		if t.umask, err = parseUmask(*o.Umask); err != nil {
			return modules.Result{}, err
		}
	}
	if err := t.expandPaths(); err != nil {
		return modules.Result{}, err
	}
	if t.o.Chdir != nil {
		t.chdir = *t.o.Chdir
	}
	return t.run()
}

// run is pip.py's main once the arguments are checked.
func (t *pipTask) run() (modules.Result, error) {
	env := t.virtualenv()
	var out, errOut string
	created := false
	if env != "" {
		if fi, err := t.h.Stat(t.ctx, env+"/bin/activate"); err != nil {
			return modules.Result{}, err
		} else if !fi.Exists {
			if t.h.Check {
				t.h.Report("create the virtualenv " + env)
				return modules.Result{Data: map[string]any{}}, nil
			}
			res, err := t.createVirtualenv(env, &out, &errOut)
			if res != nil || err != nil {
				return orEmpty(res), err
			}
			created = true
		}
	}
	pip, res, err := t.pipCommand(env)
	if res != nil || err != nil {
		return orEmpty(res), err
	}
	cmd := append(append([]string(nil), pip...), stateArgs[t.o.State]...)
	packages := t.packages()
	extra := t.extraArgs()
	if extra != "" {
		words, err := shellquote.Split(extra)
		if err != nil {
			return modules.Result{}, fmt.Errorf("extra_args: %w", err)
		}
		cmd = append(cmd, words...)
	}
	switch {
	case len(t.o.Name) > 0:
		for _, p := range packages {
			cmd = append(cmd, p.text)
		}
	case t.o.Requirements != nil:
		cmd = append(cmd, "-r", *t.o.Requirements)
	default:
		return modules.Result{Data: map[string]any{"warnings": []any{"No valid name or requirements file found."}}}, nil
	}
	if t.h.Check {
		return t.checkMode(pip, packages, extra)
	}
	return t.install(pip, cmd, env, created, out, errOut)
}

// virtualenv is the virtualenv's path, under chdir when relative.
func (t *pipTask) virtualenv() string {
	if t.o.Virtualenv == nil || *t.o.Virtualenv == "" {
		return ""
	}
	env := *t.o.Virtualenv
	if t.o.Chdir != nil && !strings.HasPrefix(env, "/") && *t.o.Chdir != "" {
		return strings.TrimSuffix(*t.o.Chdir, "/") + "/" + env // os.path.join
	}
	return env
}

// packages are the names as pip.py rebuilds them, the version given apart
// joined to the one package.
func (t *pipTask) packages() []pipPackage {
	if len(t.o.Name) == 0 {
		return nil
	}
	var out []pipPackage
	for _, n := range recoverNames(t.o.Name) {
		out = append(out, newPackage(n, nil))
	}
	if t.o.Version != nil {
		out[0] = newPackage(out[0].text, t.o.Version)
	}
	return out
}

// extraArgs is extra_args with -e added for editable, as pip.py rebuilds
// it (split and joined on single spaces).
func (t *pipTask) extraArgs() string {
	extra := ""
	if t.o.ExtraArgs != nil {
		extra = *t.o.ExtraArgs
	}
	if !t.o.Editable {
		return extra
	}
	var words []string
	if extra != "" {
		words = strings.Split(extra, " ")
	}
	for _, w := range words {
		if w == "-e" {
			return extra
		}
	}
	return strings.Join(append(words, "-e"), " ")
}

// hasVCS: a name that is a VCS address makes pip.py compare `pip list`
// before and after instead of reading pip's output.
func (t *pipTask) hasVCS() bool {
	for _, n := range t.o.Name {
		if vcsPattern.MatchString(n) {
			return true
		}
	}
	return false
}

func orEmpty(r *modules.Result) modules.Result {
	if r == nil {
		return modules.Result{}
	}
	return *r
}

// failed is fail_json(msg=...) with the fields given.
func failed(msg string, data map[string]any) modules.Result {
	if data == nil {
		data = map[string]any{}
	}
	data["msg"] = msg
	return modules.Result{Failed: true, Msg: msg, Data: data}
}

// commandFailed is pip.py's _fail: the command and its output.
func commandFailed(cmd any, out, errOut string) modules.Result {
	msg := ""
	if out != "" {
		msg += "stdout: " + out
	}
	if errOut != "" {
		msg += "\n:stderr: " + errOut
	}
	return failed(msg, map[string]any{"cmd": cmd})
}

// withOutput adds stdout and stderr with the lines the action plugin adds.
func withOutput(data map[string]any, out, errOut string) map[string]any {
	data["stdout"], data["stdout_lines"] = out, anylist.Lines(out)
	data["stderr"], data["stderr_lines"] = errOut, anylist.Lines(errOut)
	return data
}
