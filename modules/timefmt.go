package modules

import "time"

// FormatTime prints a time as Ansible's results do (command's start and end,
// pause's start and stop).
func FormatTime(t time.Time) string { return t.Format("2006-01-02 15:04:05.000000") }
