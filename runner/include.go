package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/modules"
)

// Include is a dynamic include (include_tasks, include_role): its tasks are
// read when it runs, once per host and loop item whose `when` holds. Its own
// keywords apply to the include only; the included tasks get its vars, the
// keywords of the blocks around it, and those given in `apply:`.
type Include struct {
	Action string // include_tasks or include_role
	File   string // include_tasks: the file, perhaps a template
	Role   *Role  // include_role: the role, when its name is plain
	Apply  *Task  // apply: keywords for every included task
	Parent *Task  // the blocks (and play) around the include, set by inherit
	// Preview is the included tasks as read before the run (when the file
	// or role name is plain), so that validation sees them.
	Preview []*Task
	// load reads the included tasks for one run of the include, and the
	// path of the included file ("" for a role).
	load func(file string) (string, []*Task, error)
	// PreviewRoles are the role and its dependencies as read before the
	// run, whose variables its tasks may read.
	PreviewRoles []*Role
	// Public include_role: once it has run, the role's vars and defaults
	// are the play's, for the tasks after it. PublicTemplate is public
	// given as a template (willshersystems.sshd's tests: `public: "{{
	// __sr_public | default(false) }}"`), rendered when the include runs.
	Public         bool
	PublicTemplate string
	loaded         *Role // the role the last load read (loads run one at a time)
}

// importTasks reads import_tasks: the file's tasks, in a block that carries
// the import's keywords (when, tags, become, vars...) to every one of them.
func (p *parser) importTasks(t *Task, k, n *yaml.Node, handler bool) {
	file, apply := p.includeArgs(n)
	if apply != nil {
		p.errorf(n, "use include_tasks for apply, or put the keywords on the import", "import_tasks does not take apply")
	}
	if strings.Contains(file, "{{") {
		p.errorf(n, "use include_tasks for a file named by a variable", "import_tasks cannot use a template")
		t.Block = []*Task{}
		return
	}
	if t.Loop != nil {
		p.errorf(k, "use include_tasks to loop over a file", "import_tasks cannot loop")
	}
	path, searched := p.resolveTaskFile(file)
	if path == "" {
		p.errorf(n, "looked in "+strings.Join(searched, ", "), "cannot import tasks: %s not found", file)
		t.Block = []*Task{}
		return
	}
	t.Block = p.readTaskFile(n, path, p.role, handler)
}

// includeTasks reads include_tasks (and the old include): the file is read
// again when the task runs; a plain path is read now too, for validation.
func (p *parser) includeTasks(t *Task, n *yaml.Node, handler bool) {
	file, apply := p.includeArgs(n)
	inc := &Include{Action: "include_tasks", File: file, Apply: apply}
	t.Include = inc
	role, opts, dir, pc, including := p.role, p.opts, p.dir, p.pc, p.file
	inc.load = func(file string) (string, []*Task, error) {
		rp := &parser{file: including, dir: dir, role: role, opts: opts, pc: pc}
		path, searched := rp.resolveTaskFile(file)
		if path == "" {
			return "", nil, fmt.Errorf("cannot include tasks: %s not found (looked in %s)", file, strings.Join(searched, ", "))
		}
		ts := rp.readTaskFile(nil, path, role, handler)
		return path, ts, rp.diags.Err()
	}
	if strings.Contains(file, "{{") {
		return
	}
	path, searched := p.resolveTaskFile(file)
	if path == "" {
		p.errorf(n, "looked in "+strings.Join(searched, ", "), "cannot include tasks: %s not found", file)
		return
	}
	if p.including(path) {
		return // a file that includes itself (under a condition) is read when it runs
	}
	p.readDeferring(len(t.When) > 0, t.Pos, func() { inc.Preview = p.readTaskFile(n, path, p.role, handler) })
}

// includeArgs reads the file of include_tasks/import_tasks: a path, or a
// mapping with file (and apply).
func (p *parser) includeArgs(n *yaml.Node) (string, *Task) {
	if n.Kind == yaml.ScalarNode {
		return p.str(n), nil
	}
	var file string
	var apply *Task
	p.mapping(n, "include arguments", func(key string, k, v *yaml.Node) {
		switch key {
		case "file", "_raw_params":
			file = p.str(v)
		case "apply":
			apply = p.applyKeywords(v)
		default:
			p.errorf(k, "use file: and apply:", "unknown include argument %q", key)
		}
	})
	if file == "" {
		p.errorf(n, "add `file: tasks.yml`", "the include names no file")
	}
	return file, apply
}

// applyKeywords reads apply: task keywords given to every included task.
func (p *parser) applyKeywords(n *yaml.Node) *Task {
	t := &Task{}
	p.mapping(n, "apply", func(key string, k, v *yaml.Node) {
		switch key {
		case "block", "rescue", "always", "loop", "with_items", "with_list", "register", "name", "notify", "listen":
			p.errorf(k, "apply takes keywords such as tags, become, when", "%q cannot be applied to included tasks", key)
		default:
			if !p.taskKeyword(t, key, k, v, false) {
				p.errorf(k, "apply takes task keywords such as tags, become, when", "unknown keyword %q in apply", key)
			}
		}
	})
	return t
}

// roleInclude reads import_role (static: the role's tasks in a block with
// the task's keywords) and include_role (read again when the task runs).
func (p *parser) roleInclude(t *Task, action string, n *yaml.Node) {
	name, nameNode, from, apply, public := p.roleArgs(t, n)
	if action == "import_role" {
		if apply != nil {
			p.errorf(n, "use include_role for apply, or put the keywords on the import", "import_role does not take apply")
		}
		if t.Loop != nil {
			p.errorf(n, "use include_role to loop over a role", "import_role cannot loop")
		}
		t.Block = []*Task{}
		if role := p.loadRole(nameNode, name, "", from, nil, nil); role != nil {
			t.Block = p.roleTasks(role, from, nameNode)
		}
		return
	}
	inc := &Include{Action: action, File: name, Apply: apply, Public: public == true}
	inc.PublicTemplate, _ = public.(string)
	t.Include = inc
	opts, dir, pc, parentRole := p.opts, p.dir, p.pc, p.role
	inc.load = func(name string) (string, []*Task, error) {
		rp := &parser{file: dir, dir: dir, opts: opts, pc: &playCtx{}, role: parentRole}
		*rp.pc = *pc // its own list of loaded roles: an included role's vars are not the play's
		node := &yaml.Node{Kind: yaml.ScalarNode, Value: name}
		ts := []*Task{}
		if role := rp.loadRole(node, name, "", from, nil, nil); role != nil {
			ts = rp.roleTasks(role, from, node)
			inc.loaded = role
		}
		return "", ts, rp.diags.Err()
	}
	if strings.Contains(name, "{{") {
		return
	}
	loaded := len(p.pc.roles)
	if role := p.loadRole(nameNode, name, "", from, nil, nil); role != nil {
		inc.Role = role
		p.readDeferring(len(t.When) > 0, t.Pos, func() { inc.Preview = p.roleTasks(role, from, nameNode) })
	}
	// Ansible gives the play an included role's vars and defaults only once
	// a public include of it has run.
	inc.PreviewRoles = slices.Clone(p.pc.roles[loaded:])
	p.pc.roles = p.pc.roles[:loaded]
}

// resolveTaskFile finds an included file as Ansible does: beside the
// including file, in the role's tasks/, then in the playbook's directory.
func (p *parser) resolveTaskFile(file string) (string, []string) {
	if filepath.IsAbs(file) {
		return existingFile(file), []string{file}
	}
	dirs := []string{filepath.Dir(p.file)}
	if p.role != nil {
		dirs = append(dirs, filepath.Join(p.role.Path, "tasks"), p.role.Path)
	}
	dirs = append(dirs, p.dir)
	var searched []string
	for _, d := range dirs {
		c := filepath.Join(d, file)
		if slices.Contains(searched, c) {
			continue
		}
		searched = append(searched, c)
		if existingFile(c) != "" {
			return c, searched
		}
	}
	return "", searched
}

func existingFile(path string) string {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return path
	}
	return ""
}

// readTaskFile reads a file of tasks (an empty file is no tasks).
func (p *parser) readTaskFile(at *yaml.Node, path string, role *Role, handler bool) []*Task {
	if p.tooDeep(at) {
		return []*Task{}
	}
	root, sub := p.subDocument(at, path, role)
	if root == nil {
		return []*Task{}
	}
	ts := sub.tasks(root, handler)
	p.diags = append(p.diags, sub.diags...)
	if ts == nil {
		ts = []*Task{}
	}
	return ts
}

// subDocument reads a YAML file that the current one refers to, returning
// its root (a null node for an empty file) and a parser for it.
func (p *parser) subDocument(at *yaml.Node, path string, role *Role) (*yaml.Node, *parser) {
	sub := &parser{file: path, dir: p.dir, depth: p.depth + 1, role: role, pc: p.pc, opts: p.opts, parent: p}
	data, err := os.ReadFile(path)
	if err != nil {
		p.errorAt(at, "check the path", "cannot read %s", unwrapPathError(err))
		return nil, sub
	}
	if len(bytes.TrimSpace(data)) == 0 || isOnlyComments(data) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}, sub
	}
	root, ok := sub.document(data)
	if !ok {
		p.diags = append(p.diags, sub.diags...)
		return nil, sub
	}
	return root, sub
}

func isOnlyComments(data []byte) bool {
	var n yaml.Node
	err := yaml.Unmarshal(data, &n)
	return err == nil && (len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null")
}

func (p *parser) errorAt(at *yaml.Node, hint, format string, args ...any) {
	if at == nil {
		p.diags.add(Pos{File: p.file}, hint, format, args...)
		return
	}
	p.errorf(at, hint, format, args...)
}

func (p *parser) tooDeep(at *yaml.Node) bool {
	if p.depth <= 20 {
		return false
	}
	p.errorAt(at, "a file or role includes itself", "includes nested too deep")
	return true
}

// chain is the files being read, innermost first.
func (p *parser) chain() []string {
	var out []string
	for q := p; q != nil; q = q.parent {
		out = append(out, q.file)
	}
	return out
}

func (p *parser) including(path string) bool {
	return slices.Contains(p.chain(), path)
}

// runInclude runs a dynamic include: for each host, its loop items whose
// `when` holds name a file (or role); hosts that include the same file with
// the same variables run its tasks together, as Ansible's linear strategy
// does. Each inclusion counts as ok, a host that includes nothing as skipped.
func (r *Runner) runInclude(ctx context.Context, pr *playRun, t *Task, hosts []*hostState, rescuable bool) {
	if len(hosts) == 0 || !r.tagsSelected(t.Tags) {
		return
	}
	r.header(pr, hosts, Event{Type: EventTaskStart, Play: pr.play.Name, Task: r.taskTitle(pr, t, hosts[0]), Module: t.Include.Action, Pos: t.Pos.String()})
	var groups []*includeGroup
	byKey := map[string]*includeGroup{}
	for _, h := range hosts {
		instances, err := r.includeInstances(r.scope(pr, t, h), t)
		if err != nil || len(instances) == 0 {
			out := single(itemOutcome{skipped: true, data: map[string]any{"changed": false, "skipped": true}})
			if err != nil {
				out = single(r.failure(t, h, err))
			}
			r.finishInclude(pr, t, h, out, rescuable)
			continue
		}
		for _, in := range instances {
			key, _ := json.Marshal([]any{in.file, in.vars})
			g := byKey[string(key)]
			if g == nil {
				g = &includeGroup{includeInstance: in}
				byKey[string(key)] = g
				groups = append(groups, g)
			}
			g.hosts = append(g.hosts, h)
		}
	}
	// As Ansible: every inclusion is reported under the include task, then
	// the included files run one after the other.
	for _, g := range groups {
		g.path, g.tasks, g.err = t.Include.load(g.file)
		if stopOnParseError(pr, g.err) {
			return
		}
		if g.err == nil && r.includePublic(pr, t, g.hosts[0]) && t.Include.loaded != nil {
			pr.exportRole(t.Include.loaded)
		}
		r.reportInclusion(pr, t, g, rescuable)
	}
	for _, g := range groups {
		if g.err == nil && ctx.Err() == nil {
			r.runTasks(ctx, pr, []*Task{includeBlock(t, g.tasks, g.vars)}, g.hosts, rescuable)
		}
	}
}

// includeGroup is one included file (or role) with its variables, and the
// hosts that include it.
type includeGroup struct {
	includeInstance
	hosts []*hostState
	path  string
	tasks []*Task
	err   error
}

// EventIncluded is Ansible's `included: FILE for HOST, HOST => (item=...)`.
const EventIncluded EventType = "included"

// reportInclusion records the inclusion on each of its hosts: ok for an
// included file, nothing for an included role (as Ansible counts them), a
// failure when the file cannot be read.
func (r *Runner) reportInclusion(pr *playRun, t *Task, g *includeGroup, rescuable bool) {
	if g.err == nil && g.path != "" {
		names := make([]string, len(g.hosts))
		for i, h := range g.hosts {
			names[i] = h.name
		}
		path, err := filepath.Abs(g.path)
		if err != nil {
			path = g.path
		}
		r.emit(Event{Type: EventIncluded, Play: pr.play.Name, Task: t.Title(), Pos: t.Pos.String(),
			Host: strings.Join(names, ", "), Msg: path, Item: g.label})
	}
	for _, h := range g.hosts {
		out := single(itemOutcome{data: map[string]any{"changed": false, "include": g.file}, msg: "included: " + g.file})
		if g.err != nil {
			out = single(r.failure(t, h, g.err))
		} else if t.Include.Role != nil || t.Include.Action == "include_role" {
			continue // Ansible counts an included file as ok, an included role not
		}
		r.finishInclude(pr, t, h, out, rescuable)
	}
}

func (r *Runner) finishInclude(pr *playRun, t *Task, h *hostState, out taskOutcome, rescuable bool) {
	out.event.Type, out.event.Host, out.event.Task, out.event.Module = EventHostResult, h.name, t.Title(), t.Include.Action
	out.event.Play, out.event.Pos, out.event.Status = pr.play.Name, t.Pos.String(), statusOf(out)
	out.event.Msg = stringField(out.registered, "msg")
	out.event.Result = out.registered // as Ansible's callbacks get it: skipped, include
	if out.failed {
		out.ignored = r.ignoreErrors(r.scope(pr, t, h), t)
		out.event.Ignored = out.ignored
	}
	r.record(t, h, &out, rescuable)
	r.emit(out.event)
}

type includeInstance struct {
	file  string
	vars  map[string]any
	label any // the loop item (or its loop_control label); nil without a loop
}

// includeInstances evaluates an include's loop and when on one host.
func (r *Runner) includeInstances(sc *scope, t *Task) ([]includeInstance, error) {
	items := []any{nil}
	if t.Loop != nil {
		var err error
		if items, err = r.loopItems(sc, t); err != nil {
			return nil, err
		}
	}
	var out []includeInstance
	for i := range items {
		isc, vars := sc, t.Vars
		var label any
		if t.Loop != nil { // the item, index_var and ansible_loop, as for a module
			lv := loopVars(t, items, i)
			vars = mergeMaps(t.Vars, lv)
			isc = sc.withLayer(lv)
			label = items[i]
			if t.LoopLabel != "" {
				if l, err := isc.render(t.LoopLabel); err == nil {
					label = l
				}
			}
		}
		ok, err := r.when(isc, t)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		file, err := isc.render(t.Include.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Include.Action, err)
		}
		out = append(out, includeInstance{file: fmt.Sprint(file), vars: vars, label: label})
	}
	return out, nil
}

// includeBlock wraps included tasks so that they inherit what Ansible gives
// them: the keywords of the blocks around the include, then apply:, then the
// include's vars (and loop item).
func includeBlock(t *Task, tasks []*Task, vars map[string]any) *Task {
	w := &Task{Pos: t.Pos, Block: tasks, Vars: vars}
	outer := w
	if t.Include.Apply != nil {
		a := *t.Include.Apply
		a.Block = []*Task{w}
		outer = &a
	}
	parent := t.Include.Parent
	if parent == nil {
		parent = &Task{}
	}
	inheritFrom(parent, outer)
	return outer
}

// importPlaybook reads `- import_playbook: file` at the top of a playbook:
// the file's plays, with the import's vars, tags and when given to each.
func (p *parser) importPlaybook(n *yaml.Node) []*Play {
	var file string
	var fileNode *yaml.Node
	kw := &Task{}
	var vars map[string]any
	p.mapping(n, "import_playbook", func(key string, k, v *yaml.Node) {
		switch key {
		case "import_playbook", "ansible.builtin.import_playbook":
			file, fileNode = p.str(v), v
		case "vars":
			vars = p.vars(v)
		case "tags", "when":
			p.taskKeyword(kw, key, k, v, false)
		case "name":
		default:
			p.errorf(k, "import_playbook takes vars, tags and when", "unknown key %q on import_playbook", key)
		}
	})
	if fileNode == nil || file == "" {
		return nil
	}
	if strings.Contains(file, "{{") {
		p.errorf(fileNode, "name the playbook plainly", "import_playbook cannot use a template")
		return nil
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.dir, file)
	}
	if p.including(path) || p.tooDeep(fileNode) {
		p.errorf(fileNode, "remove the cycle", "playbook %s imports itself", file)
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		p.errorf(fileNode, "check the path (relative to the importing playbook)", "cannot import playbook: %s", unwrapPathError(err))
		return nil
	}
	sub := &parser{file: path, dir: filepath.Dir(path), depth: p.depth + 1, opts: p.opts, parent: p}
	plays := sub.playbook(data)
	p.diags = append(p.diags, sub.diags...)
	for _, play := range plays {
		play.Vars = mergeMaps(vars, play.Vars)
		play.Tags = union(kw.Tags, play.Tags)
		play.When = append(append([]string{}, kw.When...), play.When...)
	}
	return plays
}

// inheritInclude records what the included tasks will inherit (the blocks
// around the include, not the include's own keywords), and gives it to the
// preview, with the include's vars and loop variable.
func inheritInclude(parent, t *Task) {
	inc := t.Include
	inc.Parent = parent
	if inc.Preview == nil {
		return
	}
	vars := t.Vars
	if t.Loop != nil {
		vars = mergeMaps(vars, loopVarNames(t))
	}
	inc.Preview = []*Task{includeBlock(t, inc.Preview, vars)}
}

// actionKey reads action: and local_action:, whose value names the module:
// `action: copy src=a dest=b`, or a mapping with module: and the arguments.
// local_action runs on the controller (delegate_to: localhost).
func (p *parser) actionKey(t *Task, k, v *yaml.Node, moduleKey, moduleVal **yaml.Node) {
	if *moduleKey != nil {
		p.errorf(k, "split it into two tasks", "the task has two modules, %q (line %d) and %q", (*moduleKey).Value, (*moduleKey).Line, k.Value)
		return
	}
	if k.Value == "local_action" {
		t.DelegateTo = "localhost"
	}
	var name string
	var args *yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		first, rest := splitActionName(v.Value)
		name = first
		args = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: rest, Line: v.Line, Column: v.Column}
		if args.Value == "" {
			args.Tag = "!!null"
		}
	case yaml.MappingNode:
		args = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: v.Line, Column: v.Column}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if v.Content[i].Value == "module" {
				name = v.Content[i+1].Value
				continue
			}
			args.Content = append(args.Content, v.Content[i], v.Content[i+1])
		}
	}
	name = modules.BuiltinName(name)
	if strings.Contains(name, "{{") {
		t.ModuleTemplate = name
	} else if name != "meta" && !isModule(name) {
		p.unknownModule(v, suggest.Hint(name, modules.Names()), "%s: unknown module %q", k.Value, name)
		return
	}
	*moduleKey, *moduleVal = &yaml.Node{Kind: yaml.ScalarNode, Value: name, Line: k.Line, Column: k.Column}, args
	if t.ModuleTemplate == "" {
		t.Module = name
	}
}

// varsFiles reads vars_files: paths, or lists of paths of which the first
// that exists is read (kept as one entry, the paths joined by newlines).
func (p *parser) varsFiles(n *yaml.Node) []string {
	if n.Kind != yaml.SequenceNode {
		return p.strList(n)
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = resolveAlias(c)
		if c.Kind == yaml.SequenceNode {
			out = append(out, strings.Join(p.strList(c), "\n"))
			continue
		}
		out = append(out, p.str(c))
	}
	return out
}

// taskTitle is the task's banner: its name rendered with the variables of
// h, the first host to run it, as ansible-core 2.14's strategies render
// it (fail_on_undefined=False: a name that does not render shows as
// written). Under strategy free the first host's rendering stays the
// task's name for every host, as free.py renders the shared task in place.
func (r *Runner) taskTitle(pr *playRun, t *Task, h *hostState) string {
	title := t.Title()
	// Ansible renders a task's name, not the module template an unnamed
	// task is shown by.
	if !strings.Contains(title, "{{") || t.Name == "" && t.ModuleTemplate != "" {
		return title
	}
	render := func() string {
		out, err := r.scope(pr, t, h).render(title)
		if err != nil {
			return title
		}
		return r.opts.Masker.String(fmt.Sprint(out))
	}
	if pr.free != nil {
		return pr.free.title(t, render)
	}
	return render()
}

func (r *Runner) renderTitle(title string, layers ...map[string]any) string {
	sc := &scope{engine: r.engine, masker: r.opts.Masker}
	for _, l := range layers {
		if len(l) > 0 {
			sc.layers = append(sc.layers, l)
		}
	}
	out, err := sc.render(title)
	if err != nil {
		return title
	}
	return r.opts.Masker.String(fmt.Sprint(out))
}

func isInclude(module string) bool {
	switch strings.TrimPrefix(module, "ansible.builtin.") {
	case "include_tasks", "include_role", "include":
		return true
	}
	return false
}

// included prints Ansible's line for an included file.
func (s *TextSink) included(b *strings.Builder, e Event) {
	line := fmt.Sprintf("included: %s for %s", e.Msg, e.Host)
	if e.Item != nil {
		line += fmt.Sprintf(" => (item=%s)", itemLabel(e.Item))
	}
	b.WriteString(s.colors.skipped(line) + "\n")
}

// exportRole gives the play a publicly included role's vars and defaults
// (new maps: the hosts' running tasks may still read the old ones).
func (pr *playRun) exportRole(role *Role) {
	pr.roleVars = mergeMaps(pr.roleVars, role.Vars)
	pr.roleDefaults = mergeMaps(pr.roleDefaults, role.Defaults)
}
