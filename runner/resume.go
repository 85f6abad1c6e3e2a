package runner

import (
	"encoding/json"
	"fmt"
	"math"
	"sync"

	"github.com/ferry-sh/ferry/journal"
	"github.com/ferry-sh/ferry/modules"
)

// ResumePlan is what `ferry run --resume` takes from the last run's
// journal: for each host, the tasks it finished (up to its first task that
// did not), with what they registered or set, in the order they ran. A task
// is known by its place in the playbook and how many times the host had
// reached that place before (a task file included twice is two tasks).
type ResumePlan struct {
	From string // the run resumed

	mu   sync.Mutex
	done map[taskKey]doneTask
	seen map[hostPos]int
	// jobs are the poll: 0 jobs that ended in the run resumed, by host
	// and id (resumejobs.go).
	jobs map[string]map[string]modules.JobEnd
}

type hostPos struct{ host, pos string }

type taskKey struct {
	hostPos
	n int
}

type doneTask struct {
	status Status
	facts  map[string]any
	job    string // the id of the poll: 0 job the task started, if any
}

// loadResume reads the plan from the last run recorded in dir, refusing
// when it cannot be resumed: it finished ok, it was a dry run and this one
// is not (or the reverse), or the playbook or inventory changed since.
func loadResume(dir string, now journal.Header) (*ResumePlan, string, error) {
	last, err := journal.Find(dir, "last")
	if err != nil {
		return nil, "", Diags{{Msg: fmt.Sprintf("--resume: %v", err), Hint: "run without --resume"}}.Err()
	}
	refuse := func(format string, args ...any) (*ResumePlan, string, error) {
		msg := fmt.Sprintf("--resume: the last run (%s, `ferry log %s`) ", last.ID, last.ID) + fmt.Sprintf(format, args...)
		return nil, "", Diags{{Msg: msg}}.Err()
	}
	switch {
	case last.Finished && last.Exit == 0:
		return refuse("finished ok: there is nothing to resume")
	case last.Check != now.Check:
		return refuse("was %s and this one is not: run without --resume", map[bool]string{true: "a --check run", false: "a real run"}[last.Check])
	case last.PlaybookSum != now.PlaybookSum:
		return refuse("ran a different playbook, or the playbook's files changed since: the tasks it finished are not these; run without --resume")
	case last.InventorySum != now.InventorySum:
		return refuse("used an inventory that changed since: run without --resume")
	}
	plan, err := readPlan(last.Path)
	if err != nil {
		return nil, "", err
	}
	plan.From = last.ID
	return plan, last.ID, nil
}

// readPlan replays the journal's events: each host's task results in
// order, with the facts each set, kept while the host's tasks finished ok.
func readPlan(path string) (*ResumePlan, error) {
	plan := &ResumePlan{done: map[taskKey]doneTask{}, seen: map[hostPos]int{}, jobs: map[string]map[string]modules.JobEnd{}}
	var order []taskKey // the done tasks in the order they ran
	counts := map[hostPos]int{}
	pending := map[hostPos]*Event{} // facts waiting for their host_result
	stopped := map[string]bool{}    // hosts past their first unfinished task
	inHandlers := false
	err := journal.Lines(path, func(line []byte) error {
		var e Event
		if json.Unmarshal(line, &e) != nil {
			return nil // a line cut short by a crash: what follows cannot be trusted either
		}
		hp := hostPos{e.Host, e.Pos}
		switch e.Type {
		case EventJobEnd:
			plan.addJobEnd(e)
		case EventTaskStart:
			inHandlers = false
		case EventHandlerStart:
			inHandlers = true
		case EventFacts:
			pending[hp] = &e
		case EventHostResult, EventReplayed:
			facts := pending[hp]
			delete(pending, hp)
			if inHandlers && e.Type == EventHostResult || stopped[e.Host] {
				return nil
			}
			key := taskKey{hp, counts[hp]}
			counts[hp]++
			if e.Type == EventReplayed {
				facts = &Event{Result: e.Result, Msg: e.Msg}
			}
			if !finished(e) || facts != nil && facts.Msg == "secret" {
				stopped[e.Host] = true
				return nil
			}
			d := doneTask{status: e.Status}
			if facts != nil {
				d.facts = wholeNumbers(facts.Result).(map[string]any)
				d.job = startedJob(d.facts)
			}
			plan.done[key] = d
			order = append(order, key)
		}
		return nil
	})
	plan.forgetLostJobs(order)
	return plan, err
}

// finished reports whether the task needs no second run on the host.
func finished(e Event) bool {
	switch e.Status {
	case StatusOK, StatusChanged, StatusSkipped:
		return true
	case StatusFailed:
		return e.Ignored || e.Rescued
	}
	return false
}

// wholeNumbers turns JSON's float64 back into int where the number is
// whole, as the value was before it was written.
func wholeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = wholeNumbers(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = wholeNumbers(e)
		}
		return out
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
	case nil:
		return map[string]any{}
	}
	return v
}

// resumed takes out of hosts those that finished task t in the resumed run:
// what the task registered or set is set again, the handlers a change
// notified are notified again, and the journal notes it.
func (r *Runner) resumed(pr *playRun, t *Task, hosts []*hostState) []*hostState {
	plan := r.opts.ResumePlan
	if plan == nil {
		return hosts
	}
	var rest []*hostState
	for _, h := range hosts {
		hp := hostPos{h.name, t.Pos.String()}
		plan.mu.Lock()
		key := taskKey{hp, plan.seen[hp]}
		plan.seen[hp]++
		d, done := plan.done[key]
		plan.mu.Unlock()
		if !done || t.Module == "setup" && t.Name == "Gathering Facts" {
			rest = append(rest, h)
			continue
		}
		if len(d.facts) > 0 {
			// The journal does not say which came from the host: all are
			// data, never templated again (a set_fact's value is rendered
			// already).
			h.facts.setFromHost(d.facts)
		}
		if d.status == StatusChanged {
			for _, hd := range pr.play.handlersFor(t.Notify) {
				h.notified[hd] = true
			}
		}
		r.emit(Event{Type: EventReplayed, Host: h.name, Task: t.Title(), Pos: t.Pos.String(), Status: d.status, Result: d.facts})
	}
	return rest
}
