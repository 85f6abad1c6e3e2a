package runner

import (
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/runner/template"
)

// legacyInclude reads the task include: deprecated in ansible-core 2.14 but
// still run there, as helpers.load_list_of_tasks decides: static (as
// import_tasks) unless its file is a template or it loops, then dynamic (as
// include_tasks). Words k=v after the file are variables of the included
// tasks (TaskInclude.get_vars).
func (p *parser) legacyInclude(t *Task, k, n *yaml.Node, handler bool) {
	file, params := p.legacyIncludeArgs(n)
	if len(params) > 0 {
		if t.Vars == nil {
			t.Vars = map[string]any{}
		}
		for name, v := range params {
			t.Vars[name] = v
		}
	}
	fileNode := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: file, Line: n.Line, Column: n.Column}
	if strings.Contains(file, "{{") || t.Loop != nil {
		p.includeTasks(t, fileNode, handler)
		t.Include.Action = "include"
		return
	}
	p.importTasks(t, k, fileNode, handler)
}

// legacyIncludeArgs splits `include: FILE k=v...` (or a mapping with file
// or _raw_params and the variables) into the file and the variables.
func (p *parser) legacyIncludeArgs(n *yaml.Node) (string, map[string]any) {
	params := map[string]any{}
	if n.Kind == yaml.MappingNode {
		var file string
		p.mapping(n, "include arguments", func(key string, _, v *yaml.Node) {
			if key == "file" || key == "_raw_params" {
				file = p.str(v)
				return
			}
			params[key] = p.value(v)
		})
		return file, params
	}
	kvs, file, err := template.ParseKV(p.str(n), false)
	if err != nil {
		p.errorf(n, "balance the quotes and {{ }}", "include: %v", err)
		return p.str(n), nil
	}
	for _, kv := range kvs {
		params[kv.Key] = kv.Value
	}
	return strings.TrimSpace(file), params
}

// playInclude reports a play-level include, which ansible-core 2.14 refuses
// ("'include' is not a valid attribute for a Play").
func (p *parser) playInclude(n *yaml.Node) bool {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; k.Value == "include" || k.Value == "ansible.builtin.include" {
			p.errorf(k, "write `- import_playbook: "+resolveAlias(n.Content[i+1]).Value+"`",
				"a playbook cannot be included with include (ansible-core 2.14 refuses it too)")
			return true
		}
	}
	return false
}
