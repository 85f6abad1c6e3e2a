package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/ferry-sh/ferry/internal/keyorder"
)

// runTasks runs a task list over hosts with Ansible's linear strategy: every
// host finishes a task before any host starts the next. rescuable is set
// inside a block that has a rescue section, where a failure counts as
// rescued rather than failed.
func (r *Runner) runTasks(ctx context.Context, pr *playRun, tasks []*Task, hosts []*hostState, rescuable bool) {
	for _, t := range tasks {
		if ctx.Err() != nil || pr.over() || len(active(hosts)) == 0 {
			return
		}
		if t.IsBlock() {
			r.runBlock(ctx, pr, t, hosts, rescuable)
			continue
		}
		if t.Include != nil {
			r.runInclude(ctx, pr, t, active(hosts), rescuable)
			continue
		}
		r.runTaskOn(ctx, pr, t, active(hosts), rescuable, EventTaskStart)
	}
}

// runBlock runs block, then rescue for the hosts that failed in it, then
// always for every host that entered it.
func (r *Runner) runBlock(ctx context.Context, pr *playRun, b *Task, hosts []*hostState, rescuable bool) {
	entered := active(hosts)
	rescues := r.anySelected(b.Rescue)
	r.runTasks(ctx, pr, b.Block, entered, rescuable || rescues)
	if rescues {
		var failed []*hostState
		for _, h := range entered {
			if h.failed.Load() && !h.unreachable.Load() {
				h.failed.Store(false)
				failed = append(failed, h)
			}
		}
		r.runTasks(ctx, pr, b.Rescue, failed, rescuable)
	}
	if len(b.Always) > 0 {
		// always runs for hosts that failed too; they stay failed after it.
		wasFailed := map[*hostState]bool{}
		for _, h := range entered {
			wasFailed[h] = h.failed.Load()
			h.failed.Store(false)
		}
		r.runTasks(ctx, pr, b.Always, entered, rescuable)
		for _, h := range entered {
			h.failed.Store(h.failed.Load() || wasFailed[h])
		}
	}
}

// runTask runs one (non-block) task on the batch's active hosts.
func (r *Runner) runTask(ctx context.Context, pr *playRun, t *Task, rescuable bool) {
	r.runTaskOn(ctx, pr, t, active(pr.hosts), rescuable, EventTaskStart)
}

func (r *Runner) runTaskOn(ctx context.Context, pr *playRun, t *Task, hosts []*hostState, rescuable bool, header EventType) {
	if len(hosts) == 0 || (header == EventTaskStart && (!r.tagsSelected(t.Tags) || !r.gate.admit(t))) {
		return
	}
	if header == EventTaskStart {
		if hosts = r.resumed(pr, t, hosts); len(hosts) == 0 {
			return
		}
	}
	if t.Module == "meta" {
		r.meta(ctx, pr, t, hosts, header)
		return
	}
	r.header(pr, hosts, Event{Type: header, Play: pr.play.Name, Task: r.taskTitle(pr, t, hosts[0]), Module: t.Module, Pos: t.Pos.String()})
	targets := hosts
	once := t.RunOnce || r.templatedRunOnce(pr, t, hosts[0])
	if once || t.Spec.Once {
		targets = hosts[:1]
		pr.freeRunOnce(r)
	}
	results := r.parallel(ctx, targets, t.Throttle, func(h *hostState) taskOutcome {
		if pr.free != nil {
			defer pr.free.hold(t)()
		}
		out := r.execute(ctx, pr, t, h)
		if !changesInventory(out) {
			r.record(t, h, &out, rescuable)
			r.emit(out.event)
		}
		return out
	})
	r.recordInventoryChanges(t, targets, results, rescuable)
	if once && t.Register != "" {
		for _, h := range hosts[1:] {
			h.facts.setFromHost(map[string]any{t.Register: results[0].registered})
		}
	}
	if once && t.Module == "set_stats" && (!results[0].failed || results[0].ignored) {
		others := make([]string, 0, len(hosts)-1)
		for _, h := range hosts[1:] {
			others = append(others, h.name)
		}
		r.custom.add(others, results[0].registered, false) // per_host stats for every host, as get_task_hosts
	}
	if pr.free != nil {
		return // free: neither any_errors_fatal nor max_fail_percentage ends the play
	}
	if t.anyErrorsFatal(pr.play) && anyFatal(results, rescuable) || !rescuable && r.tooManyFailed(pr) {
		pr.ended, pr.aborted = true, true
	}
}

// anyFatal reports whether a host failed (without ignore_errors, outside a
// block that rescues it) or was unreachable: with any_errors_fatal either
// ends the playbook.
func anyFatal(results []taskOutcome, rescuable bool) bool {
	for _, res := range results {
		if res.unreachable && !res.ignored || res.failed && !res.ignored && !rescuable {
			return true
		}
	}
	return false
}

// parallel runs f for each host, at most --forks (or the task's throttle,
// when lower) at a time, and returns the outcomes in host order.
func (r *Runner) parallel(ctx context.Context, hosts []*hostState, throttle int, f func(*hostState) taskOutcome) []taskOutcome {
	out := make([]taskOutcome, len(hosts))
	limit := r.opts.Forks
	if throttle > 0 && throttle < limit {
		limit = throttle
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = f(h)
		}()
	}
	wg.Wait()
	return out
}

// record applies a task's outcome to the host: counts with Ansible's rules,
// register, facts, failure state and handler notifications.
func (r *Runner) record(t *Task, h *hostState, out *taskOutcome, rescuable bool) {
	st := &h.stats
	switch {
	case out.unreachable && out.ignored:
		// ignore_unreachable: StrategyBase counts it ok and ignored, and
		// the host stays in the play.
		st.OK++
		st.Ignored++
	case out.unreachable:
		st.Unreachable++
		h.unreachable.Store(true)
	case out.failed && out.ignored:
		st.OK++
		st.Ignored++
		if out.changed {
			st.Changed++
		}
	case out.failed:
		if rescuable {
			st.Rescued++
			out.event.Rescued = true
		} else {
			st.Failed++
		}
		h.failed.Store(true)
	case out.skipped:
		st.Skipped++
	default:
		st.OK++
		if out.changed {
			st.Changed++
		}
	}
	var moduleFacts map[string]any
	if !out.failed || out.ignored {
		moduleFacts = keyorder.Copy(out.facts) // their order is the module's
	}
	if factsHost := r.factsHost(t, h, out.delegate); factsHost != h {
		r.setFacts(t, factsHost, moduleFacts, nil, out.readData)
		moduleFacts = nil
	}
	gave := map[string]any{}
	if t.Register != "" && (!out.unreachable || out.ignored) {
		keyorder.Put(gave, t.Register, out.registered)
	}
	if t.Module == "set_stats" && (!out.failed || out.ignored) {
		r.custom.add([]string{h.name}, out.registered, true)
	}
	if out.failed && !out.ignored && rescuable {
		// the rescue sees the failure, as Ansible's strategy sets it
		keyorder.Put(gave, "ansible_failed_result", out.registered)
	}
	r.setFacts(t, h, moduleFacts, gave, out.readData)
	if out.changed && (!out.failed || out.ignored) {
		for _, hd := range out.notify {
			h.notified[hd] = true
		}
	}
}

// setFacts sets a task's module facts and the results it registered on h.
// set_fact's and include_vars' facts are the playbook's own values, to be
// rendered when read, unless the task read a host's data (readData); every
// other module's facts and every registered result came from the host, and
// are never rendered again (2.14 wraps them with wrap_var: a host printing
// "{{ lookup('pipe', ...) }}" must not run it on the controller).
func (r *Runner) setFacts(t *Task, h *hostState, moduleFacts, registered map[string]any, readData bool) {
	if len(moduleFacts) > 0 {
		if (t.Module == "set_fact" || t.Module == "include_vars") && !readData {
			h.facts.set(moduleFacts)
		} else {
			h.facts.setFromHost(moduleFacts)
		}
	}
	if len(registered) > 0 {
		h.facts.setFromHost(registered)
	}
	all := keyorder.Copy(moduleFacts)
	for _, k := range keyorder.Keys(registered) {
		keyorder.Put(all, k, registered[k])
	}
	r.factsEvent(t, h, all)
}

// flushHandlers runs notified handlers in definition order, once per host.
// With --force-handlers, hosts that failed still run what they notified
// before failing. A handler may notify another; the loop runs until quiet.
func (r *Runner) flushHandlers(ctx context.Context, pr *playRun) {
	r.flushHandlersOf(ctx, pr, pr.hosts)
}

// flushHandlersOf runs the handlers notified on hosts (some of the
// batch's: meta flush_handlers' when is judged per host in 2.14, and the
// others keep theirs for a later flush).
func (r *Runner) flushHandlersOf(ctx context.Context, pr *playRun, hosts []*hostState) {
	for round := 0; round < 10 && ctx.Err() == nil; round++ {
		ran := false
		for _, hd := range pr.play.Handlers {
			var targets []*hostState
			for _, h := range hosts {
				if !h.notified[hd] || h.unreachable.Load() {
					continue
				}
				if h.failed.Load() && !r.opts.ForceHandlers {
					continue
				}
				delete(h.notified, hd)
				targets = append(targets, h)
			}
			if len(targets) == 0 {
				continue
			}
			ran = true
			// A failed host runs its handlers but stays failed.
			wasFailed := map[*hostState]bool{}
			for _, h := range targets {
				wasFailed[h] = h.failed.Swap(false)
			}
			if hd.Include != nil {
				r.runInclude(ctx, pr, hd, targets, false)
			} else {
				r.runTaskOn(ctx, pr, hd, targets, false, EventHandlerStart)
			}
			for _, h := range targets {
				h.failed.Store(h.failed.Load() || wasFailed[h])
			}
		}
		if !ran {
			return
		}
	}
}

// reportPendingHandlers says which handlers did not run because their host
// failed, so that nothing notified is silently lost.
func (r *Runner) reportPendingHandlers(pr *playRun) {
	for _, h := range pr.hosts {
		var names []string
		for _, hd := range pr.play.Handlers {
			if h.notified[hd] {
				names = append(names, hd.Title())
			}
		}
		if len(names) > 0 {
			r.warn("handlers notified on %s did not run because the host failed: %s (re-run with --force-handlers to run them after a failure)",
				h.name, strings.Join(names, ", "))
		}
	}
}

// anySelected reports whether --tags and --skip-tags leave a task of the
// list to run: a rescue they empty rescues nothing, as 2.14's
// Block.filter_tagged_tasks leaves the block without it and the host fails.
func (r *Runner) anySelected(tasks []*Task) bool {
	for _, t := range tasks {
		if t.IsBlock() && (r.anySelected(t.Block) || r.anySelected(t.Rescue) || r.anySelected(t.Always)) ||
			!t.IsBlock() && r.tagsSelected(t.Tags) {
			return true
		}
	}
	return false
}

// tagsSelected applies --tags and --skip-tags with Ansible's special tags.
func (r *Runner) tagsSelected(tags []string) bool {
	has := func(set []string, t string) bool {
		for _, s := range set {
			if s == t {
				return true
			}
		}
		return false
	}
	for _, t := range tags {
		if has(r.opts.SkipTags, t) {
			return false
		}
	}
	if has(r.opts.SkipTags, "tagged") && len(tags) > 0 || has(r.opts.SkipTags, "untagged") && len(tags) == 0 {
		return false
	}
	if has(tags, "always") {
		return true
	}
	if len(r.opts.Tags) == 0 {
		return !has(tags, "never")
	}
	for _, want := range r.opts.Tags {
		switch {
		case want == "all" && !has(tags, "never"),
			want == "tagged" && len(tags) > 0,
			want == "untagged" && len(tags) == 0,
			has(tags, want):
			return true
		}
	}
	return false
}

func taskWhere(t *Task, h *hostState) string {
	return fmt.Sprintf("task %q (%s) on %s", t.Title(), t.Pos, h.name)
}
