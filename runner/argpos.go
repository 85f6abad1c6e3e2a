package runner

import (
	"fmt"
	"strings"

	"github.com/ferry-sh/ferry/modules"
	"gopkg.in/yaml.v3"
)

// Where the values of nested options are (a mapping argument whose keys are
// options of their own, or a list of such mappings): Task.ArgPos also holds
// name.key, name[i] and name[i].key, so that a problem inside is placed at
// its own line:col rather than at its argument's key.

// nestedArgPos records the positions inside n, the value of argument a at
// path; only declared nested options are walked, so the map stays as small
// as the options.
func (p *parser) nestedArgPos(pos map[string]Pos, path string, a modules.Arg, n *yaml.Node) {
	n = resolveAlias(n)
	switch {
	case len(a.Fields) == 0:
	case a.Type == modules.Map && n.Kind == yaml.MappingNode:
		inner := modules.Spec{Args: a.Fields}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			sub := path + "." + k.Value
			pos[sub] = posOf(p.file, k)
			if f, ok := inner.Arg(k.Value); ok {
				p.nestedArgPos(pos, sub, f, n.Content[i+1])
			}
		}
	case a.Type == modules.List && n.Kind == yaml.SequenceNode:
		item := modules.Arg{Type: modules.Map, Fields: a.Fields}
		for i, v := range n.Content {
			sub := fmt.Sprintf("%s[%d]", path, i)
			pos[sub] = posOf(p.file, v)
			p.nestedArgPos(pos, sub, item, v)
		}
	}
}

// argErrorPos is where an argument's error goes: the nested value it is
// about, else the nearest enclosing one that has a position (a missing
// nested option: its mapping), else the argument's key, else the task.
func argErrorPos(t *Task, ae *modules.ArgError) Pos {
	path := ae.Arg + ae.At
	for {
		if p, ok := t.ArgPos[path]; ok {
			return p
		}
		cut := strings.LastIndexAny(path, ".[")
		if cut < len(ae.Arg) { // not inside the argument's value any more
			return t.Pos
		}
		path = path[:cut]
	}
}
