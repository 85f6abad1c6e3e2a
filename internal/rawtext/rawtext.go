// Package rawtext is the value of a YAML string tagged !unsafe: text that
// is never templated, Ansible's AnsibleUnsafeText. A playbook passes Jinja
// through it unrendered (a credential type's injectors, `!unsafe "{{
// token }}"`, that another tool renders later). The runner hands such a
// value to templates and modules as a plain string, once, without
// rendering it; only the inventory's listing shows it as it is kept.
package rawtext

import "encoding/json"

// Text is a string that is never templated.
type Text string

// MarshalJSON writes {"__ansible_unsafe": "..."}, as ansible-inventory's
// encoder (AnsibleJSONEncoder with preprocess_unsafe) lists such a value.
func (t Text) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"__ansible_unsafe": string(t)})
}
