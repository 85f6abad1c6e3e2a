package runner

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ferry-sh/ferry/modules"
)

// templatedKeywords are the play and task keywords that Ansible lets a
// template give (`no_log: "{{ hide_passwords }}"`, `environment: "{{ env }}"`,
// as public roles write them): they are rendered per host when the task runs.
type templatedKeywords struct {
	NoLog  string // a template of a boolean; a literal no_log is Task.NoLog
	Become string // a template of a boolean; a literal become is Task.Become
	// RunOnce is a template of a boolean (kubespray: run_once: "{{
	// download_run_once }}"); a literal run_once is Task.RunOnce.
	RunOnce string
	// Environment are templates of mappings, outer (play, block) first; the
	// task's literal environment entries are applied over them.
	Environment []string
}

// inherit gives t the templated keywords of its block or play that it does
// not set itself (become is inherited beside the literal one).
func (k *templatedKeywords) inherit(parent templatedKeywords) {
	if k.NoLog == "" {
		k.NoLog = parent.NoLog
	}
	if k.RunOnce == "" {
		k.RunOnce = parent.RunOnce
	}
	if len(parent.Environment) > 0 {
		k.Environment = append(append([]string{}, parent.Environment...), k.Environment...)
	}
}

// boolKeyword reads a boolean keyword that may be a template: a literal
// gives the value, a template is checked, stored in *tmpl and gives nil.
func (p *parser) boolKeyword(n *yaml.Node, tmpl *string) *bool {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "{{") {
		p.template(n)
		*tmpl = n.Value
		return nil
	}
	b := p.boolean(n)
	return &b
}

func derefBool(b *bool) bool { return b != nil && *b }

// environment reads an environment keyword: a mapping, or a template that
// renders to one.
func (p *parser) environment(n *yaml.Node, k *templatedKeywords) map[string]any {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "{{") {
		p.template(n)
		k.Environment = append(k.Environment, n.Value)
		return nil
	}
	return p.vars(n)
}

// hidden reports whether the task's results are hidden on this host
// (no_log). A templated no_log that fails to render hides them: a typo must
// not print what the author wanted hidden.
func (r *Runner) hidden(sc *scope, t *Task) bool {
	if t.NoLog || t.Templated.NoLog == "" {
		return t.NoLog
	}
	b, err := renderBool(sc, t.Templated.NoLog)
	return err != nil || b
}

// mayHide reports whether the task's results may be hidden on some host:
// where no host is at hand (module progress lines, the journal), a templated
// no_log counts as true.
func (t *Task) mayHide() bool { return t.NoLog || t.Templated.NoLog != "" }

// renderBool renders a template of a boolean keyword as Ansible converts it.
func renderBool(sc *scope, tmpl string) (bool, error) {
	v, err := sc.render(tmpl)
	if err != nil {
		return false, err
	}
	b, err := modules.ToBool(v)
	if err != nil {
		return false, fmt.Errorf("%q is not a boolean (use true or false)", fmt.Sprint(v))
	}
	return b, nil
}

// templatedEnvironment renders the task's environment templates, each of
// which must give a mapping, merged outer first.
func templatedEnvironment(sc *scope, t *Task) (map[string]string, error) {
	env := map[string]string{}
	for _, tmpl := range t.Templated.Environment {
		v, err := sc.render(tmpl)
		if err != nil {
			return nil, fmt.Errorf("environment: %w", err)
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("environment %s must give a mapping of variable names to values, not %T", tmpl, v)
		}
		for k, e := range m {
			env[k] = fmt.Sprint(e)
		}
	}
	return env, nil
}
