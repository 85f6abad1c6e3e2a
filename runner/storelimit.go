package runner

import (
	"fmt"

	"github.com/ferry-sh/ferry/modules"
)

// Limits on a value a task stores with set_fact or register, or returns. Values are
// shared, not copied, so set_fact x: "{{ [x, x] }}" repeated doubles the
// value every task at almost no cost, until something walks it (output,
// masking, the next template) and the walk is exponential. Every value is
// measured as those walks see it, and refused past these sizes: far beyond
// what a playbook stores (a command's whole output is one string).
var (
	maxStoredItems = 1 << 21     // strings, numbers, lists and maps, each counted
	maxStoredBytes = 250_000_000 // bytes of the strings
)

// storedSizeError reports a value past the limits, stopping the walk as
// soon as it is: its cost is bounded by the limits, not by the value.
func storedSizeError(name string, v any) error {
	items, bytes := 0, 0
	var walk func(v any) bool
	walk = func(v any) bool {
		items++
		if s, ok := v.(string); ok {
			bytes += len(s)
		}
		if items > maxStoredItems || bytes > maxStoredBytes {
			return false
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if !walk(e) {
					return false
				}
			}
		case map[string]any:
			for k, e := range x {
				bytes += len(k)
				if !walk(e) {
					return false
				}
			}
		}
		return true
	}
	if walk(v) {
		return nil
	}
	return fmt.Errorf("%s is a value of more than %d items or %s, ferry's limit (a YAML alias bomb, or a value that doubles on every task?)",
		name, maxStoredItems, modules.HumanBytes(int64(maxStoredBytes)))
}

// checkStored fails the outcome of a task whose facts or result are past
// the limits; nothing of it is stored or shown.
func (r *Runner) checkStored(t *Task, h *hostState, out *taskOutcome) {
	for k, v := range out.facts {
		if err := storedSizeError("set_fact "+k, v); err != nil {
			r.storeRefused(t, h, out, err)
			return
		}
	}
	// The result is checked even when not registered: the output shows it.
	name := "the task's result"
	if t.Register != "" {
		name = "register " + t.Register
	}
	if err := storedSizeError(name, out.registered); err != nil {
		r.storeRefused(t, h, out, err)
	}
}

func (r *Runner) storeRefused(t *Task, h *hostState, out *taskOutcome, err error) {
	f := single(r.failure(t, h, err))
	out.facts, out.registered, out.failed, out.changed = nil, f.registered, true, false
}

// argsSizeError checks rendered arguments before a module gets them (debug
// would encode the whole value, set_fact store it).
func argsSizeError(args map[string]any) error {
	for name, v := range args {
		if err := storedSizeError("argument "+name, v); err != nil {
			return err
		}
	}
	return nil
}
