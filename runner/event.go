package runner

import (
	"time"

	"github.com/ferry-sh/ferry/modules"
)

// EventType names what happened.
type EventType string

// The events of a run, in the order they occur.
const (
	EventPlayStart    EventType = "play_start"
	EventTaskStart    EventType = "task_start"
	EventHandlerStart EventType = "handler_start"
	EventRetry        EventType = "retry"
	EventProgress     EventType = "progress"
	EventOutput       EventType = "output"
	EventHostResult   EventType = "host_result"
	EventWarning      EventType = "warning"
	EventRecap        EventType = "recap"
)

// Status is a host's outcome for one task.
type Status string

// The statuses Ansible users know.
const (
	StatusOK          Status = "ok"
	StatusChanged     Status = "changed"
	StatusSkipped     Status = "skipped"
	StatusFailed      Status = "failed"
	StatusUnreachable Status = "unreachable"
)

// Event is one thing that happened during a run. The text output and the
// JSON output (one object per line) are both made from events.
type Event struct {
	Type    EventType      `json:"event"`
	Time    time.Time      `json:"time"`
	Play    string         `json:"play,omitempty"`
	Task    string         `json:"task,omitempty"`
	Module  string         `json:"module,omitempty"`
	Pos     string         `json:"pos,omitempty"`
	Host    string         `json:"host,omitempty"`
	Status  Status         `json:"status,omitempty"`
	Item    any            `json:"item,omitempty"`
	Ignored bool           `json:"ignored,omitempty"`
	Rescued bool           `json:"rescued,omitempty"`
	Msg     string         `json:"msg,omitempty"`
	Result  map[string]any `json:"result,omitempty"`
	Diffs   []modules.Diff `json:"diffs,omitempty"`
	Plan    []string       `json:"plan,omitempty"`
	Check   bool           `json:"check,omitempty"`
	Retries int            `json:"retries_left,omitempty"`
	Done    int64          `json:"done,omitempty"`
	Total   int64          `json:"total,omitempty"`
	Stats   []HostStats    `json:"stats,omitempty"`
	// Items are the per-item results of a loop, shown after the item lines.
	Items []Event `json:"items,omitempty"`
	// Hidden marks a no_log result: its data is censored.
	Hidden bool `json:"hidden,omitempty"`
	// Show asks the text output to print the result at verbosity 0.
	Show bool `json:"-"`
}

// Sink receives the events of a run.
type Sink interface {
	Event(Event)
}

// HostStats are one host's counts in the recap, with Ansible's rules.
type HostStats struct {
	Host        string `json:"host"`
	OK          int    `json:"ok"`
	Changed     int    `json:"changed"`
	Unreachable int    `json:"unreachable"`
	Failed      int    `json:"failed"`
	Skipped     int    `json:"skipped"`
	Rescued     int    `json:"rescued"`
	Ignored     int    `json:"ignored"`
}
