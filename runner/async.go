package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/modules"
)

// asyncKeywords are a task's async and poll, as ansible-core 2.14's
// TaskExecutor runs them: with async > 0 the module runs in the background
// for at most async seconds; poll > 0 waits for it, reporting every poll
// seconds, and poll: 0 goes on at once, leaving the job to async_status.
type asyncKeywords struct {
	Async any // seconds: int or template; nil: not async
	Poll  any // seconds between reports: int or template; nil: 15
	Pos   Pos // of async, for the static refusal
}

// asyncRefused are the modules whose Ansible action plugin refuses async
// ("async is not supported for this task": lib/ansible/plugins/action/,
// every plugin but command, normal, package, reboot, service, uri and yum
// leaves _supports_async False). ferry's controller modules are refused
// as well: they run in ferry, with nothing to wait for on the host.
var asyncRefused = map[string]bool{"copy": true, "template": true, "fetch": true, "raw": true,
	"script": true, "unarchive": true, "wait_for_connection": true}

func asyncSupported(t *Task) bool {
	return !asyncRefused[t.Module] && !t.Spec.Controller && t.Module != "meta"
}

func (p *parser) asyncKeyword(t *Task, key string, n *yaml.Node) {
	if key == "poll" {
		t.Async.Poll = p.intOrTemplate(n)
		return
	}
	t.Async.Async = p.intOrTemplate(n)
	t.Async.Pos = posOf(p.file, n)
}

// checkAsync refuses, before anything runs, async on a module that cannot
// run in the background (Ansible fails the task when it runs).
func (p *parser) checkAsync(t *Task) {
	if n, literal := t.Async.Async.(int); literal && n > 0 && !asyncSupported(t) {
		p.diags.add(t.Async.Pos, "remove async and poll: this module runs in the foreground only",
			"async is not supported for module %s", t.Module)
	}
}

// asyncPolicy renders the task's async and poll (Ansible's default poll: 15).
func (r *Runner) asyncPolicy(sc *scope, t *Task) (limit, poll int, err error) {
	if limit, err = r.intField(sc, t.Async.Async, 0, "async"); err != nil || limit == 0 {
		return 0, 0, err
	}
	if _, err = seconds(limit, "async"); err != nil {
		return 0, 0, err
	}
	poll, err = r.intField(sc, t.Async.Poll, 15, "poll")
	return limit, poll, err
}

// invokeTask runs the module once, in the background when the task is async.
// Under --check an async task runs in the foreground, in check mode, where
// Ansible fails it ("check mode and async cannot be used on same task"): a
// dry run must not fail where the real run succeeds.
func (r *Runner) invokeTask(ctx context.Context, t *Task, h *hostState, sc *scope) itemOutcome {
	limit, poll, err := r.asyncPolicy(sc, t)
	switch {
	case err != nil:
		return r.failure(t, h, err)
	case limit == 0:
		return r.invoke(ctx, t, h, sc)
	case !asyncSupported(t):
		return r.failure(t, h, fmt.Errorf("async is not supported for this task"))
	case r.checkMode(t) && poll == 0:
		job := modules.JobsOf(&h.cache).Start()
		job.Finish(jobEnd(r.invoke(ctx, t, h, sc)))
		return jobStarted(job)
	case r.checkMode(t):
		return r.invoke(ctx, t, h, sc)
	case poll == 0:
		return r.startJob(ctx, t, h, sc, limit)
	}
	return r.pollJob(ctx, t, h, sc, limit, poll)
}

// background is one run of the module in its own goroutine, stopped after
// the async limit.
type background struct {
	done     chan struct{}
	out      itemOutcome
	timedOut bool
}

type backgroundKey struct{}

// inBackground reports whether ctx is a background job's: its module's
// output lines are not shown (they would land under a later task).
func inBackground(ctx context.Context) bool { return ctx.Value(backgroundKey{}) != nil }

func (r *Runner) background(ctx context.Context, t *Task, h *hostState, sc *scope, limit int) *background {
	bg := &background{done: make(chan struct{})}
	jctx, cancel := context.WithTimeout(context.WithValue(ctx, backgroundKey{}, true), time.Duration(limit)*time.Second)
	go func() {
		defer close(bg.done)
		defer cancel()
		bg.out = r.invoke(jctx, t, h, sc)
		bg.timedOut = jctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
	}()
	return bg
}

// startJob is poll: 0: the job runs on while the play goes on; its end is
// kept in the host's job table for async_status. A job that outlives its
// limit ends as Ansible's async_wrapper ends it ("Timeout exceeded").
func (r *Runner) startJob(ctx context.Context, t *Task, h *hostState, sc *scope, limit int) itemOutcome {
	job := modules.JobsOf(&h.cache).Start()
	bg := r.background(ctx, t, h, sc, limit)
	go func() {
		<-bg.done
		end := jobEnd(bg.out)
		if bg.timedOut {
			end = modules.JobEnd{Failed: true, Data: map[string]any{"msg": "Timeout exceeded", "failed": true}}
		}
		if ctx.Err() == nil { // a job the run's stop killed did not end: a resumed run starts it again
			r.jobEndEvent(t, h, job.ID, end) // before Finish: waitJobs ends the run, and its journal, after it
		}
		job.Finish(end)
	}()
	return jobStarted(job)
}

// jobStarted is what a poll: 0 task registers: Ansible's async_wrapper's
// answer (failed is its 0), in its order; ferry keeps the job, so there
// is no results_file on the host.
func jobStarted(job *modules.Job) itemOutcome {
	return itemOutcome{changed: true, data: ordered("failed", 0, "started", 1, "finished", 0,
		"ansible_job_id", job.ID, "changed", true)}
}

func jobEnd(out itemOutcome) modules.JobEnd {
	return modules.JobEnd{Data: out.data, Changed: out.changed, Failed: out.failed}
}

// pollJob is poll > 0: it waits for the job, reporting ASYNC POLL every
// poll seconds while it runs, and gives up after the async limit with
// Ansible's message. Unlike Ansible, which first sleeps poll seconds, it
// returns as soon as the job ends.
func (r *Runner) pollJob(ctx context.Context, t *Task, h *hostState, sc *scope, limit, poll int) itemOutcome {
	job := modules.JobsOf(&h.cache).Start()
	defer modules.JobsOf(&h.cache).Remove(job.ID) // Ansible cleans up a job it polled
	bg := r.background(ctx, t, h, sc, limit)
	tick := time.NewTicker(time.Duration(max(poll, 1)) * time.Second)
	defer tick.Stop()
	for left := limit; left > 0; {
		select {
		case <-bg.done:
			return r.polled(t, h, job, bg, limit)
		case <-tick.C:
		}
		select {
		case <-bg.done:
			return r.polled(t, h, job, bg, limit)
		default:
		}
		left -= poll
		r.emit(Event{Type: EventAsyncPoll, Host: h.name, Task: t.Title(), Result: map[string]any{"ansible_job_id": job.ID, "started": 1, "finished": 0}})
	}
	<-bg.done // the limit has passed: its context stops the module
	bg.timedOut = bg.timedOut || ctx.Err() == nil
	return r.polled(t, h, job, bg, limit)
}

// polled is the outcome of a polled job, announced as Ansible's callback
// does (ASYNC OK, ASYNC FAILED).
func (r *Runner) polled(t *Task, h *hostState, job *modules.Job, bg *background, limit int) itemOutcome {
	out := bg.out
	if bg.timedOut {
		msg := fmt.Sprintf("async task did not complete within the requested time - %ds", limit)
		out = itemOutcome{failed: true, msg: msg, data: map[string]any{"changed": false, "failed": true, "msg": msg,
			"async_result": map[string]any{"ansible_job_id": job.ID, "started": 1, "finished": 0}}}
	} else if !out.unreachable {
		out.data["ansible_job_id"], out.data["started"], out.data["finished"] = job.ID, 1, 1
	}
	typ := EventAsyncOK
	if out.failed || out.unreachable {
		typ = EventAsyncFailed
	}
	r.emit(Event{Type: typ, Host: h.name, Task: t.Title(), Result: map[string]any{"ansible_job_id": job.ID}})
	return out
}

// waitJobs waits, at the end of the run, for the jobs that tasks with
// poll: 0 left running (each stops at its async limit): Ansible's go on on
// the host after ansible-playbook exits, ferry's run from ferry itself.
func (r *Runner) waitJobs(ctx context.Context) {
	for _, name := range r.order {
		running := modules.JobsOf(&r.hosts[name].cache).Running()
		if len(running) > 0 {
			r.warn("waiting for %d async job(s) started with poll: 0 on %s to finish (each stops at its async limit)", len(running), name)
		}
		for _, job := range running {
			select {
			case <-job.Done():
			case <-ctx.Done():
				return
			}
		}
	}
}

// asyncLine prints an async event as Ansible's default callback does.
func asyncLine(b *strings.Builder, e Event) {
	jid := e.Result["ansible_job_id"]
	switch e.Type {
	case EventAsyncPoll:
		fmt.Fprintf(b, "ASYNC POLL on %s: jid=%v started=%v finished=%v\n", e.Host, jid, e.Result["started"], e.Result["finished"])
	case EventAsyncOK:
		fmt.Fprintf(b, "ASYNC OK on %s: jid=%v\n", e.Host, jid)
	case EventAsyncFailed:
		fmt.Fprintf(b, "ASYNC FAILED on %s: jid=%v\n", e.Host, jid)
	}
}
