package template

import "fmt"

// Lookup plugins with effects act outside the template: pipe runs a
// command, password may write a file. They are declared as such on their
// definition (lookupSpec.effects), so that a caller can refuse to run an
// evaluation twice, or before its time, when it would run one of them.

// EffectScope is a Scope told before a lookup plugin with effects runs;
// an error it returns stops the plugin (and fails the evaluation).
type EffectScope interface {
	Scope
	BeforeEffect(plugin string) error
}

// beforeEffect asks s, when it wants to know, whether plugin may run.
func beforeEffect(s Scope, spec lookupSpec, plugin string) error {
	if g, ok := s.(EffectScope); ok && spec.effects {
		return g.BeforeEffect(pluginName(plugin))
	}
	return nil
}

// HasEffects reports whether template text may run a lookup plugin with
// effects: lookup() or query() naming one, or naming its plugin with
// anything but a literal. A template that does not parse runs nothing.
func HasEffects(text string) bool {
	if !hasTemplateSyntax(text) {
		return false
	}
	nodes, err := parseTemplate(text)
	if err != nil {
		return false
	}
	rc := newRefCollector()
	rc.template(nodes, map[string]bool{})
	return rc.effects
}

// callHasEffects reports whether a call may run a lookup with effects.
func callHasEffects(n *callNode) bool {
	switch n.fn {
	case "lookup", "query", "q":
	default:
		return false
	}
	if len(n.args) == 0 {
		return false
	}
	lit, ok := n.args[0].(*litNode)
	if !ok {
		return true // a plugin named by a variable may be any of them
	}
	spec, known := lookupPlugins[pluginName(fmt.Sprint(lit.val))]
	return known && spec.effects
}
