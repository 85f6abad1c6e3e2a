package pip

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

var q = hostcmd.Quote

// binPath finds name as get_bin_path does: its path, or "" and the
// directories searched.
func (t *pipTask) binPath(name string) (path, searched string, err error) {
	return hostcmd.BinPath(t.ctx, t.h, name)
}

// requiredBin is get_bin_path(name, required=True): a missing program fails
// the task with Ansible's message.
func (t *pipTask) requiredBin(name string) (string, *modules.Result, error) {
	path, searched, err := t.binPath(name)
	if err != nil || path != "" {
		return path, nil, err
	}
	res := failed(hostcmd.MissingBin(name, searched), nil)
	return "", &res, nil
}

// interpreter is the Python Ansible runs pip.py with: the host's
// ansible_python_interpreter, else the python3 discovery finds on Debian.
func (t *pipTask) interpreter() (string, error) {
	if t.h.Vars != nil {
		if v, err := t.h.Vars.Eval("ansible_python_interpreter"); err == nil {
			if s, ok := v.(string); ok && s != "" {
				return s, nil
			}
		}
	}
	out, err := hostcmd.Query(t.ctx, t.h, "for p in /usr/bin/python3 python3 /usr/bin/python python; do command -v \"$p\" && exit 0; done; exit 1")
	if err != nil || out.RC != 0 {
		return "/usr/bin/python3", err
	}
	return strings.TrimSpace(out.Stdout), nil
}

// hasPipModule is _have_pip_module, asked of the interpreter.
func (t *pipTask) hasPipModule(python string) (bool, error) {
	out, err := hostcmd.Query(t.ctx, t.h, q(python, "-c", `import importlib.util, sys; sys.exit(importlib.util.find_spec("pip") is None)`)+" 2>/dev/null")
	return err == nil && out.RC == 0, err
}

// pipCommand is _get_pip: the executable given (a bare name looked up in
// PATH), the virtualenv's bin/pip3 or bin/pip, the interpreter's pip
// module, else pip3 from PATH.
func (t *pipTask) pipCommand(env string) ([]string, *modules.Result, error) {
	if exe := t.o.Executable; exe != nil {
		if strings.HasPrefix(*exe, "/") {
			return []string{*exe}, nil, nil
		}
		return t.pipFromPath(*exe)
	}
	if env != "" {
		return t.pipInVirtualenv(env)
	}
	python, err := t.interpreter()
	if err != nil {
		return nil, nil, err
	}
	if ok, err := t.hasPipModule(python); err != nil {
		return nil, nil, err
	} else if ok {
		return []string{python, "-m", "pip.__main__"}, nil, nil
	}
	return t.pipFromPath("pip3")
}

func (t *pipTask) pipFromPath(name string) ([]string, *modules.Result, error) {
	path, _, err := t.binPath(name)
	if err != nil || path != "" {
		return []string{path}, nil, err
	}
	res := failed("Unable to find any of "+name+" to use.  pip needs to be installed.", nil)
	return nil, &res, nil
}

func (t *pipTask) pipInVirtualenv(env string) ([]string, *modules.Result, error) {
	names := []string{"pip3", "pip"}
	script := `for f in "$@"; do if [ -e "$f" ] && [ -x "$f" ]; then printf '%s\n' "$f"; exit 0; fi; done; exit 1`
	out, err := hostcmd.Query(t.ctx, t.h, "sh -c "+q(script)+" sh "+q(env+"/bin/"+names[0], env+"/bin/"+names[1]))
	if err != nil {
		return nil, nil, err
	}
	if out.RC == 0 {
		return []string{strings.TrimSuffix(out.Stdout, "\n")}, nil, nil
	}
	res := failed(fmt.Sprintf("Unable to find pip in the virtualenv, %s, under any of these names: %s. Make sure pip is present in the virtualenv.",
		env, strings.Join(names, ", ")), nil)
	return nil, &res, nil
}

// script is argv run as AnsibleModule.run_command runs it for pip.py:
// under the task's umask, in chdir (kept where it is when chdir is no
// directory: ignore_invalid_cwd), with PATH prefixed and env added. A
// program that cannot be started prints its errno and execFailed.
func (t *pipTask) script(argv []string, pathPrefix string, env string) string {
	var b strings.Builder
	if t.umask != "" {
		b.WriteString("umask " + t.umask + "; ")
	}
	b.WriteString("cd -- " + q(t.chdir) + " 2>/dev/null; ")
	if pathPrefix != "" {
		b.WriteString("PATH=" + q(pathPrefix) + `:"$PATH"; export PATH; `)
	}
	p := q(argv[0])
	if strings.Contains(argv[0], "/") {
		fmt.Fprintf(&b, "if [ ! -e %s ]; then e=2; elif [ -d %s ] || [ ! -x %s ]; then e=13; fi; ", p, p, p)
	} else {
		fmt.Fprintf(&b, "command -v %s >/dev/null 2>&1 || e=2; ", p)
	}
	b.WriteString(`if [ -n "$e" ]; then printf '%s' "$e"` + q(execFailed) + "; exit 127; fi; ")
	b.WriteString(env)
	b.WriteString(q(argv...))
	return b.String()
}

// execFailed follows the errno the script prints for a program it cannot
// start.
const execFailed = " ferry-exec-failed"

// errnoMessages are Python's OSError texts for the errnos the script tells.
var errnoMessages = map[string]string{"2": "No such file or directory", "13": "Permission denied"}

// execError is run_command's failure for a program that cannot be
// started: Python's OSError as the message, the command line quoted.
func execError(argv []string, out modules.Output) *modules.Result {
	errno, ok := strings.CutSuffix(out.Stdout, execFailed)
	if out.RC != 127 || !ok || errnoMessages[errno] == "" {
		return nil
	}
	msg := fmt.Sprintf("[Errno %s] %s: b'%s'", errno, errnoMessages[errno], argv[0])
	n, _ := strconv.Atoi(errno)
	res := failed(msg, withOutput(map[string]any{"rc": n, "cmd": q(argv...)}, "", ""))
	return &res
}

// query runs a command of pip's that only reads (pip list).
func (t *pipTask) query(argv []string, env string) (modules.Output, *modules.Result, error) {
	out, err := hostcmd.Query(t.ctx, t.h, t.script(argv, "", env))
	return out, execError(argv, out), err
}

// act runs a command that changes the host (pip install, the virtualenv's
// creation); the task reports the change from what the command printed.
func (t *pipTask) act(argv []string, pathPrefix string) (modules.Output, *modules.Result, error) {
	out, err := hostcmd.Act(t.ctx, t.h, t.script(argv, pathPrefix, ""))
	return out, execError(argv, out), err
}

// expandPaths expands the options pip.py declares as paths.
func (t *pipTask) expandPaths() error {
	for _, p := range []*string{t.o.Virtualenv, t.o.Chdir, t.o.Executable, &t.o.VirtualenvCommand} {
		if p == nil {
			continue
		}
		expanded, err := hostcmd.ExpandUser(t.ctx, t.h, *p)
		if err != nil {
			return err
		}
		*p = expanded
	}
	return nil
}
