package runner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
	"github.com/ferry-sh/ferry/runner/template"
)

// taskOutcome is what one task did on one host.
type taskOutcome struct {
	event       Event
	registered  map[string]any
	facts       map[string]any
	notify      []*Task
	changed     bool
	failed      bool
	ignored     bool
	skipped     bool
	unreachable bool
	delegate    string // the host a delegated task ran on ("" if its own)
	// readData: the task read a host's data (readsData), so the facts it
	// sets are data too.
	readData bool
}

// itemOutcome is one run of the module (one loop item, after retries).
type itemOutcome struct {
	data        map[string]any // what register stores
	msg         string
	facts       map[string]any
	diffs       []modules.Diff
	plan        []string
	changed     bool
	failed      bool
	skipped     bool
	unreachable bool
	show        bool // print the result at verbosity 0 (debug, assert)
}

func (o itemOutcome) status() Status {
	switch {
	case o.unreachable:
		return StatusUnreachable
	case o.failed:
		return StatusFailed
	case o.skipped:
		return StatusSkipped
	case o.changed:
		return StatusChanged
	}
	return StatusOK
}

// execute runs task t on host h: conditions, loop, retries, then judges the
// result with changed_when, failed_when and ignore_errors.
func (r *Runner) execute(ctx context.Context, pr *playRun, t *Task, h *hostState) taskOutcome {
	sc := r.scope(pr, t, h)
	t, resolveErr := r.resolveTask(sc, t)
	ev := Event{Type: EventHostResult, Play: pr.play.Name, Task: t.Title(), Module: t.Module, Pos: t.Pos.String(),
		Host: h.name, Check: r.checkMode(t), Hidden: r.hidden(sc, t)}
	delegate := r.delegateTarget(sc, t, h)
	ev.Delegate = r.delegateLabel(delegate)
	var out taskOutcome
	switch {
	case resolveErr != nil:
		out = single(r.failure(t, h, resolveErr))
	case t.Loop == nil:
		item := r.runItem(ctx, t, h, sc)
		out = single(item)
	default:
		out = r.runLoop(ctx, t, h, sc, &ev)
	}
	r.checkStored(t, h, &out)
	out.delegate = delegate
	out.readData = sc.readData != nil && sc.readData.Load()
	if out.failed && !out.unreachable {
		out.ignored = r.ignoreErrors(sc, t)
	}
	if out.unreachable && t.IgnoreUnreachable != nil {
		out.ignored = *t.IgnoreUnreachable
	}
	if out.changed && !out.failed {
		out.notify = pr.play.handlersFor(t.Notify)
	}
	ev.Status = statusOf(out)
	ev.Result = out.registered
	if ev.Items == nil {
		ev.Msg = stringField(out.registered, "msg")
		ev.Plan, ev.Diffs, ev.Show = out.event.Plan, out.event.Diffs, out.event.Show
	}
	ev.Ignored = out.ignored
	out.event = ev
	return out
}

func statusOf(o taskOutcome) Status {
	return itemOutcome{changed: o.changed, failed: o.failed, skipped: o.skipped, unreachable: o.unreachable}.status()
}

func single(item itemOutcome) taskOutcome {
	return taskOutcome{
		registered: item.data, facts: item.facts,
		changed: item.changed, failed: item.failed, skipped: item.skipped, unreachable: item.unreachable,
		event: Event{Diffs: item.diffs, Plan: item.plan, Show: item.show},
	}
}

// runLoop runs the task once per item, registering Ansible's
// {results: [...]} shape.
func (r *Runner) runLoop(ctx context.Context, t *Task, h *hostState, sc *scope, ev *Event) taskOutcome {
	items, err := r.loopItems(sc, t)
	if err != nil {
		return single(r.loopError(t, h, sc, err))
	}
	out := taskOutcome{skipped: len(items) > 0, facts: map[string]any{}}
	results := make([]any, 0, len(items))
	ev.Items = []Event{}
	var carried map[string]any
	for i, item := range items {
		if !loopPause(ctx, t, i) {
			break
		}
		vars := loopVars(t, items, i)
		isc := sc
		if carried != nil {
			isc = isc.withLayer(carried)
		}
		// Items are rendered values already: never rendered again (2.14
		// wraps a lookup's items with wrap_var; a loop over a host's output
		// must not run the templates in it).
		isc = isc.withDataLayer(vars)
		res := r.runItem(ctx, t, h, isc)
		carried = carryToNextItem(carried, t, res)
		recordLoopVars(res.data, vars, t)
		results = append(results, res.data)
		out.changed = out.changed || res.changed
		out.failed = out.failed || res.failed
		out.unreachable = out.unreachable || res.unreachable
		out.skipped = out.skipped && res.skipped
		for k, v := range res.facts {
			out.facts[k] = v
		}
		label := item
		if t.LoopLabel != "" {
			if l, err := isc.render(t.LoopLabel); err == nil {
				label = l
			}
		}
		if label == nil {
			label = "None" // Python's str(None): Ansible shows (item=None)
		}
		ev.Items = append(ev.Items, Event{Host: h.name, Module: t.Module, Item: label, Status: res.status(),
			Result: res.data, Msg: res.msg, Diffs: res.diffs, Plan: res.plan, Check: ev.Check, Hidden: ev.Hidden, Show: res.show, Delegate: ev.Delegate})
		if res.unreachable || ctx.Err() != nil {
			break
		}
	}
	out.registered = loopResult(results, out.changed, out.failed, out.skipped)
	if len(items) == 0 {
		out.skipped = true
		out.registered = ordered("changed", false, "skipped", true, "skipped_reason", "No items in the list", "results", results)
	}
	return out
}

// loopResult is TaskExecutor.run's result of a loop, its keys in the order
// it sets them: failed (and its msg) only when an item failed, changed
// where the first changed item set it, else last.
func loopResult(results []any, changed, failed, skipped bool) map[string]any {
	b := keyorder.NewBuilder(5)
	b.Put("results", results)
	b.Put("skipped", skipped)
	if changed {
		b.Put("changed", true)
	}
	switch {
	case failed:
		b.Put("failed", true)
		b.Put("msg", "One or more items failed")
	case skipped:
		b.Put("msg", "All items skipped")
	default:
		b.Put("msg", "All items completed")
	}
	b.Put("changed", changed)
	return b.Map()
}

// carryToNextItem is what the next loop item sees of this one, as in
// Ansible's TaskExecutor: the facts it set (set_fact: acc: "{{ acc +
// [item] }}" accumulates) and, under the register name, its own result.
func carryToNextItem(carried map[string]any, t *Task, res itemOutcome) map[string]any {
	if len(res.facts) == 0 && t.Register == "" {
		return carried
	}
	next := make(map[string]any, len(carried)+len(res.facts)+1)
	for k, v := range carried {
		next[k] = v
	}
	for k, v := range res.facts {
		next[k] = v
	}
	if t.Register != "" {
		next[t.Register] = res.data
	}
	return next
}

// loopError is the outcome of a loop that could not be computed. One that
// reads an undefined variable is a skip when the task's when, evaluated
// without an item, is false (`loop: "{{ x }}"` with `when: x is defined`),
// as Ansible's TaskExecutor defers the loop's error to its conditional.
func (r *Runner) loopError(t *Task, h *hostState, sc *scope, err error) itemOutcome {
	var undefined *template.UndefinedError
	if errors.As(err, &undefined) {
		if ok, werr := r.when(sc, t); werr == nil && !ok {
			return skippedItem()
		}
	}
	return r.failure(t, h, err)
}

// skippedItem is TaskExecutor's result of a task whose when is false
// (2.14 registers no false_condition).
func skippedItem() itemOutcome {
	return itemOutcome{skipped: true, data: ordered("changed", false, "skipped", true,
		"skip_reason", "Conditional result was False")}
}

// runItem runs the module once (for one loop item), evaluating when first and
// retrying with until/retries/delay.
func (r *Runner) runItem(ctx context.Context, t *Task, h *hostState, sc *scope) itemOutcome {
	ok, err := r.when(sc, t)
	if err != nil {
		return r.failure(t, h, err)
	}
	if !ok {
		return skippedItem()
	}
	tries, delay, err := r.retryPolicy(sc, t)
	if err != nil {
		return r.failure(t, h, err)
	}
	for attempt := 1; ; attempt++ {
		out := r.invokeTask(ctx, t, h, sc)
		// A module that skipped (check mode, say) produced nothing for
		// changed_when, failed_when or until to judge: Ansible evaluates
		// none of them on a skipped result.
		if out.unreachable || out.skipped || ctx.Err() != nil {
			return out
		}
		if err := r.judge(sc, t, &out); err != nil {
			return r.failure(t, h, err)
		}
		if tries < 0 {
			return out
		}
		keyorder.Put(out.data, "attempts", attempt)
		if tries == 1 {
			return out // TaskExecutor evaluates until only when it may try again
		}
		done, err := r.retryDone(sc, t, out)
		if err != nil {
			return r.failure(t, h, err)
		}
		if done {
			return out
		}
		if attempt >= tries {
			out.failed = true
			out.data["failed"] = true
			out.data["attempts"] = tries - 1 // TaskExecutor's count when the tries ran out
			if _, has := out.data["msg"]; !has {
				out.msg = fmt.Sprintf("still failing after %d attempts (until: %s)", attempt, strings.Join(t.Until, " and "))
				out.data["msg"] = out.msg
			}
			return out
		}
		r.emit(Event{Type: EventRetry, Host: h.name, Task: t.Title(), Retries: tries - attempt})
		select {
		case <-ctx.Done():
			return out
		case <-time.After(delay):
		}
	}
}

// retryPolicy returns how many times the task may run (-1: no retrying)
// and the delay between tries, as ansible-core 2.14's TaskExecutor counts
// them: retries: N runs it N+1 times (retries is 3 unless given), retries:
// 0 once.
// retries without until retries until the task succeeds (as newer Ansible
// does).
func (r *Runner) retryPolicy(sc *scope, t *Task) (int, time.Duration, error) {
	if len(t.Until) == 0 && t.Retries == nil {
		return -1, 0, nil
	}
	retries, err := r.intField(sc, t.Retries, 3, "retries")
	if err != nil {
		return 0, 0, err
	}
	tries := max(retries+1, 2)
	if retries == 0 {
		tries = 1
	}
	d, err := r.retryDelay(sc, t.Delay)
	return tries, d, err
}

// retryDone decides whether to stop retrying: until is true, or, without
// until, the attempt succeeded. An attempt that failed before producing what
// until reads (a connection error, say) is retried, not an error.
func (r *Runner) retryDone(sc *scope, t *Task, out itemOutcome) (bool, error) {
	if len(t.Until) == 0 {
		return !out.failed, nil
	}
	judged := r.withResult(sc, t, out.data)
	for _, u := range t.Until {
		ok, err := judged.evalBool(u)
		switch {
		case err != nil && out.failed:
			return false, nil
		case err != nil:
			return false, fmt.Errorf("until %q: %w", u, err)
		case !ok:
			return false, nil
		}
	}
	return true, nil
}

// judge applies changed_when and failed_when to a module's result. Both
// lists are ANDed, as Ansible's Conditional does (measured with
// ansible-playbook 2.14: failed_when: [true_cond, false_cond] does not fail).
func (r *Runner) judge(sc *scope, t *Task, out *itemOutcome) error {
	if len(t.ChangedWhen) == 0 && len(t.FailedWhen) == 0 {
		return nil
	}
	rsc := r.withResult(sc, t, out.data)
	if len(t.ChangedWhen) > 0 {
		changed, err := allTrue(rsc, t.ChangedWhen, "changed_when")
		if err != nil {
			return err
		}
		out.changed = changed
		out.data["changed"] = changed
	}
	if len(t.FailedWhen) > 0 {
		failed, err := allTrue(rsc, t.FailedWhen, "failed_when")
		if err != nil {
			return err
		}
		out.failed = failed
		out.data["failed"] = failed
		keyorder.Put(out.data, "failed_when_result", failed)
	}
	return nil
}

// withResult makes the result visible under the register name, as
// failed_when, changed_when and until expect.
func (r *Runner) withResult(sc *scope, t *Task, data map[string]any) *scope {
	layer := map[string]any{"result": data}
	if t.Register != "" {
		layer[t.Register] = data
	}
	return sc.withDataLayer(layer)
}

func allTrue(sc *scope, exprs []string, what string) (bool, error) {
	for _, e := range exprs {
		ok, err := sc.evalBool(e)
		if err != nil {
			return false, fmt.Errorf("%s %q: %w", what, e, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (r *Runner) when(sc *scope, t *Task) (bool, error) {
	for _, cond := range t.When {
		ok, err := sc.evalBool(cond)
		if err != nil {
			return false, fmt.Errorf("when %q: %w", cond, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (r *Runner) ignoreErrors(sc *scope, t *Task) bool {
	switch x := t.IgnoreErrors.(type) {
	case bool:
		return x
	case string:
		v, err := sc.render(x)
		if err != nil {
			return false
		}
		b, _ := modules.ToBool(v)
		return b
	}
	return false
}

func (r *Runner) intField(sc *scope, v any, def int, name string) (int, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case int:
		return x, nil
	case string:
		rv, err := sc.render(x)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		n, err := strconv.Atoi(strings.TrimSpace(fmt.Sprint(rv)))
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%s must be a whole number, got %q", name, fmt.Sprint(rv))
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s must be a whole number", name)
}

// failure is the outcome of an error that stopped the task before or around
// the module: it names the task, its file:line and the host.
func (r *Runner) failure(t *Task, h *hostState, err error) itemOutcome {
	msg := fmt.Sprintf("%s: %v", taskWhere(t, h), err)
	return itemOutcome{failed: true, msg: msg, data: ordered("failed", true, "msg", msg, "changed", false)}
}

func (r *Runner) checkMode(t *Task) bool {
	if t.CheckMode != nil {
		return *t.CheckMode
	}
	return r.opts.Check
}

func (r *Runner) diffMode(t *Task) bool {
	if t.DiffMode != nil {
		return *t.DiffMode
	}
	return r.opts.Diff
}

// invoke renders the arguments, binds them to the module's spec and runs the
// module once.
func (r *Runner) invoke(ctx context.Context, t *Task, h *hostState, sc *scope) itemOutcome {
	mod, _ := modules.Lookup(t.Module)
	raw, err := r.renderArgs(sc, t)
	if err == nil {
		err = argsSizeError(raw)
	}
	if err != nil {
		return r.failure(t, h, err)
	}
	// Mask secret arguments before binding, whose errors may quote values.
	r.opts.Masker.Add(t.Spec.SecretArgs(raw)...)
	args, err := t.Spec.Bind(textArgs(t.Spec, raw))
	if err != nil {
		return r.failure(t, h, err)
	}
	if out, skip := checkModeSkip(mod, t.Spec, r.checkMode(t), args); skip {
		return out
	}
	mh, err := r.moduleHost(ctx, t, h, sc)
	if err != nil {
		if isUnreachable(err) {
			return itemOutcome{unreachable: true, msg: err.Error(), data: ordered("unreachable", true, "msg", err.Error(), "changed", false)}
		}
		return r.failure(t, h, err)
	}
	tctx, cancel, timeout, err := r.taskContext(ctx, sc, t)
	if err != nil {
		return r.failure(t, h, err)
	}
	defer cancel()
	res, runErr := mod.Run(tctx, mh, args)
	out := r.outcome(ctx, tctx, t, h, mh, res, runErr, timeout)
	tail := resultTail
	if runErr != nil || res.Failed { // fail_json's order
		tail = errorTail
	}
	spec := t.Spec
	if res.Returns != nil {
		spec.Returns = res.Returns
	}
	orderResult(spec, res.Data, res.Failed, runErr != nil, out.data, tail)
	return out
}

func (r *Runner) taskContext(ctx context.Context, sc *scope, t *Task) (context.Context, context.CancelFunc, int, error) {
	secs, err := r.intField(sc, t.Timeout, 0, "timeout")
	if err != nil || secs == 0 {
		c, cancel := context.WithCancel(ctx)
		return c, cancel, 0, err
	}
	d, err := seconds(secs, "timeout")
	if err != nil {
		c, cancel := context.WithCancel(ctx)
		return c, cancel, 0, err
	}
	c, cancel := context.WithTimeout(ctx, d)
	return c, cancel, secs, nil
}

// outcome turns a module's result into the registered data and status.
func (r *Runner) outcome(ctx, tctx context.Context, t *Task, h *hostState, mh *modules.Host, res modules.Result, runErr error, timeout int) itemOutcome {
	out := itemOutcome{data: map[string]any{}, facts: res.Facts, diffs: res.Diffs, plan: mh.Changes(), skipped: res.Skipped, show: res.Show}
	for k, v := range res.Data {
		out.data[k] = v
	}
	// A module that ends in an error reports no change, as Ansible's fail_json
	// does (a failed command, rc != 0, is a Result, not an error).
	out.changed = len(out.plan) > 0 && !res.Skipped && runErr == nil
	out.failed = res.Failed || runErr != nil
	out.msg = res.Msg
	switch {
	case runErr != nil && isUnreachable(runErr):
		out.unreachable, out.failed = true, false
		out.msg = runErr.Error()
	case errors.Is(runErr, conn.ErrIncorrectSuPassword):
		out.msg = conn.ErrIncorrectSuPassword.Error() // the connection's failure, as Ansible's, not the module's
	case runErr != nil && tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil:
		out.msg = fmt.Sprintf("the task timed out after %d seconds (timeout: %d); its processes were stopped", timeout, timeout)
	case runErr != nil && ctx.Err() != nil:
		out.msg = "interrupted"
	case runErr != nil:
		out.msg = runErr.Error()
	}
	if _, has := out.data["msg"]; !has && out.msg != "" {
		out.data["msg"] = out.msg
	}
	out.data["changed"] = out.changed
	// TaskExecutor gives every result a module returned its failed, true
	// or false (a result skipped by when, or a loop's, has none).
	out.data["failed"] = out.failed
	if out.skipped {
		out.data["skipped"] = true
	}
	if out.unreachable {
		out.data["unreachable"] = true
	}
	return out
}

// renderArgs renders the task's arguments, leaving raw ones (expressions a
// module evaluates itself) alone and dropping those set to omit.
func (r *Runner) renderArgs(sc *scope, t *Task) (map[string]any, error) {
	out := make(map[string]any, len(t.Args))
	for name, v := range t.Args {
		if a, ok := t.Spec.Arg(name); ok && a.Raw {
			out[name] = v
			continue
		}
		rv, err := sc.render(v)
		if err != nil {
			return nil, fmt.Errorf("argument %s: %w", name, err)
		}
		if rv == omitValue {
			continue
		}
		if name, err = factName(sc, t, name); err != nil {
			return nil, err
		}
		out[name] = rv
	}
	return out, nil
}

// factName is a set_fact argument's name rendered, as 2.14's set_fact
// action templates each key ("{{ item.key }}": "{{ item.value }}", in
// devsec.hardening); other modules' names are literal, as Ansible's.
func factName(sc *scope, t *Task, name string) (string, error) {
	if t.Module != "set_fact" || !strings.Contains(name, "{{") {
		return name, nil
	}
	rn, err := sc.render(name)
	if err != nil {
		return "", fmt.Errorf("argument name %s: %w", name, err)
	}
	return fmt.Sprint(rn), nil
}

func stringField(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func typeWord(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case map[string]any:
		return "a mapping"
	case int, int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}
