package runner

import (
	"fmt"

	"github.com/ferry-sh/ferry/runner/template"
	"gopkg.in/yaml.v3"
)

// splitKeyValues parses Ansible's `k=v k2='v 2'` argument strings (module
// arguments, -e) with Ansible's own splitting rules: quotes and {{ }} keep
// spaces and '=' inside one value.
func splitKeyValues(s string) (map[string]any, error) {
	kvs, raw, err := template.ParseKV(s, false)
	if err != nil {
		return nil, err
	}
	if raw != "" {
		return nil, fmt.Errorf("%q is not key=value", raw)
	}
	out := map[string]any{}
	for _, kv := range kvs {
		if kv.Key == "" {
			return nil, fmt.Errorf("%q is not key=value", "="+kv.Value)
		}
		out[kv.Key] = kv.Value
	}
	return out, nil
}

// freeForm reads the `command: TEXT` short form. As in Ansible, the
// command modules' own options written inside the text (chdir=/tmp,
// creates=...) are taken out of it; the rest stays the text as written.
func (p *parser) freeForm(t *Task, val *yaml.Node) {
	pos := posOf(p.file, val)
	t.Args[t.Spec.FreeForm] = val.Value
	t.ArgPos[t.Spec.FreeForm] = pos
	kvs, raw, err := template.ParseKV(val.Value, true)
	if err != nil {
		p.errorf(val, "balance the quotes and {{ }} of the command", "module %s: %v", t.Module, err)
		return
	}
	if len(kvs) == 0 {
		return
	}
	t.Args[t.Spec.FreeForm] = raw
	for _, kv := range kvs {
		if _, known := t.Spec.Arg(kv.Key); !known {
			p.errorf(val, "give it under `args:`, or quote the word", "module %s has no option %q", t.Module, kv.Key)
			continue
		}
		t.Args[kv.Key] = kv.Value
		t.ArgPos[kv.Key] = pos
	}
}
