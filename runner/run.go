package runner

import (
	"context"
	"errors"
	"fmt"
	"github.com/ferry-sh/ferry/config"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/template"
	"github.com/ferry-sh/ferry/vault"
)

// Options are the knobs of one run, mirroring ansible-playbook's flags.
type Options struct {
	Inventory     *inventory.Inventory
	Check         bool
	Diff          bool
	Limit         string
	Tags          []string
	SkipTags      []string
	ExtraVars     map[string]any
	Forks         int
	Verbosity     int
	ForceHandlers bool
	Sink          Sink
	Masker        *Masker
	Connect       Connector
	// ConnDefaults are the connection settings of the command line (-u,
	// -b, -c, -T, --private-key...) as the ansible_* variables they set:
	// below every other variable, as in Ansible, where inventory vars win.
	ConnDefaults map[string]any
	// ReloadInventory reads the inventory sources again (meta:
	// refresh_inventory); nil leaves the inventory as it is.
	ReloadInventory func() (*inventory.Inventory, error)
	// StartAtTask starts the run at the first task of that name (--start-at-task).
	StartAtTask string
	// Step asks before each task whether to run it (--step); nil: never asks.
	Step func(task string) StepAnswer
	// Keyboard is the terminal's, for pause's prompt; nil when nobody is
	// at a terminal (pause then does not wait for Enter, as Ansible).
	Keyboard *Keyboard
	// ResumePlan, for --resume, holds the tasks each host finished in the
	// run resumed: they are not run again, their results are replayed.
	ResumePlan *ResumePlan
	// Vault opens vault-encrypted vars files, !vault values and copy or
	// template sources; nil when no vault password was given.
	Vault *vault.Keyring // Config is the config file and ANSIBLE_* settings, for
	// lookup('config') and the template module's ansible_managed; nil
	// stands for Ansible's defaults.
	Config *config.Settings
}

// ErrInterrupted is returned when the run was stopped (Ctrl-C).
var ErrInterrupted = errors.New("interrupted")

// Recap is the outcome of a run.
type Recap struct {
	Stats []HostStats
	// Aborted is set when any_errors_fatal or max_fail_percentage ended the
	// playbook.
	Aborted bool
}

// ExitCode maps the outcome to ansible-playbook 2.14's exit codes, as
// measured: an unreachable host gives 4 (ExitUnreachable) and wins over a
// failed one (2), except when any_errors_fatal or max_fail_percentage ended
// the playbook, which ansible-playbook reports as failed hosts.
func (r *Recap) ExitCode() int {
	if r.Aborted {
		return ExitFailed
	}
	code := ExitOK
	for _, s := range r.Stats {
		if s.Unreachable > 0 {
			return ExitUnreachable
		}
		if s.Failed > 0 {
			code = ExitFailed
		}
	}
	return code
}

// Runner executes playbooks.
type Runner struct {
	opts   Options
	engine *template.Engine
	dir    string

	mu      sync.Mutex
	hosts   map[string]*hostState
	order   []string
	aborted bool // any_errors_fatal or max_fail_percentage ended the playbook

	viewMu sync.Mutex
	views  map[string]hostView // hostvars entries, see hostView
	// all of hostvars, built again only after a host's facts changed:
	// rebuilding it for every lookup made each host's task cost O(hosts).
	hostvarsAll map[string]any
	hostvarsGen int64
	factsGen    atomic.Int64 // bumped by every host's facts change

	// groups is the groups magic variable, built on first use after each
	// inventory change (add_host, group_by: under strategy free one host's
	// change meets the others' reads).
	groupsMu sync.Mutex
	groups   map[string]any

	gate taskGate // --start-at-task and --step

	custom customStats // set_stats' stats

	// dynamicInventory are the add_host and group_by changes made so far,
	// applied again by refresh_inventory.
	dynamicMu        sync.Mutex
	dynamicInventory []inventoryChange

	free   *freeBatch // the batch running under strategy free, if any
	warned sync.Map   // warnings given once per run
}

// hostState is everything ferry keeps about one host during a run.
type hostState struct {
	name    string
	invVars atomic.Pointer[map[string]any] // the inventory's variables: inventoryVars
	facts   facts
	cache   sync.Map

	connOnce sync.Once
	conn     modules.Conn
	connErr  error
	// taskConns are the connections of tasks with their own connection
	// settings (connkw.go).
	taskConns taskConns

	// notified handlers; written only by this host's own task goroutine and
	// read by the flush, which runs between tasks.
	notified map[*Task]bool

	// failed, unreachable and ended are written by the host's own task
	// goroutine and, under strategy free, read by the other hosts' (the
	// play's active hosts in ansible_play_hosts): atomic.
	failed, unreachable, ended atomic.Bool
	stats                      HostStats
}

// New returns a runner for the given options.
func New(opts Options) *Runner {
	if opts.Forks <= 0 {
		opts.Forks = 5
	}
	if opts.Masker == nil {
		opts.Masker = NewMasker()
	}
	if opts.Inventory != nil {
		opts.Masker.Add(opts.Inventory.Secrets()...)
	}
	return &Runner{opts: opts, hosts: map[string]*hostState{}, views: map[string]hostView{}, gate: newTaskGate(opts)}
}

// Run executes the playbook's plays in order and returns the recap. A host
// that fails or is unreachable leaves the later plays, as in Ansible; a play
// that any_errors_fatal or max_fail_percentage aborts, or a batch in which
// every host failed, ends the whole playbook (ansible-playbook's break_play).
func (r *Runner) Run(ctx context.Context, pb *Playbook) (*Recap, error) {
	r.dir = pb.Dir
	r.engine = template.New(r.engineOptions(pb.Dir))
	if r.opts.Inventory != nil {
		r.collectSecrets(pb)
	}
	var runErr error
	for _, play := range pb.Plays {
		end, err := r.runPlay(ctx, play)
		if err != nil {
			runErr = err
			break
		}
		if ctx.Err() != nil {
			runErr = ErrInterrupted
			break
		}
		if end {
			break
		}
	}
	r.waitJobs(ctx)
	recap := r.recap()
	recap.Aborted = r.aborted
	var included *includeParseError
	if errors.As(runErr, &included) {
		r.closeConns()
		return recap, runErr // ansible-playbook prints no recap after a parser error
	}
	msg := ""
	if runErr == ErrInterrupted {
		msg = "interrupted: running tasks were stopped"
	}
	r.emit(Event{Type: EventRecap, Stats: recap.Stats, Msg: msg, Custom: r.custom.snapshot()})
	r.closeConns()
	return recap, runErr
}

func (r *Runner) emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if fb := r.free; fb != nil && e.Host != "" && !journalOnly(e) {
		fb.emitFree(e, r.sinkEvent)
		return
	}
	r.sinkEvent(e)
}

func (r *Runner) sinkEvent(e Event) {
	if r.opts.Sink != nil {
		r.opts.Sink.Event(e)
	}
}

func (r *Runner) warn(format string, args ...any) {
	r.emit(Event{Type: EventWarning, Msg: fmt.Sprintf(format, args...)})
}

func (r *Runner) recap() *Recap {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := append([]string(nil), r.order...)
	sort.Strings(names)
	rc := &Recap{}
	for _, n := range names {
		st := r.hosts[n].stats
		if st == (HostStats{}) {
			continue // no task ran on it (a later batch, say): Ansible leaves it out
		}
		st.Host = n
		rc.Stats = append(rc.Stats, st)
	}
	return rc
}

func (r *Runner) closeConns() {
	if r.opts.Connect != nil {
		_ = r.opts.Connect.Close()
	}
}

// host returns the state of an inventory host, creating it on first use.
func (r *Runner) host(inv *inventory.Host) *hostState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.hosts[inv.Name]; ok {
		return h
	}
	h := &hostState{name: inv.Name, notified: map[*Task]bool{}}
	h.facts.changes = &r.factsGen
	r.opts.ResumePlan.restoreJobs(h)
	if r.opts.Inventory != nil {
		h.setInventoryVars(r.opts.Inventory.HostVars(inv.Name))
	}
	r.hosts[inv.Name] = h
	r.order = append(r.order, inv.Name)
	return h
}

// playHosts resolves the play's pattern, narrowed by --limit. A pattern that
// matches nothing is not an error (the play is skipped with a warning, as in
// Ansible); names that are neither hosts nor groups were refused by Validate.
func (r *Runner) playHosts(play *Play) ([]*hostState, error) {
	matched, err := r.opts.Inventory.Match(play.Hosts)
	var none *inventory.NoMatchError
	if errors.As(err, &none) {
		// Ansible ignores the names of a play's pattern that match
		// nothing, warning once per name in the run.
		for _, u := range none.Unknown {
			msg := "Could not match supplied host pattern, ignoring: " + u.Name
			if u.Hint != "" {
				msg += " (" + u.Hint + ")"
			}
			r.warnOnce(msg)
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: hosts %q: %w", play.Pos, play.Hosts, err)
	}
	if r.opts.Limit != "" {
		limited, err := r.match(r.opts.Limit)
		if err != nil {
			return nil, fmt.Errorf("--limit %q: %w", r.opts.Limit, err)
		}
		keep := map[string]bool{}
		for _, h := range limited {
			keep[h.Name] = true
		}
		var out []*inventory.Host
		for _, h := range matched {
			if keep[h.Name] {
				out = append(out, h)
			}
		}
		matched = out
	}
	var hosts []*hostState
	for _, m := range matched {
		h := r.host(m)
		if !h.failed.Load() && !h.unreachable.Load() {
			hosts = append(hosts, h)
		}
	}
	return hosts, nil
}

// match is Inventory.Match where matching nothing is not an error.
func (r *Runner) match(pattern string) ([]*inventory.Host, error) {
	hosts, err := r.opts.Inventory.Match(pattern)
	var none *inventory.NoMatchError
	if errors.As(err, &none) {
		return hosts, nil
	}
	return hosts, err
}

// playRun is one batch of a play in progress.
type playRun struct {
	play      *Play
	varsFiles map[string]any
	hosts     []*hostState // the batch
	allHosts  []*hostState // every host of the play, for ansible_play_hosts_all
	// roleVars and roleDefaults merge the vars and defaults of every role
	// the play loaded: Ansible shows them to the whole play.
	roleVars, roleDefaults map[string]any
	ended                  bool  // meta: end_play, or aborted
	aborted                bool  // any_errors_fatal or max_fail_percentage: the playbook ends
	fatal                  error // an included file that did not parse: the run stops with it
	// free is set under strategy free, where hosts holds the one host a
	// goroutine drives and batch the whole batch (see free.go).
	free  *freeBatch
	batch []*hostState
}

// runPlay runs the play batch by batch. It returns true when the playbook
// must end: the play was aborted, or every host of a batch failed or was
// unreachable (as ansible-playbook's break_play).
func (r *Runner) runPlay(ctx context.Context, play *Play) (bool, error) {
	if play.Dir != "" {
		r.dir = play.Dir // an imported playbook's paths start at its own directory
	}
	title := r.renderTitle(play.Name, r.opts.ExtraVars, play.Vars)
	if title == "" {
		title = play.Hosts
	}
	if play.Throttle > 0 && play.Throttle < r.opts.Forks {
		defer func(forks int) { r.opts.Forks = forks }(r.opts.Forks)
		r.opts.Forks = play.Throttle
	}
	if play.ForceHandlers && !r.opts.ForceHandlers {
		defer func() { r.opts.ForceHandlers = false }()
		r.opts.ForceHandlers = true
	}
	r.emit(Event{Type: EventPlayStart, Play: title, Pos: play.Pos.String(), Check: r.opts.Check})
	hosts, err := r.playHosts(play)
	if err != nil {
		return false, err
	}
	if len(hosts) == 0 {
		r.emit(Event{Type: EventDisplay, Play: title, Pos: play.Pos.String(), Msg: "skipping: no hosts matched"})
		return false, nil
	}
	if err := r.promptVars(play); err != nil {
		return false, err
	}
	varsFiles, err := r.loadVarsFiles(play)
	if err != nil {
		return false, err
	}
	hosts = orderHosts(hosts, play.Order)
	roleVars, roleDefaults := exportedRoleVars(play.Roles)
	for i, batch := range serialBatches(hosts, play.Serial) {
		if i > 0 { // ansible-playbook shows the play's banner again for each serial batch
			r.emit(Event{Type: EventPlayStart, Play: title, Pos: play.Pos.String(), Check: r.opts.Check})
		}
		pr := &playRun{play: play, varsFiles: varsFiles, hosts: batch, allHosts: hosts, roleVars: roleVars, roleDefaults: roleDefaults}
		r.runBatch(ctx, pr)
		if ctx.Err() != nil {
			return false, ErrInterrupted
		}
		if pr.fatal != nil {
			return true, pr.fatal
		}
		if pr.aborted {
			r.aborted = true
			return true, nil
		}
		if allFailed(batch) {
			// ansible-playbook ends here without a word: the recap says it.
			return true, nil
		}
		if pr.ended {
			break
		}
	}
	return false, nil
}

// allFailed reports whether every host of a batch failed or is unreachable.
func allFailed(batch []*hostState) bool {
	for _, h := range batch {
		if !h.failed.Load() && !h.unreachable.Load() {
			return false
		}
	}
	return true
}

func (r *Runner) runBatch(ctx context.Context, pr *playRun) {
	play := pr.play
	for _, h := range pr.hosts {
		h.ended.Store(false) // meta: end_host and end_batch end one play for the host, not the run
	}
	if play.Strategy == "free" {
		r.runBatchFree(ctx, pr)
		return
	}
	r.runSections(ctx, pr)
}

// runSections runs the batch's tasks, section by section, flushing
// handlers after each.
func (r *Runner) runSections(ctx context.Context, pr *playRun) {
	play := pr.play
	if play.GatherFacts {
		r.runTask(ctx, pr, gatherFactsTask(play), false)
	}
	for _, section := range [][]*Task{play.PreTasks, play.Tasks, play.PostTasks} {
		r.runTasks(ctx, pr, section, pr.hosts, false)
		r.flushHandlers(ctx, pr)
	}
	r.reportPendingHandlers(pr)
}

// tooManyFailed applies max_fail_percentage after a task, as Ansible's
// linear strategy does: it counts the batch's failed hosts (not the
// unreachable ones, which ansible-playbook leaves out of it).
func (r *Runner) tooManyFailed(pr *playRun) bool {
	mfp := pr.play.MaxFailPercentage
	if mfp == nil {
		return false
	}
	failed := 0
	for _, h := range pr.hosts {
		if h.failed.Load() && !h.unreachable.Load() {
			failed++
		}
	}
	pct := float64(failed) * 100 / float64(len(pr.hosts))
	if pct <= *mfp {
		return false
	}
	r.warn("play %q stopped: %.0f%% of the batch failed, more than max_fail_percentage %g%%; the playbook ends", pr.play.Name, pct, *mfp)
	return true
}

// serialBatches splits hosts as Ansible's serial does: a list of sizes (or
// percentages), the last one repeating.
func serialBatches(hosts []*hostState, serial []any) [][]*hostState {
	if len(serial) == 0 {
		return [][]*hostState{hosts}
	}
	var batches [][]*hostState
	for i, rest := 0, hosts; len(rest) > 0; i++ {
		spec := serial[min(i, len(serial)-1)]
		n := batchSize(spec, len(hosts))
		n = min(max(n, 1), len(rest))
		batches = append(batches, rest[:n])
		rest = rest[n:]
	}
	return batches
}

func batchSize(spec any, total int) int {
	switch x := spec.(type) {
	case int:
		return x
	case string:
		var pct float64
		fmt.Sscanf(strings.TrimSuffix(x, "%"), "%g", &pct)
		return int(float64(total) * pct / 100)
	}
	return total
}

func active(hosts []*hostState) []*hostState {
	var out []*hostState
	for _, h := range hosts {
		if !h.failed.Load() && !h.unreachable.Load() && !h.ended.Load() {
			out = append(out, h)
		}
	}
	return out
}
