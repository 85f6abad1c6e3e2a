package runner

import (
	"cmp"
	"time"

	"github.com/ferry-sh/ferry/modules"
)

// Playbook is a parsed playbook: plays in order.
type Playbook struct {
	File  string // path, or a name for an embedded playbook
	Dir   string // where relative paths (files/, templates/, vars_files) start
	Plays []*Play
	// Deferred are problems that fail only the hosts that reach them (the
	// unknown modules of conditional includes, deferred.go), and names of
	// play patterns that match nothing (validate.go's hostPattern): ferry
	// validate shows them as warnings.
	Deferred Diags
}

// Play maps a host pattern to tasks.
type Play struct {
	Pos   Pos
	Name  string
	Hosts string
	Vars  map[string]any
	// VarsFiles are paths; an entry of several paths separated by newlines
	// is Ansible's fallback list: the first that exists is read.
	VarsFiles         []string
	GatherFacts       bool
	Become            *bool
	BecomeUser        string
	Serial            []any // ints or "30%" strings, Ansible's batch list
	PreTasks          []*Task
	Tasks             []*Task
	PostTasks         []*Task
	Handlers          []*Task
	MaxFailPercentage *float64
	AnyErrorsFatal    bool
	Tags              []string
	Environment       map[string]any
	NoLog             bool
	CheckMode         *bool
	Connection        string
	Templated         templatedKeywords
	PlayOptions
	ModuleDefaults map[string]map[string]any
	// Dir is the directory of the playbook file the play came from (an
	// imported playbook's own directory): its relative paths start there.
	Dir string
	// Roles are the roles the play loaded statically (roles:, import_role,
	// their dependencies), in order: their vars and defaults are visible to
	// the whole play, as in Ansible.
	Roles []*Role
}

// Task is one task, or a block of tasks (Block set, Module empty).
type Task struct {
	Pos    Pos
	Name   string
	Module string
	Spec   modules.Spec
	Args   map[string]any
	ArgPos map[string]Pos

	// ModuleTemplate is the module's name when action: gives it as a
	// template; Module and Spec are then set when the task runs.
	ModuleTemplate string
	// Action is the module's name as the task writes it (ansible.builtin.ping):
	// an unnamed task's title, as Ansible shows it.
	Action string

	When      []string
	Loop      any    // a list, or a template that renders to one; with_X: the lookup's terms
	LoopWith  string // with_X: the lookup plugin X that turns Loop into the items
	LoopVar   string
	LoopLabel string
	// loop_control's index_var, pause, extended and extended_allitems (negated)
	LoopIndexVar   string
	LoopPause      time.Duration
	LoopExtended   bool
	LoopNoAllItems bool
	Register       string
	Notify         []string
	Listen         []string // handlers only
	Retries        any      // int or template
	Delay          any      // int, float64 or template
	Until          []string
	FailedWhen     []string
	ChangedWhen    []string
	// IgnoreErrors may be a literal bool or a template.
	IgnoreErrors any
	Tags         []string
	Become       *bool
	BecomeUser   string
	NoLog        bool
	CheckMode    *bool
	DiffMode     *bool
	Environment  map[string]any
	RunOnce      bool
	DelegateTo   string
	// DelegateFacts stores facts the task gathers on the delegated host.
	DelegateFacts bool
	Timeout       any // seconds: int or template
	// Throttle is the most hosts that run the task at once (0: --forks).
	Throttle int
	Vars     map[string]any
	// Async holds async and poll: the module runs in the background.
	Async asyncKeywords
	// IgnoreUnreachable keeps a host that the task could not reach in the
	// play, its result counted ok and ignored (nil: not set here).
	IgnoreUnreachable *bool
	// Templated holds no_log, become and environment given as templates:
	// they are rendered for each host when the task runs.
	Templated templatedKeywords
	// Scoped holds module_defaults and any_errors_fatal (blockkw.go).
	Scoped scopedKeywords

	Block  []*Task
	Rescue []*Task
	Always []*Task

	// Role is the role whose file the task came from, nil outside roles.
	Role *Role
	// Include is set on include_tasks and include_role: the tasks are read
	// and run when the task runs, per host and loop item.
	Include *Include
}

// IsBlock reports whether the task is a block of tasks.
func (t *Task) IsBlock() bool { return t.Block != nil }

// Title is the name shown in TASK [...] lines: the task's name, or its module
// as Ansible shows it.
func (t *Task) Title() string {
	title := t.Name
	if title == "" {
		title = cmp.Or(t.Action, t.Module, t.ModuleTemplate)
	}
	if t.Include != nil && t.Name == "" {
		title = t.Include.Action
		if t.Include.Role != nil {
			title += " : " + t.Include.Role.Name
		}
	}
	if t.Role != nil {
		return t.Role.Name + " : " + title
	}
	return title
}

// AllTasks walks every task of the play (blocks included, handlers too).
func (p *Play) AllTasks(visit func(t *Task, handler bool)) {
	var walk func(ts []*Task, handler bool)
	walk = func(ts []*Task, handler bool) {
		for _, t := range ts {
			visit(t, handler)
			if t.Include != nil {
				walk(t.Include.Preview, handler)
			}
			walk(t.Block, handler)
			walk(t.Rescue, handler)
			walk(t.Always, handler)
		}
	}
	walk(p.PreTasks, false)
	walk(p.Tasks, false)
	walk(p.PostTasks, false)
	walk(p.Handlers, true)
}

// TaskCount is the number of tasks in the playbook, blocks and handlers
// included.
func (pb *Playbook) TaskCount() int {
	n := 0
	for _, p := range pb.Plays {
		p.AllTasks(func(*Task, bool) { n++ })
	}
	return n
}
