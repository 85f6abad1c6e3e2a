package modules

import (
	"fmt"
	"time"
)

// FormatTime prints a time as Ansible's results do (command's start and end,
// pause's start and stop).
func FormatTime(t time.Time) string { return t.Format("2006-01-02 15:04:05.000000") }

// FormatDelta prints a duration as Ansible's results do (command's and
// expect's delta: Python's str of a timedelta under a day).
func FormatDelta(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d:%02d:%02d.%06d", us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000)
}
