package template

import "testing"

// HasEffects follows the plugins' declarations: pipe and password in any
// spelling, a plugin named by a variable (it may be either), and not a
// string that merely says "pipe".
func TestHasEffects(t *testing.T) {
	for text, want := range map[string]bool{
		"{{ lookup('pipe', 'date') }}":                    true,
		"{{ query('ansible.builtin.password', '/x') }}":   true,
		"{% if x %}{{ q(\"password\", 'f') }}{% endif %}": true,
		"{{ lookup(name, 'date') }}":                      true,
		"{{ lookup('env', 'HOME') ~ 'pipe' }}":            false,
		"{{ 'password' }}":                                false,
		"pipe'":                                           false,
	} {
		if got := HasEffects(text); got != want {
			t.Errorf("HasEffects(%q) = %v, want %v", text, got, want)
		}
	}
}
