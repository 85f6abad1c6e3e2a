package runner

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/internal/suggest"
	"github.com/ferry-sh/ferry/modules"
)

// A module named by a template (`action: "{{ mod }} name=x"`, as Ansible
// allows in action: and local_action:) is known only when the task runs:
// its arguments are read as key=value or a mapping, and checked against the
// module's declaration for each host, before the module runs.

// splitActionName cuts an action string into the module's name and the
// rest; a name that holds a template ends after its last }}.
func splitActionName(s string) (name, rest string) {
	s = strings.TrimSpace(s)
	end := 0
	for end < len(s) && s[end] != ' ' && s[end] != '\t' {
		if strings.HasPrefix(s[end:], "{{") {
			close := strings.Index(s[end:], "}}")
			if close < 0 {
				return s, ""
			}
			end += close + 2
			continue
		}
		end++
	}
	return s[:end], strings.TrimSpace(s[end:])
}

// templatedModuleArgs reads the arguments of a task whose module is a
// template. As Ansible, free-form text is refused: which module would take
// it is not known before the run.
func (p *parser) templatedModuleArgs(t *Task, val, argsVal *yaml.Node) {
	p.template(&yaml.Node{Kind: yaml.ScalarNode, Value: t.ModuleTemplate, Line: val.Line, Column: val.Column})
	switch {
	case val.Kind == yaml.MappingNode:
		p.argMapping(t, val)
	case val.Kind == yaml.ScalarNode && val.Tag != "!!null":
		pairs, err := splitKeyValues(val.Value)
		if err != nil {
			p.errorf(val, "write the arguments as key=value or under args:, or name the module plainly",
				"the module %s is a template, so its arguments must be key=value: %v", t.ModuleTemplate, err)
		}
		for k, v := range pairs {
			t.Args[k] = v
			t.ArgPos[k] = posOf(p.file, val)
		}
	}
	if argsVal != nil {
		p.argMapping(t, argsVal)
	}
}

// resolveTask is the task as it runs on one host: its module and its
// loop_var, when templates give them, rendered in the host's scope.
func (r *Runner) resolveTask(sc *scope, t *Task) (*Task, error) {
	t, err := r.resolveModule(sc, t)
	if err != nil || !strings.Contains(t.LoopVar, "{{") {
		return t, err
	}
	v, err := sc.render(t.LoopVar)
	if err != nil {
		return t, fmt.Errorf("loop_control.loop_var: %w", err)
	}
	name := strings.TrimSpace(fmt.Sprint(v))
	if !isIdentifier(name) {
		return t, fmt.Errorf("loop_control.loop_var %s is %q, not a variable name", t.LoopVar, name)
	}
	resolved := *t
	resolved.LoopVar = name
	return &resolved, nil
}

// loopVarName reads loop_control.loop_var: a variable name, or a template
// of one (rendered for each host when the task runs, as Ansible's
// post_validate renders it).
func (p *parser) loopVarName(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "{{") {
		p.template(n)
		return n.Value
	}
	return p.identifier(n)
}

// resolveModule is the task with the module a template names: rendered in
// the host's scope, looked up and its arguments checked against its
// declaration.
func (r *Runner) resolveModule(sc *scope, t *Task) (*Task, error) {
	if t.ModuleTemplate == "" {
		return t, nil
	}
	v, err := sc.render(t.ModuleTemplate)
	if err != nil {
		return t, fmt.Errorf("the module %s: %w", t.ModuleTemplate, err)
	}
	name := modules.BuiltinName(strings.TrimSpace(fmt.Sprint(v)))
	mod, ok := modules.Lookup(name)
	if !ok {
		return t, fmt.Errorf("the module %s is %q, which ferry does not have%s", t.ModuleTemplate, name, hintSuffix(suggest.Hint(name, modules.Names())))
	}
	resolved := *t
	resolved.Module, resolved.Spec = name, mod.Spec()
	if errs := resolved.Spec.Validate(resolved.Args); len(errs) > 0 {
		return t, fmt.Errorf("module %s (from %s): %w", name, t.ModuleTemplate, errs[0])
	}
	return &resolved, nil
}

func hintSuffix(hint string) string {
	if hint == "" {
		return ""
	}
	return " (" + hint + ")"
}
