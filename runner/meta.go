package runner

import (
	"context"
	"sync"

	"github.com/ferry-sh/ferry/runner/conn"
)

// metaPerHost are the meta actions ansible-core 2.14's linear strategy runs
// for each host (_execute_meta once per host, a banner each); the others
// run once, for the batch's first host, judged by its when.
var metaPerHost = map[string]bool{"noop": true, "flush_handlers": true, "end_host": true, "reset_connection": true, "role_complete": true}

// metaWithoutWhen are the meta actions that do not look at when (Ansible
// warns and runs them).
var metaWithoutWhen = map[string]bool{"noop": true, "refresh_inventory": true, "reset_connection": true}

// meta runs a meta task as ansible-core 2.14's strategy does
// (_execute_meta): a banner for each host it runs for, a skipped line (not
// counted in the recap) where its when is false.
func (r *Runner) meta(ctx context.Context, pr *playRun, t *Task, hosts []*hostState, header EventType) {
	action, _ := t.Args["action"].(string)
	targets := hosts
	if !metaPerHost[action] {
		targets = hosts[:1]
	}
	var flush []*hostState // the hosts whose when lets them flush their handlers
	for _, h := range targets {
		r.header(pr, []*hostState{h}, Event{Type: header, Play: pr.play.Name, Task: r.taskTitle(pr, t, h), Module: t.Module, Pos: t.Pos.String()})
		if metaWithoutWhen[action] && len(t.When) > 0 {
			r.warnOnce(action + " task does not support when conditional") // after the banner, as Ansible's
		}
		if !metaWithoutWhen[action] {
			if ok, err := r.when(r.scope(pr, t, h), t); err != nil || !ok {
				r.metaSkipped(pr, t, h, action)
				continue
			}
		}
		if action == "flush_handlers" {
			flush = append(flush, h)
		}
		r.metaAction(ctx, pr, t, h, action)
	}
	if len(flush) > 0 {
		r.flushHandlersOf(ctx, pr, flush)
	}
}

// metaAction does what a meta action does for host h (for the batch when
// the action is not per host).
func (r *Runner) metaAction(ctx context.Context, pr *playRun, t *Task, h *hostState, action string) {
	switch action {
	case "end_play":
		pr.endPlay()
	case "end_batch":
		pr.endBatch()
	case "clear_facts":
		r.clearFacts(pr)
	case "refresh_inventory":
		r.refreshInventory()
	case "end_host":
		h.ended.Store(true)
	case "clear_host_errors":
		if pr.free != nil {
			pr.free.clearErrors.Store(true) // the other hosts run on: cleared when the batch ends
		}
		for _, h := range pr.hosts {
			h.failed.Store(false)
		}
	case "reset_connection":
		r.resetConnection(ctx, pr, t, h)
	case "noop", "role_complete":
		// role_complete written in a playbook does nothing in 2.14: only
		// the implicit one at a role's end marks the role done.
	}
}

// metaSkipped shows a meta task whose when is false as Ansible does: a
// skipped line, which the recap does not count.
func (r *Runner) metaSkipped(pr *playRun, t *Task, h *hostState, action string) {
	r.emit(Event{Type: EventHostResult, Play: pr.play.Name, Task: t.Title(), Module: t.Module, Pos: t.Pos.String(),
		Host: h.name, Status: StatusSkipped,
		Result: map[string]any{"changed": false, "skipped": true, "skip_reason": action + " conditional evaluated to False"}})
}

// resetConnection is meta: reset_connection: the host's connection is
// closed, so that its next task connects again (and, say, logs in with
// the groups a user was just given). As Ansible's local connection, a
// local one has nothing to reset.
func (r *Runner) resetConnection(ctx context.Context, pr *playRun, t *Task, h *hostState) {
	sc := r.scope(pr, t, h)
	vars, err := r.connectionVars(sc, h)
	if err != nil {
		return // the next task that connects reports it
	}
	if kind, _ := conn.ConnectionType(vars); kind == "local" {
		r.warnOnce("Reset is not implemented for this connection")
		return
	}
	h.connOnce.Do(func() {}) // none opened yet: nothing to close
	if h.conn != nil {
		r.resetConn(h.conn)
	}
	h.conn, h.connErr = nil, nil
	h.connOnce = sync.Once{}
	h.taskConns.reset(r.resetConn)
}
