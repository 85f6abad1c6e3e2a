package runner

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ferry-sh/ferry/internal/anylist"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/conn"
	"github.com/ferry-sh/ferry/runner/template"
)

// scope builds the variable scope of task t on host h, with Ansible's
// precedence (highest first): extra vars, set_fact/register, task and block
// vars, vars_files, play vars, inventory host vars (group_vars/host_vars
// already merged by the inventory), role defaults, the task's and the
// play's connection keywords (connkw.go), the command line's connection
// settings, then the magic variables.
func (r *Runner) scope(pr *playRun, t *Task, h *hostState) *scope {
	var params, roleVars, defaults map[string]any
	if t.Role != nil {
		params, roleVars, defaults = t.Role.Params, t.Role.Vars, t.Role.Defaults
	}
	layers := make([]map[string]any, 0, 12)
	hostLayer, fromHost := h.facts.view()
	for _, l := range []map[string]any{r.opts.ExtraVars, params, hostLayer, t.Vars, roleVars, pr.roleVars,
		pr.varsFiles, pr.play.Vars, h.inventoryVars(), defaults, pr.roleDefaults} {
		if len(l) > 0 {
			layers = append(layers, l)
		}
	}
	vars := len(layers)
	for _, l := range []map[string]any{t.Scoped.Connection, pr.play.Keywords, r.opts.ConnDefaults} {
		if len(l) > 0 {
			layers = append(layers, l)
		}
	}
	return &scope{engine: r.engine, layers: layers, keywordLayers: len(layers) - vars, data: []dataLayer{{layer: hostLayer, names: fromHost}}, readData: new(atomic.Bool),
		magic: roleMagic(pr, t, r.magicVars(pr, h)), masker: r.opts.Masker,
		forHost:  func(o *hostState) *scope { return r.scope(pr, t, o) },
		warnings: &taskWarnings{warn: func(msg string) { r.warn("%s", msg) }}}
}

// magicVars are Ansible's built-in variables, computed only when used.
func (r *Runner) magicVars(pr *playRun, h *hostState) func(string) (any, bool) {
	return func(name string) (any, bool) {
		inv := r.opts.Inventory
		switch name {
		case "inventory_hostname":
			return h.name, true
		case "inventory_hostname_short":
			short, _, _ := strings.Cut(h.name, ".")
			return short, true
		case "group_names":
			return anylist.Of(inv.GroupNames(h.name)), true
		case "groups":
			return r.groupsVar(), true
		case "hostvars":
			return r.hostvars(), true
		case "ansible_check_mode":
			return r.opts.Check, true
		case "ansible_diff_mode":
			return r.opts.Diff, true
		case "ansible_verbosity":
			return r.opts.Verbosity, true
		case "playbook_dir":
			return playbookDir(r.dir), true
		case "ansible_play_hosts", "play_hosts":
			return hostNames(active(pr.allHosts)), true
		case "ansible_play_hosts_all":
			return hostNames(pr.allHosts), true
		case "ansible_play_batch":
			return hostNames(active(pr.batchHosts())), true
		case "ansible_play_name":
			return pr.play.Name, true
		case "omit":
			return omitValue, true
		case "inventory_file", "inventory_dir":
			ih, ok := inv.Host(h.name)
			if !ok || ih.File == "" {
				return nil, false
			}
			file, err := filepath.Abs(ih.File)
			if err != nil {
				file = ih.File
			}
			if name == "inventory_dir" {
				return filepath.Dir(file), true
			}
			return file, true
		}
		return nil, false
	}
}

// groupsVar is the groups magic variable, shared by every host (templates
// never modify the values they read).
func (r *Runner) groupsVar() map[string]any {
	r.groupsMu.Lock()
	defer r.groupsMu.Unlock()
	if r.groups == nil {
		members := r.opts.Inventory.GroupMembers()
		r.groups = make(map[string]any, len(members))
		for g, hosts := range members {
			r.groups[g] = anylist.Of(hosts)
		}
	}
	return r.groups
}

// hostvars is every inventory host's variables with its facts on top. Each
// host's merged view is cached until its facts change, and the whole map
// until any host's facts change, so that a task reading hostvars on every
// host costs O(1) per host, not O(hosts).
func (r *Runner) hostvars() map[string]any {
	gen := r.factsGen.Load()
	r.viewMu.Lock()
	if r.hostvarsAll != nil && r.hostvarsGen == gen {
		defer r.viewMu.Unlock()
		return r.hostvarsAll
	}
	r.viewMu.Unlock()
	hosts := r.opts.Inventory.Hosts()
	out := make(map[string]any, len(hosts))
	for _, ih := range hosts {
		out[ih.Name] = r.hostView(ih.Name)
	}
	// The implicit localhost, once the run has it (a play on it, facts
	// delegated to it), as Ansible's hostvars has it.
	r.mu.Lock()
	names := append([]string(nil), r.order...)
	r.mu.Unlock()
	for _, name := range names {
		if _, listed := out[name]; !listed {
			out[name] = r.hostView(name)
		}
	}
	// Built from facts at least as new as gen: a change during the build
	// bumps the count past gen, and the next lookup builds again.
	r.viewMu.Lock()
	r.hostvarsAll, r.hostvarsGen = out, gen
	r.viewMu.Unlock()
	return out
}

// hostView is one host's entry in hostvars: its variables rendered with its
// own values, as Ansible's hostvars are. Built outside the cache's lock,
// because rendering may read other variables.
func (r *Runner) hostView(name string) map[string]any {
	r.mu.Lock()
	hs := r.hosts[name]
	r.mu.Unlock()
	var facts map[string]any
	var fromHost map[string]bool
	version := -1
	if hs != nil {
		facts, fromHost, version = hs.facts.snapshot()
	}
	r.viewMu.Lock()
	v, ok := r.views[name]
	r.viewMu.Unlock()
	if ok && v.version == version {
		return v.vars
	}
	vars := map[string]any{}
	for k, v := range r.opts.Inventory.HostVars(name) {
		vars[k] = v
	}
	for k, v := range facts {
		vars[k] = v
	}
	vars["inventory_hostname"] = name
	r.renderView(name, vars, fromHost)
	r.viewMu.Lock()
	r.views[name] = hostView{vars: vars, version: version}
	r.viewMu.Unlock()
	return vars
}

// renderView renders the templated values of a host's view in that host's
// scope. The scope offers no hostvars, so a view can never recurse into
// views; a value that cannot be rendered (it needs play variables, say)
// stays as written, and so does a value the host gave (fromHost).
func (r *Runner) renderView(name string, vars map[string]any, fromHost map[string]bool) {
	sc := &scope{engine: r.engine, layers: []map[string]any{r.opts.ExtraVars, vars}, masker: r.opts.Masker, magic: func(n string) (any, bool) {
		switch n {
		case "group_names":
			return anylist.Of(r.opts.Inventory.GroupNames(name)), true
		case "groups":
			return r.groupsVar(), true
		case "omit":
			return omitValue, true
		}
		return nil, false
	}}
	rendered := map[string]any{}
	for k, v := range vars {
		if hasTemplate(v) && !fromHost[k] {
			if out, err := sc.render(v); err == nil {
				rendered[k] = out
			}
		}
	}
	for k, v := range rendered {
		vars[k] = v
	}
}

type hostView struct {
	vars    map[string]any
	version int
}

func hostNames(hosts []*hostState) []any {
	out := make([]any, len(hosts))
	for i, h := range hosts {
		out[i] = h.name
	}
	return out
}

// moduleHost is the module's view of the host for one task.
func (r *Runner) moduleHost(ctx context.Context, t *Task, h *hostState, sc *scope) (*modules.Host, error) {
	mh := &modules.Host{
		Name:       h.name,
		Check:      r.checkMode(t),
		Diff:       r.diffMode(t),
		Vars:       varsAdapter{sc},
		BaseDir:    r.baseDir(t),
		SearchPath: taskSearchDirs(t, r.dir),
		Vault:      r.opts.Vault,
		Verbosity:  r.opts.Verbosity,
		Cache:      &h.cache,
		Secret:     func(s string) { r.opts.Masker.Add(s) },
		Events:     func(e modules.Event) { r.moduleEvent(t, h, e) },
		Task:       t.Title(),
		Console:    r.console(t, h),
	}
	mh.Reconnect = func(ctx context.Context) error { _, err := r.reconnect(ctx, t, h, sc); return err }
	if inBackground(ctx) {
		mh.Events = nil
	}
	if t.Spec.Controller {
		return mh, nil
	}
	csc, d := sc, delegation{} // the scope the connection and become read
	if t.DelegateTo != "" {
		var err error
		if d, err = r.delegated(sc, t); err != nil {
			return nil, err
		}
		csc = d.scope
	}
	become, err := r.become(csc, t)
	if err != nil {
		return nil, err
	}
	env, err := r.environment(sc, t)
	if err != nil {
		return nil, err
	}
	c, err := r.connFor(ctx, t, h, sc, d)
	if err != nil {
		return nil, err
	}
	mh.Become = become
	mh.Conn = modules.Seal(&taskConn{Conn: c, become: become, env: env, masker: r.opts.Masker})
	mh.Reconnect = r.resealingReconnect(mh, t, h, sc, env)
	return mh, nil
}

func (r *Runner) moduleEvent(t *Task, h *hostState, e modules.Event) {
	typ := EventOutput
	if e.Kind == "progress" {
		typ = EventProgress
	}
	r.emit(Event{Type: typ, Host: h.name, Task: t.Title(), Msg: e.Line, Done: e.Done, Total: e.Total, Hidden: t.mayHide()})
}

// connFor returns the host's connection, opened once for the whole run,
// or the delegated host's (d).
func (r *Runner) connFor(ctx context.Context, t *Task, h *hostState, sc *scope, d delegation) (modules.Conn, error) {
	if d.host != nil {
		return r.delegateConn(ctx, d)
	}
	if t.ownConnection() {
		return r.taskConnection(ctx, h, sc)
	}
	c, err := r.openOnce(ctx, h, sc)
	if err == nil && retiredConn(c) { // a host sharing it reset it
		r.releaseConn(c)
		h.conn, h.connErr, h.connOnce = nil, nil, sync.Once{}
		return r.openOnce(ctx, h, sc)
	}
	return c, err
}

// openOnce opens h's connection with the connection variables sc renders,
// once for the whole run; later calls return the same connection or error.
func (r *Runner) openOnce(ctx context.Context, h *hostState, sc *scope) (modules.Conn, error) {
	h.connOnce.Do(func() {
		vars, err := r.connectionVars(sc, h)
		if err != nil {
			h.connErr = err
			return
		}
		h.conn, h.connErr = r.opts.Connect.Open(ctx, h.name, vars)
	})
	return h.conn, h.connErr
}

// connectionVars renders the variables a connection reads (ansible_*,
// ferry_*), so that ansible_host: "{{ ip }}" works.
func (r *Runner) connectionVars(sc *scope, h *hostState) (map[string]any, error) {
	out := map[string]any{}
	for _, layer := range sc.layers {
		for k := range layer {
			if _, seen := out[k]; seen || !(strings.HasPrefix(k, "ansible_") || strings.HasPrefix(k, "ferry_")) {
				continue
			}
			v, _, err := sc.Lookup(k)
			if err != nil {
				return nil, err
			}
			out[k] = v
		}
	}
	for _, name := range []string{"ansible_password", "ansible_ssh_pass", "ansible_ssh_password"} {
		if pw, ok := out[name].(string); ok {
			r.opts.Masker.Add(pw)
		}
	}
	return out, nil
}

// become resolves privilege escalation as 2.14's PlayContext does: a
// variable (ansible_become in the inventory, the play's or the task's vars)
// beats the keyword of the task (or its block or play), which beats the
// command line's -b. For a delegated task sc is the delegated host's
// scope (delegated).
func (r *Runner) become(sc *scope, t *Task) (*modules.Become, error) {
	on := false
	if v, ok, err := sc.variable("ansible_become"); err != nil {
		return nil, err
	} else if ok {
		on, _ = modules.ToBool(v)
	} else if t.Become != nil {
		on = *t.Become
	} else if t.Templated.Become != "" {
		b, err := renderBool(sc, t.Templated.Become)
		if err != nil {
			return nil, fmt.Errorf("become: %w", err)
		}
		on = b
	} else if v, ok, err := sc.Lookup("ansible_become"); err != nil {
		return nil, err
	} else if ok {
		on, _ = modules.ToBool(v)
	}
	if !on {
		return nil, nil
	}
	user, ok, err := sc.variable("ansible_become_user")
	if !ok && err == nil {
		user, err = sc.render(t.BecomeUser) // become_user: "{{ app_user }}"
	}
	if err != nil {
		return nil, fmt.Errorf("become_user: %w", err)
	}
	b := &modules.Become{User: fmt.Sprint(user)}
	if b.User == "" {
		v, ok, err := sc.Lookup("ansible_become_user")
		if err != nil {
			return nil, err
		}
		if ok {
			b.User = fmt.Sprint(v)
		}
	}
	for _, name := range []string{"ansible_become_password", "ansible_become_pass"} {
		v, ok, err := sc.Lookup(name)
		if err != nil {
			return nil, err
		}
		if ok && v != nil {
			b.Password = fmt.Sprint(v)
			r.opts.Masker.Add(b.Password)
			break
		}
	}
	if err := becomeMethod(sc, b); err != nil {
		return nil, err
	}
	return b, r.methodPassword(sc, b)
}

// methodPassword reads the become plugin's own name for the password
// (ansible_sudo_pass, ansible_su_pass), which 2.14's sudo and su plugins
// take as well, when no ansible_become_password is set.
func (r *Runner) methodPassword(sc *scope, b *modules.Become) error {
	if b.Password != "" {
		return nil
	}
	v, ok, err := sc.Lookup("ansible_" + cmp.Or(b.Method, "sudo") + "_pass")
	if err != nil || !ok || v == nil {
		return err
	}
	b.Password = fmt.Sprint(v)
	r.opts.Masker.Add(b.Password)
	return nil
}

func (r *Runner) environment(sc *scope, t *Task) (map[string]string, error) {
	if len(t.Environment) == 0 && len(t.Templated.Environment) == 0 {
		return nil, nil
	}
	env, err := templatedEnvironment(sc, t)
	if err != nil {
		return nil, err
	}
	for k, v := range t.Environment {
		rv, err := sc.render(v)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", k, err)
		}
		env[k] = fmt.Sprint(rv)
	}
	return env, nil
}

// taskConn applies the task's become and environment to every command a
// module runs, so modules need not thread them through. It is also the one
// gate every command passes, so it refuses a command whose argv or
// environment holds a secret: other users of the host can read those (ps,
// /proc), while stdin and 0600 files they cannot.
type taskConn struct {
	modules.Conn
	become *modules.Become
	env    map[string]string
	masker *Masker
}

// ErrSecretInCommand is returned for a command that would expose a secret.
var ErrSecretInCommand = errors.New("a secret would appear in a command line or environment, where other users of the host can read it; pass it on stdin (the stdin argument) or in a file with mode 0600")

func (c *taskConn) Run(ctx context.Context, cmd modules.Command) (modules.Output, error) {
	if c.exposesSecret(cmd) {
		return modules.Output{}, fmt.Errorf("%w: %s", ErrSecretInCommand, c.masker.String(describeCommand(cmd)))
	}
	if cmd.Become == nil {
		cmd.Become = c.become
	}
	if len(c.env) > 0 {
		merged := map[string]string{}
		for k, v := range c.env {
			merged[k] = v
		}
		for k, v := range cmd.Env {
			merged[k] = v
		}
		cmd.Env = merged
	}
	return c.Conn.Run(ctx, cmd)
}

func (c *taskConn) exposesSecret(cmd modules.Command) bool {
	// The working directory is PWD in the process's environment.
	parts := append([]string{cmd.Shell, cmd.Dir}, cmd.Argv...)
	for k, v := range c.env {
		parts = append(parts, k+"="+v)
	}
	for k, v := range cmd.Env {
		parts = append(parts, k+"="+v)
	}
	for _, p := range parts {
		if c.masker.Contains(p) {
			return true
		}
	}
	return false
}

func describeCommand(cmd modules.Command) string {
	if cmd.Shell != "" {
		return cmd.Shell
	}
	return conn.JoinArgv(cmd.Argv)
}

// DialContext passes the Dialer capability through when the connection has it.
func (c *taskConn) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d, ok := c.Conn.(modules.Dialer)
	if !ok {
		return nil, fmt.Errorf("this connection cannot open TCP connections from the host")
	}
	return d.DialContext(ctx, network, addr)
}

// varsAdapter gives modules evaluation in the task's scope.
type varsAdapter struct{ sc *scope }

func (v varsAdapter) Eval(expr string) (any, error) {
	out, err := v.sc.taint(func(sc template.Scope) (any, error) { return v.sc.engine.Eval(expr, sc) })
	err = markUndefined(err)
	if err == nil {
		err = storedSizeError(expr, out) // a module would encode or keep it
	}
	return out, err
}

func (v varsAdapter) Template(text string) (any, error) {
	out, err := v.sc.render(text)
	return out, markUndefined(err)
}

// markUndefined marks an undefined variable's error as modules.ErrUndefined.
func markUndefined(err error) error {
	var undefined *template.UndefinedError
	if errors.As(err, &undefined) {
		return fmt.Errorf("%w: %v", modules.ErrUndefined, err)
	}
	return err
}

func (v varsAdapter) Render(text string) (string, error) {
	out, err := v.sc.taint(func(sc template.Scope) (any, error) { return v.sc.engine.RenderString(text, sc) })
	s, _ := out.(string)
	return s, err
}

// handlersFor resolves notify names to handlers, by name or listen topic.
func (p *Play) handlersFor(names []string) []*Task {
	var out []*Task
	for _, hd := range p.Handlers {
		if handlerMatches(hd, names) {
			out = append(out, hd)
		}
	}
	return out
}

func handlerMatches(hd *Task, names []string) bool {
	for _, n := range names {
		if hd.Name == n || hd.Role != nil && hd.Role.Name+" : "+hd.Name == n {
			return true
		}
		for _, l := range hd.Listen {
			if l == n {
				return true
			}
		}
	}
	return false
}

// gatherFactsTask is the implicit first task of a play with gather_facts.
func gatherFactsTask(play *Play) *Task {
	mod, _ := modules.Lookup("setup")
	return &Task{Pos: play.Pos, Name: "Gathering Facts", Module: "setup", Spec: mod.Spec(),
		Args: map[string]any{}, Tags: []string{"always"}, Become: play.Become, BecomeUser: play.BecomeUser}
}
