package modules

import (
	"context"
	"time"
)

// Console is the person running ferry, for pause, the one module that talks
// to them. Display and Warn print whatever the output; the rest needs
// someone at the terminal (Interactive).
type Console interface {
	// Display prints lines as they are, as Ansible's display does.
	Display(lines ...string)
	// Warn prints a warning.
	Warn(msg string)
	// Interactive reports whether ferry's stdin is a terminal it runs in
	// the foreground of, so that a prompt can be answered.
	Interactive() bool
	// Wait waits d, showing the time left on a terminal; on an interactive
	// one Enter ends the wait early. ctx ending (Ctrl+C) is an error.
	Wait(ctx context.Context, d time.Duration) error
	// Ask shows prompt and reads the line typed after it at the terminal,
	// echoed or not.
	Ask(ctx context.Context, prompt string, echo bool) (string, error)
}
