package runner

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/inventory"
	"github.com/ferry-sh/ferry/modules"
	"github.com/ferry-sh/ferry/runner/template"
)

// Validate runs every static check that needs more than the playbook text:
// host patterns, notify targets, vars_files and source files that must
// exist, and variables that no source defines. It runs before any host is
// touched; all problems come back at once.
func Validate(pb *Playbook, inv *inventory.Inventory, extraVars map[string]any) error {
	v := &validator{pb: pb, inv: inv, known: knownGlobals(pb, inv, extraVars), extraVars: extraVars,
		engine: template.New(template.Options{BaseDir: pb.Dir})}
	v.unknowable = includedVarNames(pb, inventoryKeyring(inv), v.known)
	v.unknowable = templatedFactNames(pb) || v.unknowable
	for _, play := range pb.Plays {
		for _, vp := range unansweredPrompts(play, extraVars) {
			if !stdinIsTerminal() {
				v.diags.add(vp.Pos, "pass -e "+vp.Name+"=VALUE", "vars_prompt %q needs an answer, and there is no terminal to ask on", vp.Name)
			}
		}
	}
	for _, play := range pb.Plays {
		v.play(play)
	}
	return v.diags.Err()
}

type validator struct {
	// unknowable is set when an include_vars names its file with a
	// variable, or a set_fact its fact: the names they define are known
	// only when they run.
	unknowable bool
	dir        string // the directory of the play being checked
	pb         *Playbook
	inv        *inventory.Inventory
	known      map[string]bool
	diags      Diags

	extraVars map[string]any   // -e: vars_files paths may use them
	engine    *template.Engine // renders vars_files paths as the run will
	// secretArg is set while a secret argument's value is checked: a
	// variable it lacks is a secret, to be given in a --secrets file.
	secretArg bool
	// neverRuns is set while a task whose when is false is checked: its
	// undefined variables are never read.
	neverRuns bool
	// dynamic are the hosts and groups earlier plays create (add_host,
	// group_by); anyDynamic is set when one of them is named by a template.
	dynamic    map[string]bool
	anyDynamic bool
	// checkedHosts are the hosts whose ssh variables sshSettings checked.
	checkedHosts map[string]bool
}

// whenGuards are the variables a task's conditions require defined
// (`x is defined`): its arguments and loop may read them.
func whenGuards(when []string) []string {
	var out []string
	for _, c := range when {
		out = append(out, template.DefinedGuards(c)...)
	}
	return out
}

// magicNames are always defined.
var magicNames = []string{"inventory_hostname", "inventory_hostname_short", "group_names", "groups", "hostvars",
	"ansible_check_mode", "ansible_diff_mode", "ansible_verbosity", "playbook_dir", "ansible_play_hosts",
	"play_hosts", "ansible_play_hosts_all", "ansible_play_batch", "ansible_play_name", "omit", "ansible_facts", "inventory_dir", "inventory_file", "role_name", "role_path", "role_names",
	"ansible_search_path", "vars"}

// knownGlobals are the names defined for every task: inventory variables of
// any host, extra vars, magic names, and every name a task registers or sets
// with set_fact anywhere in the playbook (facts persist across plays).
func knownGlobals(pb *Playbook, inv *inventory.Inventory, extraVars map[string]any) map[string]bool {
	known := map[string]bool{}
	for _, n := range magicNames {
		known[n] = true
	}
	for k := range extraVars {
		known[k] = true
	}
	if inv != nil {
		for _, h := range inv.Hosts() {
			for k := range inv.HostVars(h.Name) {
				known[k] = true
			}
		}
	}
	for _, play := range pb.Plays {
		play.AllTasks(func(t *Task, _ bool) {
			if t.Register != "" {
				known[t.Register] = true
			}
			if t.Module == "set_fact" || t.Module == "add_host" {
				for k := range t.Args {
					known[k] = true
				}
			}
			if db, ok := t.Args["database"].(string); ok && t.Module == "getent" {
				known["getent_"+db] = true // the fact getent sets
			}
			if t.Module == "service_facts" {
				known["services"] = true // the fact service_facts sets
			}
			if t.Module == "package_facts" {
				known["packages"] = true // the fact package_facts sets
			}
			if (t.Module == "group_by" || t.Module == "add_host") && inv != nil {
				for _, k := range inv.UnusedGroupVarNames() {
					known[k] = true
				}
			}
		})
	}
	return known
}

func (v *validator) play(play *Play) {
	v.dir = play.Dir
	if v.dir == "" {
		v.dir = v.pb.Dir
	}
	v.hostPattern(play)
	v.sshSettings(play)
	play.AllTasks(func(t *Task, _ bool) { v.dynamicNames(t) })
	known := copySet(v.known)
	for k := range play.Vars {
		known[k] = true
	}
	roles := slices.Clone(play.Roles)
	play.AllTasks(func(t *Task, _ bool) {
		if t.Include != nil {
			roles = append(roles, t.Include.PreviewRoles...)
		}
	})
	for _, role := range roles {
		for _, m := range []map[string]any{role.Defaults, role.Vars, role.Params} {
			for k := range m {
				known[k] = true
			}
		}
	}
	for _, vp := range play.Prompts {
		known[vp.Name] = true
	}
	for _, f := range play.VarsFiles {
		v.varsFile(play, f, known)
	}
	v.vars(play.Pos, play.Vars, known)
	v.cycles(play.Pos, play.Vars)
	play.AllTasks(func(t *Task, _ bool) { v.task(t, known) })
}

// hostPattern warns about the names of a play's pattern that are no host
// or group of the inventory: one site.yml serves inventories that have only
// some of its groups, so Ansible ignores such a name (the play skips when
// nothing is left); a typo still shows, as a warning.
func (v *validator) hostPattern(play *Play) {
	if v.inv == nil {
		return
	}
	_, err := v.inv.Match(play.Hosts)
	var none *inventory.NoMatchError
	switch {
	case errors.As(err, &none):
		for _, u := range none.Unknown {
			if v.anyDynamic || v.dynamic[u.Name] {
				continue // an earlier play's add_host or group_by makes it
			}
			hint := u.Hint
			if hint == "" {
				hint = "check the group and host names in the inventory (ferry inventory --graph)"
			}
			v.pb.Deferred.add(play.Pos, hint, "hosts %q: the inventory has no host or group %q: ignored, as Ansible does", play.Hosts, u.Name)
		}
	case err != nil:
		v.diags.add(play.Pos, "", "hosts %q: %v", play.Hosts, err)
	}
}

// varsFile reads a vars_files entry as the run will: its path rendered with
// the extra vars and the play's vars (all a play's vars_files may use), so a
// missing or broken file stops the run before any play starts, not when its
// play does.
func (v *validator) varsFile(play *Play, name string, known map[string]bool) {
	path, err := varsFilePath(varsFilesScope(v.engine, v.extraVars, play, v.dir), v.dir, name)
	if err != nil {
		v.diags.add(play.Pos, "a vars_files path may use extra vars (-e) and the play's vars, not host variables", "vars_files %q: %v", name, err)
		return
	}
	if _, err := os.Stat(path); err != nil {
		v.diags.add(play.Pos, "a relative path starts at the playbook's directory", "vars_files %q: %s", name, unwrapPathError(err))
		return
	}
	vars, _, err := ReadVarsFile(v.inv.Vault(), path)
	if err != nil {
		if ve, ok := err.(*ValidationError); ok {
			v.diags = append(v.diags, ve.Diags...)
			return
		}
		v.diags.add(play.Pos, "", "vars_files %q: %v", name, err)
		return
	}
	for k := range vars {
		known[k] = true
	}
}

// task checks the names a task's templates and conditions read.
func (v *validator) task(t *Task, playKnown map[string]bool) {
	known := playKnown
	guards := whenGuards(t.When)
	if len(t.Vars) > 0 || t.Loop != nil || len(guards) > 0 {
		known = copySet(playKnown)
		for _, name := range guards {
			known[name] = true
		}
		for k := range t.Vars {
			known[k] = true
		}
		for _, name := range []string{"item", t.LoopVar, t.LoopIndexVar, "ansible_loop", "ansible_loop_var", "ansible_index_var"} {
			known[name] = true
		}
	}
	resultKnown := known
	if t.Register != "" || len(t.FailedWhen)+len(t.ChangedWhen)+len(t.Until) > 0 {
		resultKnown = copySet(known)
		resultKnown["result"] = true
	}
	where := fmt.Sprintf("task %q", t.Title())
	for _, c := range t.When {
		v.expr(t.Pos, where+" when", c, known)
	}
	// A task whose when is false never reads its variables (Ansible skips
	// it); one whose loop_var is a template names its variable only when
	// it runs.
	v.neverRuns = slices.Contains(t.When, "false") || strings.Contains(t.LoopVar, "{{")
	defer func() { v.neverRuns = false }()
	for _, c := range append(append([]string{}, t.FailedWhen...), t.ChangedWhen...) {
		v.expr(t.Pos, where, c, resultKnown)
	}
	for _, u := range t.Until {
		v.expr(t.Pos, where+" until", u, resultKnown)
	}
	if t.LoopWith != "first_found" { // first_found skips the names that are undefined
		v.value(t.Pos, where+" loop", t.Loop, known)
	}
	for name, val := range t.Args {
		pos := t.Pos
		if p, ok := t.ArgPos[name]; ok {
			pos = p
		}
		if a, ok := t.Spec.Arg(name); ok && a.Raw {
			v.rawExprs(pos, where+" argument "+name, val)
			continue
		}
		a, _ := t.Spec.Arg(name)
		v.secretArg = a.Secret
		v.value(pos, where+" argument "+name, val, known)
		v.secretArg = false
	}
	v.vars(t.Pos, t.Vars, known)
	v.sourceFile(t)
	v.literals(t)
}

// cycles reports variables whose values refer back to themselves.
func (v *validator) cycles(pos Pos, vars map[string]any) {
	refs := map[string][]string{}
	for name, val := range vars {
		for _, s := range leafStrings(val) {
			if r, err := template.Refs(s); err == nil {
				refs[name] = append(refs[name], r...)
			}
		}
	}
	const (
		unseen = iota
		visiting
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(name string) bool
	visit = func(name string) bool {
		switch state[name] {
		case visiting:
			start := 0
			for i, p := range path {
				if p == name {
					start = i
				}
			}
			chain := strings.Join(append(append([]string{}, path[start:]...), name), " -> ")
			v.diags.add(pos, "one of these variables must not use the other", "recursive loop in variable %q: %s", name, chain)
			return true
		case done:
			return false
		}
		state[name] = visiting
		path = append(path, name)
		defer func() { path = path[:len(path)-1]; state[name] = done }()
		for _, r := range refs[name] {
			if _, ok := vars[r]; ok && visit(r) {
				return true
			}
		}
		return false
	}
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		if state[name] == unseen {
			visit(name)
		}
	}
}

func (v *validator) vars(pos Pos, vars map[string]any, known map[string]bool) {
	for k, val := range vars {
		v.value(pos, "variable "+k, val, known)
	}
}

func (v *validator) value(pos Pos, where string, val any, known map[string]bool) {
	switch x := val.(type) {
	case string:
		if strings.Contains(x, "{{") || strings.Contains(x, "{%") {
			refs, err := template.Refs(x)
			v.refs(pos, where, refs, err, known)
		}
	case []any:
		for _, e := range x {
			v.value(pos, where, e, known)
		}
	case map[string]any:
		for _, e := range x {
			v.value(pos, where, e, known)
		}
	}
}

func (v *validator) expr(pos Pos, where, e string, known map[string]bool) {
	if !strings.Contains(e, "{{") { // a templated condition is a template already
		e = "{{ " + e + " }}"
	}
	refs, err := template.Refs(e)
	v.refs(pos, where, refs, err, known)
}

// rawExprs checks the expressions a module evaluates itself (assert's
// that, debug's var) as when's are checked, but for the names they read,
// which the module resolves when it runs: a syntax error, an unknown test
// or filter (a Python plugin's: test_plugins/) fails the run before it
// starts rather than when the task is reached.
func (v *validator) rawExprs(pos Pos, where string, val any) {
	for _, e := range leafStrings(val) {
		if !strings.Contains(e, "{{") {
			e = "{{ " + e + " }}"
		}
		if _, err := template.Refs(e); err != nil {
			v.refs(pos, where, nil, err, nil)
		}
	}
}

// refs reports the undefined names a template reads, and its syntax error:
// the parser checks the templates of YAML values, but key=value and
// free-form arguments (`command: echo {{ x`) are split later and their
// templates are first seen here.
func (v *validator) refs(pos Pos, where string, refs []string, err error, known map[string]bool) {
	if err != nil {
		if msg, hint, ok := pluginUse(err, v.dir, ""); ok {
			v.diags.add(pos, hint, "%s %s", where, msg)
			return
		}
		v.diags.add(pos, "", "%s: %v", where, err)
		return
	}
	if v.unknowable || v.neverRuns {
		return
	}
	for _, name := range refs {
		if known[name] || strings.HasPrefix(name, "ansible_") {
			continue
		}
		hint := suggest.Hint(name, setKeys(known))
		if v.secretArg {
			hint = "a secret: put `" + name + ": ...` in a secrets file (mode 0600, outside the site) and pass --secrets FILE; never on the command line"
		} else if hint == "" {
			hint = "define it in the inventory, vars, vars_files or with -e " + name + "=..."
		}
		v.diags.add(pos, hint, "%s uses undefined variable %q", where, name)
	}
}

// sourceFile checks that a literal copy/template src exists on this
// machine; with remote_src it is a file of the host (geerlingguy.containerd
// copies a file an earlier task wrote in /tmp).
func (v *validator) sourceFile(t *Task) {
	if t.Module != "copy" && t.Module != "template" {
		return
	}
	src, ok := t.Args["src"].(string)
	if !ok || src == "" || strings.Contains(src, "{{") || onHost(t.Args["remote_src"]) {
		return
	}
	sub := "files"
	if t.Module == "template" {
		sub = "templates"
	}
	candidates := modules.ControllerCandidates(taskSearchDirs(t, v.dir), sub, src)
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			if t.Module == "template" {
				v.templateFile(t, c)
			}
			return
		}
	}
	pos := t.Pos
	if p, ok := t.ArgPos["src"]; ok {
		pos = p
	}
	v.diags.add(pos, "looked in "+strings.Join(candidates, " and "), "task %q: source file %q not found", t.Title(), src)
}

func copySet(m map[string]bool) map[string]bool {
	out := make(map[string]bool, len(m)+4)
	for k := range m {
		out[k] = true
	}
	return out
}

func setKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// dynamicNames notes the hosts and groups an add_host or group_by task
// creates, for the host patterns of the plays after it.
func (v *validator) dynamicNames(t *Task) {
	var names []any
	switch t.Module {
	case "add_host":
		for _, k := range []string{"name", "host", "hostname", "groups", "group", "groupname"} {
			switch x := t.Args[k].(type) {
			case []any:
				names = append(names, x...)
			case string:
				for _, n := range strings.Split(x, ",") {
					names = append(names, strings.TrimSpace(n))
				}
			}
		}
	case "group_by":
		if key, ok := t.Args["key"].(string); ok {
			names = append(names, strings.ReplaceAll(key, " ", "-"))
		}
	}
	if v.dynamic == nil {
		v.dynamic = map[string]bool{}
	}
	for _, n := range names {
		s := fmt.Sprint(n)
		v.anyDynamic = v.anyDynamic || hasTemplate(s)
		v.dynamic[s] = true
	}
}

// onHost is a remote_src value that may be true: true, or a template whose
// value only the run knows.
func onHost(remoteSrc any) bool {
	if s, ok := remoteSrc.(string); ok && strings.Contains(s, "{{") {
		return true
	}
	b, err := modules.ToBool(remoteSrc)
	return err == nil && b
}
