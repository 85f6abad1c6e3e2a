package runner

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/keyorder"
	"github.com/ferry-sh/ferry/internal/pyname"
	"github.com/ferry-sh/ferry/internal/rawtext"
	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
)

// LoadPlaybook reads and strictly parses a playbook file.
func LoadPlaybook(path string) (*Playbook, error) {
	return LoadPlaybookWith(path, LoadOptions{})
}

// LoadPlaybookWith is LoadPlaybook with settings from a configuration file
// (where roles are found).
func LoadPlaybookWith(path string, opts LoadOptions) (*Playbook, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, Diags{{Pos: Pos{File: path}, Msg: "cannot read playbook: " + unwrapPathError(err), Hint: "check the path"}}.Err()
	}
	return parsePlaybook(path, filepath.Dir(path), data, opts)
}

// ParsePlaybook parses playbook source. file names it in messages; dir is
// where its relative paths start. Every problem is reported at once, each
// with file:line:col.
func ParsePlaybook(file, dir string, data []byte) (*Playbook, error) {
	return parsePlaybook(file, dir, data, LoadOptions{})
}

func parsePlaybook(file, dir string, data []byte, opts LoadOptions) (*Playbook, error) {
	p := &parser{file: file, dir: dir, opts: opts}
	pb := &Playbook{File: file, Dir: dir, Plays: p.playbook(data)}
	pb.Deferred = p.deferred
	for _, play := range pb.Plays {
		play.inherit()
		p.checkFree(play)
	}
	if pb.Plays == nil && len(p.diags) == 0 {
		p.diags.add(Pos{File: file}, "add at least one play", "the playbook has no plays")
	}
	return pb, p.diags.Err()
}

// playbook reads a playbook's plays, and the plays of the playbooks it
// imports, in order.
func (p *parser) playbook(data []byte) []*Play {
	root, ok := p.document(data)
	if !ok {
		return nil
	}
	if root.Kind != yaml.SequenceNode {
		p.errorf(root, "a playbook is a list of plays (each starting with `- hosts:`)", "the top level of %s must be a list, not %s", p.file, kindName(root))
		return nil
	}
	var plays []*Play
	for _, n := range root.Content {
		if isImportPlaybook(n) {
			plays = append(plays, p.importPlaybook(resolveAlias(n))...)
			continue
		}
		if p.playInclude(n) {
			continue
		}
		if play := p.play(n); play != nil {
			plays = append(plays, play)
		}
	}
	if len(root.Content) == 0 {
		p.errorf(root, "add at least one play", "the playbook has no plays")
	}
	return plays
}

func isImportPlaybook(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k == "import_playbook" || k == "ansible.builtin.import_playbook" {
			return true
		}
	}
	return false
}

type parser struct {
	file  string
	dir   string
	diags Diags
	depth int // import_tasks nesting, to stop recursion

	role   *Role       // the role whose file this is, nil outside roles
	pc     *playCtx    // what the play being read collects across its files
	opts   LoadOptions // where roles and collections are found
	parent *parser     // the parser of the including file, to stop cycles

	// valueDepth and expanded bound the walk of YAML values, so that a
	// self-referencing alias (&a [*a]) or an alias bomb cannot hang ferry.
	valueDepth int
	expanded   int
	tooBig     bool

	// deferred are the unknown modules of conditional dynamic includes
	// (deferred.go), kept by the playbook's top parser.
	deferred Diags
}

const (
	maxValueDepth = 100
	maxValueNodes = 1_000_000
)

func (p *parser) errorf(n *yaml.Node, hint, format string, args ...any) {
	p.diags.add(posOf(p.file, n), hint, format, args...)
}

// document parses YAML source to its root node, refusing an empty file.
func (p *parser) document(data []byte) (*yaml.Node, bool) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if err.Error() == "EOF" {
			p.diags = append(p.diags, Diag{Pos: Pos{File: p.file}, Msg: "the file is empty", Hint: "a playbook is a list of plays"})
		} else {
			p.diags = append(p.diags, yamlDiag(p.file, data, err))
		}
		return nil, false
	}
	if len(doc.Content) == 0 {
		p.diags = append(p.diags, Diag{Pos: Pos{File: p.file}, Msg: "the file is empty", Hint: "a playbook is a list of plays"})
		return nil, false
	}
	p.singleDocument(dec)
	return doc.Content[0], true
}

// singleDocument refuses a second YAML document after the first (a `---`
// line inside the file), as ansible-core's loader does ("expected a single
// document in the stream"), rather than leaving its plays or tasks out.
func (p *parser) singleDocument(dec *yaml.Decoder) {
	var next yaml.Node
	if err := dec.Decode(&next); err == io.EOF {
		return
	}
	p.diags.add(posOf(p.file, &next), "join the documents into one list (remove the `---` line), or import the second as its own file",
		"the file holds more than one YAML document: ansible-playbook refuses it too")
}

// mapping iterates a mapping's keys in order, reporting duplicates.
func (p *parser) mapping(n *yaml.Node, what string, visit func(key string, k, v *yaml.Node)) bool {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "", "%s must be a mapping, not %s", what, kindName(n))
		return false
	}
	seen := map[string]int{}
	content := mergedPairs(n)
	for i := 0; i+1 < len(content); i += 2 {
		k, v := content[i], resolveAlias(content[i+1])
		if line, dup := seen[k.Value]; dup {
			p.errorf(k, fmt.Sprintf("the first is at line %d; remove one", line), "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = k.Line
		visit(k.Value, k, v)
	}
	return true
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

var playKeys = []string{"name", "hosts", "vars", "vars_files", "gather_facts", "become", "become_user",
	"serial", "tasks", "pre_tasks", "post_tasks", "handlers", "max_fail_percentage", "any_errors_fatal",
	"tags", "environment", "no_log", "check_mode", "connection", "roles", "collections", "vars_prompt",
	"run_once", "remote_user", "port", "strategy", "order", "throttle", "ignore_unreachable", "module_defaults",
	"ignore_errors", "diff", "become_method", "gather_subset", "gather_timeout", "force_handlers", "timeout", "debugger", "fact_path", "become_exe", "become_flags"}

func (p *parser) play(n *yaml.Node) *Play {
	play := &Play{Pos: posOf(p.file, n), GatherFacts: true, Dir: p.dir}
	p.pc = &playCtx{}
	defer func() { p.pc = nil }()
	hostsSeen := false
	var rolesNode *yaml.Node
	ok := p.mapping(n, "a play", func(key string, k, v *yaml.Node) {
		if p.playKeyword(play, key, k, v) {
			return
		}
		switch key {
		case "roles":
			rolesNode = v // read after the other keys, so that collections: is known
		case "name":
			play.Name = p.str(v)
		case "hosts":
			hostsSeen = true
			play.Hosts = p.hostPattern(v)
		case "vars":
			play.Vars = p.vars(v)
		case "vars_files":
			play.VarsFiles = p.varsFiles(v)
		case "gather_facts":
			play.GatherFacts = p.boolean(v)
		case "become":
			play.Become = p.boolKeyword(v, &play.Templated.Become)
		case "become_user":
			play.BecomeUser = p.str(v)
		case "serial":
			play.Serial = p.serial(v)
		case "tasks":
			play.Tasks = p.tasks(v, false)
		case "pre_tasks":
			play.PreTasks = p.tasks(v, false)
		case "post_tasks":
			play.PostTasks = p.tasks(v, false)
		case "handlers":
			play.Handlers = p.tasks(v, true)
		case "max_fail_percentage":
			f := p.number(v)
			play.MaxFailPercentage = &f
		case "any_errors_fatal":
			play.AnyErrorsFatal = p.anyErrorsFatal(v)
		case "tags":
			play.Tags = p.strList(v)
		case "environment":
			play.Environment = p.environment(v, &play.Templated)
		case "no_log":
			play.NoLog = derefBool(p.boolKeyword(v, &play.Templated.NoLog))
		case "check_mode":
			b := p.boolean(v)
			play.CheckMode = &b
		case "connection":
			play.Connection = p.str(v)
		default:
			p.errorf(k, suggest.Hint(key, playKeys), "unknown play keyword %q", key)
		}
	})
	if ok && !hostsSeen {
		p.errorf(n, "add `hosts: all` or a group name", "the play has no `hosts`")
	}
	// Ansible runs the roles between pre_tasks and tasks, with no handler
	// flush in between; role handlers come before the play's.
	if rolesNode != nil {
		play.Tasks = append(p.rolesSection(rolesNode), play.Tasks...)
	}
	play.Handlers = append(p.pc.handlers, play.Handlers...)
	play.Roles = p.pc.roles
	p.checkNotify(play)
	return play
}

// checkNotify reports a notify that names no handler of the play.
func (p *parser) checkNotify(play *Play) {
	var names []string
	handlers := flattenBlocks(play.Handlers) // imported handler files
	for _, hd := range handlers {
		names = append(names, hd.Name)
		names = append(names, hd.Listen...)
	}
	play.AllTasks(func(t *Task, _ bool) {
		for _, n := range t.Notify {
			if strings.Contains(n, "{{") || slices.ContainsFunc(handlers, func(hd *Task) bool { return handlerMatches(hd, []string{n}) }) {
				continue
			}
			hint := suggest.Hint(n, names)
			if hint == "" {
				hint = "add a handler with this name (or `listen:` topic) to the play's handlers"
			}
			p.diags.add(t.Pos, hint, "task %q notifies %q, but the play has no such handler", t.Title(), n)
		}
	})
}

var taskKeys = []string{"name", "when", "loop", "with_items", "with_list", "with_dict", "loop_control", "register",
	"notify", "retries", "delay", "until", "failed_when", "changed_when", "ignore_errors", "tags", "become",
	"become_user", "no_log", "check_mode", "diff", "environment", "run_once", "delegate_to", "timeout", "vars", "throttle",
	"block", "rescue", "always", "args", "import_tasks", "include_tasks", "import_role", "include_role",
	"action", "local_action", "delegate_facts", "async", "poll", "ignore_unreachable", "module_defaults",
	"any_errors_fatal", "debugger", "collections", "become_method", "become_exe", "become_flags", "remote_user",
	"port", "connection"}

func (p *parser) tasks(n *yaml.Node, handlers bool) []*Task {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return []*Task{}
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "each task starts with `- name:`", "a task list must be a list, not %s", kindName(n))
		return nil
	}
	out := []*Task{}
	for _, tn := range n.Content {
		out = append(out, p.task(tn, handlers)...)
	}
	return out
}

// task parses one task; import_tasks and import_role become a block of the
// imported tasks that carries the import's keywords.
func (p *parser) task(n *yaml.Node, handler bool) []*Task {
	t := &Task{Pos: posOf(p.file, n), Args: map[string]any{}, ArgPos: map[string]Pos{}, Role: p.role}
	var moduleKey, moduleVal, argsVal, includeKey, includeVal *yaml.Node
	unknownKey := false
	var keys []*yaml.Node
	p.mapping(n, "a task", func(key string, k, v *yaml.Node) {
		keys = append(keys, k)
		if p.taskKeyword(t, key, k, v, handler) {
			return
		}
		name := modules.Canonical(key)
		switch {
		case key == "args":
			argsVal = v
		case includeActions[name]:
			if includeKey != nil || moduleKey != nil {
				p.errorf(k, "split it into two tasks", "the task has two actions")
				return
			}
			includeKey, includeVal = k, v
		case key == "action" || key == "local_action":
			p.actionKey(t, k, v, &moduleKey, &moduleVal)
		case name == "action" || name == "local_action":
			// ansible.builtin.action is no keyword: 2.14 looks for a
			// module of that name and finds none.
			unknownKey = true
			p.unknownModule(k, "write `"+name+":`, without the collection", "unknown module %q: %s is a task keyword, not a module", key, name)
		case name == "meta" || isModule(name):
			if moduleKey != nil {
				p.errorf(k, "split it into two tasks", "the task has two modules, %q (line %d) and %q", moduleKey.Value, moduleKey.Line, key)
				return
			}
			moduleKey, moduleVal = k, v
			t.Module, t.Action = name, key
		default:
			unknownKey = true
			hint := suggest.Hint(key, append(modules.Names(), taskKeys...))
			if hint == "" {
				hint = "run `ferry doc` for the modules"
			}
			p.unknownModule(k, hint, "unknown module or task keyword %q", key)
		}
	})
	if includeKey != nil {
		p.include(t, includeKey, includeVal, handler)
		return []*Task{t}
	}
	if t.Block != nil || t.Rescue != nil || t.Always != nil {
		if moduleKey != nil {
			p.errorf(moduleKey, "move the module into a task inside the block", "a block cannot also run module %q", t.Module)
		}
		if t.Block == nil {
			p.errorf(n, "add a `block:` list", "rescue and always need a block")
		}
		p.checkBlockKeys(keys)
		return []*Task{t}
	}
	if moduleKey == nil {
		if n.Kind == yaml.MappingNode && !unknownKey {
			p.errorf(n, "add a module such as `command:` or `debug:`", "the task has no module")
		}
		return []*Task{t}
	}
	if t.ModuleTemplate != "" {
		p.templatedModuleArgs(t, moduleVal, argsVal)
		return []*Task{t}
	}
	p.moduleArgs(t, moduleVal, argsVal)
	p.checkAsync(t)
	return []*Task{t}
}

// includeActions are the task actions that bring in other tasks.
var includeActions = map[string]bool{"import_tasks": true, "include_tasks": true, "include": true,
	"import_role": true, "include_role": true}

func (p *parser) include(t *Task, k, v *yaml.Node, handler bool) {
	switch modules.BuiltinName(k.Value) {
	case "import_tasks":
		p.importTasks(t, k, v, handler)
	case "include_tasks":
		p.includeTasks(t, v, handler)
	case "include":
		p.legacyInclude(t, k, v, handler)
	case "import_role":
		p.roleInclude(t, "import_role", v)
	case "include_role":
		p.roleInclude(t, "include_role", v)
	}
}

func isModule(name string) bool {
	_, ok := modules.Lookup(name)
	return ok
}

// taskKeyword handles a task keyword; it returns false for anything else.
func (p *parser) taskKeyword(t *Task, key string, k, v *yaml.Node, handler bool) bool {
	switch key {
	case "name":
		t.Name = p.str(v)
	case "when":
		t.When = p.conditions(v)
	case "loop":
		p.loopKeyword(t, key, k, v)
	case "loop_control":
		p.loopControl(t, v)
	case "register":
		t.Register = p.varName(v, p.str(v))
	case "notify":
		t.Notify = p.strList(v)
	case "listen":
		if !handler {
			p.errorf(k, "listen belongs to handlers", "`listen` on a task that is not a handler")
		}
		t.Listen = p.strList(v)
	case "retries":
		t.Retries = p.intOrTemplate(v)
	case "delay":
		t.Delay = p.delayValue(v)
	case "timeout":
		t.Timeout = p.intOrTemplate(v)
	case "until":
		t.Until = p.conditions(v) // a list, every one true, as when (kubespray's 015_check-nodes-ready.yml)
	case "failed_when":
		t.FailedWhen = p.conditions(v)
	case "changed_when":
		t.ChangedWhen = p.conditions(v)
	case "ignore_errors":
		t.IgnoreErrors = p.boolOrTemplate(v)
	case "tags":
		t.Tags = p.strList(v)
	case "become":
		t.Become = p.boolKeyword(v, &t.Templated.Become)
	case "become_user":
		t.BecomeUser = p.str(v)
	case "no_log":
		t.NoLog = derefBool(p.boolKeyword(v, &t.Templated.NoLog))
	case "check_mode":
		b := p.boolean(v)
		t.CheckMode = &b
	case "diff":
		b := p.boolean(v)
		t.DiffMode = &b
	case "environment":
		t.Environment = p.environment(v, &t.Templated)
	case "run_once":
		t.RunOnce = derefBool(p.boolKeyword(v, &t.Templated.RunOnce))
	case "delegate_to":
		t.DelegateTo = p.str(v)
		p.template(v)
	case "throttle":
		t.Throttle = p.throttle(v)
	case "delegate_facts":
		t.DelegateFacts = p.boolean(v)
	case "async", "poll":
		p.asyncKeyword(t, key, v)
	case "ignore_unreachable":
		b := p.boolean(v)
		t.IgnoreUnreachable = &b
	case "vars":
		t.Vars = p.vars(v)
	case "block":
		t.Block = p.tasks(v, handler)
	case "rescue":
		t.Rescue = p.tasks(v, handler)
	case "always":
		t.Always = p.tasks(v, handler)
	default:
		if strings.HasPrefix(key, "with_") {
			p.loopKeyword(t, key, k, v)
			return true
		}
		return p.scopedKeyword(t, key, v)
	}
	return true
}

// moduleArgs reads the module's arguments: a mapping, a `k=v` string, or the
// free-form text of command and shell; plus an optional `args:` mapping.
func (p *parser) moduleArgs(t *Task, val, argsVal *yaml.Node) {
	if t.Module == "meta" {
		p.meta(t, val)
		return
	}
	mod, _ := modules.Lookup(t.Module)
	t.Spec = mod.Spec()
	switch {
	case val.Kind == yaml.MappingNode:
		p.argMapping(t, val)
	case val.Kind == yaml.ScalarNode && val.Tag == "!!null":
	case val.Kind == yaml.ScalarNode && t.Spec.FreeForm != "":
		p.freeForm(t, val)
	case val.Kind == yaml.ScalarNode:
		pairs, err := splitKeyValues(val.Value)
		if err != nil {
			p.errorf(val, "write the arguments as a YAML mapping", "module %s: %v", t.Module, err)
		}
		for k, v := range pairs {
			t.Args[k] = v
			t.ArgPos[k] = posOf(p.file, val)
		}
	default:
		p.errorf(val, "give the arguments as a mapping", "arguments of module %s must be a mapping, not %s", t.Module, kindName(val))
	}
	if argsVal != nil {
		p.argMapping(t, argsVal)
	}
	for _, err := range t.Spec.Validate(textArgs(t.Spec, t.Args)) {
		if ae, ok := err.(*modules.ArgError); ok {
			p.diags = append(p.diags, Diag{Pos: argErrorPos(t, ae), Msg: ae.Msg, Hint: ae.Hint})
			continue
		}
		p.diags = append(p.diags, Diag{Pos: t.Pos, Msg: err.Error()})
	}
}

func (p *parser) argMapping(t *Task, n *yaml.Node) {
	p.mapping(n, "module arguments", func(key string, k, v *yaml.Node) {
		if _, dup := t.Args[key]; dup {
			p.errorf(k, "remove one", "argument %q is given twice", key)
			return
		}
		t.ArgPos[key] = posOf(p.file, k)
		if a, ok := t.Spec.Arg(key); ok {
			p.nestedArgPos(t.ArgPos, key, a, v)
		}
		// A value declared a string stays the text the user wrote: a password
		// `no` is "no", a port `0022` is "0022", not YAML's bool or number.
		if a, ok := t.Spec.Arg(key); ok && a.Type == modules.String && v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
			t.Args[key] = v.Value
			return
		}
		t.Args[key] = p.value(v)
	})
}

var metaActions = []string{"flush_handlers", "end_play", "end_host", "end_batch", "noop", "clear_host_errors", "clear_facts", "refresh_inventory", "reset_connection", "role_complete"}

func (p *parser) meta(t *Task, n *yaml.Node) {
	action := p.str(n)
	for _, a := range metaActions {
		if a == action {
			t.Args["action"] = action
			return
		}
	}
	p.unknownModule(n, suggest.Hint(action, metaActions), "unknown meta action %q", action)
}

// --- scalar helpers ---

func (p *parser) str(n *yaml.Node) string {
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "", "want a string, not %s", kindName(n))
		return ""
	}
	return n.Value
}

func (p *parser) identifier(n *yaml.Node) string {
	s := p.str(n)
	if s != "" && !isIdentifier(s) {
		p.errorf(n, "use letters, digits and _", "%q is not a valid variable name", s)
	}
	return s
}

// varName checks a name that 2.14 takes only when isidentifier accepts it
// (register, vars keys): no Python keyword either.
func (p *parser) varName(n *yaml.Node, name string) string {
	switch {
	case name == "" || pyname.IsIdentifier(name):
	case isIdentifier(name):
		p.errorf(n, "a Python keyword is no variable name in Ansible; choose another", "%q is not a valid variable name", name)
	default:
		p.errorf(n, "use letters, digits and _", "%q is not a valid variable name", name)
	}
	return name
}

func isIdentifier(s string) bool { return pyname.IsASCIIName(s) }

func (p *parser) hostPattern(n *yaml.Node) string {
	if n.Kind == yaml.SequenceNode {
		return strings.Join(p.strList(n), ",")
	}
	s := p.str(n)
	if strings.TrimSpace(s) == "" {
		p.errorf(n, "use `all` or a group name", "`hosts` is empty")
	}
	return s
}

func (p *parser) strList(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		out := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, p.str(resolveAlias(c)))
		}
		return out
	}
	p.errorf(n, "", "want a string or a list of strings, not %s", kindName(n))
	return nil
}

// conditions reads `when`-style input: a string, a bool, or a list (AND).
func (p *parser) conditions(n *yaml.Node) []string {
	var out []string
	for _, c := range p.condNodes(n) {
		if e := p.expression(c); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func (p *parser) condNodes(n *yaml.Node) []*yaml.Node {
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// expression reads a bare expression (when, until...), checking its syntax.
func (p *parser) expression(n *yaml.Node) string {
	n = resolveAlias(n)
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "write the condition as a string", "want an expression, not %s", kindName(n))
		return ""
	}
	e := n.Value
	if n.Tag == "!!bool" {
		b, _ := modules.ToBool(e)
		e = strconv.FormatBool(b)
	}
	// A templated condition ({{ x }}) is kept whole: its rendered text is
	// evaluated again, as Ansible's Conditional does (template.EvalBool).
	if err := checkExpression(e); err != nil {
		p.templateError(n, "bad expression", e, err)
	}
	return e
}

func (p *parser) boolean(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode {
		if b, err := modules.ToBool(n.Value); err == nil {
			return b
		}
	}
	p.errorf(n, "use true or false", "want a boolean, not %q", n.Value)
	return false
}

func (p *parser) boolOrTemplate(n *yaml.Node) any {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "{{") {
		p.template(n)
		return n.Value
	}
	return p.boolean(n)
}

func (p *parser) intOrTemplate(n *yaml.Node) any {
	if n.Kind == yaml.ScalarNode {
		if strings.Contains(n.Value, "{{") {
			p.template(n)
			return n.Value
		}
		if i, err := strconv.Atoi(n.Value); err == nil && i >= 0 {
			return i
		}
	}
	p.errorf(n, "use a whole number such as 3", "want a whole number, not %q", n.Value)
	return nil
}

func (p *parser) number(n *yaml.Node) float64 {
	if f, err := strconv.ParseFloat(n.Value, 64); err == nil && n.Kind == yaml.ScalarNode {
		return f
	}
	p.errorf(n, "use a number such as 25", "want a number, not %q", n.Value)
	return 0
}

func (p *parser) serial(n *yaml.Node) []any {
	var out []any
	for _, c := range p.condNodes(n) {
		v := strings.TrimSpace(c.Value)
		if i, err := strconv.Atoi(v); err == nil && i > 0 {
			out = append(out, i)
			continue
		}
		if pct, ok := strings.CutSuffix(v, "%"); ok {
			if f, err := strconv.ParseFloat(pct, 64); err == nil && f > 0 {
				out = append(out, v)
				continue
			}
		}
		p.errorf(c, "use a count such as 2 or a percentage such as 30%", "bad serial value %q", v)
	}
	return out
}

// vars reads a mapping of variables, checking the templates in its values.
// Its order is the mapping's (lookup('varnames') lists names so).
func (p *parser) vars(n *yaml.Node) map[string]any {
	out := keyorder.NewBuilder(0)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return out.Map()
	}
	if n.Kind == yaml.SequenceNode { // a list of mappings, merged in order
		for _, c := range n.Content {
			m := p.vars(resolveAlias(c))
			for _, k := range keyorder.Keys(m) {
				out.Put(k, m[k])
			}
		}
		return out.Map()
	}
	p.mapping(n, "vars", func(key string, k, v *yaml.Node) {
		p.varName(k, key)
		out.Put(key, p.value(v))
	})
	return out.Map()
}

// value converts a YAML node to a plain Go value, checking the syntax of
// every template string inside it.
func (p *parser) value(n *yaml.Node) any {
	n = resolveAlias(n)
	if p.valueDepth >= maxValueDepth || p.expanded >= maxValueNodes {
		if !p.tooBig {
			p.tooBig = true
			p.errorf(n, "look for a YAML alias (*name) that refers to itself or expands hugely", "value nested too deeply or too large")
		}
		return nil
	}
	p.expanded++
	p.valueDepth++
	defer func() { p.valueDepth-- }()
	if v, tagged := p.taggedValue(n); tagged {
		return v
	}
	switch n.Kind {
	case yaml.ScalarNode:
		explicitStr := n.Style&yaml.TaggedStyle != 0 && n.Tag == "!!str"
		if explicitStr || n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			p.template(n)
			return n.Value
		}
		if n.Style&yaml.TaggedStyle == 0 {
			// Plain scalars are typed as Ansible's PyYAML types them (YAML
			// 1.1: yes is true, 0755 is octal), like the inventory does.
			v := inventory.ResolveYAML11(n.Value)
			if _, isString := v.(string); isString {
				p.template(n)
			}
			return v
		}
		var v any
		if err := n.Decode(&v); err != nil {
			p.errorf(n, "", "%v", err)
		}
		return v
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			out = append(out, p.value(c))
		}
		return out
	case yaml.MappingNode:
		out := keyorder.NewBuilder(len(n.Content) / 2)
		p.mapping(n, "a mapping", func(key string, _, v *yaml.Node) { out.Put(key, p.value(v)) })
		return out.Map()
	}
	return nil
}

// taggedValue reads the value of a node tagged !secret, !unsafe or !vault,
// as the inventory reads them: a !secret value is masked from the start of
// the run, a !vault value is decrypted here (and is a secret), an !unsafe
// one is text that is never templated.
func (p *parser) taggedValue(n *yaml.Node) (any, bool) {
	switch n.Tag {
	case "!secret", "!unsafe", "!vault", "!vault-encrypted":
	default:
		return nil, false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, "tag a single string value", "%s applies to a single string value, not to a list or mapping", n.Tag)
		return nil, true
	}
	value := n.Value
	if n.Tag == "!vault" || n.Tag == "!vault-encrypted" {
		plain, err := p.opts.Vault.Decrypt([]byte(n.Value), "the !vault value")
		if err != nil {
			p.errorf(n, "", "%v", err)
			return nil, true
		}
		value = string(plain)
	}
	if n.Tag == "!unsafe" {
		return rawtext.Text(value), true
	}
	if p.opts.Secrets != nil {
		p.opts.Secrets(value)
	}
	return value, true
}

func (p *parser) template(n *yaml.Node) {
	if err := checkTemplate(n.Value); err != nil {
		p.templateError(n, "bad template", n.Value, err)
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "this"
}

func unwrapPathError(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}
