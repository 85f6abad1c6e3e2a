package runner

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// anyErrorsFatal reads any_errors_fatal. A template
// (`any_errors_fatal: "{{ any_errors_fatal | default(true) }}"`, as
// kubespray's playbooks write it) is true whatever it renders to: 2.14's
// linear strategy reads the keyword untemplated, and a non-empty string is
// true (measured: "{{ false }}" stops every host at the first failure).
func (p *parser) anyErrorsFatal(n *yaml.Node) bool {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "{{") {
		p.template(n)
		return true
	}
	return p.boolean(n)
}
