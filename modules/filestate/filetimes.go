package filestate

import (
	"cmp"
	"context"

	"github.com/ferry-sh/ferry/internal/shellquote"
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
