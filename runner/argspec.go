package runner

import (
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// A role with an argument spec (meta/argument_specs.yml, or argument_specs
// in meta/main.yml) starts with a task that checks its parameters and
// variables against the spec of its entry point (tasks_from, else main), as
// ansible-core 2.14's Role._prepend_validation_task adds it: named
// "Validating arguments against arg spec 'ENTRY'", tagged always, run by the
// validate_argument_spec module (modules/argspec).

// validationTask is the role's validation task for the entry point, or nil
// when the role has no spec for it or rolespec_validate is false.
func (p *parser) validationTask(role *Role, from roleFrom, at *yaml.Node) *Task {
	if from.noSpec {
		return nil
	}
	entry := from.tasks
	if entry == "" {
		entry = "main"
	}
	spec, sub := p.entryPointSpec(role, entry, at)
	if spec == nil {
		return nil
	}
	name := fmt.Sprintf("Validating arguments against arg spec '%s'", entry)
	options := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: spec.Line, Column: spec.Column}
	for i := 0; i+1 < len(spec.Content); i += 2 {
		switch spec.Content[i].Value {
		case "short_description":
			name += " - " + spec.Content[i+1].Value
		case "options":
			options = spec.Content[i+1]
		}
	}
	var params yaml.Node
	if err := params.Encode(role.Params); err != nil {
		p.errorf(at, "give the role's parameters as plain values", "role %s: %v", role.Name, err)
		return nil
	}
	task := mapNode(spec,
		"name", scalarNode(spec, name),
		"tags", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{scalarNode(spec, "always")}},
		"validate_argument_spec", mapNode(spec,
			"argument_spec", options,
			"provided_arguments", &params,
			"validate_args_context", mapNode(spec,
				"type", scalarNode(spec, "role"),
				"name", scalarNode(spec, role.Name),
				"argument_spec_name", scalarNode(spec, entry),
				"path", scalarNode(spec, absPath(role.Path)))))
	ts := sub.task(task, false)
	p.diags = append(p.diags, sub.diags...)
	if len(ts) != 1 {
		return nil
	}
	return ts[0]
}

// entryPointSpec finds the entry point's spec: meta/argument_specs.yml (or
// .yaml) when the role has one, else meta/main.yml's argument_specs. The
// parser returned reads the file it is in.
func (p *parser) entryPointSpec(role *Role, entry string, at *yaml.Node) (*yaml.Node, *parser) {
	path := ""
	for _, name := range []string{"argument_specs.yml", "argument_specs.yaml", "argument_specs.json"} {
		if existingFile(filepath.Join(role.Path, "meta", name)) != "" {
			path = filepath.Join(role.Path, "meta", name)
			break
		}
	}
	if path == "" {
		path = mainFile(filepath.Join(role.Path, "meta"), "")
	}
	if path == "" {
		return nil, nil
	}
	root, sub := p.subDocument(at, path, role)
	specs := mapValue(root, "argument_specs")
	spec := mapValue(specs, entry)
	if spec == nil || spec.Kind != yaml.MappingNode || len(spec.Content) == 0 {
		return nil, nil
	}
	return spec, sub
}

// mapValue is the value of key in a mapping node, nil when it has none.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return resolveAlias(n.Content[i+1])
		}
	}
	return nil
}

// mapNode builds a mapping node placed at at's line, from keys and values.
func mapNode(at *yaml.Node, kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: at.Line, Column: at.Column}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, scalarNode(at, kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func scalarNode(at *yaml.Node, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value, Line: at.Line, Column: at.Column}
}

// absPath is the role's directory as Ansible's role_path gives it: absolute.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
