package runner

import (
	"context"
	"sync"
	"sync/atomic"
)

// Ansible's free strategy (ansible-core 2.14, plugins/strategy/free.py):
// each host of a batch goes through the play's tasks on its own, as fast
// as it can, without waiting for the others at each task. ferry runs one
// goroutine per host over the same sections runBatch runs; --forks (or
// the play's throttle) bounds the tasks running at once across hosts, and
// a task's throttle the hosts running that task. Each host flushes its own
// handlers. As in Ansible, any_errors_fatal and max_fail_percentage do not
// apply (a warning says so), run_once runs the task on every host (with
// Ansible's warning), and a module that bypasses the host loop (add_host,
// pause) is refused, before the run (Ansible fails when it reaches it).
// group_by runs: each host changes the inventory as its task ends, while
// the others read it (the inventory and the runner's caches of it lock).

// freeBatch is what the hosts of one batch under strategy free share.
type freeBatch struct {
	endPlay, endBatch atomic.Bool           // meta: end_play, end_batch on some host
	fatal             atomic.Pointer[error] // an included file that did not parse (stopOnParseError)
	clearErrors       atomic.Bool           // meta: clear_host_errors, applied when the batch ends
	slots             chan struct{}

	throttleMu sync.Mutex
	throttles  map[*Task]chan struct{}

	// banners delays each task header until a result of that host shows,
	// as Ansible's default callback prints a free play's banners.
	bannerMu sync.Mutex
	pending  map[string]Event // host -> its task's header, not printed yet
	last     string           // key of the header printed last
	titles   map[*Task]string // a templated name as the first host rendered it
}

// runBatchFree runs the batch's hosts independently.
func (r *Runner) runBatchFree(ctx context.Context, pr *playRun) {
	fb := &freeBatch{slots: make(chan struct{}, r.opts.Forks), throttles: map[*Task]chan struct{}{}, pending: map[string]Event{}, titles: map[*Task]string{}}
	if pr.play.MaxFailPercentage != nil {
		r.warnOnce("Using max_fail_percentage with the free strategy is not supported, as tasks are executed independently on each host")
	}
	if pr.play.AnyErrorsFatal {
		r.warnOnce("Using any_errors_fatal with the free strategy is not supported, as tasks are executed independently on each host")
	}
	r.free = fb
	defer func() { r.free = nil }()
	var wg sync.WaitGroup
	for _, h := range pr.hosts {
		hpr := *pr
		hpr.hosts, hpr.batch, hpr.free = []*hostState{h}, pr.hosts, fb
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runSections(ctx, &hpr)
		}()
	}
	wg.Wait()
	pr.ended = fb.endPlay.Load()
	if err := fb.fatal.Load(); err != nil {
		pr.ended, pr.aborted, pr.fatal = true, true, *err
	}
	if fb.clearErrors.Load() {
		for _, h := range pr.hosts {
			h.failed.Store(false)
		}
	}
}

// stopped reports whether end_play, end_batch or an include that did not
// parse ended every host's run.
func (fb *freeBatch) stopped() bool {
	return fb.endPlay.Load() || fb.endBatch.Load() || fb.fatal.Load() != nil
}

// stop ends every host's run with err.
func (fb *freeBatch) stop(err error) {
	fb.fatal.CompareAndSwap(nil, &err)
}

// hold takes a fork (and, for a throttled task, one of its places) for
// one host's run of t; the returned function gives them back.
func (fb *freeBatch) hold(t *Task) func() {
	var throttle chan struct{}
	if t.Throttle > 0 {
		fb.throttleMu.Lock()
		throttle = fb.throttles[t]
		if throttle == nil {
			throttle = make(chan struct{}, t.Throttle)
			fb.throttles[t] = throttle
		}
		fb.throttleMu.Unlock()
		throttle <- struct{}{}
	}
	fb.slots <- struct{}{}
	return func() {
		<-fb.slots
		if throttle != nil {
			<-throttle
		}
	}
}

// header emits a task's header, or under strategy free keeps it until
// the host's first event of that task (see emit).
func (r *Runner) header(pr *playRun, hosts []*hostState, e Event) {
	if pr.free == nil || len(hosts) != 1 {
		r.emit(e)
		return
	}
	pr.free.bannerMu.Lock()
	pr.free.pending[hosts[0].name] = e
	pr.free.bannerMu.Unlock()
}

// emitFree emits a host's event of a free batch, after its task's header
// when the header printed last is another task's, as Ansible's default
// callback does (_last_task_banner).
func (fb *freeBatch) emitFree(e Event, emit func(Event)) {
	fb.bannerMu.Lock()
	defer fb.bannerMu.Unlock()
	if hd, ok := fb.pending[e.Host]; ok {
		key := string(hd.Type) + "\x00" + hd.Pos + "\x00" + hd.Task
		if key != fb.last {
			emit(hd)
			fb.last = key
		}
	}
	emit(e)
}

// over reports whether the play's run ended for the hosts of pr.
func (pr *playRun) over() bool {
	return pr.ended || pr.free != nil && pr.free.stopped()
}

// batchHosts are the hosts of the batch: under strategy free pr.hosts is
// the one host a goroutine drives.
func (pr *playRun) batchHosts() []*hostState {
	if pr.batch != nil {
		return pr.batch
	}
	return pr.hosts
}

// warnOnce warns once per run, as Ansible's display does for a repeated
// warning.
func (r *Runner) warnOnce(msg string) {
	if _, seen := r.warned.LoadOrStore(msg, true); !seen {
		r.warn("%s", msg)
	}
}

// checkFree refuses what Ansible's free strategy cannot run: a module that
// bypasses the host loop.
func (p *parser) checkFree(play *Play) {
	if play.Strategy != "free" {
		return
	}
	play.AllTasks(func(t *Task, _ bool) {
		switch {
		case t.Spec.Once:
			p.diags.add(t.Pos, "run it in a play with strategy linear",
				"module %s bypasses the host loop, which strategy free does not support (as in Ansible)", t.Module)
		}
	})
}

// endPlay is meta: end_play: under strategy free it ends every host's run.
func (pr *playRun) endPlay() {
	pr.ended = true
	if pr.free != nil {
		pr.free.endPlay.Store(true)
	}
}

// endBatch is meta: end_batch: the batch's hosts stop here, the play goes
// on with the next batch.
func (pr *playRun) endBatch() {
	for _, h := range pr.hosts {
		h.ended.Store(true)
	}
	if pr.free != nil {
		pr.free.endBatch.Store(true)
	}
}

// freeRunOnce gives Ansible's warning for run_once under strategy free,
// where the task runs on every host.
func (pr *playRun) freeRunOnce(r *Runner) {
	if pr.free != nil {
		r.warnOnce("Using run_once with the free strategy is not currently supported. This task will still be executed for every host in the inventory list.")
	}
}

// title is a templated task name as the first host to run the task
// rendered it (render), the same for every host of the batch after.
func (fb *freeBatch) title(t *Task, render func() string) string {
	fb.bannerMu.Lock()
	defer fb.bannerMu.Unlock()
	if title, ok := fb.titles[t]; ok {
		return title
	}
	title := render()
	fb.titles[t] = title
	return title
}
