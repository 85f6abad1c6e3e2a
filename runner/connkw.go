package runner

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/shellquote"
	"github.com/ferry-sh/ferry/modules"
)

// Connection keywords: remote_user, port, connection, become_method,
// become_exe and become_flags, which ansible-core 2.14 takes on plays,
// blocks and tasks. Each sets the connection variable of its name, below
// every variable: in 2.14 a variable (ansible_user in the inventory, the
// play's or the task's vars) beats the keyword (PlayContext's
// set_task_and_variable_override applies the variables after the
// keywords, and the config manager reads a plugin's vars before its
// keywords), and a task's keyword beats its block's, which beats the
// play's.

// connectionKeywords maps each keyword to the variable it stands for.
var connectionKeywords = map[string]string{
	"remote_user":   "ansible_user",
	"port":          "ansible_port",
	"connection":    "ansible_connection",
	"become_method": "ansible_become_method",
	"become_exe":    "ansible_become_exe",
	"become_flags":  "ansible_become_flags",
}

// connectionTypes and becomeMethods are the values ferry runs.
var (
	connectionTypes = []string{"ssh", "local", "smart", "paramiko"}
	becomeMethods   = []string{"sudo", "su"}
)

// connectionKeyword reads a connection keyword into vars (allocated when
// nil); false for any other key.
func (p *parser) connectionKeyword(vars *map[string]any, key string, v *yaml.Node) bool {
	name, ok := connectionKeywords[key]
	if !ok {
		return false
	}
	var val any
	switch key {
	case "port":
		val = p.intOrTemplate(v)
	case "connection":
		val = p.oneOf(v, connectionTypes, "connection %q is not supported by ferry", "use ssh or local")
	case "become_method":
		val = p.oneOf(v, becomeMethods, "become_method %q is not supported by ferry", "use sudo or su")
	default:
		val = p.str(v)
	}
	if *vars == nil {
		*vars = map[string]any{}
	}
	(*vars)[name] = val
	return true
}

// oneOf reads a string that must be one of allowed, or a template (checked
// when it is rendered).
func (p *parser) oneOf(v *yaml.Node, allowed []string, format, hint string) string {
	s := p.str(v)
	if s != "" && !strings.Contains(s, "{{") && !slices.Contains(allowed, modules.BuiltinName(s)) {
		p.errorf(v, hint, format, s)
	}
	return s
}

// ownConnection reports whether the task may need a connection other than
// its host's: it or a block around it has connection keywords, or its vars
// set a connection variable. Other tasks share the host's, opened once.
func (t *Task) ownConnection() bool {
	if len(t.Scoped.Connection) > 0 {
		return true
	}
	for k := range t.Vars {
		if strings.HasPrefix(k, "ansible_") || strings.HasPrefix(k, "ferry_") {
			return true
		}
	}
	return false
}

// taskConns are the connections a host's tasks opened with settings of
// their own, one per distinct set of connection variables, kept for the
// run (SSH ones are the pool's, shared by endpoint and closed with it).
type taskConns struct {
	mu    sync.Mutex
	conns map[string]modules.Conn
}

// taskConnection returns the connection for a task with connection
// settings of its own, opened on first use for these settings.
func (r *Runner) taskConnection(ctx context.Context, h *hostState, sc *scope) (modules.Conn, error) {
	vars, err := r.connectionVars(sc, h)
	if err != nil {
		return nil, err
	}
	key := connectionKey(vars)
	tc := &h.taskConns
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if c, ok := tc.conns[key]; ok && !retiredConn(c) {
		return c, nil
	} else if ok {
		r.releaseConn(c) // a host sharing it reset it
	}
	c, err := r.opts.Connect.Open(ctx, h.name, vars)
	if err != nil {
		return nil, err // not kept: the next task tries again, as the host's own connection is
	}
	if tc.conns == nil {
		tc.conns = map[string]modules.Conn{}
	}
	tc.conns[key] = c
	return c, nil
}

// reset closes the host's task connections, so that the next task
// connects again (meta: reset_connection).
func (tc *taskConns) reset(end func(modules.Conn)) {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	for _, c := range tc.conns {
		end(c)
	}
	tc.conns = nil
}

// connectionKey tells sets of connection variables apart.
func connectionKey(vars map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		fmt.Fprintf(&b, "%s=%#v\x00", k, vars[k])
	}
	return b.String()
}

// becomeMethod sets b's method, program and flags from
// ansible_become_method, ansible_become_exe and ansible_become_flags (the
// become_* keywords, or variables, which win over them).
func becomeMethod(sc *scope, b *modules.Become) error {
	vals := map[string]string{}
	for _, name := range []string{"ansible_become_method", "ansible_become_exe", "ansible_become_flags"} {
		v, ok, err := sc.Lookup(name)
		if err != nil {
			return err
		}
		if ok && v != nil {
			vals[name] = fmt.Sprint(v)
		}
	}
	b.Method, b.Exe = modules.BuiltinName(vals["ansible_become_method"]), vals["ansible_become_exe"]
	if b.Method != "" && !slices.Contains(becomeMethods, b.Method) {
		return fmt.Errorf("become_method %q is not supported by ferry: use sudo or su", b.Method)
	}
	if flags, ok := vals["ansible_become_flags"]; ok {
		words, err := shellquote.Split(flags)
		if err != nil {
			return fmt.Errorf("become_flags: %w", err)
		}
		b.Flags = append([]string{}, words...)
	}
	return nil
}

// variable looks name up among the variables only, above the keyword
// layers: what beats a keyword (become, become_user) in 2.14.
func (s *scope) variable(name string) (any, bool, error) {
	for _, layer := range s.layers[:len(s.layers)-s.keywordLayers] {
		if v, ok := layer[name]; ok {
			return s.resolve(name, v)
		}
	}
	return nil, false, nil
}
