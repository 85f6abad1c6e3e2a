package command

import (
	"testing"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

func TestGlobWord(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/*.log":     "/var/log/*.log",
		"/my dir/f?.txt":     "'/my dir/f'?.txt",
		"/x/[0-9]*":          "/x/[0-9]*",
		"/it's here":         `'/it'\''s here'`,
		"/odd[ ]":            "'/odd[ ]'",
		"/$(reboot)/*":       "'/$(reboot)/'*",
		"plain/relative.txt": "plain/relative.txt",
	} {
		if got := globWord(in); got != want {
			t.Errorf("globWord(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestFormatDelta(t *testing.T) {
	if got := modules.FormatDelta(3*time.Hour + 2*time.Minute + 5*time.Second + 1234*time.Microsecond); got != "3:02:05.001234" {
		t.Errorf("FormatDelta = %s", got)
	}
}
