package runner

import "github.com/ferry-sh/ferry/internal/keyorder"

// inherit pushes play and block keywords down to the tasks they contain, as
// Ansible does: a block's `when` is evaluated for each of its tasks, its tags
// add to theirs, and become, vars, environment, no_log and check_mode apply
// unless a task sets its own. After it, execution reads only the task.
func (p *Play) inherit() {
	top := &Task{Tags: p.Tags, Become: p.Become, BecomeUser: p.BecomeUser, Environment: p.Environment,
		NoLog: p.NoLog, CheckMode: p.CheckMode, When: p.When, RunOnce: p.RunOnce, IgnoreErrors: p.IgnoreErrors,
		DiffMode: p.DiffMode, Templated: p.Templated, IgnoreUnreachable: p.IgnoreUnreachable,
		Timeout: p.Timeout, Scoped: scopedKeywords{ModuleDefaults: p.ModuleDefaults}}
	for _, list := range [][]*Task{p.PreTasks, p.Tasks, p.PostTasks, p.Handlers} {
		for _, t := range list {
			inheritFrom(top, t)
		}
	}
	p.Handlers = flattenBlocks(p.Handlers)
}

// flattenBlocks replaces blocks (an imported handlers file) by their tasks,
// which inherit has already given the blocks' keywords.
func flattenBlocks(ts []*Task) []*Task {
	var out []*Task
	for _, t := range ts {
		if t.IsBlock() {
			out = append(out, flattenBlocks(t.Block)...)
			continue
		}
		out = append(out, t)
	}
	return out
}

func inheritFrom(parent, t *Task) {
	if len(parent.When) > 0 {
		t.When = append(append([]string{}, parent.When...), t.When...)
	}
	t.Tags = union(parent.Tags, t.Tags)
	if t.Become == nil && t.Templated.Become == "" {
		t.Become, t.Templated.Become = parent.Become, parent.Templated.Become
	}
	if t.BecomeUser == "" {
		t.BecomeUser = parent.BecomeUser
	}
	if t.CheckMode == nil {
		t.CheckMode = parent.CheckMode
	}
	if t.DiffMode == nil {
		t.DiffMode = parent.DiffMode
	}
	if t.IgnoreErrors == nil {
		t.IgnoreErrors = parent.IgnoreErrors
	}
	if t.IgnoreUnreachable == nil {
		t.IgnoreUnreachable = parent.IgnoreUnreachable
	}
	if t.DelegateTo == "" {
		t.DelegateTo = parent.DelegateTo
	}
	if t.Timeout == nil {
		t.Timeout = parent.Timeout
	}
	if len(t.Notify) == 0 {
		t.Notify = parent.Notify // a block's notify, as 2.14's Block.notify
	}
	if t.Throttle == 0 {
		t.Throttle = parent.Throttle
	}
	t.RunOnce = t.RunOnce || parent.RunOnce
	t.NoLog = t.NoLog || parent.NoLog
	t.Vars = mergeMaps(parent.Vars, t.Vars)
	t.Environment = mergeMaps(parent.Environment, t.Environment)
	t.Templated.inherit(parent.Templated)
	t.Scoped.inherit(parent.Scoped)
	if t.Module != "" {
		t.applyModuleDefaults()
	}
	if t.Include != nil {
		inheritInclude(parent, t)
	}
	for _, list := range [][]*Task{t.Block, t.Rescue, t.Always} {
		for _, child := range list {
			inheritFrom(t, child)
		}
	}
}

func union(a, b []string) []string {
	if len(a) == 0 {
		return b
	}
	out := append([]string{}, a...)
	for _, s := range b {
		dup := false
		for _, x := range a {
			dup = dup || x == s
		}
		if !dup {
			out = append(out, s)
		}
	}
	return out
}

// mergeMaps returns child over parent, sharing parent when child is empty.
func mergeMaps(parent, child map[string]any) map[string]any {
	if len(parent) == 0 {
		return child
	}
	if len(child) == 0 {
		return parent
	}
	out := keyorder.Copy(parent) // dict.update's order: the parent's names first
	for _, k := range keyorder.Keys(child) {
		keyorder.Put(out, k, child[k])
	}
	return out
}
