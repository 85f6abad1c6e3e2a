package runner

import (
	"github.com/ferry-sh/ferry/modules"
)

// Schema is the JSON Schema of a ferry playbook, for editors: plays with
// their keywords, and tasks whose module arguments are each module's
// declared arguments (modules.ArgsSchema). `ferry validate` remains the full
// check; the schema catches what an editor can: unknown arguments, wrong
// types, choices and the form of paths and addresses.
func Schema() map[string]any {
	task := map[string]any{"type": "object", "properties": taskProperties(), "additionalProperties": false}
	play := map[string]any{"type": "object", "properties": playProperties()}
	return map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     "https://ferry.sh/schema/playbook.json",
		"title":   "ferry playbook",
		"type":    "array",
		"items":   map[string]any{"$ref": "#/$defs/play"},
		"$defs":   map[string]any{"play": play, "task": task, "tasks": taskList},
	}
}

var taskList = map[string]any{"type": "array", "items": map[string]any{"$ref": "#/$defs/task"}}

func taskProperties() map[string]any {
	props := map[string]any{}
	for _, k := range taskKeys {
		props[k] = true
	}
	for _, k := range []string{"block", "rescue", "always"} {
		props[k] = map[string]any{"$ref": "#/$defs/tasks"}
	}
	for _, name := range modules.Names() {
		m, _ := modules.Lookup(name)
		s := m.Spec()
		props[name] = map[string]any{"description": s.Summary, "anyOf": []any{modules.ArgsSchema(s), map[string]any{"type": "null"}}}
	}
	return props
}

func playProperties() map[string]any {
	props := map[string]any{}
	for _, k := range playKeys {
		props[k] = true
	}
	for _, k := range []string{"tasks", "pre_tasks", "post_tasks", "handlers"} {
		props[k] = map[string]any{"$ref": "#/$defs/tasks"}
	}
	return props
}
