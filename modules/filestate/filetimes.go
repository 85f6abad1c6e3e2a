package filestate

import (
	"cmp"
	"context"
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// FileTimes are the file module's timestamps. ferry sets the two values
// roles write (preserve: leave the time; now: set it to the current time);
// an explicit time (YYYYMMDDHHMM.SS) is refused before the run.
type FileTimes struct {
	ModificationTime       string `opt:"modification_time" choices:"preserve,now" doc:"preserve leaves the path's modification time, now sets it. Default: now for state touch, else preserve. An explicit time is not supported."`
	ModificationTimeFormat string `opt:"modification_time_format" default:"%Y%m%d%H%M.%S" doc:"Accepted for compatibility (the format of an explicit time)."`
	AccessTime             string `opt:"access_time" choices:"preserve,now" doc:"preserve leaves the path's access time, now sets it. Default: now for state touch, else preserve. An explicit time is not supported."`
	AccessTimeFormat       string `opt:"access_time_format" default:"%Y%m%d%H%M.%S" doc:"Accepted for compatibility (the format of an explicit time)."`
}

// touchFlags are touch(1)'s flags for the times to set on a path in state
// (Ansible's keep_backward_compatibility_on_timestamps defaults), and
// whether any is set.
func (t FileTimes) touchFlags(state string) (string, bool) {
	def := "preserve"
	if state == "touch" {
		def = "now"
	}
	m, a := cmp.Or(t.ModificationTime, def) == "now", cmp.Or(t.AccessTime, def) == "now"
	switch {
	case m && a:
		return "", true
	case m:
		return "-m ", true
	case a:
		return "-a ", true
	}
	return "", false
}

// touchTimes sets the times the task asks for ("now"); Ansible reports it
// as a change whenever it sets them.
func (f *fileTask) touchTimes(ctx context.Context, state string) error {
	flags, any := f.o.FileTimes.touchFlags(state)
	if !any || f.created { // a path just made has the current times
		return nil
	}
	return f.run(ctx, "set the times of "+f.path+" to now", "touch -c "+flags+"-- "+shellquote.Quote(f.path))
}

// SELinuxContext are the SELinux options every file module of Ansible
// takes. Ansible ignores them on a host without SELinux enabled, which is
// where ferry runs them; on a host with SELinux enabled the task fails.
type SELinuxContext struct {
	Seuser  string `opt:"seuser" doc:"SELinux user of the path: ignored on a host without SELinux enabled (as Ansible does); fails where it is enabled (use command: chcon)."`
	Serole  string `opt:"serole" doc:"SELinux role (as seuser)."`
	Setype  string `opt:"setype" doc:"SELinux type (as seuser)."`
	Selevel string `opt:"selevel" doc:"SELinux level (as seuser)."`
}

// unsupported is a failure message when a context is given and the host
// enforces SELinux (selinuxenabled exits 0), else "".
func (c SELinuxContext) unsupported(ctx context.Context, h *modules.Host) (string, error) {
	var given []string
	for _, o := range [][2]string{{"seuser", c.Seuser}, {"serole", c.Serole}, {"setype", c.Setype}, {"selevel", c.Selevel}} {
		if o[1] != "" {
			given = append(given, o[0])
		}
	}
	if len(given) == 0 {
		return "", nil
	}
	out, err := h.Query(ctx, modules.Command{Shell: "command -v selinuxenabled >/dev/null && selinuxenabled"})
	if err != nil || out.RC != 0 {
		return "", err
	}
	return fmt.Sprintf("%s: ferry does not set SELinux contexts and this host has SELinux enabled (use command: chcon)", strings.Join(given, ", ")), nil
}
