package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/vault"
)

// Role is one loaded instance of a role: a directory with tasks/, handlers/,
// defaults/, vars/, meta/, templates/ and files/.
type Role struct {
	Name string // as written, shown in task titles ("web : install")
	Path string // its directory: role_path, and where templates/ and files/ are looked up first
	// Parents are the directories of the roles that brought it in (by
	// meta dependencies, include_role or import_role), outermost first:
	// Task.get_search_path's dependency chain.
	Parents  []string
	Defaults map[string]any // defaults/: below every other variable
	Vars     map[string]any // vars/ over the vars: given with the role
	Params   map[string]any // role parameters (`- role: x` plus other keys): above facts
	Handlers []*Task
}

// LoadOptions are the settings that change where a playbook's parts are
// found. The zero value is Ansible's defaults.
type LoadOptions struct {
	// RolesPath is a configuration file's roles_path. ANSIBLE_ROLES_PATH,
	// when set, replaces it, as in Ansible.
	RolesPath []string
	// CollectionsPath is a configuration file's collections_path; the
	// ANSIBLE_COLLECTIONS_PATH variable replaces it.
	CollectionsPath []string
	// Vault opens vault-encrypted role vars and defaults files; Secrets
	// receives their decrypted values (and !secret ones) for the masker.
	Vault   *vault.Keyring
	Secrets func(values ...string)
}

// playCtx is what a play's parse collects across its files: the roles
// loaded (to run each once), their handlers, the play's collections.
type playCtx struct {
	roles       []*Role
	seen        map[string]bool // role instances already in the play
	handlers    []*Task
	handlerSeen map[string]bool // role path + handler name
	collections []string
}

// roleFrom names the files of a role to read: tasks_from, vars_from,
// defaults_from, handlers_from; empty means main. noSpec is
// rolespec_validate: false (no argument spec validation task).
type roleFrom struct {
	tasks, vars, defaults, handlers string
	noSpec                          bool
}

// roleKeywords are the keys of a roles: entry that are keywords, applied
// to every task of the role: 2.14's RoleInclude field attributes (Base's,
// when, tags, collections, delegate_to, delegate_facts), which
// RoleDefinition._split_role_params keeps out of the role parameters; the
// connection keywords among them too. Other keys are role parameters.
var roleKeywords = map[string]bool{"when": true, "tags": true, "collections": true,
	"delegate_to": true, "delegate_facts": true, "environment": true, "no_log": true, "run_once": true,
	"ignore_errors": true, "ignore_unreachable": true, "check_mode": true, "diff": true,
	"any_errors_fatal": true, "throttle": true, "timeout": true, "debugger": true, "module_defaults": true,
	"become": true, "become_user": true, "become_method": true, "become_flags": true, "become_exe": true,
	"connection": true, "port": true, "remote_user": true}

// rolesSection reads a play's roles: list. Each entry becomes a block whose
// keywords (when, tags, become...) apply to every task of the role.
func (p *parser) rolesSection(n *yaml.Node) []*Task {
	n = resolveAlias(n)
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, "list the roles, each a name or a mapping with `role:`", "roles must be a list, not %s", kindName(n))
		return nil
	}
	var out []*Task
	for _, e := range n.Content {
		if t := p.roleEntry(resolveAlias(e), "", true); t != nil {
			out = append(out, t)
		}
	}
	return out
}

// roleEntry reads one role reference (a roles: entry or a meta dependency)
// and returns the block that runs it, or nil when the play already runs
// the same role with the same parameters (Ansible runs it once).
func (p *parser) roleEntry(n *yaml.Node, parentDir string, dedupe bool) *Task {
	t := &Task{Pos: posOf(p.file, n), Role: p.role}
	var name string
	var nameNode *yaml.Node
	vars := map[string]any{}
	params := map[string]any{}
	if n.Kind == yaml.ScalarNode {
		name, nameNode = n.Value, n
	} else {
		p.mapping(n, "a role", func(key string, k, v *yaml.Node) {
			switch {
			case key == "role" || (key == "name" && nameNode == nil):
				name, nameNode = p.str(v), v // role wins over name, as RoleDefinition._load_role_name
			case key == "name":
				p.str(v) // the entry's name keyword, which names nothing shown
			case key == "vars":
				vars = p.vars(v)
			case roleKeywords[key]:
				p.taskKeyword(t, key, k, v, false)
			case !isIdentifier(key):
				p.errorf(k, "use letters, digits and _", "%q is not a valid role parameter name", key)
			default:
				params[key] = p.value(v)
			}
		})
	}
	if nameNode == nil {
		p.errorf(n, "add `role: NAME`", "the role entry names no role")
		return nil
	}
	role := p.loadRole(nameNode, name, parentDir, roleFrom{}, vars, params)
	if role == nil {
		return nil
	}
	identity := map[string]any{"params": params, "when": t.When, "tags": t.Tags, "vars": vars}
	if dedupe && !p.firstInstance(role, identity) {
		return nil
	}
	t.Block = p.roleTasks(role, roleFrom{}, nameNode)
	return t
}

// firstInstance records a role instance and reports whether it is new: a
// role runs once per play unless its parameters differ or its meta says
// allow_duplicates. Its when, tags and vars count as parameters, as in
// Ansible's role cache.
func (p *parser) firstInstance(role *Role, identity map[string]any) bool {
	if p.pc.seen == nil {
		p.pc.seen = map[string]bool{}
	}
	id, _ := json.Marshal(identity)
	key := role.Path + "\x00" + string(id)
	if p.pc.seen[key] && !allowsDuplicates(role.Path) {
		return false
	}
	p.pc.seen[key] = true
	return true
}

func allowsDuplicates(rolePath string) bool {
	meta := roleMeta(rolePath)
	b, _ := meta["allow_duplicates"].(bool)
	return b
}

func roleMeta(rolePath string) map[string]any {
	path := mainFile(filepath.Join(rolePath, "meta"), "")
	if path == "" {
		return nil
	}
	vars, _, err := ReadVarsFile(nil, path)
	if err != nil {
		return nil
	}
	return vars
}

// loadRole finds a role by name and reads its defaults, vars and handlers.
// Its tasks are read by roleTasks, once per place it runs.
func (p *parser) loadRole(at *yaml.Node, name, parentDir string, from roleFrom, vars, params map[string]any) *Role {
	if strings.Contains(name, "{{") {
		p.errorf(at, "name the role plainly, or use include_role with a variable", "a role name cannot be a template here")
		return nil
	}
	dir, searched := p.findRole(name, parentDir)
	if dir == "" {
		p.missingRole(at, "looked in "+strings.Join(searched, ", ")+"; set ANSIBLE_ROLES_PATH or put the role in roles/ beside the playbook",
			"role %q not found", name)
		return nil
	}
	role := &Role{Name: name, Path: dir, Params: params}
	if p.role != nil {
		role.Parents = append(slices.Clone(p.role.Parents), p.role.Path)
	}
	role.Defaults = p.roleVarsFile(at, filepath.Join(dir, "defaults"), from.defaults)
	role.Vars = mergeMaps(vars, p.roleVarsFile(at, filepath.Join(dir, "vars"), from.vars))
	if hpath := mainFile(filepath.Join(dir, "handlers"), from.handlers); hpath != "" {
		role.Handlers = p.readTaskFile(at, hpath, role, true)
		p.addRoleHandlers(role)
	}
	p.pc.roles = append(p.pc.roles, role)
	return role
}

// addRoleHandlers makes a role's handlers the play's, once per role.
func (p *parser) addRoleHandlers(role *Role) {
	if p.pc.handlerSeen == nil {
		p.pc.handlerSeen = map[string]bool{}
	}
	for _, h := range role.Handlers {
		key := role.Path + "\x00" + h.Name
		if !p.pc.handlerSeen[key] {
			p.pc.handlerSeen[key] = true
			p.pc.handlers = append(p.pc.handlers, h)
		}
	}
}

// roleTasks is what running the role means: its dependencies (each once in
// the play), then its tasks file.
func (p *parser) roleTasks(role *Role, from roleFrom, at *yaml.Node) []*Task {
	out := []*Task{}
	for _, dep := range p.roleDependencies(role, at) {
		out = append(out, dep)
	}
	if v := p.validationTask(role, from, at); v != nil {
		out = append(out, v)
	}
	path := mainFile(filepath.Join(role.Path, "tasks"), from.tasks)
	if path == "" {
		if from.tasks != "" {
			p.errorf(at, "check tasks_from", "role %q has no tasks file %q", role.Name, from.tasks)
		}
		return out
	}
	return append(out, p.readTaskFile(at, path, role, false)...)
}

// roleDependencies reads meta/main.yml's dependencies as role blocks.
func (p *parser) roleDependencies(role *Role, at *yaml.Node) []*Task {
	path := mainFile(filepath.Join(role.Path, "meta"), "")
	if path == "" {
		return nil
	}
	root, sub := p.subDocument(at, path, role)
	if root == nil || p.tooDeep(at) || root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	var out []*Task
	sub.mapping(root, "meta/main.yml", func(key string, _, v *yaml.Node) {
		switch key {
		case "dependencies":
			if v.Kind == yaml.SequenceNode {
				for _, d := range v.Content {
					if t := sub.roleEntry(resolveAlias(d), filepath.Dir(role.Path), true); t != nil {
						t.Role = nil
						out = append(out, t)
					}
				}
			} else if !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
				sub.errorf(v, "list the roles", "dependencies must be a list, not %s", kindName(v))
			}
		case "allow_duplicates":
			sub.boolean(v)
		}
	})
	p.diags = append(p.diags, sub.diags...)
	return out
}

// roleVarsFile reads defaults/ or vars/: main (a file or a directory of
// files), or the *_from file.
func (p *parser) roleVarsFile(at *yaml.Node, dir, from string) map[string]any {
	path := mainFile(dir, from)
	if path == "" {
		if from != "" {
			p.errorf(at, "check the file name", "%s has no file %q", dir, from)
		}
		return nil
	}
	files := []string{path}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		entries, _ := os.ReadDir(path)
		files = files[:0]
		for _, e := range entries {
			if !e.IsDir() && isYAMLName(e.Name()) {
				files = append(files, filepath.Join(path, e.Name()))
			}
		}
	}
	out := map[string]any{}
	for _, f := range files {
		vars, secrets, err := ReadVarsFile(p.opts.Vault, f)
		if err != nil {
			p.diags = append(p.diags, asDiags(err)...)
			continue
		}
		if p.opts.Secrets != nil {
			p.opts.Secrets(secrets...)
		}
		for k, v := range vars {
			out[k] = v
		}
	}
	return out
}

func isYAMLName(name string) bool {
	ext := filepath.Ext(name)
	return ext == ".yml" || ext == ".yaml" || ext == ".json" || ext == ""
}

// mainFile finds dir/NAME as Ansible does: NAME, NAME.yml, NAME.yaml,
// NAME.json (a directory NAME too), with NAME "main" by default.
func mainFile(dir, name string) string {
	if name == "" {
		name = "main"
	}
	for _, c := range []string{name, name + ".yml", name + ".yaml", name + ".json"} {
		if _, err := os.Stat(filepath.Join(dir, c)); err == nil {
			return filepath.Join(dir, c)
		}
	}
	return ""
}

// findRole looks a role up as Ansible does: a path; a collection's role
// (ns.coll.role); else roles/ beside the playbook, the roles path, then the
// playbook's directory. parentDir, for a dependency, is searched first.
func (p *parser) findRole(name, parentDir string) (string, []string) {
	if filepath.IsAbs(name) {
		return existingDir(name), []string{name}
	}
	isPath := strings.ContainsRune(name, '/') // subdir/role: searched as a name, then from the working directory
	var searched []string
	if parts := strings.Split(name, "."); len(parts) == 3 && !isPath {
		for _, cp := range p.collectionsPaths() {
			dir := filepath.Join(cp, "ansible_collections", parts[0], parts[1], "roles", parts[2])
			searched = append(searched, dir)
			if existingDir(dir) != "" {
				return dir, searched
			}
		}
		return "", searched
	}
	var dirs []string
	if parentDir != "" {
		dirs = append(dirs, parentDir)
	}
	dirs = append(dirs, filepath.Join(p.dir, "roles"))
	dirs = append(dirs, p.rolesPath()...)
	dirs = append(dirs, p.dir)
	for _, d := range dirs {
		dir := filepath.Join(d, name)
		searched = append(searched, dir)
		if existingDir(dir) != "" {
			return dir, searched
		}
	}
	if isPath {
		abs, _ := filepath.Abs(name) // RoleDefinition's last resort: unfrackpath(role_name)
		return existingDir(abs), append(searched, abs)
	}
	if strings.Contains(name, ".") {
		return "", searched // a collection's role name is one word (AnsibleCollectionRef refuses x.y): none to try
	}
	for _, coll := range p.pc.collections {
		if dir, more := p.findRole(coll+"."+name, ""); dir != "" {
			return dir, append(searched, more...)
		}
	}
	return "", searched
}

func existingDir(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return path
	}
	return ""
}

// rolesPath is ANSIBLE_ROLES_PATH, else the configured roles_path, else
// Ansible's default.
func (p *parser) rolesPath() []string {
	return searchPath("ANSIBLE_ROLES_PATH", p.opts.RolesPath, "~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles")
}

func (p *parser) collectionsPaths() []string {
	paths := searchPath("ANSIBLE_COLLECTIONS_PATH", p.opts.CollectionsPath, "~/.ansible/collections", "/usr/share/ansible/collections")
	if env := os.Getenv("ANSIBLE_COLLECTIONS_PATHS"); env != "" && os.Getenv("ANSIBLE_COLLECTIONS_PATH") == "" {
		paths = expandPaths(filepath.SplitList(env))
	}
	return append([]string{filepath.Join(p.dir, "collections")}, paths...)
}

// searchPath is the variable env when it is set, else the configured
// paths, else the defaults. As in Ansible's config manager, a variable set
// to "" is set, and an empty part of it is the working directory.
func searchPath(env string, configured []string, defaults ...string) []string {
	if v, set := os.LookupEnv(env); set {
		parts := strings.Split(v, string(os.PathListSeparator))
		for i, p := range parts {
			if p == "" {
				parts[i] = "."
			}
		}
		return expandPaths(parts)
	}
	if len(configured) > 0 {
		return expandPaths(configured)
	}
	return expandPaths(defaults)
}

func expandPaths(paths []string) []string {
	home, _ := os.UserHomeDir()
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if rest, ok := strings.CutPrefix(p, "~/"); ok && home != "" {
			p = filepath.Join(home, rest)
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// importRole reads import_role and include_role arguments: the role's name
// and which of its files to read.
func (p *parser) roleArgs(t *Task, n *yaml.Node) (name string, nameNode *yaml.Node, from roleFrom, apply *Task, public any) {
	if n.Kind == yaml.ScalarNode {
		args, err := splitKeyValues(n.Value)
		if err != nil {
			p.errorf(n, "give the arguments as a mapping with `name:`", "%v", err)
		}
		name, _ = args["name"].(string)
		if _, hasName := args["name"]; !hasName {
			name, _ = args["role"].(string) // role is name's alias, as in IncludeRole.load
		}
		from = roleFrom{tasks: str(args["tasks_from"]), vars: str(args["vars_from"]), defaults: str(args["defaults_from"]), handlers: str(args["handlers_from"])}
		return name, n, from, nil, false
	}
	keys := []string{"name", "role", "tasks_from", "vars_from", "defaults_from", "handlers_from", "public", "apply", "allow_duplicates", "rolespec_validate"}
	hasName := false
	p.mapping(n, "role arguments", func(key string, k, v *yaml.Node) {
		switch key {
		case "name":
			name, nameNode, hasName = p.str(v), v, true
		case "role": // name's alias; name wins, as in IncludeRole.load
			if !hasName {
				name, nameNode = p.str(v), v
			}
		case "tasks_from":
			from.tasks = p.str(v)
		case "vars_from":
			from.vars = p.str(v)
		case "defaults_from":
			from.defaults = p.str(v)
		case "handlers_from":
			from.handlers = p.str(v)
		case "public":
			public = p.boolOrTemplate(v) // a field attribute: 2.14 renders it when the include runs
		case "apply":
			apply = p.applyKeywords(v)
		case "rolespec_validate":
			from.noSpec = !p.boolean(v)
		case "allow_duplicates":
			p.boolean(v)
		default:
			p.errorf(k, suggest.Hint(key, keys), "unknown argument %q of %s", key, t.Title())
		}
	})
	if nameNode == nil {
		nameNode = n
	}
	return name, nameNode, from, apply, public
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// exportedRoleVars merges the vars of every role the play loaded, and their
// defaults: Ansible shows them to the whole play.
func exportedRoleVars(roles []*Role) (vars, defaults map[string]any) {
	vars, defaults = map[string]any{}, map[string]any{}
	for _, r := range roles {
		for k, v := range r.Defaults {
			defaults[k] = v
		}
		for k, v := range r.Vars {
			vars[k] = v
		}
	}
	return vars, defaults
}

// roleNames lists the play's roles, for the role_names magic variable.
func roleNames(roles []*Role) []any {
	var out []any
	for _, r := range roles {
		if !slices.Contains(out, any(r.Name)) {
			out = append(out, r.Name)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].(string) < out[j].(string) })
	return out
}

// asDiags unwraps a validation error into its problems.
func asDiags(err error) Diags {
	if ve, ok := err.(*ValidationError); ok {
		return ve.Diags
	}
	return Diags{{Msg: err.Error()}}
}

// baseDir is where a task's relative files (templates/, files/) are found:
// its role's directory, else its playbook's.
func (r *Runner) baseDir(t *Task) string {
	if t.Role != nil {
		return t.Role.Path
	}
	return r.dir
}

// roleMagic adds the role variables (role_name, role_path, role_names...)
// and ansible_version to the magic variables.
func roleMagic(pr *playRun, t *Task, next func(string) (any, bool)) func(string) (any, bool) {
	return func(name string) (any, bool) {
		switch name {
		case "role_name", "ansible_role_name":
			if t.Role != nil {
				parts := strings.Split(t.Role.Name, ".")
				if len(parts) == 3 && name == "role_name" { // a collection's role: its own name
					return parts[2], true
				}
				return t.Role.Name, true
			}
		case "role_path":
			if t.Role != nil {
				return t.Role.Path, true
			}
		case "role_names", "ansible_role_names", "ansible_play_role_names":
			return roleNames(pr.play.Roles), true
		case "ansible_version":
			return ansibleVersion(), true
		case "ansible_search_path":
			dir, _ := next("playbook_dir")
			pd, _ := dir.(string)
			return taskSearchPath(t, pd), true
		case "ansible_run_tags", "ansible_skip_tags":
			return nil, false
		}
		return next(name)
	}
}

// AnsibleVersion is the ansible-core version whose behaviour ferry follows,
// given to playbooks as ansible_version.
const AnsibleVersion = "2.14.18"

func ansibleVersion() map[string]any {
	parts := strings.Split(AnsibleVersion, ".")
	n := func(i int) int { v, _ := strconv.Atoi(parts[i]); return v }
	return map[string]any{"full": AnsibleVersion, "string": AnsibleVersion, "major": n(0), "minor": n(1), "revision": n(2)}
}
