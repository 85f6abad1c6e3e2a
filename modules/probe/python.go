package probe

import (
	"encoding/json"

	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/modules/hostcmd"
)

// pythonScript prints `python=<json>`: what ansible-core 2.14's python
// collector (module_utils/facts/system/python.py) and the platform
// collector's python_version say of the interpreter setup runs with. $py is
// that interpreter; a host without it gets no python facts (Ansible could
// not run setup there at all). distro_lib=1 says the interpreter has the
// distro library 1.7 or later, which Ansible then uses instead of its own
// copy (1.6) and which reads Debian's point release from /etc/debian_version.
const pythonScript = `
[ -n "$py" ] || py=$(command -v /usr/bin/python3 || command -v python3)
[ -n "$py" ] && "$py" -c '
import json, platform, sys
try:
    from ssl import create_default_context, SSLContext
    ssl = True
except ImportError:
    ssl = False
try:
    kind = sys.subversion[0]
except AttributeError:
    kind = getattr(getattr(sys, "implementation", None), "name", None)
v = sys.version_info
print("python=" + json.dumps({"major": v[0], "minor": v[1], "micro": v[2], "releaselevel": v[3], "serial": v[4],
    "executable": sys.executable, "has_sslcontext": ssl, "type": kind, "python_version": platform.python_version()}))
try:
    import distro
    if tuple(int(x) for x in distro.__version__.split(".")[:2]) >= (1, 7):
        print("distro_lib=1")
except Exception:
    pass
' 2>/dev/null
true
`

// interpreterLine sets $py to the host's ansible_python_interpreter, the
// Python Ansible runs its modules with; without it the script looks for
// the one 2.14's discovery finds on Debian (/usr/bin/python3).
func interpreterLine(h *modules.Host) string {
	if h.Vars == nil {
		return ""
	}
	v, err := h.Vars.Eval("ansible_python_interpreter")
	if s, ok := v.(string); err == nil && ok && s != "" {
		return "py=" + hostcmd.Quote(s) + "\n"
	}
	return ""
}

// pythonFacts turns the script's python= line into ansible_python and
// ansible_python_version (nothing when the host has no interpreter).
func pythonFacts(line string, facts map[string]any) {
	var p struct {
		Major, Minor, Micro, Serial int
		ReleaseLevel                string `json:"releaselevel"`
		Executable                  string
		HasSSLContext               bool `json:"has_sslcontext"`
		Type                        *string
		PythonVersion               string `json:"python_version"`
	}
	if line == "" || json.Unmarshal([]byte(line), &p) != nil {
		return
	}
	var kind any
	if p.Type != nil {
		kind = *p.Type
	}
	facts["ansible_python"] = map[string]any{
		"version": map[string]any{"major": p.Major, "minor": p.Minor, "micro": p.Micro,
			"releaselevel": p.ReleaseLevel, "serial": p.Serial},
		"version_info":   []any{p.Major, p.Minor, p.Micro, p.ReleaseLevel, p.Serial},
		"executable":     p.Executable,
		"has_sslcontext": p.HasSSLContext,
		"type":           kind,
	}
	facts["ansible_python_version"] = p.PythonVersion
}
