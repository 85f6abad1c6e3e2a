package runner

import (
	"maps"
	"strings"

	"gopkg.in/yaml.v3"
)

// Keywords that ansible-core 2.14 takes on plays, blocks and tasks alike
// (playbook/base.py's FieldAttributes), which a block passes down to its
// tasks, and the task keywords it refuses on a block
// (block.py has no such attribute: "'loop' is not a valid attribute for a
// Block").

// scopedKeywords are the keywords of a task, block or play that the tasks
// inside inherit.
type scopedKeywords struct {
	// ModuleDefaults are the module_defaults of the task and the blocks
	// and play around it: per module, a nearer scope's entry replaces an
	// outer one's whole (Ansible updates one dict with the next).
	ModuleDefaults map[string]map[string]any
	// AnyErrorsFatal is any_errors_fatal given on the task or a block
	// around it (nil: the play's).
	AnyErrorsFatal *bool
	// Connection holds the connection keywords of the task and the blocks
	// around it as the variables they set (connkw.go); the nearer wins.
	Connection map[string]any
}

func (s *scopedKeywords) inherit(parent scopedKeywords) {
	if len(parent.ModuleDefaults) > 0 {
		merged := maps.Clone(parent.ModuleDefaults)
		maps.Copy(merged, s.ModuleDefaults)
		s.ModuleDefaults = merged
	}
	s.Connection = mergeMaps(parent.Connection, s.Connection)
	if s.AnyErrorsFatal == nil {
		s.AnyErrorsFatal = parent.AnyErrorsFatal
	}
}

// applyModuleDefaults gives the task the module_defaults of its module
// for the arguments it does not set. A module named by a template gets
// none, as in ansible-core 2.14.
func (t *Task) applyModuleDefaults() {
	for k, v := range t.Scoped.ModuleDefaults[t.Module] {
		if _, set := t.Args[k]; !set && t.Args != nil {
			t.Args[k] = v
		}
	}
}

// anyErrorsFatal is the task's any_errors_fatal: its own or a block's,
// else the play's.
func (t *Task) anyErrorsFatal(play *Play) bool {
	if t.Scoped.AnyErrorsFatal != nil {
		return *t.Scoped.AnyErrorsFatal
	}
	return play.AnyErrorsFatal
}

// scopedKeyword reads the keywords of base.py that a task or block may
// carry besides the common ones; false for any other key.
func (p *parser) scopedKeyword(t *Task, key string, v *yaml.Node) bool {
	switch key {
	case "module_defaults":
		t.Scoped.ModuleDefaults = p.moduleDefaultsMap(v)
	case "any_errors_fatal":
		b := p.anyErrorsFatal(v)
		t.Scoped.AnyErrorsFatal = &b
	case "debugger":
		// ferry has no interactive debugger: the task runs as without it.
		p.str(v)
	case "collections":
		p.strList(v) // modules are found by their short or full names alike
	default:
		return p.connectionKeyword(&t.Scoped.Connection, key, v)
	}
	return true
}

// blockRefused are the task keywords a block does not take in 2.14.
var blockRefused = map[string]bool{"loop": true, "loop_control": true, "register": true, "until": true,
	"retries": true, "delay": true, "failed_when": true, "changed_when": true, "async": true, "poll": true, "args": true}

// checkBlockKeys refuses on a block what Ansible refuses there.
func (p *parser) checkBlockKeys(keys []*yaml.Node) {
	for _, k := range keys {
		if blockRefused[k.Value] || strings.HasPrefix(k.Value, "with_") {
			p.errorf(k, "put it on the tasks inside the block", "%q is not a valid keyword for a block (as in Ansible)", k.Value)
		}
	}
}
