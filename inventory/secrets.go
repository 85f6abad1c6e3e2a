package inventory

import (
	"fmt"
	"slices"
	"strings"
)

// PasswordVars are the connection and become passwords. Their values are
// secrets wherever they are set, tagged !secret or not: ferry masks them in
// `ferry inventory` and in every run's output, as it masks !secret values.
var PasswordVars = []string{"ansible_password", "ansible_ssh_pass", "ansible_ssh_password", "ansible_become_password", "ansible_become_pass",
	"ansible_sudo_pass", "ansible_su_pass"}

// IsPasswordVar reports whether name is one of PasswordVars.
func IsPasswordVar(name string) bool { return slices.Contains(PasswordVars, name) }

// passwordValues are the literal values the hosts' password variables
// resolve to. Templated ones ("{{ vault_pw }}") are the runner's to render.
func (inv *Inventory) passwordValues() []string {
	var out []string
	for _, h := range groupHosts(inv.all()) { // inv.dyn is held (Secrets)
		vars := inv.hostVars(h.Name)
		for _, name := range PasswordVars {
			v, ok := vars[name]
			if !ok || v == nil {
				continue
			}
			if s := fmt.Sprint(v); !strings.Contains(s, "{{") {
				out = append(out, s)
			}
		}
	}
	return out
}
