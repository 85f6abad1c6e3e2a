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
	EventAsyncPoll    EventType = "async_poll"   // an async task still runs (Result: its job id)
	EventAsyncOK      EventType = "async_ok"     // an async task that was polled ended
	EventAsyncFailed  EventType = "async_failed" // ... and failed, or outlived its limit
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
	Unit    string         `json:"unit,omitempty"` // of Done and Total: bytes, or "seconds" (pause)
	Stats   []HostStats    `json:"stats,omitempty"`
	// Custom are set_stats' stats in the recap: per host, and the run's
	// under "_run".
	Custom map[string]any `json:"custom_stats,omitempty"`
	// Items are the per-item results of a loop, shown after the item lines.
	Items []Event `json:"items,omitempty"`
	// Hidden marks a no_log result: its data is censored.
	Hidden bool `json:"hidden,omitempty"`
	// Show asks the text output to print the result at verbosity 0.
	Show bool `json:"-"`

	// Delegate is the host a delegated task ran on, as Ansible labels it
	// (`web1 -> db1`), when it is not the task's host.
	Delegate string `json:"delegate,omitempty"`
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

// noLogMessage is Ansible's text for a result hidden by no_log.
const noLogMessage = "the output has been hidden due to the fact that 'no_log: true' was specified for this result"

// redacted is what every sink may show of an event: for a no_log task
// (Hidden) nothing of its arguments, output or messages, on any path. The
// result becomes Ansible's censored one (keeping changed and attempts, as
// Ansible's TaskResult.clean_copy does), loop items are labelled None, and
// the plan, diffs and message are dropped. Streamed output lines of such a
// task are dropped whole (ok is false).
func (e Event) redacted() (_ Event, ok bool) {
	if !e.Hidden {
		return e, true
	}
	if e.Type == EventOutput {
		return e, false
	}
	censored := map[string]any{"censored": noLogMessage}
	for _, k := range []string{"attempts", "changed", "retries"} {
		if v, has := e.Result[k]; has {
			censored[k] = v
		}
	}
	e.Result, e.Msg, e.Plan, e.Diffs, e.Show = censored, "", nil, nil, false
	if e.Item != nil {
		e.Item = "None"
	}
	if e.Items != nil {
		items := make([]Event, len(e.Items))
		for i, it := range e.Items {
			it.Hidden = true
			items[i], _ = it.redacted()
		}
		e.Items = items
	}
	return e, true
}
